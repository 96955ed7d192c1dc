package simkit

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultRetryAfter is how long a 429 asks the client to wait unless the simulator says otherwise.
const DefaultRetryAfter = time.Second

// RetryAfterZero, given as a RetryAfter, makes a 429 carry "Retry-After: 0"; a zero RetryAfter means
// DefaultRetryAfter. Any negative duration does the same as RetryAfterZero.
const RetryAfterZero time.Duration = -1

// DefaultTimeoutHold is how long FaultTimeout holds a request unless the simulator says otherwise.
const DefaultTimeoutHold = 30 * time.Second

// Options configure a Server.
type Options struct {
	// Prefix is stripped from every path before routing (plenigo: "/api/v3.0"); a path without it is
	// an unknown route.
	Prefix string
	// WriteError writes the partner's error body for the answers the kit gives itself: the fault
	// statuses (429, 500, 502, 503, 504) and 404 for an unknown route. Headers the kit sets
	// (Retry-After) are already on w. Nil writes a plain-text http.Error.
	WriteError func(w http.ResponseWriter, status int)
	// Guard runs after the fault is applied and before the route's handler, as a partner's token or
	// auth check does; it answers and returns false to stop the call. Nil lets every call through.
	// It sees the request with the prefix stripped and the endpoint's name.
	Guard func(w http.ResponseWriter, r *http.Request, endpoint string) bool
	// RetryAfter is what a 429 sends in Retry-After, in whole seconds rounded up: zero means
	// DefaultRetryAfter, RetryAfterZero sends 0.
	RetryAfter time.Duration
	// TimeoutHold is how long FaultTimeout holds a request before its 504, unless the client goes
	// away or the server is closed first; zero means DefaultTimeoutHold.
	TimeoutHold time.Duration
}

// Server is the middleware in front of a simulator's routes. Routes are registered with Go 1.22
// method-and-path patterns ("POST /customers", "GET /customers/{id}"); the handlers read path
// parameters with r.PathValue. For every request the server finds the matching pattern before
// dispatching, names the endpoint after it ("GET /customers/{id}"), counts the call, applies the
// fault the script or the random rate picks for that endpoint, runs the guard, and only then the
// handler. A request no route matches (wrong method included) is counted as "METHOD /unknown" and
// answered 404 with the partner's body, without fault or guard. Server implements http.Handler.
type Server struct {
	mux        *http.ServeMux
	prefix     string
	writeError func(http.ResponseWriter, int)
	guard      func(http.ResponseWriter, *http.Request, string) bool
	faults     *Faults
	counter    *Counter

	mu          sync.Mutex
	retryAfter  string // the header value
	timeoutHold time.Duration
	closed      chan struct{}
	closeOnce   sync.Once
}

// NewServer returns a server without routes.
func NewServer(o Options) *Server {
	s := &Server{mux: http.NewServeMux(), prefix: strings.TrimSuffix(o.Prefix, "/"), writeError: o.WriteError,
		guard: o.Guard, faults: NewFaults(), counter: &Counter{}, closed: make(chan struct{})}
	if s.writeError == nil {
		s.writeError = func(w http.ResponseWriter, status int) { http.Error(w, http.StatusText(status), status) }
	}
	s.SetRetryAfter(o.RetryAfter)
	s.SetTimeoutHold(o.TimeoutHold)
	return s
}

// route is what the server registers on its mux, so that it can tell its own routes from the
// handlers the mux makes up (not found, method not allowed, redirects to a cleaned path).
type route struct {
	method, path string // from the pattern; method is empty when the pattern has none
	h            http.Handler
}

func (rt *route) ServeHTTP(w http.ResponseWriter, r *http.Request) { rt.h.ServeHTTP(w, r) }

// Handle registers a handler for a pattern, which panics on a bad or conflicting pattern as
// http.ServeMux.Handle does.
func (s *Server) Handle(pattern string, h http.Handler) {
	rt := &route{path: strings.TrimSpace(pattern), h: h}
	if m, p, ok := strings.Cut(rt.path, " "); ok {
		rt.method, rt.path = m, strings.TrimLeft(p, " \t")
	} else if m, p, ok := strings.Cut(rt.path, "\t"); ok {
		rt.method, rt.path = m, strings.TrimLeft(p, " \t")
	}
	s.mux.Handle(pattern, rt)
}

// HandleFunc registers a handler function for a pattern.
func (s *Server) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	s.Handle(pattern, http.HandlerFunc(h))
}

// Faults returns the server's fault script.
func (s *Server) Faults() *Faults { return s.faults }

// Counter returns the server's call counter.
func (s *Server) Counter() *Counter { return s.counter }

// SetRetryAfter changes what a 429 sends in Retry-After, as Options.RetryAfter.
func (s *Server) SetRetryAfter(d time.Duration) {
	v := "0"
	if d >= 0 {
		if d == 0 {
			d = DefaultRetryAfter
		}
		v = strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retryAfter = v
}

// SetTimeoutHold changes how long FaultTimeout holds a request, as Options.TimeoutHold.
func (s *Server) SetTimeoutHold(d time.Duration) {
	if d <= 0 {
		d = DefaultTimeoutHold
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timeoutHold = d
}

// Close releases requests held by FaultTimeout (they get their 504 at once) and makes later ones
// answer at once. The routes keep working.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
}

// ServeHTTP counts, faults, guards and routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var rt *route
	r2, ok := s.strip(r)
	if ok {
		h, _ := s.mux.Handler(r2)
		rt, _ = h.(*route)
	}
	if rt == nil {
		s.counter.Record(r.Method+" /unknown", FaultNone)
		s.writeError(w, http.StatusNotFound)
		return
	}
	endpoint := rt.method
	if endpoint == "" {
		endpoint = r.Method
	}
	endpoint += " " + rt.path
	fault := s.faults.Next(endpoint)
	s.counter.Record(endpoint, fault)

	s.mu.Lock()
	retryAfter, hold := s.retryAfter, s.timeoutHold
	s.mu.Unlock()
	switch fault {
	case FaultNone, Fault504AfterApply:
	case Fault429:
		w.Header().Set("Retry-After", retryAfter)
		s.writeError(w, http.StatusTooManyRequests)
		return
	case FaultTimeout:
		s.hold(r.Context(), hold)
		s.writeError(w, http.StatusGatewayTimeout)
		return
	default:
		s.writeError(w, fault.Status())
		return
	}
	if s.guard != nil && !s.guard(w, r2, endpoint) {
		return
	}
	if fault == Fault504AfterApply {
		// Dispatch through the mux (not rt) so the handler's r.PathValue works.
		s.mux.ServeHTTP(discard{header: http.Header{}}, r2)
		s.writeError(w, http.StatusGatewayTimeout)
		return
	}
	s.mux.ServeHTTP(w, r2)
}

func (s *Server) hold(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-s.closed:
	}
}

// strip returns the request with the prefix cut from its path, as http.StripPrefix does, or false
// when the path does not start with the prefix followed by a slash.
func (s *Server) strip(r *http.Request) (*http.Request, bool) {
	if s.prefix == "" {
		return r, true
	}
	p, ok := strings.CutPrefix(r.URL.Path, s.prefix)
	if !ok || !strings.HasPrefix(p, "/") {
		return nil, false
	}
	rp := ""
	if r.URL.RawPath != "" {
		if rp, ok = strings.CutPrefix(r.URL.RawPath, s.prefix); !ok {
			return nil, false
		}
	}
	r2 := new(http.Request)
	*r2 = *r
	r2.URL = new(url.URL)
	*r2.URL = *r.URL
	r2.URL.Path, r2.URL.RawPath = p, rp
	return r2, true
}

// discard swallows the real answer of a request that is answered 504 after it was applied.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
