// Package plenty is orderhub's client of the plentymarkets REST API (orders, statuses, packages), on
// the partner call layer, with one session shared by every environment and calls paced to the limits.
package plenty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/records"
	"github.com/orderhub/orderhub/shared/secrets"
)

// Accept pins the REST API's version, as plentymarkets' own connector does; without it
// plentymarkets answers with its newest version.
const Accept = "application/x.plentymarkets.v1+json"

// maxPages bounds the pages Statuses reads, in case an answer never says it is the last.
const maxPages = 200

// Client calls one plentymarkets system. Build it once per execution environment; it is safe for
// concurrent use, and must not be copied after first use.
type Client struct {
	// BaseURL is the system's own host ("https://p12345.my.plentysystems.com"), without /rest.
	BaseURL string
	// Credentials yields the REST user as "user:password"; the first value is used, to log in
	// only. Never logged.
	Credentials secrets.Source
	// Sessions keeps the session every environment shares and the lease of whoever renews it.
	Sessions records.Store
	// PlentyID, when not 0, limits SearchOrders to the orders of this client (shop) of the system.
	PlentyID int
	// Pacer spaces the calls by plentymarkets' limits; shared by the client's goroutines.
	Pacer *Pacer
	// RenewBefore is how long before it expires the session is renewed (0: DefaultRenewBefore).
	RenewBefore time.Duration
	// LoginWait is how long a call waits for another caller's login (0: DefaultLoginWait);
	// LoginLease is the login lease's time to live (0: DefaultLoginLease); SessionsFullWait is how
	// long nobody logs in after plentymarkets refused a session (0: DefaultSessionsFullWait).
	LoginWait, LoginLease, SessionsFullWait time.Duration
	// Now is the clock session expiry is measured on; nil means time.Now. Leases use the wall clock.
	Now func() time.Time
	// Log receives the session's events (never a token); nil means slog.Default().
	Log *slog.Logger
	partner.Caller

	session session
}

// New returns a client with the partner layer's defaults (partner.DefaultPolicy) and a fresh Pacer.
// Redirects are not followed: a POST redirected loses its body, and a redirect means the base URL
// is not the system's exact host, which the error then names.
func New(baseURL string, creds secrets.Source, sessions records.Store, hc *http.Client) *Client {
	var h http.Client
	if hc != nil {
		h = *hc
	}
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{BaseURL: normalizeBase(baseURL), Credentials: creds, Sessions: sessions, Pacer: &Pacer{},
		Caller: partner.Caller{Partner: "plenty", HTTP: &h, Policy: partner.DefaultPolicy}}
}

// normalizeBase trims a trailing slash and a trailing /rest from a base URL.
func normalizeBase(u string) string {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	return strings.TrimRight(strings.TrimSuffix(u, "/rest"), "/")
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// SearchOrders returns one page of GET /rest/orders/search, sorted by order id ascending so that
// orders created meanwhile land on later pages. A caller that moves the orders it reads out of the
// query's statuses should read page 1 again rather than page 2, as the pages shift.
func (c *Client) SearchOrders(ctx context.Context, q SearchQuery) (OrderPage, error) {
	const op = "search orders"
	v := url.Values{}
	switch {
	case q.Status != "":
		if !q.Status.Valid() {
			return OrderPage{}, &Error{Op: op, Err: fmt.Errorf("%w: status %q is not a decimal", errRequest, q.Status)}
		}
		v.Set("statusId", string(q.Status.Canonical()))
	case q.StatusFrom != "" || q.StatusTo != "":
		var parts []string
		for _, b := range []struct {
			s  Status
			op string
		}{{q.StatusFrom, "gte:"}, {q.StatusTo, "lt:"}} {
			if b.s == "" {
				continue
			}
			if !b.s.Valid() {
				return OrderPage{}, &Error{Op: op, Err: fmt.Errorf("%w: status %q is not a decimal", errRequest, b.s)}
			}
			parts = append(parts, b.op+string(b.s.Canonical()))
		}
		v.Set("statusId", strings.Join(parts, " AND ")) // encoded as gte:9+AND+lt:10
	}
	if q.OrderType != 0 {
		v.Set("orderTypeId", strconv.Itoa(q.OrderType))
	}
	if c.PlentyID != 0 {
		v.Set("plentyId", strconv.Itoa(c.PlentyID))
	}
	if !q.UpdatedSince.IsZero() {
		v.Set("updatedAt", "gte:"+w3c(q.UpdatedSince))
	}
	page := max(q.Page, 1)
	v.Set("page", strconv.Itoa(page))
	if q.ItemsPerPage > 0 {
		v.Set("itemsPerPage", strconv.Itoa(q.ItemsPerPage))
	}
	v.Set("sortBy", "orderId")
	v.Set("sortOrder", "asc")
	for _, w := range q.With {
		v.Add("with[]", w)
	}
	var p OrderPage
	err := c.call(ctx, op, http.MethodGet, "/rest/orders/search", "/rest/orders/search", v, nil, &p, false)
	if err == nil && p.Page != 0 && p.Page != page {
		// Past the last page plentymarkets may answer another page; its own connector drops it.
		p = OrderPage{Page: page, TotalsCount: p.TotalsCount, IsLastPage: true, LastPageNumber: p.LastPageNumber}
	}
	return p, err
}

// EachOrder reads every page of a search with search (Client.SearchOrders, or what stands in for
// it) and calls each for every order, stopping at the last page or at each's first error.
func EachOrder(ctx context.Context, search func(context.Context, SearchQuery) (OrderPage, error), q SearchQuery, each func(Order) error) error {
	for q.Page = 1; ; q.Page++ {
		page, err := search(ctx, q)
		if err != nil {
			return err
		}
		for _, o := range page.Entries {
			if err := each(o); err != nil {
				return err
			}
		}
		if page.IsLastPage || len(page.Entries) == 0 {
			return nil
		}
	}
}

// GetOrder returns an order with the relations named (With values of SearchQuery); an unknown
// order is a NotFound error.
func (c *Client) GetOrder(ctx context.Context, id int, with ...string) (Order, error) {
	v := url.Values{}
	for _, w := range with {
		v.Add("with[]", w)
	}
	var o Order
	err := c.call(ctx, "get order", http.MethodGet, "/rest/orders/"+strconv.Itoa(id), "/rest/orders/{orderId}", v, nil, &o, false)
	return o, err
}

// SetStatus moves an order to a status and returns the order as plentymarkets answers it. The status
// goes out as a JSON number written from its text ({"statusId": 5.1}). Setting the status an order
// has is harmless, so the call is retried after an uncertain answer.
func (c *Client) SetStatus(ctx context.Context, id int, to Status) (Order, error) {
	const op = "set status"
	if !to.Valid() {
		return Order{}, &Error{Op: op, Err: fmt.Errorf("%w: status %q is not a decimal plentymarkets can take", errRequest, to)}
	}
	body := struct {
		StatusID json.Number `json:"statusId"`
	}{json.Number(to.Canonical())}
	var o Order
	err := c.call(ctx, op, http.MethodPut, "/rest/orders/"+strconv.Itoa(id), "/rest/orders/{orderId}", nil, body, &o, false)
	return o, err
}

// Packages returns an order's shipping packages that carry a package number; plentymarkets often
// lists an empty placeholder package first, which is left out.
func (c *Client) Packages(ctx context.Context, id int) ([]Package, error) {
	var all flexList[Package]
	err := c.call(ctx, "list packages", http.MethodGet, "/rest/orders/"+strconv.Itoa(id)+"/shipping/packages",
		"/rest/orders/{orderId}/shipping/packages", nil, nil, &packagesAnswer{&all}, false)
	if err != nil {
		return nil, err
	}
	out := make([]Package, 0, len(all))
	for _, p := range all {
		if p.PackageNumber != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

// packagesAnswer reads the package list, documented as an array, also from a paging envelope.
type packagesAnswer struct{ list *flexList[Package] }

func (a *packagesAnswer) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '{' {
		var e envelope[Package]
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		*a.list = e.Entries
		return nil
	}
	return json.Unmarshal(b, a.list)
}

// CreatePackage adds a shipping package (a tracking number) to an order. Every POST creates a
// package, so the call is not repeated after an answer that leaves open whether plentymarkets took
// it (IsUncertain): list the packages (Packages) and compare numbers before posting again.
func (c *Client) CreatePackage(ctx context.Context, id int, p PackageCreation) (Package, error) {
	const op = "create package"
	if p.PackageID == 0 {
		return Package{}, &Error{Op: op, Err: fmt.Errorf("%w: a package id (package type of the shipping profile) is required", errRequest)}
	}
	var out Package
	err := c.call(ctx, op, http.MethodPost, "/rest/orders/"+strconv.Itoa(id)+"/shipping/packages",
		"/rest/orders/{orderId}/shipping/packages", nil, p, &out, true)
	return out, err
}

// Statuses returns every order status of the system, reading every page.
func (c *Client) Statuses(ctx context.Context) ([]StatusInfo, error) {
	var out []StatusInfo
	for page := 1; page <= maxPages; page++ {
		var e envelope[StatusInfo]
		v := url.Values{"page": {strconv.Itoa(page)}, "with": {"names"}} // with=names as plentymarkets' connector asks
		if err := c.call(ctx, "list statuses", http.MethodGet, "/rest/orders/statuses", "/rest/orders/statuses", v, nil, &e, false); err != nil {
			return nil, err
		}
		if e.Page != 0 && int(e.Page) != page {
			break // past the last page
		}
		out = append(out, e.Entries...)
		if bool(e.IsLastPage) || len(e.Entries) == 0 || (e.LastPageNumber > 0 && page >= int(e.LastPageNumber)) {
			break
		}
	}
	return out, nil
}

// CheckStatuses returns an error naming every status in want that the system lacks (a Permanent
// error: the configuration names statuses the merchant has not created), or that is not a decimal.
func (c *Client) CheckStatuses(ctx context.Context, want ...Status) error {
	const op = "check statuses"
	have, err := c.Statuses(ctx)
	if err != nil {
		return err
	}
	known := map[Status]bool{}
	for _, s := range have {
		known[s.ID.Canonical()] = true
	}
	var missing []string
	for _, s := range want {
		switch {
		case !s.Valid():
			missing = append(missing, fmt.Sprintf("%q (not a decimal)", s))
		case !known[s.Canonical()]:
			missing = append(missing, string(s.Canonical()))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	return &Error{Op: op, Err: fmt.Errorf("%w: %s", errStatuses, strings.Join(missing, ", "))}
}

// StatusHistory returns one page of the status changes into status since a time: the cheap way to
// see orders moved into a status (8 cancelled, 9 returns) without searching every order.
func (c *Client) StatusHistory(ctx context.Context, status Status, since time.Time, page int) (HistoryPage, error) {
	const op = "read status history"
	v := url.Values{}
	if status != "" {
		if !status.Valid() {
			return HistoryPage{}, &Error{Op: op, Err: fmt.Errorf("%w: status %q is not a decimal", errRequest, status)}
		}
		v.Set("statusId", string(status.Canonical()))
	}
	if !since.IsZero() {
		v.Set("createdAtFrom", w3c(since))
	}
	page = max(page, 1)
	v.Set("page", strconv.Itoa(page))
	var h HistoryPage
	err := c.call(ctx, op, http.MethodGet, "/rest/orders/status-history", "/rest/orders/status-history", v, nil, &h, false)
	if err == nil && h.Page != 0 && h.Page != page {
		h = HistoryPage{Page: page, TotalsCount: h.TotalsCount, IsLastPage: true, LastPageNumber: h.LastPageNumber}
	}
	return h, err
}

// w3c formats a time as plentymarkets' filters take it (PHP's DATE_W3C): 2025-03-01T12:00:00+00:00.
func w3c(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }

// call sends one request with the shared session. A 401 on a token drops that token everywhere,
// logs in once more and sends the request once more: plentymarkets did not act on a refused token,
// so this holds for unsafe writes too.
func (c *Client) call(ctx context.Context, op, method, path, route string, query url.Values, body, out any, unsafe bool) error {
	route = method + " " + route
	req := partner.Request{Op: op, Method: method, URL: c.BaseURL + path, Unsafe: unsafe,
		Header: http.Header{"Accept": {Accept}}}
	if len(query) > 0 {
		req.URL += "?" + query.Encode()
	}
	if body != nil {
		var err error
		if req.Body, err = json.Marshal(body); err != nil {
			return &Error{Op: op, Route: route, Err: fmt.Errorf("%w: encode: %v", errRequest, err)}
		}
		req.Header.Set("Content-Type", "application/json")
	}
	tok, err := c.token(ctx, op)
	if err != nil {
		return err
	}
	err = c.send(ctx, req, route, tok, out)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusUnauthorized {
		c.invalidate(ctx, tok)
		if tok, err = c.token(ctx, op); err != nil {
			return err
		}
		err = c.send(ctx, req, route, tok, out)
	}
	return err
}

// send makes the partner layer's attempts of one request, each paced.
func (c *Client) send(ctx context.Context, req partner.Request, route, tok string, out any) error {
	r := req
	r.Header = req.Header.Clone()
	r.Header.Set("Authorization", "Bearer "+tok)
	pacer := c.Pacer
	if pacer == nil {
		pacer = &Pacer{} // unpaced but for 429s, per call
	}
	f := pacer.flight(req.Op, BudgetOf(req.Method), route)
	defer f.end()
	if err := f.wait(ctx, c.Reserve); err != nil {
		return err
	}
	caller := c.Caller // a copy, to pace the attempts after the partner layer's backoff
	sleep := c.Caller.Sleep
	caller.Sleep = func(ctx context.Context, d time.Duration) error {
		f.end()
		if sleep == nil {
			sleep = backoff.Sleep
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
		return f.wait(ctx, c.Reserve)
	}
	_, err := caller.Do(ctx, r, func(a partner.Answer) error {
		f.observe(ctx, a)
		return classify(req.Op, route, a, out)
	})
	return err
}

// classify decodes a 2xx answer into out, and any other answer into an Error.
func classify(op, route string, a partner.Answer, out any) error {
	if a.Status < 200 || a.Status >= 300 {
		return answerError(op, route, a)
	}
	if out == nil {
		return nil
	}
	if !isJSON(a) {
		// An empty or HTML 2xx is a proxy or maintenance page, or a lost body: try again.
		return &Error{Op: op, Route: route, Status: a.Status, HTML: len(bytes.TrimSpace(a.Body)) > 0,
			Message: snippet(a.Body), Err: errors.New("answer is not JSON")}
	}
	if err := json.Unmarshal(a.Body, out); err != nil {
		return &Error{Op: op, Route: route, Status: a.Status, Err: fmt.Errorf("decode answer: %w", err)}
	}
	return nil
}

// login posts the credentials and returns the new session. Both spellings of the answer's fields
// are read: the documented access_token/expires_in and the accessToken/expiresIn most clients use.
func (c *Client) login(ctx context.Context, user, password string) (SessionRecord, error) {
	const op, route = "log in", "POST /rest/login"
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req := partner.Request{Op: op, Method: http.MethodPost, URL: c.BaseURL + "/rest/login", Body: body,
		Header: http.Header{"Accept": {Accept}, "Content-Type": {"application/json"}}}
	var rec SessionRecord
	start := c.now()
	_, err := c.Do(ctx, req, func(a partner.Answer) error {
		if a.Status < 200 || a.Status >= 300 {
			e := answerError(op, route, a)
			if e.SessionsFull {
				// Not retried within this call: the refusal holds until someone logs out.
				return stop{e}
			}
			return e
		}
		if !isJSON(a) {
			return &Error{Op: op, Route: route, Status: a.Status, HTML: true, Message: snippet(a.Body), Err: errors.New("answer is not JSON")}
		}
		var t struct {
			AccessToken  flexString `json:"access_token"`
			AccessToken2 flexString `json:"accessToken"`
			ExpiresIn    flexInt    `json:"expires_in"`
			ExpiresIn2   flexInt    `json:"expiresIn"`
		}
		if err := json.Unmarshal(a.Body, &t); err != nil {
			return &Error{Op: op, Route: route, Status: a.Status, Err: fmt.Errorf("decode answer: %w", err)}
		}
		tok := cmpOr(string(t.AccessToken), string(t.AccessToken2))
		if tok == "" {
			e := answerError(op, route, a) // a 200 that refuses in its body
			e.Status, e.Err = a.Status, errNoToken
			return e
		}
		lifetime := time.Duration(cmpOr(int(t.ExpiresIn), int(t.ExpiresIn2))) * time.Second
		if lifetime <= 0 {
			lifetime = defaultTokenLifetime
		}
		rec = SessionRecord{AccessToken: tok, ExpiresAt: start.Add(lifetime)}
		return nil
	})
	var s stop
	if errors.As(err, &s) {
		err = s.e
	}
	return rec, err
}

// stop carries an error the partner layer must not retry, whatever its kind.
type stop struct{ e *Error }

func (s stop) Error() string      { return s.e.Error() }
func (s stop) Kind() partner.Kind { return partner.Permanent }
func (s stop) Unwrap() error      { return s.e }
func (s stop) HTTPStatus() int    { return s.e.Status }

// logout ends a session nobody will use (one that lost a race to be shared). Best effort.
func (c *Client) logout(ctx context.Context, tok string) {
	req := partner.Request{Op: "log out", Method: http.MethodPost, URL: c.BaseURL + "/rest/logout",
		Header: http.Header{"Accept": {Accept}, "Authorization": {"Bearer " + tok}}}
	caller := c.Caller
	caller.MaxAttempts = 1
	_, _ = caller.Do(context.WithoutCancel(ctx), req, func(a partner.Answer) error { return nil })
}

func cmpOr[T comparable](vals ...T) T {
	var zero T
	for _, v := range vals {
		if v != zero {
			return v
		}
	}
	return zero
}
