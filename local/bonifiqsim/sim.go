// Package bonifiqsim is a faithful stand-in for BonifiQ's private order API (/v1/pvt/Order) as
// orderhub uses it: Basic auth, the upsert by OriginalId with a stable Id, the pending → completed →
// cancelled states, points credited after a delay and reversed by full and partial cancels, the
// once-only CancelKey, BonifiQ's validation enum, and switchable faults. A points ledger lets tests
// assert money rather than calls. docs/bonifiq.md says which behaviours BonifiQ documents.
//
// Routing, counting, HTTP faults and the clock come from local/simkit; this package holds what is
// BonifiQ's own: the routes, the envelope, the rules and the ledger.
package bonifiqsim

import (
	"net/http"
	"sync"
	"time"

	"github.com/orderhub/orderhub/local/simkit"
)

// Default credentials, used when Config leaves them empty. The user has the shape of BonifiQ's API
// users (APIUSER-<store>-<hex>).
const (
	DefaultUser     = "APIUSER-demo-0001"
	DefaultPassword = "secret"
)

// AuthAnswer is how a call with wrong or missing credentials is answered; BonifiQ does not say.
type AuthAnswer int

const (
	// Auth401 answers 401 with the error envelope and a WWW-Authenticate header.
	Auth401 AuthAnswer = iota
	// AuthEnvelope answers 200 with the error envelope (HasError true, ErrorCode 401).
	AuthEnvelope
)

// UpsertCancel is what POST /v1/pvt/Order with IsCancelledOrReturned=true does to an order that is
// already completed. BonifiQ documents error 13 (Order_CompletedOrderCannotBeCancelled) but not
// when it is raised; its own code reverses only through /cancel and /partialcancel.
type UpsertCancel int

const (
	// RefuseUpsertCancel refuses with error 13 and changes nothing.
	RefuseUpsertCancel UpsertCancel = iota
	// AcceptUpsertCancel cancels the order as POST /v1/pvt/Order/{id}/cancel would.
	AcceptUpsertCancel
)

// Config is the simulator's behaviour. Zero fields get the defaults named on each.
type Config struct {
	User, Password   string // accepted Basic credentials; empty means DefaultUser / DefaultPassword
	AuthAnswer       AuthAnswer
	UpsertCancel     UpsertCancel
	ValidationStatus int           // HTTP status of refusals answered with HasError; 0 means 200
	PointsPerUnit    int64         // points per 1.00 of OrderTotal; 0 means 1
	CreditDelay      time.Duration // points are credited this long after completion, on Clock
	Clock            *simkit.Clock // nil means a new clock running at real time
}

// Sim is the simulator. It implements http.Handler.
type Sim struct {
	kit    *simkit.Server
	clock  *simkit.Clock
	faults *envelopeFaults
	slow   *simkit.Latency

	mu        sync.Mutex
	cfg       Config
	orders    map[string]*order // by OriginalId
	customers map[string]*customer
	pending   []*order // completed orders whose credit is still due
	nextOrder int64
	nextCust  int64
}

// New returns a simulator with cfg's behaviour.
func New(cfg Config) *Sim {
	if cfg.User == "" {
		cfg.User = DefaultUser
	}
	if cfg.Password == "" {
		cfg.Password = DefaultPassword
	}
	if cfg.PointsPerUnit == 0 {
		cfg.PointsPerUnit = 1
	}
	if cfg.Clock == nil {
		cfg.Clock = &simkit.Clock{}
	}
	s := &Sim{clock: cfg.Clock, faults: newEnvelopeFaults(), slow: simkit.NewLatency(), cfg: cfg,
		orders: map[string]*order{}, customers: map[string]*customer{}, nextOrder: 1000000, nextCust: 500000}
	s.kit = simkit.NewServer(simkit.Options{WriteError: s.writeStatus, Guard: s.guard})
	s.routes()
	return s
}

// Endpoint names, as the Counter counts calls: the route patterns.
const (
	EndpointUpsert        = "POST /v1/pvt/Order"
	EndpointUpsertPOS     = "POST /v1/pvt/POS/orders"
	EndpointGet           = "GET /v1/pvt/Order/{id}"
	EndpointCancel        = "POST /v1/pvt/Order/{id}/cancel"
	EndpointPartialCancel = "POST /v1/pvt/Order/{id}/partialcancel"
	EndpointComplete      = "POST /v1/pvt/Order/{id}/complete"
)

// routes registers BonifiQ's order endpoints. Paths are matched case-sensitively, in the casing
// BonifiQ's pages use.
func (s *Sim) routes() {
	s.kit.HandleFunc(EndpointUpsert, s.upsert)
	s.kit.HandleFunc(EndpointUpsertPOS, s.upsert)
	s.kit.HandleFunc(EndpointGet, s.getOrder)
	s.kit.HandleFunc(EndpointCancel, s.cancel)
	s.kit.HandleFunc(EndpointPartialCancel, s.partialCancel)
	s.kit.HandleFunc(EndpointComplete, s.complete)
}

// ServeHTTP routes a request: the kit counts it and applies any HTTP fault, then guard (slow
// answers, auth, envelope faults) and the route run.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.kit.ServeHTTP(w, r)
}

// Close lets go of requests held by a timeout fault or a slow answer; later ones answer at once.
func (s *Sim) Close() {
	s.kit.Close()
	s.slow.Close()
}

// Counter returns the call counter, for its assertions (ExpectCalls, ExpectAtMost).
func (s *Sim) Counter() *simkit.Counter { return s.kit.Counter() }

// Clock returns the simulator's clock: moving it forward makes due credits land.
func (s *Sim) Clock() *simkit.Clock { return s.clock }

// SetAuthAnswer switches how wrong credentials are answered, as Config.AuthAnswer.
func (s *Sim) SetAuthAnswer(a AuthAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.AuthAnswer = a
}

// SetCredentials changes the accepted Basic credentials, as a key rotation in BonifiQ's panel does.
func (s *Sim) SetCredentials(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.User, s.cfg.Password = user, password
}

// SetUpsertCancel switches what an upsert cancelling a completed order does, as Config.UpsertCancel.
func (s *Sim) SetUpsertCancel(u UpsertCancel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.UpsertCancel = u
}

// SetValidationStatus changes the HTTP status of refusals, as Config.ValidationStatus.
func (s *Sim) SetValidationStatus(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.ValidationStatus = status
}

// SetCreditDelay changes Config.CreditDelay for orders completed from now on.
func (s *Sim) SetCreditDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.CreditDelay = d
}
