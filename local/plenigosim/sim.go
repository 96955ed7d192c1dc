// Package plenigosim is a faithful stand-in for plenigo's API v3 as orderhub uses it: token checks
// and token rights, customers with email uniqueness and 208, the registration lock, customer status,
// WBZ marks and WBZ addresses, order imports checked at once where plenigo answers at once and
// written to an import log after a delay otherwise, log entries that start pending and change later,
// the known duplicate behaviours, the 7-day log retention, lookups of orders and subscriptions by
// externalSystemId, and switchable faults. It counts every call by endpoint. Tests and the local
// stack serve it with httptest or net/http. docs/plenigo.md says which behaviours plenigo documents.
//
// Routing, counting, faults and the clock come from local/simkit; this package holds what is
// plenigo's own: the routes, their rules and error codes, and the token check.
package plenigosim

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orderhub/orderhub/local/simkit"
)

// Prefix is the path every route starts with, as on api.plenigo.com.
const Prefix = "/api/v3.0"

// LogRetention is how long plenigo keeps import log entries.
const LogRetention = 7 * 24 * time.Hour

// DuplicateMode is what an import with a known externalSystemId gets: one already imported, or one
// whose earlier import is still in plenigo's queue.
type DuplicateMode int

const (
	// DuplicateSync answers 400 with error 97001 at once.
	DuplicateSync DuplicateMode = iota
	// DuplicateAsync accepts with 201 and writes a failed log entry later.
	DuplicateAsync
	// DuplicateAccept refuses nothing: every import creates an order, so a second import of one
	// externalSystemId makes a second order (OrdersFor counts both). It stands for a plenigo that
	// does not guard in-flight or repeated imports, which nothing published rules out.
	DuplicateAccept
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

// Offer is a plenigo offer the simulator knows.
type Offer struct {
	// WBZ marks an offer for WBZ dealers: it must be imported with managedBy WBZ (90071), and only
	// WBZ offers may be (90068).
	WBZ bool
	// NeedsDeliveryAddress marks a WBZ offer that delivers something (print): a WBZ import of it
	// needs deliveryAddressId, the id of a WBZ address (POST /addresses/wbz) of type DELIVERY that
	// belongs to the invoice or delivery customer, or it fails with 90069.
	NeedsDeliveryAddress bool
}

// Right is an access right of an API token. plenigo's OpenAPI description names the right each
// endpoint group needs; the simulator checks the three orderhub's endpoints need.
type Right string

// The rights: customers and addresses need CUSTOMERS, imports and the import log IMPORTS, and
// orders and subscriptions, by plenigo's description, APPSTORES.
const (
	RightCustomers Right = "CUSTOMERS"
	RightImports   Right = "IMPORTS"
	RightAppStores Right = "APPSTORES"
)

// Config is the simulator's behaviour. Change it only before serving, or through the setters.
type Config struct {
	Tokens map[string]bool // token → may write
	// TokenRights limits the rights of tokens in Tokens; a token not listed has every right. A
	// call without the right its endpoint needs answers 401 with 99009, whatever the method.
	TokenRights map[string][]Right
	Offers      map[string]Offer
	LogDelay    time.Duration // from accepted import to its log entry (the pending one with PendingEntries)
	Duplicates  DuplicateMode
	NoPromiseID bool // answer imports without a promiseId
	QueueLimit  int  // pending import items above this get 97004; 0 means no limit
	TimeoutHold time.Duration
	// RetryAfter is what a 429 sends in Retry-After, in whole seconds rounded up. Zero sends no
	// Retry-After header at all, which is what plenigo documents (nothing); RetryAfterZero sends 0.
	RetryAfter time.Duration
	// SyncWBZErrors makes the WBZ checks of an import (90068, 90069, 90070, 90071) answer 400 on the
	// POST. By default the import is accepted and the refusal appears in the import log: plenigo
	// does not say which it does.
	SyncWBZErrors bool
	// PendingEntries makes processing an import write its log entry first as pending (success
	// false, no errorReason) and complete the same entry PendingDelay later, with a new changedDate.
	PendingEntries bool
	// PendingDelay is how long an entry stays pending with PendingEntries; zero means 50 ms.
	PendingDelay time.Duration
	// WBZAddressWithoutMark lets POST /addresses/wbz create an address for a customer without the
	// WBZ mark; by default that answers 400 with 20071 ("Customer has no WBZ mark"). Which plenigo
	// does is unconfirmed.
	WBZAddressWithoutMark bool
	// ValidAddress, when set, is plenigo's address validation for POST /addresses/wbz: an address it
	// refuses gets 400 with 22003 unless the call has overrideValidation=true, which stores it as
	// OVERRIDDEN. Nil validates nothing (validationStatus NONE). It runs under the simulator's
	// lock, so it must not call the simulator.
	ValidAddress  func(country, postcode, city, street string) bool
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

	mu            sync.Mutex
	cfg           Config
	customers     map[string]*customer // by id
	byEmail       map[string]string    // lower-case email → id
	nextCust      int64
	regLocked     int // POST /customers calls still to answer 423
	addresses     map[int64]*address
	nextAddress   int64
	orders        []*order
	byExternal    map[string]*order
	subscriptions []*subscription
	pending       map[string]int // externalSystemId → import items accepted and not yet final
	queued        int            // all such items, for QueueLimit
	logs          []*logEntry
	nextLog       int64
	nextOrder     int64
	nextSub       int64
	promiseSeq    int64
	wg            sync.WaitGroup
	timers        map[*time.Timer]job // scheduled import steps, until they have run
	nextJob       int64
	stopped       bool
}

// job is a scheduled import step; seq orders the steps for Flush.
type job struct {
	seq int64
	f   func()
}

// New returns a simulator. Zero fields of cfg get defaults: LogDelay 50 ms, PendingDelay 50 ms,
// TimeoutHold 30 s, no Retry-After on 429, the time from Clock or else real time, FaultKinds all
// of them.
func New(cfg Config) *Sim {
	if cfg.LogDelay == 0 {
		cfg.LogDelay = 50 * time.Millisecond
	}
	if cfg.PendingDelay == 0 {
		cfg.PendingDelay = 50 * time.Millisecond
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
	if cfg.TokenRights == nil {
		cfg.TokenRights = map[string][]Right{}
	}
	if cfg.Offers == nil {
		cfg.Offers = map[string]Offer{}
	}
	s := &Sim{cfg: cfg, customers: map[string]*customer{}, byEmail: map[string]string{}, nextCust: 100000,
		addresses: map[int64]*address{}, nextAddress: 100000, byExternal: map[string]*order{}, pending: map[string]int{},
		nextLog: 1, nextOrder: 500000, nextSub: 700000, timers: map[*time.Timer]job{}}
	s.now = cfg.Now
	if s.now == nil {
		s.clock = cfg.Clock
		if s.clock == nil {
			s.clock = &simkit.Clock{}
		}
		s.now = s.clock.Now
	}
	s.kit = simkit.NewServer(simkit.Options{Prefix: Prefix, WriteError: s.writeStatus, Guard: s.authorize,
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
	k.HandleFunc("POST /addresses/wbz", s.createWBZAddress)
	k.HandleFunc("POST /imports/orders", s.importOrders)
	k.HandleFunc("GET /imports/orders/logs", s.searchLogs)
	k.HandleFunc("GET /imports/orders/logs/{id}", s.getLog)
	k.HandleFunc("GET /orders", s.searchOrders)
	k.HandleFunc("GET /subscriptions", s.searchSubscriptions)
}

// ServeHTTP routes a request: the kit counts it, applies any fault, then authorize and the route run.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.kit.ServeHTTP(w, r)
}

// rightFor is the access right an endpoint ("POST /imports/orders") needs.
func rightFor(endpoint string) Right {
	_, path, _ := strings.Cut(endpoint, " ")
	switch {
	case strings.HasPrefix(path, "/imports/"):
		return RightImports
	case strings.HasPrefix(path, "/orders"), strings.HasPrefix(path, "/subscriptions"):
		return RightAppStores
	}
	return RightCustomers
}

// authorize is plenigo's token check. The kit runs it after the fault, so a faulted call fails the
// same way whatever its token.
func (s *Sim) authorize(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	tok := r.Header.Get("X-plenigo-token")
	s.mu.Lock()
	write, known := s.cfg.Tokens[tok]
	rights, limited := s.cfg.TokenRights[tok]
	s.mu.Unlock()
	if !known {
		writeErr(w, 401, 99008, "Api token provided is not authorized.", nil)
		return false
	}
	if (r.Method != http.MethodGet && !write) || (limited && !slices.Contains(rights, rightFor(endpoint))) {
		writeErr(w, 401, 99009, "Api token provided does not have the necessary rights.", nil)
		return false
	}
	return true
}

// schedule runs f after d unless the simulator is closed or flushed first; the caller holds s.mu.
func (s *Sim) schedule(d time.Duration, f func()) {
	if s.stopped {
		return
	}
	s.wg.Add(1)
	s.nextJob++
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		defer s.wg.Done()
		f()
		s.mu.Lock()
		delete(s.timers, t) // t was set under the lock this takes
		s.mu.Unlock()
	})
	s.timers[t] = job{s.nextJob, f}
}

// Flush runs at once, in the order they were scheduled, the import steps scheduled so far (the
// processing of accepted imports and, with PendingEntries, the completion of pending entries), as
// if their delays had passed, and waits for steps already running. Steps these schedule wait for
// their own delay or the next Flush, so a test can see a pending entry before it completes. With a
// long LogDelay and PendingDelay, Flush makes a test independent of timing.
func (s *Sim) Flush() {
	s.mu.Lock()
	var jobs []job
	var running []*time.Timer
	for t, j := range s.timers {
		if t.Stop() {
			delete(s.timers, t)
			jobs = append(jobs, j)
		} else {
			running = append(running, t)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(jobs, func(a, b job) int { return int(a.seq - b.seq) })
	for _, j := range jobs {
		j.f()
		s.wg.Done()
	}
	for _, t := range running {
		for {
			s.mu.Lock()
			_, still := s.timers[t]
			s.mu.Unlock()
			if !still {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// ProcessPending runs the scheduled import steps at once, round after round as Flush does, until
// none is left: every accepted import, pending entries included, reaches its final log entry.
func (s *Sim) ProcessPending() {
	for {
		s.Flush()
		s.mu.Lock()
		done := len(s.timers) == 0 || s.stopped
		s.mu.Unlock()
		if done {
			return
		}
	}
}

// Close drops import processing that has not started, waits for what is running, and lets go of
// requests held by a timeout fault.
func (s *Sim) Close() {
	s.kit.Close()
	s.mu.Lock()
	s.stopped = true
	for t := range s.timers {
		if t.Stop() {
			delete(s.timers, t)
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

// RemoveOffer makes plenigo forget an offer, as when it is deleted: new imports of it answer 404
// with 60404, and imports of it already accepted fail in the import log.
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

// SetLogDelay changes Config.LogDelay for imports accepted from now on; a long delay with Flush or
// ProcessPending lets a test decide when plenigo processes them.
func (s *Sim) SetLogDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.LogDelay = d
}

// SetRetryAfter changes what a 429 sends in Retry-After, as Config.RetryAfter: zero sends none.
func (s *Sim) SetRetryAfter(d time.Duration) {
	s.mu.Lock()
	s.cfg.RetryAfter = d
	s.mu.Unlock()
	if d != 0 {
		s.kit.SetRetryAfter(d)
	}
}

// SetSyncWBZErrors switches where WBZ refusals go, as Config.SyncWBZErrors: true answers them on
// the POST, false writes them to the import log.
func (s *Sim) SetSyncWBZErrors(sync bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.SyncWBZErrors = sync
}

// SetPendingEntries switches pending log entries on or off for imports processed from now on, as
// Config.PendingEntries.
func (s *Sim) SetPendingEntries(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.PendingEntries = on
}

// SetTokenRights limits a token to the rights given (none makes it right-less), as
// Config.TokenRights; give it all three rights to lift the limit.
func (s *Sim) SetTokenRights(token string, rights ...Right) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.TokenRights[token] = append([]Right{}, rights...)
}

// SetOffer adds or changes an offer.
func (s *Sim) SetOffer(id string, o Offer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Offers[id] = o
}

// LockRegistration makes the next n POST /customers that pass the token check answer 423 with
// 20026, as plenigo does for a few seconds while a registration of the email is in progress.
func (s *Sim) LockRegistration(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.regLocked = n
}

// BlockCustomer sets the customer with this email to status BLOCKED, so that imports for it answer
// 403 with 20001; it reports whether the customer exists.
func (s *Sim) BlockCustomer(email string) bool {
	return s.SetCustomerStatus(email, "BLOCKED")
}

// SetCustomerStatus sets the status of the customer with this email (ACTIVATED, BLOCKED,
// DEACTIVATED or DISABLED); imports for a customer that is not ACTIVATED answer 403 with 20001. It
// reports whether the customer exists.
func (s *Sim) SetCustomerStatus(email, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.customers[s.byEmail[strings.ToLower(email)]]
	if c == nil {
		return false
	}
	c.Status = status
	return true
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

// SubscriptionsFor returns how many subscriptions carry an externalSystemId.
func (s *Sim) SubscriptionsFor(externalSystemID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, sub := range s.subscriptions {
		if sub.ExternalSystemID == externalSystemID {
			n++
		}
	}
	return n
}

// WBZAddresses returns the ids of the WBZ addresses of a customer, oldest first.
func (s *Sim) WBZAddresses(customerID string) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id, a := range s.addresses {
		if a.CustomerID == customerID {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
