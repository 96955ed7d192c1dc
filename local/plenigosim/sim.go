// Package plenigosim is a faithful stand-in for plenigo's API v3 as orderhub uses it: token checks,
// customers with email uniqueness and 208, WBZ marks, asynchronous order imports written to an import
// log after a delay, both known duplicate behaviours, the 7-day log retention, and switchable faults.
// It counts every call by endpoint. Tests and the local stack serve it with httptest or net/http.
package plenigosim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Prefix is the path every route starts with, as on api.plenigo.com.
const Prefix = "/api/v3.0"

// LogRetention is how long plenigo keeps import log entries.
const LogRetention = 7 * 24 * time.Hour

// DuplicateMode is how an import with a known externalSystemId is refused.
type DuplicateMode int

const (
	// DuplicateSync answers 400 with error 97001 at once.
	DuplicateSync DuplicateMode = iota
	// DuplicateAsync accepts with 201 and writes a failed log entry later.
	DuplicateAsync
)

// Fault is an injected failure.
type Fault int

// String names a fault for reports.
func (f Fault) String() string {
	return [...]string{"none", "429", "500", "502", "503", "timeout", "504 after apply"}[f]
}

// The faults. Fault504AfterApply handles the request fully, then answers 504 as a gateway would.
const (
	FaultNone Fault = iota
	Fault429
	Fault500
	Fault502
	Fault503
	FaultTimeout
	Fault504AfterApply
)

// Offer is a plenigo offer the simulator knows; WBZ offers need a WBZ customer.
type Offer struct{ WBZ bool }

// Config is the simulator's behaviour. Change it only before serving, or through the setters.
type Config struct {
	Tokens        map[string]bool // token → may write
	Offers        map[string]Offer
	LogDelay      time.Duration // from accepted import to log entry
	Duplicates    DuplicateMode
	NoPromiseID   bool // answer imports without a promiseId
	QueueLimit    int  // pending import items above this get 97004; 0 means no limit
	TimeoutHold   time.Duration
	Now           func() time.Time
	FaultRate     float64 // share of calls that get a random fault from FaultKinds
	FaultKinds    []Fault
	FaultEndpoint func(endpoint string) bool // which endpoints faults apply to; nil means all
}

// Sim is the simulator. It implements http.Handler.
type Sim struct {
	mu     sync.Mutex
	cfg    Config
	script map[string][]Fault

	customers  map[string]*customer // by id
	byEmail    map[string]string    // lower-case email → id
	nextCust   int64
	orders     []*order
	byExternal map[string]*order
	pending    map[string]bool // externalSystemIds accepted, not yet processed
	logs       []logEntry
	nextLog    int64
	nextOrder  int64
	promiseSeq int64
	calls      map[string]int
	faulted    map[string]int
	faultKinds map[Fault]int
	rnd        *rand.Rand
	wg         sync.WaitGroup
	timers     map[*time.Timer]bool
	stopped    bool
}

type customer struct {
	CustomerID string   `json:"customerId"`
	Email      string   `json:"email"`
	Language   string   `json:"language"`
	FirstName  string   `json:"firstName,omitempty"`
	LastName   string   `json:"lastName,omitempty"`
	External   string   `json:"externalSystemId,omitempty"`
	Marks      []string `json:"customerMarks,omitempty"`
	Status     string   `json:"status"`
	wbz        *wbzMark
}

type wbzMark struct {
	DealerGroup  string `json:"dealerGroup"`
	DealerNumber string `json:"dealerNumber"`
}

type order struct {
	OrderID          int64     `json:"orderId"`
	ExternalSystemID string    `json:"externalSystemId"`
	Status           string    `json:"status"`
	Type             string    `json:"type"`
	OrderDate        time.Time `json:"orderDate"`
	InvoiceCustomer  string    `json:"invoiceCustomerId"`
	PaymentMethod    string    `json:"paymentMethod"`
	Items            []struct {
		PlenigoOfferID string `json:"plenigoOfferId"`
		Quantity       int    `json:"quantity"`
	} `json:"items"`
}

type logEntry struct {
	ID               int64          `json:"orderImportLogEntryId"`
	CreatedDate      time.Time      `json:"createdDate"`
	ChangedDate      time.Time      `json:"changedDate"`
	ExternalSystemID string         `json:"externalSystemId"`
	PlenigoOfferID   string         `json:"plenigoOfferId"`
	Success          bool           `json:"success"`
	OrderID          int64          `json:"orderId"`
	ErrorReason      string         `json:"errorReason,omitempty"`
	ErrorDetail      map[string]any `json:"errorDetail,omitempty"`
}

// New returns a simulator. Zero fields of cfg get defaults: LogDelay 50 ms, TimeoutHold 30 s, Now
// time.Now, FaultKinds all of them.
func New(cfg Config) *Sim {
	if cfg.LogDelay == 0 {
		cfg.LogDelay = 50 * time.Millisecond
	}
	if cfg.TimeoutHold == 0 {
		cfg.TimeoutHold = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.FaultKinds) == 0 {
		cfg.FaultKinds = []Fault{Fault429, Fault500, Fault502, Fault503, FaultTimeout, Fault504AfterApply}
	}
	if cfg.Tokens == nil {
		cfg.Tokens = map[string]bool{}
	}
	if cfg.Offers == nil {
		cfg.Offers = map[string]Offer{}
	}
	return &Sim{cfg: cfg, script: map[string][]Fault{}, customers: map[string]*customer{}, byEmail: map[string]string{},
		nextCust: 100000, byExternal: map[string]*order{}, pending: map[string]bool{}, nextLog: 1, nextOrder: 500000,
		calls: map[string]int{}, faulted: map[string]int{}, faultKinds: map[Fault]int{}, timers: map[*time.Timer]bool{}, rnd: rand.New(rand.NewPCG(1, 2))}
}

// Close drops import processing that has not started and waits for what is running.
func (s *Sim) Close() {
	s.mu.Lock()
	s.stopped = true
	for t := range s.timers {
		if t.Stop() {
			s.wg.Done()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// SetFaults changes the random fault rate (0 turns random faults off).
func (s *Sim) SetFaults(rate float64, kinds ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.FaultRate = rate
	if len(kinds) > 0 {
		s.cfg.FaultKinds = kinds
	}
}

// FailNext makes the next calls of an endpoint (e.g. "POST /imports/orders") fail with faults, in order.
func (s *Sim) FailNext(endpoint string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script[endpoint] = append(s.script[endpoint], faults...)
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

// RemoveOffer makes plenigo forget an offer, as when it is deleted or never existed there.
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

// Calls returns the number of calls per endpoint ("POST /customers", …), faulted ones included.
func (s *Sim) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// TotalCalls returns the number of calls to every endpoint.
func (s *Sim) TotalCalls() int {
	n := 0
	for _, v := range s.Calls() {
		n += v
	}
	return n
}

// Faulted returns how many calls per endpoint got an injected fault.
func (s *Sim) Faulted() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.faulted))
	for k, v := range s.faulted {
		out[k] = v
	}
	return out
}

// FaultsByKind returns how many faults of each kind were injected.
func (s *Sim) FaultsByKind() map[Fault]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[Fault]int, len(s.faultKinds))
	for k, v := range s.faultKinds {
		out[k] = v
	}
	return out
}

// ResetCalls zeroes the call counters.
func (s *Sim) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls, s.faulted, s.faultKinds = map[string]int{}, map[string]int{}, map[Fault]int{}
}

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

// ServeHTTP routes a request.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		writeErr(w, 404, 99404, "Not found.", nil)
		return
	}
	endpoint := r.Method + " " + routeOf(path)
	s.mu.Lock()
	s.calls[endpoint]++
	fault := s.pickFault(endpoint)
	if fault != FaultNone {
		s.faulted[endpoint]++
		s.faultKinds[fault]++
	}
	write, known := s.cfg.Tokens[r.Header.Get("X-plenigo-token")]
	hold := s.cfg.TimeoutHold
	s.mu.Unlock()

	switch fault {
	case Fault429:
		writeErr(w, 429, 99429, "Rate limit reached.", nil)
		return
	case Fault500:
		writeErr(w, 500, 99500, "Internal error.", nil)
		return
	case Fault502:
		writeErr(w, 502, 99502, "Bad gateway.", nil)
		return
	case Fault503:
		writeErr(w, 503, 99503, "Temporarily unavailable.", nil)
		return
	case FaultTimeout:
		select {
		case <-r.Context().Done():
		case <-time.After(hold):
		}
		writeErr(w, 504, 99504, "Gateway timeout.", nil)
		return
	}
	if !known {
		writeErr(w, 401, 99008, "Api token provided is not authorized.", nil)
		return
	}
	if r.Method != http.MethodGet && !write {
		writeErr(w, 401, 99009, "Api token provided does not have the necessary rights.", nil)
		return
	}
	rec := w
	if fault == Fault504AfterApply {
		rec = discard{header: http.Header{}}
	}
	s.route(rec, r, path)
	if fault == Fault504AfterApply {
		writeErr(w, 504, 99504, "Gateway timeout.", nil)
	}
}

func (s *Sim) pickFault(endpoint string) Fault {
	if q := s.script[endpoint]; len(q) > 0 {
		s.script[endpoint] = q[1:]
		return q[0]
	}
	if s.cfg.FaultRate > 0 && (s.cfg.FaultEndpoint == nil || s.cfg.FaultEndpoint(endpoint)) && s.rnd.Float64() < s.cfg.FaultRate {
		return s.cfg.FaultKinds[s.rnd.IntN(len(s.cfg.FaultKinds))]
	}
	return FaultNone
}

// routeOf names an endpoint with its path parameters replaced, for counting.
func routeOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 4 && parts[0] == "customers" && parts[2] == "marks":
		return "/customers/{id}/marks/" + parts[3]
	case len(parts) == 3 && parts[0] == "customers" && parts[1] == "customerIdByExternalSystemId":
		return "/customers/customerIdByExternalSystemId/{id}"
	case len(parts) == 2 && parts[0] == "customers":
		return "/customers/{id}"
	case len(parts) == 4 && parts[0] == "imports" && parts[2] == "logs":
		return "/imports/orders/logs/{id}"
	}
	return "/" + strings.Join(parts, "/")
}

func (s *Sim) route(w http.ResponseWriter, r *http.Request, path string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && path == "/customers":
		s.createCustomer(w, r)
	case r.Method == http.MethodGet && path == "/customers":
		s.findCustomers(w, r)
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "customers" && parts[1] == "customerIdByExternalSystemId":
		s.customerIDByExternal(w, parts[2])
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "customers":
		s.getCustomer(w, parts[1])
	case len(parts) == 4 && parts[0] == "customers" && parts[2] == "marks" && parts[3] == "WBZ":
		s.wbzMark(w, r, parts[1])
	case r.Method == http.MethodPost && path == "/imports/orders":
		s.importOrders(w, r)
	case r.Method == http.MethodGet && path == "/imports/orders/logs":
		s.searchLogs(w, r)
	case r.Method == http.MethodGet && len(parts) == 4 && parts[0] == "imports" && parts[2] == "logs":
		s.getLog(w, parts[3])
	case r.Method == http.MethodGet && path == "/orders":
		s.searchOrders(w, r)
	default:
		writeErr(w, 404, 99404, "Not found.", nil)
	}
}

type validationError struct {
	Field string `json:"field"`
	Error string `json:"error"`
	Value string `json:"value"`
}

func writeErr(w http.ResponseWriter, status, code int, msg string, v []validationError) {
	body := map[string]any{"errorCode": code, "errorMessage": msg}
	if len(v) > 0 {
		body["validationErrors"] = v
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body the way plenigo refuses bad ones: 99001 missing, 99002 not JSON.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 {
		writeErr(w, 400, 99001, "Body is missing.", nil)
		return false
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeErr(w, 400, 99002, "Body is not valid JSON.", nil)
		return false
	}
	return true
}

func (s *Sim) createCustomer(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CustomerID       string `json:"customerId"`
		Email            string `json:"email"`
		Language         string `json:"language"`
		FirstName        string `json:"firstName"`
		LastName         string `json:"lastName"`
		ExternalSystemID string `json:"externalSystemId"`
	}
	if !decode(w, r, &in) {
		return
	}
	var v []validationError
	if in.Email == "" || len(in.Email) > 100 || !strings.Contains(in.Email, "@") {
		v = append(v, validationError{Field: "email", Error: "required", Value: in.Email})
	}
	if len(in.Language) != 2 {
		v = append(v, validationError{Field: "language", Error: "len=2", Value: in.Language})
	}
	if in.CustomerID != "" && !numeric(in.CustomerID, 18) {
		v = append(v, validationError{Field: "customerId", Error: "numeric", Value: in.CustomerID})
	}
	if len(v) > 0 {
		writeErr(w, 400, 99400, "Provided data cannot be processed.", v)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	email := strings.ToLower(in.Email)
	if id, ok := s.byEmail[email]; ok {
		if in.CustomerID == id {
			writeJSON(w, 208, s.customers[id])
			return
		}
		if in.CustomerID != "" {
			writeErr(w, 400, 20027, "Email or customer id already used in a different combination.", nil)
			return
		}
		writeErr(w, 400, 20007, "Email already exists.", nil)
		return
	}
	id := in.CustomerID
	if id == "" {
		s.nextCust++
		id = strconv.FormatInt(s.nextCust, 10)
	} else if _, taken := s.customers[id]; taken {
		writeErr(w, 400, 20068, "Customer id already in use.", nil)
		return
	}
	c := &customer{CustomerID: id, Email: in.Email, Language: in.Language, FirstName: in.FirstName, LastName: in.LastName, External: in.ExternalSystemID, Status: "ACTIVATED"}
	s.customers[id] = c
	s.byEmail[email] = id
	writeJSON(w, 201, c)
}

func (s *Sim) findCustomers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []*customer{}
	switch {
	case q.Get("email") != "":
		if id, ok := s.byEmail[strings.ToLower(q.Get("email"))]; ok {
			items = append(items, s.customers[id])
		}
	case q.Get("externalSystemId") != "":
		for _, c := range s.customers {
			if c.External == q.Get("externalSystemId") {
				items = append(items, c)
			}
		}
	}
	writeJSON(w, 200, map[string]any{"items": items})
}

func (s *Sim) customerIDByExternal(w http.ResponseWriter, ext string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.customers {
		if c.External == ext {
			writeJSON(w, 200, map[string]string{"customerId": c.CustomerID})
			return
		}
	}
	writeErr(w, 404, 20404, "Customer not found.", nil)
}

func (s *Sim) getCustomer(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.customers[id]; ok {
		writeJSON(w, 200, c)
		return
	}
	writeErr(w, 404, 20404, "Customer not found.", nil)
}

func (s *Sim) wbzMark(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	c, ok := s.customers[id]
	s.mu.Unlock()
	if !ok {
		writeErr(w, 404, 20404, "Customer not found.", nil)
		return
	}
	if r.Method == http.MethodGet {
		s.mu.Lock()
		defer s.mu.Unlock()
		if c.wbz == nil {
			writeErr(w, 404, 20404, "Customer has no WBZ mark.", nil)
			return
		}
		writeJSON(w, 200, c.wbz)
		return
	}
	var m wbzMark
	if !decode(w, r, &m) {
		return
	}
	var v []validationError
	if m.DealerGroup == "" || len(m.DealerGroup) > 200 {
		v = append(v, validationError{Field: "dealerGroup", Error: "required", Value: m.DealerGroup})
	}
	if m.DealerNumber == "" || len(m.DealerNumber) > 200 {
		v = append(v, validationError{Field: "dealerNumber", Error: "required", Value: m.DealerNumber})
	}
	if len(v) > 0 {
		writeErr(w, 400, 99400, "Provided data cannot be processed.", v)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.wbz = &m
	if !contains(c.Marks, "WBZ") {
		c.Marks = append(c.Marks, "WBZ")
	}
	writeJSON(w, 200, m)
}

var paymentMethods = map[string]bool{"AMAZON_PAY": true, "APPLE_PAY": true, "BANK_ACCOUNT": true, "BILLING": true, "CREDIT_CARD": true,
	"GOOGLE_PAY": true, "IDEAL": true, "PAYPAL": true, "POSTFINANCE": true, "SOFORT": true, "TWINT": true, "ZERO": true}

type importItem struct {
	ExternalSystemID  string     `json:"externalSystemId"`
	PlenigoOfferID    string     `json:"plenigoOfferId"`
	InvoiceCustomerID string     `json:"invoiceCustomerId"`
	Quantity          *int       `json:"quantity"`
	StartDate         *time.Time `json:"startDate"`
	PaymentMethod     string     `json:"paymentMethod"`
	ManagedBy         string     `json:"managedBy"`
}

func (s *Sim) importOrders(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Items []importItem `json:"items"`
	}
	if !decode(w, r, &in) {
		return
	}
	var v []validationError
	if len(in.Items) == 0 {
		v = append(v, validationError{Field: "items", Error: "required"})
	}
	for i, it := range in.Items {
		f := fmt.Sprintf("items[%d].", i)
		if it.ExternalSystemID == "" || len(it.ExternalSystemID) > 100 {
			v = append(v, validationError{Field: f + "externalSystemId", Error: "required", Value: it.ExternalSystemID})
		}
		if len(it.PlenigoOfferID) != 20 {
			v = append(v, validationError{Field: f + "plenigoOfferId", Error: "len=20", Value: it.PlenigoOfferID})
		}
		if it.InvoiceCustomerID == "" || len(it.InvoiceCustomerID) > 50 {
			v = append(v, validationError{Field: f + "invoiceCustomerId", Error: "required", Value: it.InvoiceCustomerID})
		}
		if it.Quantity == nil || *it.Quantity < 1 || *it.Quantity > 10000 {
			v = append(v, validationError{Field: f + "quantity", Error: "min=1,max=10000"})
		}
		if it.StartDate == nil {
			v = append(v, validationError{Field: f + "startDate", Error: "required"})
		}
		if !paymentMethods[it.PaymentMethod] {
			v = append(v, validationError{Field: f + "paymentMethod", Error: "oneof", Value: it.PaymentMethod})
		}
		if it.ManagedBy != "" && it.ManagedBy != "EXTERNAL" && it.ManagedBy != "WBZ" {
			v = append(v, validationError{Field: f + "managedBy", Error: "oneof", Value: it.ManagedBy})
		}
	}
	if len(v) > 0 {
		writeErr(w, 400, 99400, "Provided data cannot be processed.", v)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range in.Items {
		if _, ok := s.customers[it.InvoiceCustomerID]; !ok {
			writeErr(w, 404, 20404, "Customer not found.", nil)
			return
		}
	}
	if s.cfg.QueueLimit > 0 && len(s.pending)+len(in.Items) > s.cfg.QueueLimit {
		writeErr(w, 400, 97004, "Max order import queue reached.", nil)
		return
	}
	if s.cfg.Duplicates == DuplicateSync {
		for _, it := range in.Items {
			if s.byExternal[it.ExternalSystemID] != nil || s.pending[it.ExternalSystemID] {
				writeErr(w, 400, 97001, "Order was already imported.", nil)
				return
			}
		}
	}
	items := make([]importItem, len(in.Items))
	copy(items, in.Items)
	for _, it := range items {
		if !s.pending[it.ExternalSystemID] {
			s.pending[it.ExternalSystemID] = true
		}
	}
	if !s.stopped {
		s.wg.Add(1)
		var t *time.Timer
		t = time.AfterFunc(s.cfg.LogDelay, func() {
			defer s.wg.Done()
			s.mu.Lock()
			delete(s.timers, t) // t was set under the lock this waits for
			s.mu.Unlock()
			s.process(items)
		})
		s.timers[t] = true
	}
	s.promiseSeq++
	res := map[string]any{"success": true}
	if !s.cfg.NoPromiseID {
		res["promiseId"] = fmt.Sprintf("prm%020d", s.promiseSeq)
	}
	writeJSON(w, 201, res)
}

// process applies accepted imports and writes their log entries, as plenigo's import queue does.
func (s *Sim) process(items []importItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now().UTC()
	for _, it := range items {
		delete(s.pending, it.ExternalSystemID)
		e := logEntry{CreatedDate: now, ChangedDate: now, ExternalSystemID: it.ExternalSystemID, PlenigoOfferID: it.PlenigoOfferID}
		offer, known := s.cfg.Offers[it.PlenigoOfferID]
		cust := s.customers[it.InvoiceCustomerID]
		switch {
		case s.byExternal[it.ExternalSystemID] != nil:
			e.ErrorReason, e.ErrorDetail = "Order was already imported.", map[string]any{"message": "An order with this external system id already exists.", "errorCode": 97001}
		case !known:
			e.ErrorReason, e.ErrorDetail = "Offer not found.", map[string]any{"message": "Offer " + it.PlenigoOfferID + " does not exist.", "errorCode": 60404}
		case offer.WBZ && it.ManagedBy != "WBZ":
			e.ErrorReason, e.ErrorDetail = "A WBZ offer needs a WBZ import.", map[string]any{"message": "managedBy must be WBZ", "errorCode": 90071}
		case it.ManagedBy == "WBZ" && !offer.WBZ:
			e.ErrorReason, e.ErrorDetail = "A WBZ import needs a WBZ offer.", map[string]any{"message": "offer is not a WBZ offer", "errorCode": 90068}
		case it.ManagedBy == "WBZ" && (cust == nil || cust.wbz == nil):
			e.ErrorReason, e.ErrorDetail = "Customer has no WBZ mark.", map[string]any{"message": "Customer has no WBZ mark.", "errorCode": 20071}
		default:
			s.nextOrder++
			o := &order{OrderID: s.nextOrder, ExternalSystemID: it.ExternalSystemID, Status: "ACTIVE", Type: "ORDER", OrderDate: now,
				InvoiceCustomer: it.InvoiceCustomerID, PaymentMethod: it.PaymentMethod}
			o.Items = append(o.Items, struct {
				PlenigoOfferID string `json:"plenigoOfferId"`
				Quantity       int    `json:"quantity"`
			}{it.PlenigoOfferID, *it.Quantity})
			s.orders = append(s.orders, o)
			s.byExternal[it.ExternalSystemID] = o
			e.Success, e.OrderID = true, o.OrderID
		}
		e.ID = s.nextLog
		s.nextLog++
		s.logs = append(s.logs, e)
	}
}

func (s *Sim) searchLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, err := strconv.Atoi(q.Get("size"))
	if q.Get("size") != "" && err != nil {
		writeErr(w, 400, 99006, "size is not an integer.", nil)
		return
	}
	if size < 5 || size > 100 {
		size = 5
	}
	var after int64
	if v := q.Get("startingAfter"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil {
			writeErr(w, 400, 99007, "startingAfter is not an integer.", nil)
			return
		}
	}
	var since, until time.Time
	for name, t := range map[string]*time.Time{"startTime": &since, "endTime": &until} {
		if v := q.Get(name); v != "" {
			if *t, err = time.Parse(time.RFC3339, v); err != nil {
				writeErr(w, 400, 99003, "Date is not RFC 3339.", nil)
				return
			}
		}
	}
	desc := q.Get("sort") == "DESC"
	s.mu.Lock()
	defer s.mu.Unlock()
	horizon := s.cfg.Now().Add(-LogRetention)
	var matched []logEntry
	for _, e := range s.logs {
		switch {
		case e.ChangedDate.Before(horizon):
		case !since.IsZero() && e.ChangedDate.Before(since):
		case !until.IsZero() && e.ChangedDate.After(until):
		case q.Get("externalSystemId") != "" && e.ExternalSystemID != q.Get("externalSystemId"):
		case q.Get("plenigoOfferId") != "" && e.PlenigoOfferID != q.Get("plenigoOfferId"):
		case q.Get("success") != "" && strconv.FormatBool(e.Success) != q.Get("success"):
		default:
			matched = append(matched, e)
		}
	}
	sort.Slice(matched, func(i, j int) bool {
		if desc {
			return matched[i].ID > matched[j].ID
		}
		return matched[i].ID < matched[j].ID
	})
	if after != 0 {
		for i, e := range matched {
			if e.ID == after {
				matched = matched[i+1:]
				break
			}
		}
	}
	if len(matched) > size {
		matched = matched[:size]
	}
	if matched == nil {
		matched = []logEntry{}
	}
	writeJSON(w, 200, map[string]any{"items": matched})
}

func (s *Sim) getLog(w http.ResponseWriter, id string) {
	n, err := strconv.ParseInt(id, 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	horizon := s.cfg.Now().Add(-LogRetention)
	for _, e := range s.logs {
		if err == nil && e.ID == n && !e.ChangedDate.Before(horizon) {
			writeJSON(w, 200, e)
			return
		}
	}
	writeErr(w, 404, 121404, "Import log entry not found.", nil)
}

func (s *Sim) searchOrders(w http.ResponseWriter, r *http.Request) {
	ext := r.URL.Query().Get("externalSystemId")
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []*order{}
	for _, o := range s.orders {
		if ext == "" || o.ExternalSystemID == ext {
			items = append(items, o)
		}
	}
	writeJSON(w, 200, map[string]any{"items": items})
}

func numeric(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// discard swallows the real answer of a request that is answered 504 after it was applied.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
