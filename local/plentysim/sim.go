// Package plentysim is a faithful stand-in for the plentymarkets (PlentyONE) REST API as orderhub uses
// it: the backend-user login with its 24-hour Bearer tokens, the cap on concurrent sessions, refresh
// and logout; the read and write throttles with their X-Plenty headers; the paged order search with
// its filter operators and decimal status ids, the deprecated order list, one order, the status
// change and the cancel; the status list and the status history; shipping packages; returns as
// orders of their own; and switchable faults, plentymarkets' HTML answers among them. It counts every
// call by endpoint and keeps track of open sessions. Tests serve it with Serve; the merchant's side
// (orders arriving, the merchant moving them, returns) is driven with AddOrder, MoveOrder and
// AddReturn. docs/plentymarkets.md says which behaviours plentymarkets documents.
//
// Routing, counting, HTTP faults and the clock come from local/simkit; this package holds what is
// plentymarkets' own.
package plentysim

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/orderhub/orderhub/local/simkit"
)

// Defaults for the zero fields of Config.
const (
	DefaultUser        = "orderhub-rest"
	DefaultPassword    = "secret"
	DefaultMaxSessions = 3 // plentymarkets' default cap on simultaneously logged-in backend users
	DefaultTokenTTL    = 24 * time.Hour
	DefaultPlentyID    = 1000
)

// The throttling limits of plentymarkets' Basic tier, the defaults of Config.
const (
	BasicReadPerMinute  = 80
	BasicWritePerMinute = 40
	BasicReadPerDay     = 59760
	BasicWritePerDay    = 17280
)

// Endpoint names, as the Counter counts calls and FailNext takes them: the route patterns, in
// plentymarkets' spelling of the paths. A path no route matches counts as "METHOD /unknown".
const (
	EndpointLogin              = "POST /rest/login"
	EndpointRefresh            = "POST /rest/login/refresh"
	EndpointLogout             = "POST /rest/logout"
	EndpointSearch             = "GET /rest/orders/search"
	EndpointSearchPost         = "POST /rest/orders/search"
	EndpointOrders             = "GET /rest/orders"
	EndpointOrder              = "GET /rest/orders/{orderId}"
	EndpointUpdateOrder        = "PUT /rest/orders/{orderId}"
	EndpointCancelOrder        = "PUT /rest/orders/{orderId}/cancel"
	EndpointStatuses           = "GET /rest/orders/statuses"
	EndpointStatusHistory      = "GET /rest/orders/status-history"
	EndpointOrderStatusHistory = "GET /rest/orders/{orderId}/status-history"
	EndpointPackages           = "GET /rest/orders/{orderId}/shipping/packages"
	EndpointCreatePackage      = "POST /rest/orders/{orderId}/shipping/packages"
	EndpointUpdatePackage      = "PUT /rest/orders/{orderId}/shipping/packages/{orderShippingPackageId}"
	EndpointPackageNumbers     = "GET /rest/orders/{orderId}/packagenumbers"
)

// Config is the simulator's behaviour. Zero fields get the defaults named on each. Change it only
// before New, or through the setters.
type Config struct {
	User, Password string        // the backend user; defaults DefaultUser / DefaultPassword
	MaxSessions    int           // concurrent unexpired tokens; 0 means DefaultMaxSessions
	TokenTTL       time.Duration // access-token lifetime on Clock; 0 means 24 h (expires_in 86400)
	// The throttles: calls per minute per user and per day per system, for reads (GET) and writes
	// (every other method). 0 means the Basic tier: 80, 40, 59,760 and 17,280.
	ReadPerMinute, WritePerMinute, ReadPerDay, WritePerDay int
	// SettableStatuses are the statuses the REST user may set with PUT (others answer 403); nil
	// means every status the system has.
	SettableStatuses []Status
	// Statuses are the system's order statuses; nil means DefaultStatuses().
	Statuses []Status
	PlentyID int // the client (shop) id of new orders; 0 means DefaultPlentyID
	// PagePlaceholder gives every new sales order an empty shipping package, which GET
	// …/shipping/packages lists first, as field reports say some systems do.
	PagePlaceholder bool
	// PageAsString writes the paging envelope's "page" as a string ("1"), as plentymarkets' guide
	// shows for some routes; false writes a number, as its order-search example does.
	PageAsString bool
	// FullSearchEntries makes GET /rest/orders/search answer whole orders (the relations
	// GET /rest/orders/{id} carries) whatever its with[]; false answers the bare entries
	// plentymarkets' guide shows, with only the relations with[] names.
	FullSearchEntries bool
	Clock             *simkit.Clock // the simulator's now; nil means a clock at real time
}

// Sim is the simulator. It implements http.Handler.
type Sim struct {
	kit      *simkit.Server
	clock    *simkit.Clock
	slow     *simkit.Latency
	html     *htmlFaults
	throttle *throttle

	mu          sync.Mutex
	cfg         Config
	statuses    []Status          // canonical, in the configured order
	known       map[string]Status // canonical text → status
	settable    map[string]bool   // nil: every known status
	replace     bool              // PUT properties replace instead of merge
	sessions    []*session
	byAccess    map[string]*session
	byRefresh   map[string]*session
	logins      int
	peak        int
	tokenSeq    int
	orders      map[int]*order
	orderIDs    []int // in creation order
	history     []*historyEntry
	contacts    map[string]int // lower-case email → contact id
	nextOrder   int
	nextItem    int
	nextAddress int
	nextContact int
	nextPackage int
	nextHistory int
	nextRef     int
}

// New returns a simulator with cfg's behaviour. It panics on a status that is not a decimal number.
func New(cfg Config) *Sim {
	if cfg.User == "" {
		cfg.User = DefaultUser
	}
	if cfg.Password == "" {
		cfg.Password = DefaultPassword
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.ReadPerMinute == 0 {
		cfg.ReadPerMinute = BasicReadPerMinute
	}
	if cfg.WritePerMinute == 0 {
		cfg.WritePerMinute = BasicWritePerMinute
	}
	if cfg.ReadPerDay == 0 {
		cfg.ReadPerDay = BasicReadPerDay
	}
	if cfg.WritePerDay == 0 {
		cfg.WritePerDay = BasicWritePerDay
	}
	if cfg.Statuses == nil {
		cfg.Statuses = DefaultStatuses()
	}
	if cfg.PlentyID == 0 {
		cfg.PlentyID = DefaultPlentyID
	}
	if cfg.Clock == nil {
		cfg.Clock = &simkit.Clock{}
	}
	s := &Sim{clock: cfg.Clock, slow: simkit.NewLatency(), html: newHTMLFaults(), cfg: cfg,
		known: map[string]Status{}, byAccess: map[string]*session{}, byRefresh: map[string]*session{},
		orders: map[int]*order{}, contacts: map[string]int{},
		nextOrder: 1000, nextItem: 5000, nextAddress: 300, nextContact: 100, nextPackage: 700, nextHistory: 9000, nextRef: 50}
	for _, st := range cfg.Statuses {
		c := mustCanonical(st)
		if _, dup := s.known[string(c)]; !dup {
			s.statuses = append(s.statuses, c)
			s.known[string(c)] = c
		}
	}
	s.setSettable(cfg.SettableStatuses)
	s.throttle = newThrottle(cfg)
	s.kit = simkit.NewServer(simkit.Options{WriteError: s.writeStatus, Guard: s.guard})
	s.routes()
	return s
}

// routes registers plentymarkets' endpoints; their patterns are the endpoint names.
func (s *Sim) routes() {
	k := s.kit
	k.HandleFunc(EndpointLogin, s.login)
	k.HandleFunc(EndpointRefresh, s.refresh)
	k.HandleFunc(EndpointLogout, s.logout)
	k.HandleFunc(EndpointSearch, s.search)
	k.HandleFunc(EndpointSearchPost, s.search)
	k.HandleFunc(EndpointOrders, s.listOrders)
	k.HandleFunc(EndpointOrder, s.getOrder)
	k.HandleFunc(EndpointUpdateOrder, s.updateOrder)
	k.HandleFunc(EndpointCancelOrder, s.cancelOrder)
	k.HandleFunc(EndpointStatuses, s.listStatuses)
	k.HandleFunc(EndpointStatusHistory, s.statusHistory)
	k.HandleFunc(EndpointOrderStatusHistory, s.orderStatusHistory)
	k.HandleFunc(EndpointPackages, s.listPackages)
	k.HandleFunc(EndpointCreatePackage, s.createPackage)
	k.HandleFunc(EndpointUpdatePackage, s.updatePackage)
	k.HandleFunc(EndpointPackageNumbers, s.packageNumbers)
}

// ServeHTTP routes a request: the kit counts it and applies any HTTP fault, then guard (slow answer,
// HTML fault, throttle, Bearer check) and the route run.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.kit.ServeHTTP(&callWriter{ResponseWriter: w, write: isWrite(r.Method)}, r)
}

// Close lets go of requests held by a timeout fault or a slow answer; later ones answer at once.
func (s *Sim) Close() {
	s.kit.Close()
	s.slow.Close()
}

// Clock returns the simulator's clock: tokens expire, throttle windows refill and orders are stamped
// on it.
func (s *Sim) Clock() *simkit.Clock { return s.clock }

// Counter returns the call counter, for its assertions (ExpectCalls, ExpectAtMost).
func (s *Sim) Counter() *simkit.Counter { return s.kit.Counter() }

// now is the simulator's time, to the second, as plentymarkets stamps its records.
func (s *Sim) now() time.Time { return s.clock.Now().Truncate(time.Second) }

// SetSettableStatuses changes which statuses the REST user may set, as Config.SettableStatuses: nil
// means all.
func (s *Sim) SetSettableStatuses(statuses []Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setSettable(statuses)
}

func (s *Sim) setSettable(statuses []Status) {
	if statuses == nil {
		s.settable = nil
		return
	}
	s.settable = map[string]bool{}
	for _, st := range statuses {
		s.settable[string(mustCanonical(st))] = true
	}
}

// SetPageAsString switches how the paging envelope writes "page", as Config.PageAsString.
func (s *Sim) SetPageAsString(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.PageAsString = on
}

// SetPagePlaceholder switches the empty placeholder package for orders added from now on, as
// Config.PagePlaceholder.
func (s *Sim) SetPagePlaceholder(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.PagePlaceholder = on
}

// SetFullSearchEntries switches what the order search answers, as Config.FullSearchEntries.
func (s *Sim) SetFullSearchEntries(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.FullSearchEntries = on
}

// SetReplaceProperties makes PUT /rest/orders/{id} with "properties" replace the order's properties
// instead of merging them by typeId (the default). plentymarkets does not say which it does.
func (s *Sim) SetReplaceProperties(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replace = on
}

// mustOrder returns an order for the merchant-side helpers, which panic on an unknown id (a test's
// mistake); the caller holds s.mu.
func (s *Sim) mustOrder(id int) *order {
	o := s.orders[id]
	if o == nil {
		panic(fmt.Sprintf("plentysim: no order %d", id))
	}
	return o
}

// mustKnown returns the canonical form of a status the system has, or panics; the caller holds s.mu.
func (s *Sim) mustKnown(st Status) Status {
	c := mustCanonical(st)
	if _, ok := s.known[string(c)]; !ok {
		panic(fmt.Sprintf("plentysim: status %q is not one of the system's statuses", st))
	}
	return c
}
