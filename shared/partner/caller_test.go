package partner

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/backoff"
)

// statusError is a partner error classified by status alone, as a minimal client would.
type statusError struct{ status int }

func (e statusError) Error() string   { return fmt.Sprintf("status %d", e.status) }
func (e statusError) HTTPStatus() int { return e.status }
func (e statusError) Kind() Kind {
	switch {
	case e.status == 429 || e.status >= 500:
		return Transient
	case e.status == 404:
		return NotFound
	}
	return Permanent
}

func byStatus(a Answer) error {
	if a.Status >= 200 && a.Status < 300 {
		return nil
	}
	return statusError{a.Status}
}

// script answers with the given statuses in turn (and headers on 429), then 200.
func script(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			if statuses[i] == 429 {
				w.Header().Set("Retry-After", "2")
			}
			w.WriteHeader(statuses[i])
			return
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return nil
}

func caller(srv *httptest.Server, s *sleeps) *Caller {
	return &Caller{Partner: "test", HTTP: srv.Client(), Sleep: s.sleep,
		Policy: Policy{AttemptTimeout: time.Second, MaxAttempts: 3, Backoff: backoff.Policy{Base: time.Millisecond, Cap: 10 * time.Second}}}
}

func get(srv *httptest.Server) Request {
	return Request{Op: "get", Method: http.MethodGet, URL: srv.URL}
}

func TestTransientFailuresAreRetriedUntilSuccess(t *testing.T) {
	srv, n := script(t, 503, 502)
	s := &sleeps{}
	if _, err := caller(srv, s).Do(context.Background(), get(srv), byStatus); err != nil {
		t.Fatal(err)
	}
	if n.Load() != 3 || len(s.waits) != 2 {
		t.Fatalf("%d attempts, %d waits; want 3 and 2", n.Load(), len(s.waits))
	}
}

func TestPermanentFailuresAreNotRetried(t *testing.T) {
	for _, status := range []int{400, 404, 422} {
		srv, n := script(t, status)
		_, err := caller(srv, &sleeps{}).Do(context.Background(), get(srv), byStatus)
		if KindOf(err) == Transient || StatusOf(err) != status || n.Load() != 1 {
			t.Fatalf("status %d: kind %v, %d attempts", status, KindOf(err), n.Load())
		}
	}
}

func TestAttemptsAreBounded(t *testing.T) {
	srv, n := script(t, 500, 500, 500, 500, 500)
	_, err := caller(srv, &sleeps{}).Do(context.Background(), get(srv), byStatus)
	if KindOf(err) != Transient || n.Load() != 3 {
		t.Fatalf("kind %v after %d attempts; want transient after 3", KindOf(err), n.Load())
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	srv, _ := script(t, 429)
	s := &sleeps{}
	if _, err := caller(srv, s).Do(context.Background(), get(srv), byStatus); err != nil {
		t.Fatal(err)
	}
	if len(s.waits) != 1 || s.waits[0] != 2*time.Second {
		t.Fatalf("waits %v; want the partner's Retry-After of 2s", s.waits)
	}
}

func TestRetryAfterIsCappedByTheBackoffCap(t *testing.T) {
	srv, _ := script(t, 429)
	s := &sleeps{}
	c := caller(srv, s)
	c.Backoff.Cap = 500 * time.Millisecond
	if _, err := c.Do(context.Background(), get(srv), byStatus); err != nil {
		t.Fatal(err)
	}
	if len(s.waits) != 1 || s.waits[0] != 500*time.Millisecond {
		t.Fatalf("waits %v; want Retry-After capped at 500ms", s.waits)
	}
}

func TestNoAttemptWithoutTimeBeforeTheDeadline(t *testing.T) {
	srv, n := script(t, 429)
	c := caller(srv, &sleeps{})
	c.Reserve = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, get(srv), byStatus)
	if StatusOf(err) != 429 || n.Load() != 1 {
		t.Fatalf("status %d after %d attempts; Retry-After 2s does not fit before the deadline", StatusOf(err), n.Load())
	}
}

func TestNoAnswerIsATransientTransportError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := caller(srv, &sleeps{})
	c.AttemptTimeout, c.MaxAttempts = 50*time.Millisecond, 2
	_, err := c.Do(context.Background(), get(srv), byStatus)
	var te *TransportError
	if !errors.As(err, &te) || KindOf(err) != Transient || StatusOf(err) != 0 {
		t.Fatalf("err %v (kind %v); want a transient transport error", err, KindOf(err))
	}
}

func TestKindOf(t *testing.T) {
	if KindOf(nil) != 0 {
		t.Fatal("nil has a kind")
	}
	if KindOf(context.DeadlineExceeded) != Transient {
		t.Fatal("a context error is not transient")
	}
	if KindOf(fmt.Errorf("wrapped: %w", statusError{404})) != NotFound {
		t.Fatal("a wrapped partner error lost its kind")
	}
}

func TestRetryAfterHeaderForms(t *testing.T) {
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{"": 0, "3": 3 * time.Second, "x": 0, "-1": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second, now.Add(-time.Hour).Format(http.TimeFormat): 0} {
		if got := RetryAfter(h, now); got != want {
			t.Errorf("Retry-After %q = %s, want %s", h, got, want)
		}
	}
}
