// Package plenigosim is a faithful stand-in for plenigo's API v3 as orderhub uses it: token checks,
// customers with email uniqueness and 208, WBZ marks, asynchronous order imports written to an import
// log after a delay, both known duplicate behaviours, the 7-day log retention, and switchable faults.
// It counts every call by endpoint. Tests and the local stack serve it with httptest or net/http.
//
// Routing, counting, faults and the clock come from local/simkit; this package holds what is
// plenigo's own: the routes, their rules and error codes, and the token check.
package plenigosim

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/orderhub/orderhub/local/simkit"
)

// Prefix is the path every route starts with, as on api.plenigo.com.
const Prefix = "/api/v3.0"

// LogRetention is how long plenigo keeps import log entries.
const LogRetention = 7 * 24 * time.Hour

// DuplicateMode is how an import with a known externalSystemId is refused.
type DuplicateMode int

const (
	// DuplicateSync answers 400 with error 97001 at once.
	DuplicateSync DuplicateMode = iota
	// DuplicateAsync accepts with 201 and writes a failed log entry later.
	DuplicateAsync
)

// Fault is an injected failure.
type Fault = simkit.Fault

// The faults. Fault504AfterApply handles the request fully, then answers 504 as a gateway would.
const (
	FaultNone          = simkit.FaultNone
	Fault429           = simkit.Fault429
	Fault500           = simkit.Fault500
	Fault502           = simkit.Fault502
	Fault503           = simkit.Fault503
	FaultTimeout       = simkit.FaultTimeout
	Fault504AfterApply = simkit.Fault504AfterApply
)

// RetryAfterZero, as Config.RetryAfter, makes a 429 carry "Retry-After: 0".
const RetryAfterZero = simkit.RetryAfterZero

// Offer is a plenigo offer the simulator knows; WBZ offers need a WBZ customer.
type Offer struct{ WBZ bool }

// Config is the simulator's behaviour. Change it only before serving, or through the setters.
type Config struct {
	Tokens        map[string]bool // token → may write
	Offers        map[string]Offer
	LogDelay      time.Duration // from accepted import to log entry
	Duplicates    DuplicateMode
	NoPromiseID   bool // answer imports without a promiseId
	QueueLimit    int  // pending import items above this get 97004; 0 means no limit
	TimeoutHold   time.Duration
	RetryAfter    time.Duration    // what a 429 sends in Retry-After: 0 means 1 s, RetryAfterZero sends 0
	Clock         *simkit.Clock    // the simulator's now (log and order dates, retention); nil means real time
	Now           func() time.Time // when set, used instead of Clock
	FaultRate     float64          // share of calls that get a random fault from FaultKinds
	FaultKinds    []Fault
	FaultEndpoint func(endpoint string) bool // which endpoints faults apply to; nil means all
}

// Sim is the simulator. It implements http.Handler.
type Sim struct {
	kit   *simkit.Server
	clock *simkit.Clock // nil when Config.Now is used
	now   func() time.Time

	mu         sync.Mutex
	cfg        Config
	customers  map[string]*customer // by id
	byEmail    map[string]string    // lower-case email → id
	nextCust   int64
	orders     []*order
	byExternal map[string]*order
	pending    map[string]bool // externalSystemIds accepted, not yet processed
	logs       []logEntry
	nextLog    int64
	nextOrder  int64
	promiseSeq int64
	wg         sync.WaitGroup
	timers     map[*time.Timer]bool
	stopped    bool
}

// New returns a simulator. Zero fields of cfg get defaults: LogDelay 50 ms, TimeoutHold 30 s,
// RetryAfter 1 s, the time from Clock or else real time, FaultKinds all of them.
func New(cfg Config) *Sim {
	if cfg.LogDelay == 0 {
		cfg.LogDelay = 50 * time.Millisecond
	}
	if cfg.TimeoutHold == 0 {
		cfg.TimeoutHold = 30 * time.Second
	}
	if len(cfg.FaultKinds) == 0 {
		cfg.FaultKinds = simkit.AllFaults()
	}
	if cfg.Tokens == nil {
		cfg.Tokens = map[string]bool{}
	}
	if cfg.Offers == nil {
		cfg.Offers = map[string]Offer{}
	}
	s := &Sim{cfg: cfg, customers: map[string]*customer{}, byEmail: map[string]string{}, nextCust: 100000,
		byExternal: map[string]*order{}, pending: map[string]bool{}, nextLog: 1, nextOrder: 500000, timers: map[*time.Timer]bool{}}
	s.now = cfg.Now
	if s.now == nil {
		s.clock = cfg.Clock
		if s.clock == nil {
			s.clock = &simkit.Clock{}
		}
		s.now = s.clock.Now
	}
	s.kit = simkit.NewServer(simkit.Options{Prefix: Prefix, WriteError: writeStatus, Guard: s.authorize,
		RetryAfter: cfg.RetryAfter, TimeoutHold: cfg.TimeoutHold})
	s.kit.Faults().SetRate(cfg.FaultRate, cfg.FaultKinds...)
	s.kit.Faults().SetFilter(cfg.FaultEndpoint)
	s.routes()
	return s
}

// routes registers plenigo's endpoints; their patterns are the endpoint names calls are counted by.
func (s *Sim) routes() {
	k := s.kit
	k.HandleFunc("POST /customers", s.createCustomer)
	k.HandleFunc("GET /customers", s.findCustomers)
	k.HandleFunc("GET /customers/customerIdByExternalSystemId/{id}", s.customerIDByExternal)
	k.HandleFunc("GET /customers/{id}", s.getCustomer)
	k.HandleFunc("GET /customers/{id}/marks/WBZ", s.getWBZMark)
	k.HandleFunc("PUT /customers/{id}/marks/WBZ", s.putWBZMark)
	k.HandleFunc("POST /imports/orders", s.importOrders)
	k.HandleFunc("GET /imports/orders/logs", s.searchLogs)
	k.HandleFunc("GET /imports/orders/logs/{id}", s.getLog)
	k.HandleFunc("GET /orders", s.searchOrders)
}

// ServeHTTP routes a request: the kit counts it, applies any fault, then authorize and the route run.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.kit.ServeHTTP(w, r)
}

// authorize is plenigo's token check. The kit runs it after the fault, so a faulted call fails the
// same way whatever its token.
func (s *Sim) authorize(w http.ResponseWriter, r *http.Request, _ string) bool {
	s.mu.Lock()
	write, known := s.cfg.Tokens[r.Header.Get("X-plenigo-token")]
	s.mu.Unlock()
	if !known {
		writeErr(w, 401, 99008, "Api token provided is not authorized.", nil)
		return false
	}
	if r.Method != http.MethodGet && !write {
		writeErr(w, 401, 99009, "Api token provided does not have the necessary rights.", nil)
		return false
	}
	return true
}

// Close drops import processing that has not started, waits for what is running, and lets go of
// requests held by a timeout fault.
func (s *Sim) Close() {
	s.kit.Close()
	s.mu.Lock()
	s.stopped = true
	for t := range s.timers {
		if t.Stop() {
			s.wg.Done()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// SetFaults changes the random fault rate (0 turns random faults off).
func (s *Sim) SetFaults(rate float64, kinds ...Fault) {
	s.kit.Faults().SetRate(rate, kinds...)
}

// FailNext makes the next calls of an endpoint (e.g. "POST /imports/orders") fail with faults, in order.
func (s *Sim) FailNext(endpoint string, faults ...Fault) {
	s.kit.Faults().FailNext(endpoint, faults...)
}

// SetToken adds, changes (write access) or, with ok false, revokes a token: a token revoked mid-run
// behaves like one that expired.
func (s *Sim) SetToken(token string, write, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok {
		s.cfg.Tokens[token] = write
	} else {
		delete(s.cfg.Tokens, token)
	}
}

// RemoveOffer makes plenigo forget an offer, as when it is deleted or never existed there.
func (s *Sim) RemoveOffer(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cfg.Offers, id)
}

// SetDuplicateMode switches how duplicates are refused.
func (s *Sim) SetDuplicateMode(m DuplicateMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Duplicates = m
}

// Counter returns the call counter, for its assertions (ExpectCalls, ExpectAtMost).
func (s *Sim) Counter() *simkit.Counter { return s.kit.Counter() }

// Clock returns the clock the simulator's now comes from, for tests to move; nil when Config.Now
// was given instead.
func (s *Sim) Clock() *simkit.Clock { return s.clock }

// Calls returns the number of calls per endpoint ("POST /customers", …), faulted ones included.
// Calls no route matches count as "METHOD /unknown".
func (s *Sim) Calls() map[string]int { return s.kit.Counter().Calls() }

// TotalCalls returns the number of calls to every endpoint.
func (s *Sim) TotalCalls() int { return s.kit.Counter().TotalCalls() }

// Faulted returns how many calls per endpoint got an injected fault.
func (s *Sim) Faulted() map[string]int { return s.kit.Counter().Faulted() }

// FaultsByKind returns how many faults of each kind were injected.
func (s *Sim) FaultsByKind() map[Fault]int { return s.kit.Counter().FaultsByKind() }

// ResetCalls zeroes the call counters.
func (s *Sim) ResetCalls() { s.kit.Counter().Reset() }

// CustomerCount returns how many customers exist, and OrdersFor how many orders carry an
// externalSystemId: what tests assert "exactly one" on.
func (s *Sim) CustomerCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.customers)
}

// CustomersByEmail returns how many customers have this email (plenigo allows one).
func (s *Sim) CustomersByEmail(email string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.customers {
		if strings.EqualFold(c.Email, email) {
			n++
		}
	}
	return n
}

// OrdersFor returns how many orders carry an externalSystemId.
func (s *Sim) OrdersFor(externalSystemID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, o := range s.orders {
		if o.ExternalSystemID == externalSystemID {
			n++
		}
	}
	return n
}

// OrderCount returns how many orders exist.
func (s *Sim) OrderCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.orders)
}

// HasWBZMark reports whether a customer with this email carries the WBZ mark.
func (s *Sim) HasWBZMark(email string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[s.byEmail[strings.ToLower(email)]]
	return c != nil && c.wbz != nil
}
