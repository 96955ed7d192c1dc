// Package plenigo is a client for the parts of plenigo's API v3 orderhub uses: customers and their
// WBZ mark, order imports, the import log and orders. It retries what is transient with capped,
// fully jittered backoff inside the caller's deadline, and classifies every failure (errors.go).
package plenigo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/orderhub/orderhub/shared/secrets"
)

// Base URLs of plenigo's environments.
const (
	ProductionURL = "https://api.plenigo.com/api/v3.0"
	StageURL      = "https://api.plenigo-stage.com/api/v3.0"
)

// Client calls plenigo. Build it once per execution environment; it is safe for concurrent use.
type Client struct {
	BaseURL string
	// Token yields the API access token; the first value is used. Never logged.
	Token secrets.Source
	HTTP  *http.Client
	// AttemptTimeout bounds one HTTP attempt; it is shortened to fit the context's deadline.
	AttemptTimeout time.Duration
	// MaxAttempts bounds the attempts of one call, the first included.
	MaxAttempts int
	// BackoffBase and BackoffCap shape the full-jitter backoff between attempts.
	BackoffBase, BackoffCap time.Duration
}

// New returns a client with orderhub's defaults: 8 s per attempt, 3 attempts, backoff 200 ms to 5 s.
func New(baseURL string, token secrets.Source, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{BaseURL: baseURL, Token: token, HTTP: hc, AttemptTimeout: 8 * time.Second, MaxAttempts: 3,
		BackoffBase: 200 * time.Millisecond, BackoffCap: 5 * time.Second}
}

// CreateCustomer creates a customer. created is false when plenigo answered 208: a customer with the
// same email and customerId already exists, which makes a create with a stable customerId idempotent.
func (c *Client) CreateCustomer(ctx context.Context, in CustomerCreation) (cust Customer, created bool, err error) {
	status, err := c.do(ctx, "create customer", http.MethodPost, "/customers", nil, in, &cust)
	return cust, status == http.StatusCreated, err
}

// FindCustomerByEmail returns the customer with this email, or a NotFound *Error.
func (c *Client) FindCustomerByEmail(ctx context.Context, email string) (Customer, error) {
	var page struct {
		Items []Customer `json:"items"`
	}
	if _, err := c.do(ctx, "find customer", http.MethodGet, "/customers", url.Values{"email": {email}}, nil, &page); err != nil {
		return Customer{}, err
	}
	for _, cu := range page.Items {
		if equalFoldASCII(cu.Email, email) {
			return cu, nil
		}
	}
	return Customer{}, &Error{Op: "find customer", Status: http.StatusNotFound, Code: 20404, Message: "no customer with this email"}
}

// SetWBZMark gives a customer the WBZ dealer mark; PUT makes it idempotent.
func (c *Client) SetWBZMark(ctx context.Context, customerID string, mark WBZMark) error {
	_, err := c.do(ctx, "set WBZ mark", http.MethodPut, "/customers/"+url.PathEscape(customerID)+"/marks/WBZ", nil, mark, nil)
	return err
}

// ImportOrders submits order imports. plenigo processes them asynchronously; the outcome appears in
// the import log. Retrying is safe: plenigo refuses a second order with the same externalSystemId.
func (c *Client) ImportOrders(ctx context.Context, in OrderImports) (ImportResult, error) {
	var res ImportResult
	_, err := c.do(ctx, "import orders", http.MethodPost, "/imports/orders", nil, in, &res)
	return res, err
}

// ImportLogPage returns one page of the import log, oldest change first.
func (c *Client) ImportLogPage(ctx context.Context, q LogQuery) ([]LogEntry, error) {
	size := min(max(q.Size, 5), 100) // plenigo silently falls back to 5 outside 5..100
	v := url.Values{"size": {strconv.Itoa(size)}, "sort": {"ASC"}}
	if !q.Since.IsZero() {
		v.Set("startTime", q.Since.UTC().Format(time.RFC3339))
	}
	if !q.Until.IsZero() {
		v.Set("endTime", q.Until.UTC().Format(time.RFC3339))
	}
	if q.StartingAfter != 0 {
		v.Set("startingAfter", strconv.FormatInt(q.StartingAfter, 10))
	}
	var page struct {
		Items []LogEntry `json:"items"`
	}
	_, err := c.do(ctx, "read import log", http.MethodGet, "/imports/orders/logs", v, nil, &page)
	return page.Items, err
}

// OrdersByExternalSystemID returns plenigo's orders carrying an externalSystemId.
func (c *Client) OrdersByExternalSystemID(ctx context.Context, id string) ([]Order, error) {
	var page struct {
		Items []Order `json:"items"`
	}
	_, err := c.do(ctx, "find order", http.MethodGet, "/orders", url.Values{"externalSystemId": {id}}, nil, &page)
	return page.Items, err
}

// do performs one call with retries and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, op, method, path string, query url.Values, body, out any) (int, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return 0, fmt.Errorf("plenigo %s: encode: %w", op, err)
		}
	}
	tokens, err := c.Token.Values(ctx)
	if err != nil {
		return 0, &Error{Op: op, Err: fmt.Errorf("API token unavailable: %w", err)}
	}
	u := c.BaseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	attempts := max(c.MaxAttempts, 1)
	for attempt := 1; ; attempt++ {
		status, retryAfter, err := c.attempt(ctx, op, method, u, tokens[0], payload, out)
		if err == nil || KindOf(err) != Transient || attempt == attempts || ctx.Err() != nil {
			return status, err
		}
		wait := c.backoff(attempt, retryAfter)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait+time.Second {
			return status, err // no time left for another attempt
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return status, err
		case <-t.C:
		}
	}
}

func (c *Client) attempt(ctx context.Context, op, method, u, token string, payload []byte, out any) (int, time.Duration, error) {
	timeout := c.AttemptTimeout
	if dl, ok := ctx.Deadline(); ok {
		// Leave a second to record the outcome before the Lambda deadline.
		if left := time.Until(dl) - time.Second; left < timeout {
			timeout = max(left, 100*time.Millisecond)
		}
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, method, u, rd)
	if err != nil {
		return 0, 0, &Error{Op: op, Err: err}
	}
	req.Header.Set("X-plenigo-token", token)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, 0, &Error{Op: op, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, 0, &Error{Op: op, Status: resp.StatusCode, Err: err}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out != nil && len(bytes.TrimSpace(b)) > 0 {
			if err := json.Unmarshal(b, out); err != nil {
				// A 2xx that is not our JSON is a proxy or outage page: try again.
				return resp.StatusCode, 0, &Error{Op: op, Status: resp.StatusCode, Err: fmt.Errorf("decode answer: %w", err)}
			}
		}
		return resp.StatusCode, 0, nil
	}
	e := &Error{Op: op, Status: resp.StatusCode}
	_ = json.Unmarshal(b, e) // a body that is not plenigo's error leaves the status to classify
	return resp.StatusCode, retryAfter(resp.Header.Get("Retry-After")), e
}

// backoff is capped full jitter, at least what Retry-After asked for.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	ceiling := min(c.BackoffBase<<(attempt-1), c.BackoffCap)
	d := time.Duration(rand.Int64N(int64(ceiling) + 1))
	return max(d, min(retryAfter, c.BackoffCap))
}

func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// IsAlreadyImported reports whether an import failure means plenigo already has the order.
func IsAlreadyImported(err error) bool { return KindOf(err) == AlreadyDone }
