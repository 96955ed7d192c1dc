package partner

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/metrics"
)

// Policy bounds the attempts of one call.
type Policy struct {
	// AttemptTimeout bounds one HTTP attempt; it is shortened to fit the context's deadline.
	AttemptTimeout time.Duration
	// MaxAttempts bounds the attempts of one call, the first included.
	MaxAttempts int
	// Backoff is the wait between attempts; a longer Retry-After from the partner wins, up to its Cap.
	Backoff backoff.Policy
	// Reserve is kept free before the caller's deadline, to record the outcome of the last attempt.
	Reserve time.Duration
}

// DefaultPolicy suits a call made inside a Lambda invocation: 8 s per attempt, 3 attempts, backoff
// 200 ms to 5 s, a second kept to record the outcome.
var DefaultPolicy = Policy{AttemptTimeout: 8 * time.Second, MaxAttempts: 3,
	Backoff: backoff.Policy{Base: 200 * time.Millisecond, Cap: 5 * time.Second}, Reserve: time.Second}

// Caller sends requests to one partner. It is safe for concurrent use.
type Caller struct {
	// Partner names the partner in errors ("plenigo").
	Partner string
	HTTP    *http.Client
	Policy
	// Sleep waits between attempts; nil means backoff.Sleep. Tests record the waits with it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Metrics receives one record per HTTP attempt (partner, Request.Op, outcome, latency); nil
	// records nothing.
	Metrics *metrics.Sink
}

// Request is one call.
type Request struct {
	Op     string // what the call does, for errors ("create customer")
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Unsafe marks a write that must not be repeated when its outcome is unknown (a timeout, a 5xx):
	// it is retried only after the partner refused it (Refused).
	Unsafe bool
}

// Answer is what the partner sent back.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Classify turns an answer into nil (success) or the partner's error, which should implement
// Classified. Only Transient errors are retried.
type Classify func(Answer) error

// maxBody bounds what is read of an answer.
const maxBody = 4 << 20

// Do sends req until classify accepts the answer, a failure is not transient, the attempts are used
// up, or no time is left before the caller's deadline. It returns the last answer and error.
func (c *Caller) Do(ctx context.Context, req Request, classify Classify) (Answer, error) {
	attempts := max(c.MaxAttempts, 1)
	for attempt := 1; ; attempt++ {
		ans, err := c.attempt(ctx, req, classify, attempt)
		if err == nil || KindOf(err) != Transient || attempt == attempts || ctx.Err() != nil || (req.Unsafe && !Refused(err)) {
			return ans, err
		}
		wait := c.Backoff.Delay(attempt)
		if ra := RetryAfter(ans.Header.Get("Retry-After"), time.Now()); ra > wait {
			wait = min(ra, max(c.Backoff.Cap, wait))
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+c.Reserve {
			return ans, err // no time left for another attempt
		}
		sleep := c.Sleep
		if sleep == nil {
			sleep = backoff.Sleep
		}
		if sleep(ctx, wait) != nil {
			return ans, err
		}
	}
}

func (c *Caller) attempt(ctx context.Context, r Request, classify Classify, n int) (Answer, error) {
	timeout := c.AttemptTimeout
	if timeout <= 0 {
		timeout = DefaultPolicy.AttemptTimeout
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl) - c.Reserve; left < timeout {
			timeout = max(left, 100*time.Millisecond)
		}
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(actx, r.Method, r.URL, body)
	if err != nil {
		return Answer{}, &TransportError{Partner: c.Partner, Op: r.Op, Err: err}
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	start := time.Now()
	ans, err := c.exchange(hc, req, r.Op)
	took := time.Since(start)
	if err == nil {
		err = classify(ans)
	}
	c.Metrics.PartnerCall(ctx, metrics.PartnerCall{Partner: c.Partner, Endpoint: r.Op, Outcome: Outcome(ans.Status, err),
		Status: ans.Status, Attempt: n, Latency: took})
	return ans, err
}

// exchange sends req and reads the answer; no answer, or a broken one, is a TransportError.
func (c *Caller) exchange(hc *http.Client, req *http.Request, op string) (Answer, error) {
	resp, err := hc.Do(req)
	if err != nil {
		return Answer{}, &TransportError{Partner: c.Partner, Op: op, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	ans := Answer{Status: resp.StatusCode, Header: resp.Header, Body: b}
	if err != nil {
		return ans, &TransportError{Partner: c.Partner, Op: op, Err: err}
	}
	return ans, nil
}

// RetryAfter reads a Retry-After header's value: seconds, or an HTTP date; 0 without one.
func RetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
