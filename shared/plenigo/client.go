// Package plenigo is a client for the parts of plenigo's API v3 orderhub uses: customers and their
// WBZ mark, order imports, the import log and orders. It is built on the partner call layer
// (retries under the caller's deadline) and classifies plenigo's codes into its kinds (errors.go).
package plenigo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/orderhub/orderhub/shared/partner"
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
	partner.Caller
}

// New returns a client with the partner layer's defaults (partner.DefaultPolicy).
func New(baseURL string, token secrets.Source, hc *http.Client) *Client {
	return &Client{BaseURL: baseURL, Token: token, Caller: partner.Caller{Partner: "plenigo", HTTP: hc, Policy: partner.DefaultPolicy}}
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
// the import log. Nothing published says plenigo refuses a second import of an externalSystemId
// while the first is pending, so the call is not repeated after an answer that leaves open whether
// plenigo took it (a timeout, a 5xx): only refusals are retried here (429, 423, 97004). The caller
// looks the order up before it submits again (IsUncertain).
func (c *Client) ImportOrders(ctx context.Context, in OrderImports) (ImportResult, error) {
	var res ImportResult
	_, err := c.call(ctx, "import orders", http.MethodPost, "/imports/orders", nil, in, &res, true)
	return res, err
}

// CreateWBZAddress creates a dealer's WBZ delivery address and returns its id. Creating is not
// idempotent, so an uncertain answer is not repeated: the caller keeps the id it got.
func (c *Client) CreateWBZAddress(ctx context.Context, in WBZAddress) (int64, error) {
	var a Address
	_, err := c.call(ctx, "create WBZ address", http.MethodPost, "/addresses/wbz", nil, in, &a, true)
	return a.AddressID, err
}

// ImportLogFor returns the import log entries of one import key, oldest first.
func (c *Client) ImportLogFor(ctx context.Context, externalSystemID string) ([]LogEntry, error) {
	return c.ImportLogPage(ctx, LogQuery{ExternalSystemID: externalSystemID, Size: 100})
}

// ImportLogPage returns one page of the import log, oldest change first.
func (c *Client) ImportLogPage(ctx context.Context, q LogQuery) ([]LogEntry, error) {
	v := listQuery(q.Size, q.Since, q.Until, q.StartingAfter)
	if q.ExternalSystemID != "" {
		v.Set("externalSystemId", q.ExternalSystemID)
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

// OrdersPage returns one page of plenigo's orders changed in [q.Since, q.Until], by ascending order
// id after q.StartingAfter: a caller pages on with the last order's id until a page is short.
func (c *Client) OrdersPage(ctx context.Context, q OrderQuery) ([]Order, error) {
	v := listQuery(q.Size, q.Since, q.Until, q.StartingAfter)
	var page struct {
		Items []Order `json:"items"`
	}
	_, err := c.do(ctx, "list orders", http.MethodGet, "/orders", v, nil, &page)
	return page.Items, err
}

// listQuery is the paging and time window of plenigo's list calls, ascending.
func listQuery(size int, since, until time.Time, after int64) url.Values {
	size = min(max(size, 5), 100) // plenigo silently falls back to 5 outside 5..100
	v := url.Values{"size": {strconv.Itoa(size)}, "sort": {"ASC"}}
	if !since.IsZero() {
		v.Set("startTime", since.UTC().Format(time.RFC3339))
	}
	if !until.IsZero() {
		v.Set("endTime", until.UTC().Format(time.RFC3339))
	}
	if after != 0 {
		v.Set("startingAfter", strconv.FormatInt(after, 10))
	}
	return v
}

// do performs one idempotent call with the partner layer's retries and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, op, method, path string, query url.Values, body, out any) (int, error) {
	return c.call(ctx, op, method, path, query, body, out, false)
}

// call performs one call; an unsafe one is retried only after plenigo refused it.
func (c *Client) call(ctx context.Context, op, method, path string, query url.Values, body, out any, unsafe bool) (int, error) {
	req := partner.Request{Op: op, Method: method, URL: c.BaseURL + path, Unsafe: unsafe,
		Header: http.Header{"Accept": {"application/json"}}}
	if len(query) > 0 {
		req.URL += "?" + query.Encode()
	}
	if body != nil {
		var err error
		if req.Body, err = json.Marshal(body); err != nil {
			return 0, fmt.Errorf("plenigo %s: encode: %w", op, err)
		}
		req.Header.Set("Content-Type", "application/json")
	}
	tokens, err := c.Token.Values(ctx)
	if err != nil {
		return 0, &Error{Op: op, Err: fmt.Errorf("API token unavailable: %w", err)}
	}
	req.Header.Set("X-plenigo-token", tokens[0])
	ans, err := c.Do(ctx, req, func(a partner.Answer) error { return classify(op, a, out) })
	return ans.Status, err
}

// classify decodes a 2xx answer into out, and any other into plenigo's error body.
func classify(op string, a partner.Answer, out any) error {
	if a.Status >= 200 && a.Status < 300 {
		if out != nil && len(bytes.TrimSpace(a.Body)) > 0 {
			if err := json.Unmarshal(a.Body, out); err != nil {
				// A 2xx that is not our JSON is a proxy or outage page: try again.
				return &Error{Op: op, Status: a.Status, Err: fmt.Errorf("decode answer: %w", err)}
			}
		}
		return nil
	}
	e := &Error{Op: op, Status: a.Status}
	_ = json.Unmarshal(a.Body, e) // a body that is not plenigo's error leaves the status to classify
	return e
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
func IsAlreadyImported(err error) bool { return partner.KindOf(err) == partner.AlreadyDone }

// IsUncertain reports whether a failed write may still have been applied by plenigo: no answer, a
// timeout or a 5xx, as opposed to a refusal.
func IsUncertain(err error) bool {
	return err != nil && !partner.Refused(err) && partner.KindOf(err) == partner.Transient
}
