package simkit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testSim is a tiny partner: items with a counter, a JSON error body, a token check.
type testSim struct {
	*Server
	mu    sync.Mutex
	items map[string]int
	seen  []string // path values the handlers read
}

func newTestSim(o Options) *testSim {
	ts := &testSim{items: map[string]int{}}
	o.Prefix = "/api/v1"
	o.WriteError = func(w http.ResponseWriter, status int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": status, "message": http.StatusText(status)})
	}
	o.Guard = func(w http.ResponseWriter, r *http.Request, endpoint string) bool {
		if endpoint == "POST /login" || r.Header.Get("Token") == "ok" {
			return true
		}
		http.Error(w, "no token", http.StatusUnauthorized)
		return false
	}
	ts.Server = NewServer(o)
	ts.HandleFunc("POST /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		ts.items[r.PathValue("id")]++
		ts.seen = append(ts.seen, r.PathValue("id"))
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "created %s", r.PathValue("id"))
	})
	ts.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		defer ts.mu.Unlock()
		fmt.Fprintf(w, "%d", ts.items[r.PathValue("id")])
	})
	ts.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "welcome") })
	return ts
}

func (ts *testSim) count(id string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.items[id]
}

type answer struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, h http.Handler, method, path string) answer {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	r.Header.Set("Token", "ok")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return answer{w.Code, w.Result().Header, string(b)}
}

func errorBody(status int) string {
	return fmt.Sprintf(`{"code":%d,"message":%q}`+"\n", status, http.StatusText(status))
}

func TestServerFaults(t *testing.T) {
	tests := []struct {
		fault  Fault
		status int
		body   string
		effect int // items created
	}{
		{FaultNone, 201, "created a", 1},
		{Fault429, 429, errorBody(429), 0},
		{Fault500, 500, errorBody(500), 0},
		{Fault502, 502, errorBody(502), 0},
		{Fault503, 503, errorBody(503), 0},
		{FaultTimeout, 504, errorBody(504), 0},
		{Fault504AfterApply, 504, errorBody(504), 1},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			ts := newTestSim(Options{TimeoutHold: 10 * time.Millisecond})
			ts.Faults().FailNext("POST /items/{id}", tt.fault)
			got := call(t, ts, "POST", "/api/v1/items/a")
			if got.status != tt.status || got.body != tt.body {
				t.Fatalf("%d %q, want %d %q", got.status, got.body, tt.status, tt.body)
			}
			if n := ts.count("a"); n != tt.effect {
				t.Fatalf("handler applied %d times, want %d", n, tt.effect)
			}
			if tt.fault == Fault504AfterApply && (len(ts.seen) != 1 || ts.seen[0] != "a") {
				t.Fatalf("handler read path values %q", ts.seen)
			}
			if tt.fault != Fault429 && got.header.Get("Retry-After") != "" {
				t.Fatalf("Retry-After %q on %s", got.header.Get("Retry-After"), tt.fault)
			}
			c := ts.Counter()
			want := map[string]int{"POST /items/{id}": 0}
			if tt.fault != FaultNone {
				want["POST /items/{id}"] = 1
			}
			if got := c.Faulted(); got["POST /items/{id}"] != want["POST /items/{id}"] || c.FaultsByKind()[tt.fault] != want["POST /items/{id}"] {
				t.Fatalf("faulted %v, by kind %v", got, c.FaultsByKind())
			}
			c.ExpectCalls(t, map[string]int{"POST /items/{id}": 1})
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter time.Duration
		set        *time.Duration // through SetRetryAfter after construction
		want       string
	}{
		{name: "default", want: "1"},
		{name: "zero", retryAfter: RetryAfterZero, want: "0"},
		{name: "whole seconds", retryAfter: 5 * time.Second, want: "5"},
		{name: "rounded up", retryAfter: 2500 * time.Millisecond, want: "3"},
		{name: "set later", set: ptr(7 * time.Second), want: "7"},
		{name: "set to zero later", retryAfter: 4 * time.Second, set: ptr(RetryAfterZero), want: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestSim(Options{RetryAfter: tt.retryAfter})
			if tt.set != nil {
				ts.SetRetryAfter(*tt.set)
			}
			ts.Faults().FailNext("GET /items/{id}", Fault429)
			got := call(t, ts, "GET", "/api/v1/items/a")
			if got.status != 429 || got.header.Get("Retry-After") != tt.want || got.body != errorBody(429) {
				t.Fatalf("%d Retry-After %q %q, want 429 Retry-After %q", got.status, got.header.Get("Retry-After"), got.body, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestRandomFaultsOverHTTP(t *testing.T) {
	ts := newTestSim(Options{})
	ts.Faults().SetRate(1, Fault503)
	ts.Faults().SetFilter(func(ep string) bool { return ep == "GET /items/{id}" })
	if got := call(t, ts, "GET", "/api/v1/items/a"); got.status != 503 {
		t.Fatalf("filtered endpoint answered %d", got.status)
	}
	if got := call(t, ts, "POST", "/api/v1/items/a"); got.status != 201 {
		t.Fatalf("other endpoint answered %d", got.status)
	}
}

func TestTimeoutReleasesWhenTheClientGoesAway(t *testing.T) {
	ts := newTestSim(Options{TimeoutHold: time.Minute})
	ts.Faults().FailNext("GET /items/{id}", FaultTimeout)
	srv := httptest.NewServer(ts)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/v1/items/a", nil)
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d while the fault holds it", resp.StatusCode)
	}
	// The handler must let go too: the next call must not wait behind it, and closing the server
	// (which waits for handlers) must not take the minute.
	if got := call(t, ts, "GET", "/api/v1/items/a"); got.status != 200 {
		t.Fatalf("next call %d", got.status)
	}
	done := make(chan struct{})
	go func() { srv.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the held request did not end when its client went away")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestTimeoutDirect(t *testing.T) {
	tests := []struct {
		name    string
		hold    time.Duration
		release func(ts *testSim, cancel context.CancelFunc)
	}{
		{name: "client cancels", hold: time.Minute, release: func(_ *testSim, cancel context.CancelFunc) { cancel() }},
		{name: "server closes", hold: time.Minute, release: func(ts *testSim, _ context.CancelFunc) { ts.Close() }},
		{name: "hold ends", hold: 20 * time.Millisecond, release: func(*testSim, context.CancelFunc) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestSim(Options{TimeoutHold: tt.hold})
			ts.Faults().FailNext("GET /items/{id}", FaultTimeout)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w := httptest.NewRecorder()
			done := make(chan struct{})
			go func() {
				defer close(done)
				ts.ServeHTTP(w, httptest.NewRequestWithContext(ctx, "GET", "/api/v1/items/a", nil))
			}()
			select {
			case <-done:
				t.Fatal("answered before it was released")
			case <-time.After(10 * time.Millisecond):
			}
			tt.release(ts, cancel)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("still held")
			}
			if w.Code != 504 || w.Body.String() != errorBody(504) {
				t.Fatalf("%d %q", w.Code, w.Body.String())
			}
		})
	}
}

func TestGuardRunsAfterTheFault(t *testing.T) {
	ts := newTestSim(Options{})
	ts.Faults().FailNext("POST /items/{id}", Fault503, Fault504AfterApply)
	noToken := func() answer {
		w := httptest.NewRecorder()
		ts.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/items/a", nil))
		return answer{status: w.Code, body: w.Body.String()}
	}
	if got := noToken(); got.status != 503 {
		t.Fatalf("fault first: %d", got.status)
	}
	if got := noToken(); got.status != 401 {
		t.Fatalf("504 after apply without a token: %d, want the guard's 401", got.status)
	}
	if got := noToken(); got.status != 401 {
		t.Fatalf("no fault, no token: %d", got.status)
	}
	if n := ts.count("a"); n != 0 {
		t.Fatalf("a refused call was applied %d times", n)
	}
	w := httptest.NewRecorder()
	ts.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/login", nil))
	if w.Code != 200 {
		t.Fatalf("guard exempts login by endpoint: %d", w.Code)
	}
}

func TestRouting(t *testing.T) {
	tests := []struct {
		name, method, path string
		status             int
		body               string
		endpoint           string
	}{
		{"route", "POST", "/api/v1/items/a", 201, "created a", "POST /items/{id}"},
		{"same path, other method", "GET", "/api/v1/items/a", 200, "0", "GET /items/{id}"},
		{"escaped path value", "POST", "/api/v1/items/a%2Fb", 201, "created a/b", "POST /items/{id}"},
		{"unknown path", "GET", "/api/v1/nothing", 404, errorBody(404), "GET /unknown"},
		{"known path, unknown method", "DELETE", "/api/v1/items/a", 404, errorBody(404), "DELETE /unknown"},
		{"without the prefix", "POST", "/items/a", 404, errorBody(404), "POST /unknown"},
		{"prefix only", "GET", "/api/v1", 404, errorBody(404), "GET /unknown"},
		{"prefix run on", "GET", "/api/v1items/a", 404, errorBody(404), "GET /unknown"},
		{"path to clean", "GET", "/api/v1/x/../items/a", 404, errorBody(404), "GET /unknown"},
		{"trailing slash", "GET", "/api/v1/items/a/", 404, errorBody(404), "GET /unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestSim(Options{})
			ts.Faults().SetRate(1) // unknown routes get no fault; known ones are checked below without
			ts.Faults().SetFilter(func(string) bool { return false })
			got := call(t, ts, tt.method, tt.path)
			if got.status != tt.status || got.body != tt.body {
				t.Fatalf("%d %q, want %d %q", got.status, got.body, tt.status, tt.body)
			}
			calls := ts.Counter().Calls()
			if len(calls) != 1 || calls[tt.endpoint] != 1 {
				t.Fatalf("counted %v, want one %s", calls, tt.endpoint)
			}
		})
	}
}

func TestUnknownRoutesGetNoFault(t *testing.T) {
	ts := newTestSim(Options{})
	ts.Faults().SetRate(1)
	if got := call(t, ts, "GET", "/api/v1/nothing"); got.status != 404 {
		t.Fatalf("%d", got.status)
	}
	if n := len(ts.Counter().Faulted()); n != 0 {
		t.Fatalf("unknown route faulted: %v", ts.Counter().Faulted())
	}
}

func TestServerWithoutPrefixOrErrorWriter(t *testing.T) {
	s := NewServer(Options{})
	s.HandleFunc("GET /x/{id}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, r.PathValue("id")) })
	s.Handle("/any", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "any") }))
	if got := call(t, s, "GET", "/x/7"); got.status != 200 || got.body != "7" {
		t.Fatalf("%d %q", got.status, got.body)
	}
	if got := call(t, s, "PATCH", "/any"); got.status != 200 {
		t.Fatalf("%d %q", got.status, got.body)
	}
	s.Faults().FailNext("GET /x/{id}", Fault500)
	if got := call(t, s, "GET", "/x/7"); got.status != 500 || !strings.Contains(got.body, "Internal Server Error") {
		t.Fatalf("%d %q", got.status, got.body)
	}
	if got := call(t, s, "GET", "/y"); got.status != 404 {
		t.Fatalf("%d %q", got.status, got.body)
	}
	s.Counter().ExpectCalls(t, map[string]int{"GET /x/{id}": 2, "PATCH /any": 1, "GET /unknown": 1})
}
