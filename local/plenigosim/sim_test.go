package plenigosim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/plenigosim"
	"github.com/orderhub/orderhub/local/simkit"
)

const (
	token     = "tok"
	readOnly  = "read-only"
	offer     = "O_MZA1E7173120881551"
	wbzOffer  = "O_WBZ7PRINT0012MNTHS"
	wbzPrint  = "O_WBZ7PRINTDELIVERED"
	goneOffer = "O_GONE00000000000001"
)

type rig struct {
	t   *testing.T
	sim *plenigosim.Sim
	srv *httptest.Server
}

func newRig(t *testing.T, cfg plenigosim.Config) *rig {
	t.Helper()
	cfg.Tokens = map[string]bool{token: true, readOnly: false}
	cfg.Offers = map[string]plenigosim.Offer{offer: {}, wbzOffer: {WBZ: true}, wbzPrint: {WBZ: true, NeedsDeliveryAddress: true}, goneOffer: {}}
	if cfg.LogDelay == 0 {
		cfg.LogDelay = time.Millisecond
	}
	sim := plenigosim.New(cfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { srv.Close(); sim.Close() })
	return &rig{t: t, sim: sim, srv: srv}
}

type answer struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// code is the plenigo error code of an error answer.
func (a answer) code() int {
	n, _ := a.body["errorCode"].(float64)
	return int(n)
}

func (a answer) items() []any {
	items, _ := a.body["items"].([]any)
	return items
}

// call sends a request below Prefix (or, with a path starting with "!", the path as it is) with a
// token and a JSON body when body is not nil.
func (r *rig) call(tok, method, path string, body any) answer {
	r.t.Helper()
	url := r.srv.URL + plenigosim.Prefix + path
	if p, ok := strings.CutPrefix(path, "!"); ok {
		url = r.srv.URL + p
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			r.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("X-plenigo-token", tok)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &a.body)
	return a
}

func (r *rig) do(method, path string, body any) answer {
	r.t.Helper()
	return r.call(token, method, path, body)
}

// expect fails unless the answer has the status and, for an error, the plenigo error code.
func (r *rig) expect(a answer, status, code int) {
	r.t.Helper()
	if a.status != status || a.code() != code {
		r.t.Fatalf("answer %d %s, want %d with errorCode %d", a.status, a.raw, status, code)
	}
}

// eventually waits for an import to reach the log.
func (r *rig) eventually(what string, ok func() bool) {
	r.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if ok() {
			return
		}
	}
	r.t.Fatalf("%s: not within 5 s", what)
}

func importBody(items ...map[string]any) map[string]any {
	return map[string]any{"items": items}
}

func item(ext, offerID, customerID string) map[string]any {
	return map[string]any{"externalSystemId": ext, "plenigoOfferId": offerID, "invoiceCustomerId": customerID,
		"quantity": 1, "startDate": "2025-03-01T00:00:00Z", "paymentMethod": "BILLING"}
}

func TestRateLimitRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter time.Duration
		want       string
	}{
		{"none by default, as plenigo documents none", 0, ""},
		{"configured", 3 * time.Second, "3"},
		{"rounded up", 1500 * time.Millisecond, "2"},
		{"zero", plenigosim.RetryAfterZero, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, plenigosim.Config{RetryAfter: tt.retryAfter})
			r.sim.FailNext("GET /orders", plenigosim.Fault429)
			a := r.do("GET", "/orders", nil)
			r.expect(a, 429, 99429)
			if got, set := a.header.Get("Retry-After"), a.header.Values("Retry-After") != nil; got != tt.want || set != (tt.want != "") {
				t.Fatalf("Retry-After %q (present %v), want %q", got, set, tt.want)
			}
			if a.body["errorMessage"] != "The rate limit for this endpoint is reached. Please try again later." {
				t.Fatalf("body %s", a.raw)
			}
			if a := r.do("GET", "/orders", nil); a.status != 200 || a.header.Get("Retry-After") != "" {
				t.Fatalf("after the fault: %d, Retry-After %q", a.status, a.header.Get("Retry-After"))
			}
			if r.sim.Faulted()["GET /orders"] != 1 || r.sim.FaultsByKind()[plenigosim.Fault429] != 1 {
				t.Fatalf("faulted %v %v", r.sim.Faulted(), r.sim.FaultsByKind())
			}
		})
	}
}

func TestFaultAnswers(t *testing.T) {
	tests := []struct {
		fault  plenigosim.Fault
		status int
		msg    string
	}{
		{plenigosim.Fault500, 500, "Currently we are not able to answer your request. We are working hard to resolve this problem."},
		{plenigosim.Fault502, 502, "Bad Gateway."},
		{plenigosim.Fault503, 503, "Service is temporarily unavailable. Please try again later."},
		{plenigosim.FaultTimeout, 504, "Service is taking too long to respond. Please try again later."},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			r := newRig(t, plenigosim.Config{TimeoutHold: 10 * time.Millisecond})
			r.sim.FailNext("POST /customers", tt.fault)
			// No token: the fault comes before the token check.
			a := r.call("", "POST", "/customers", map[string]any{"email": "a@x.de", "language": "de"})
			r.expect(a, tt.status, 99000+tt.status)
			if a.body["errorMessage"] != tt.msg {
				t.Fatalf("body %s", a.raw)
			}
			if r.sim.CustomerCount() != 0 {
				t.Fatal("a call without a token was applied")
			}
		})
	}
	t.Run("504 after apply applies", func(t *testing.T) {
		r := newRig(t, plenigosim.Config{})
		r.sim.FailNext("POST /customers", plenigosim.Fault504AfterApply)
		r.expect(r.do("POST", "/customers", map[string]any{"customerId": "7", "email": "a@x.de", "language": "de"}), 504, 99504)
		if r.sim.CustomerCount() != 1 {
			t.Fatalf("%d customers after 504 after apply", r.sim.CustomerCount())
		}
		r.expect(r.do("POST", "/customers", map[string]any{"customerId": "7", "email": "a@x.de", "language": "de"}), 208, 0)
		// It is applied only past the token check, so without a token the check answers.
		r.sim.FailNext("POST /customers", plenigosim.Fault504AfterApply)
		r.expect(r.call("", "POST", "/customers", map[string]any{"email": "b@x.de", "language": "de"}), 401, 99008)
		if r.sim.FaultsByKind()[plenigosim.Fault504AfterApply] != 2 {
			t.Fatalf("faults %v", r.sim.FaultsByKind())
		}
	})
	t.Run("random faults", func(t *testing.T) {
		r := newRig(t, plenigosim.Config{FaultRate: 1, FaultKinds: []plenigosim.Fault{plenigosim.Fault502},
			FaultEndpoint: func(ep string) bool { return ep == "GET /orders" }})
		r.expect(r.do("GET", "/orders", nil), 502, 99502)
		r.expect(r.do("GET", "/customers?email=a@x.de", nil), 200, 0)
		r.sim.SetFaults(0)
		r.expect(r.do("GET", "/orders", nil), 200, 0)
	})
}

func TestTokens(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	r.expect(r.call("", "GET", "/orders", nil), 401, 99008)
	r.expect(r.call("unknown", "GET", "/orders", nil), 401, 99008)
	r.expect(r.call(readOnly, "GET", "/orders", nil), 200, 0)
	r.expect(r.call(readOnly, "POST", "/customers", map[string]any{"email": "a@x.de", "language": "de"}), 401, 99009)
	r.sim.SetToken(token, true, false)
	r.expect(r.do("GET", "/orders", nil), 401, 99008)
}

func TestCustomers(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	cust := func(id, email string) map[string]any {
		return map[string]any{"customerId": id, "email": email, "language": "de", "externalSystemId": "ext-" + email}
	}
	a := r.do("POST", "/customers", cust("7", "Dealer@x.de"))
	r.expect(a, 201, 0)
	if a.body["customerId"] != "7" || a.body["status"] != "ACTIVATED" {
		t.Fatalf("created %s", a.raw)
	}
	r.expect(r.do("POST", "/customers", cust("7", "dealer@X.de")), 208, 0) // same email (any case) and id
	r.expect(r.do("POST", "/customers", cust("8", "dealer@x.de")), 400, 20027)
	r.expect(r.do("POST", "/customers", cust("", "dealer@x.de")), 400, 20007)
	r.expect(r.do("POST", "/customers", cust("7", "other@x.de")), 400, 20068)
	a = r.do("POST", "/customers", cust("", "new@x.de"))
	r.expect(a, 201, 0)
	if a.body["customerId"] != "100001" {
		t.Fatalf("generated id %v", a.body["customerId"])
	}
	a = r.do("POST", "/customers", map[string]any{"customerId": "x1", "email": "nope", "language": "deu"})
	r.expect(a, 400, 99400)
	if v, _ := a.body["validationErrors"].([]any); len(v) != 3 {
		t.Fatalf("validation errors %s", a.raw)
	}
	r.expect(r.do("POST", "/customers", nil), 400, 99001)
	r.expect(r.do("POST", "/customers", "not an object"), 400, 99002)

	if a := r.do("GET", "/customers?email=DEALER@x.de", nil); a.status != 200 || len(a.items()) != 1 {
		t.Fatalf("find by email: %d %s", a.status, a.raw)
	}
	if a := r.do("GET", "/customers?email=none@x.de", nil); a.status != 200 || a.items() == nil || len(a.items()) != 0 {
		t.Fatalf("find nobody: %d %s", a.status, a.raw)
	}
	if a := r.do("GET", "/customers?externalSystemId=ext-new@x.de", nil); len(a.items()) != 1 {
		t.Fatalf("find by external id: %s", a.raw)
	}
	r.expect(r.do("GET", "/customers/7", nil), 200, 0)
	r.expect(r.do("GET", "/customers/9", nil), 404, 20404)
	if a := r.do("GET", "/customers/customerIdByExternalSystemId/ext-Dealer@x.de", nil); a.status != 200 || a.body["customerId"] != "7" {
		t.Fatalf("id by external id: %d %s", a.status, a.raw)
	}
	r.expect(r.do("GET", "/customers/customerIdByExternalSystemId/nope", nil), 404, 20404)

	r.expect(r.do("GET", "/customers/7/marks/WBZ", nil), 404, 20404)
	r.expect(r.do("PUT", "/customers/7/marks/WBZ", map[string]any{"dealerGroup": "Nord"}), 400, 99400)
	r.expect(r.do("PUT", "/customers/9/marks/WBZ", map[string]any{"dealerGroup": "Nord", "dealerNumber": "4711"}), 404, 20404)
	for range 2 {
		r.expect(r.do("PUT", "/customers/7/marks/WBZ", map[string]any{"dealerGroup": "Nord", "dealerNumber": "4711"}), 200, 0)
	}
	if a := r.do("GET", "/customers/7/marks/WBZ", nil); a.status != 200 || a.body["dealerNumber"] != "4711" {
		t.Fatalf("mark %d %s", a.status, a.raw)
	}
	if a := r.do("GET", "/customers/7", nil); fmt.Sprint(a.body["customerMarks"]) != "[WBZ]" {
		t.Fatalf("marks %s", a.raw)
	}
	if !r.sim.HasWBZMark("dealer@x.de") || r.sim.CustomersByEmail("DEALER@x.de") != 1 || r.sim.CustomerCount() != 2 {
		t.Fatal("queries disagree with the answers")
	}
}

func TestImportsLogsAndOrders(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := simkit.NewClock(t0)
	r := newRig(t, plenigosim.Config{Clock: clock, LogDelay: time.Hour})
	r.expect(r.do("POST", "/customers", map[string]any{"customerId": "7", "email": "a@x.de", "language": "de"}), 201, 0)

	a := r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"), item("mkt-2", goneOffer, "7")))
	r.expect(a, 201, 0)
	if a.body["success"] != true || a.body["promiseId"] != "prm00000000000000000001" {
		t.Fatalf("import %s", a.raw)
	}
	// The offer goes after plenigo accepted the import.
	r.sim.RemoveOffer(goneOffer)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 400, 97001) // pending counts
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-3", offer, "99"))), 404, 20404)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-3", "O_UNKNOWNOFFER000001", "7"))), 404, 60404)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-3", goneOffer, "7"))), 404, 60404)
	r.expect(r.do("POST", "/imports/orders", importBody()), 400, 99400)
	r.expect(r.do("POST", "/imports/orders", importBody(item("", "short", ""))), 400, 99400)
	if a := r.do("GET", "/imports/orders/logs", nil); a.status != 200 || a.items() == nil || len(a.items()) != 0 {
		t.Fatalf("log before processing: %s", a.raw)
	}
	r.sim.Flush()
	logs := r.do("GET", "/imports/orders/logs", nil).items()
	if len(logs) != 2 {
		t.Fatalf("log entries %v", logs)
	}
	first, second := logs[0].(map[string]any), logs[1].(map[string]any)
	if first["success"] != true || first["createdDate"] != t0.Format(time.RFC3339) || first["orderId"] != float64(500001) {
		t.Fatalf("first entry %v", first)
	}
	expectRefused(t, second, "Offer for the provided id cannot be found.")
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 400, 97001) // imported
	if a := r.do("GET", "/orders?externalSystemId=mkt-1", nil); len(a.items()) != 1 || r.sim.OrdersFor("mkt-1") != 1 || r.sim.OrderCount() != 1 {
		t.Fatalf("orders %s", a.raw)
	}
	if a := r.do("GET", "/orders?externalSystemId=mkt-2", nil); a.items() == nil || len(a.items()) != 0 {
		t.Fatalf("orders for a failed import %s", a.raw)
	}

	r.sim.SetDuplicateMode(plenigosim.DuplicateAsync)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 201, 0)
	r.sim.Flush()
	items := r.do("GET", "/imports/orders/logs?externalSystemId=mkt-1&success=false", nil).items()
	if len(items) != 1 {
		t.Fatalf("async duplicate entries %v", items)
	}
	expectRefused(t, items[0].(map[string]any), "Order was already imported.")
	if r.sim.OrdersFor("mkt-1") != 1 {
		t.Fatal("an async duplicate made a second order")
	}
	id := fmt.Sprint(first["orderImportLogEntryId"])
	r.expect(r.do("GET", "/imports/orders/logs/"+id, nil), 200, 0)
	r.expect(r.do("GET", "/imports/orders/logs/999", nil), 404, 121404)
	r.expect(r.do("GET", "/imports/orders/logs/x", nil), 404, 121404)

	clock.Advance(plenigosim.LogRetention + time.Minute) // the entries age out
	if a := r.do("GET", "/imports/orders/logs", nil); a.status != 200 || len(a.items()) != 0 {
		t.Fatalf("after retention: %s", a.raw)
	}
	r.expect(r.do("GET", "/imports/orders/logs/"+id, nil), 404, 121404)
}

// expectRefused fails unless a log entry is a refused import in plenigo's shape: success false,
// orderId 0, errorReason "Order could not be imported." and errorDetail holding only the message.
func expectRefused(t *testing.T, e map[string]any, message string) {
	t.Helper()
	detail, _ := e["errorDetail"].(map[string]any)
	if e["success"] != false || e["orderId"] != float64(0) || e["errorReason"] != "Order could not be imported." ||
		len(detail) != 1 || detail["message"] != message {
		t.Fatalf("entry %v, want refused with message %q and nothing else in errorDetail", e, message)
	}
}

func TestQueueLimit(t *testing.T) {
	r := newRig(t, plenigosim.Config{QueueLimit: 1, LogDelay: time.Hour, NoPromiseID: true})
	r.expect(r.do("POST", "/customers", map[string]any{"customerId": "7", "email": "a@x.de", "language": "de"}), 201, 0)
	a := r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7")))
	r.expect(a, 201, 0)
	if _, ok := a.body["promiseId"]; ok {
		t.Fatalf("promiseId with NoPromiseID: %s", a.raw)
	}
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-2", offer, "7"))), 400, 97004)
}

func TestLogPaging(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := simkit.NewClock(t0)
	r := newRig(t, plenigosim.Config{Clock: clock})
	r.expect(r.do("POST", "/customers", map[string]any{"customerId": "7", "email": "a@x.de", "language": "de"}), 201, 0)
	for i := range 12 {
		r.expect(r.do("POST", "/imports/orders", importBody(item(fmt.Sprintf("mkt-%d", i), offer, "7"))), 201, 0)
		r.eventually("entry", func() bool { return r.sim.OrderCount() == i+1 })
		clock.Advance(time.Minute)
	}
	ids := func(a answer) string {
		var out []string
		for _, it := range a.items() {
			out = append(out, fmt.Sprint(it.(map[string]any)["orderImportLogEntryId"]))
		}
		return strings.Join(out, ",")
	}
	at := func(min int) string { return t0.Add(time.Duration(min) * time.Minute).Format(time.RFC3339) }
	tests := []struct {
		query string
		want  string
	}{
		{"", "1,2,3,4,5"},
		{"?size=4", "1,2,3,4,5"},
		{"?size=101", "1,2,3,4,5"},
		{"?size=6", "1,2,3,4,5,6"},
		{"?size=100", "1,2,3,4,5,6,7,8,9,10,11,12"},
		{"?startingAfter=5", "6,7,8,9,10"},
		{"?sort=DESC", "12,11,10,9,8"},
		{"?sort=DESC&startingAfter=9&size=5", "8,7,6,5,4"},
		{"?startTime=" + at(10), "11,12"},
		{"?endTime=" + at(1), "1,2"},
		{"?startTime=" + at(3) + "&endTime=" + at(4), "4,5"},
	}
	for _, tt := range tests {
		a := r.do("GET", "/imports/orders/logs"+tt.query, nil)
		if a.status != 200 || ids(a) != tt.want {
			t.Errorf("%s: %d %s, want %s", tt.query, a.status, ids(a), tt.want)
		}
	}
	r.expect(r.do("GET", "/imports/orders/logs?size=x", nil), 400, 99006)
	r.expect(r.do("GET", "/imports/orders/logs?startingAfter=x", nil), 400, 99007)
	r.expect(r.do("GET", "/imports/orders/logs?startTime=yesterday", nil), 400, 99003)
}

func TestUnknownRoutes(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	for _, c := range []struct{ method, path, endpoint string }{
		{"GET", "/nothing", "GET /unknown"},
		{"DELETE", "/customers/7", "DELETE /unknown"},
		{"POST", "/customers/7/marks/WBZ", "POST /unknown"},
		{"GET", "!/customers", "GET /unknown"}, // without the prefix
	} {
		a := r.call("", c.method, c.path, nil)
		if a.status != 404 || a.raw != `{"errorCode":99404,"errorMessage":"Entity for given id does not exist."}`+"\n" || a.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %s", c.method, c.path, a.status, a.raw)
		}
		if n := r.sim.Calls()[c.endpoint]; n < 1 {
			t.Errorf("%s %s not counted as %s: %v", c.method, c.path, c.endpoint, r.sim.Calls())
		}
	}
}

func TestCountingByPattern(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	r.do("POST", "/customers", map[string]any{"customerId": "7", "email": "a@x.de", "language": "de", "externalSystemId": "e7"})
	r.do("GET", "/customers?email=a@x.de", nil)
	r.do("GET", "/customers/7", nil)
	r.do("GET", "/customers/8", nil)
	r.do("GET", "/customers/customerIdByExternalSystemId/e7", nil)
	r.do("PUT", "/customers/7/marks/WBZ", map[string]any{"dealerGroup": "Nord", "dealerNumber": "4711"})
	r.do("GET", "/customers/7/marks/WBZ", nil)
	r.do("POST", "/addresses/wbz", wbzAddress("7", "DELIVERY"))
	r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7")))
	r.do("GET", "/imports/orders/logs", nil)
	r.do("GET", "/imports/orders/logs/1", nil)
	r.do("GET", "/orders?externalSystemId=mkt-1", nil)
	r.do("GET", "/subscriptions?externalSystemId=mkt-1", nil)
	r.sim.FailNext("GET /orders", plenigosim.Fault503)
	r.do("GET", "/orders", nil)

	r.sim.Counter().ExpectCalls(t, map[string]int{
		"POST /customers":     1,
		"GET /customers":      1,
		"GET /customers/{id}": 2,
		"GET /customers/customerIdByExternalSystemId/{id}": 1,
		"PUT /customers/{id}/marks/WBZ":                    1,
		"GET /customers/{id}/marks/WBZ":                    1,
		"POST /addresses/wbz":                              1,
		"POST /imports/orders":                             1,
		"GET /imports/orders/logs":                         1,
		"GET /imports/orders/logs/{id}":                    1,
		"GET /orders":                                      2,
		"GET /subscriptions":                               1,
		"GET /unknown":                                     0,
	})
	r.sim.Counter().ExpectAtMost(t, "POST /customers", 1)
	if r.sim.TotalCalls() != 14 || r.sim.Faulted()["GET /orders"] != 1 {
		t.Fatalf("total %d, faulted %v", r.sim.TotalCalls(), r.sim.Faulted())
	}
	r.sim.ResetCalls()
	if r.sim.TotalCalls() != 0 || len(r.sim.FaultsByKind()) != 0 {
		t.Fatal("reset left counts")
	}
}

func TestNowFromConfigStillWorks(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	r := newRig(t, plenigosim.Config{Now: func() time.Time { return t0 }})
	if r.sim.Clock() != nil {
		t.Fatal("a clock besides Config.Now")
	}
	r.expect(r.do("POST", "/customers", map[string]any{"customerId": "7", "email": "a@x.de", "language": "de"}), 201, 0)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 201, 0)
	r.eventually("order", func() bool { return r.sim.OrderCount() == 1 })
	// Retention is measured from Config.Now too, so an entry dated t0 is fresh.
	a := r.do("GET", "/imports/orders/logs", nil)
	if len(a.items()) != 1 || a.items()[0].(map[string]any)["createdDate"] != t0.Format(time.RFC3339) {
		t.Fatalf("log %s", a.raw)
	}
}

func TestRetryAfterSwitch(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	retryAfter := func() []string {
		r.sim.FailNext("GET /orders", plenigosim.Fault429)
		a := r.do("GET", "/orders", nil)
		r.expect(a, 429, 99429)
		return a.header.Values("Retry-After")
	}
	if got := retryAfter(); got != nil {
		t.Fatalf("Retry-After %q by default", got)
	}
	r.sim.SetRetryAfter(2 * time.Second)
	if got := retryAfter(); len(got) != 1 || got[0] != "2" {
		t.Fatalf("Retry-After %q after SetRetryAfter(2s)", got)
	}
	r.sim.SetRetryAfter(0)
	if got := retryAfter(); got != nil {
		t.Fatalf("Retry-After %q after SetRetryAfter(0)", got)
	}
}

// dealer makes customer id with the WBZ mark (mark false: without) and returns a WBZ DELIVERY
// address id for it.
func (r *rig) dealer(id, email string, mark bool) int64 {
	r.t.Helper()
	r.expect(r.do("POST", "/customers", map[string]any{"customerId": id, "email": email, "language": "de"}), 201, 0)
	if !mark {
		return 0
	}
	r.expect(r.do("PUT", "/customers/"+id+"/marks/WBZ", map[string]any{"dealerGroup": "Nord", "dealerNumber": id}), 200, 0)
	a := r.do("POST", "/addresses/wbz", wbzAddress(id, "DELIVERY"))
	r.expect(a, 201, 0)
	n, ok := a.body["addressId"].(float64)
	if !ok || n <= 0 {
		r.t.Fatalf("address %s", a.raw)
	}
	return int64(n)
}

func wbzAddress(customerID, typ string) map[string]any {
	return map[string]any{"customerId": customerID, "type": typ, "companyName": "Presse Nord GmbH", "street": "Hafenstraße",
		"streetNumber": "3", "postcode": "20457", "city": "Hamburg", "country": "DE"}
}

func wbzItem(ext, offerID, customerID string, deliveryAddressID int64) map[string]any {
	it := item(ext, offerID, customerID)
	it["managedBy"] = "WBZ"
	if deliveryAddressID != 0 {
		it["deliveryAddressId"] = deliveryAddressID
	}
	return it
}

func TestWBZAddresses(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	r := newRig(t, plenigosim.Config{Clock: simkit.NewClock(t0)})
	r.dealer("7", "d@x.de", false)
	r.expect(r.do("POST", "/customers", map[string]any{"customerId": "8", "email": "e@x.de", "language": "de"}), 201, 0)

	// The schema: customerId and type are required, and a name.
	a := r.do("POST", "/addresses/wbz", map[string]any{"city": "Hamburg"})
	r.expect(a, 400, 99400)
	fields := map[string]bool{}
	for _, v := range a.body["validationErrors"].([]any) {
		fields[v.(map[string]any)["field"].(string)] = true
	}
	if !fields["customerId"] || !fields["type"] || !fields["companyName"] {
		t.Fatalf("validation errors %s", a.raw)
	}
	r.expect(r.do("POST", "/addresses/wbz", wbzAddress("7", "HOME")), 400, 99400)
	r.expect(r.do("POST", "/addresses/wbz", wbzAddress("C7", "DELIVERY")), 400, 99400)
	r.expect(r.do("POST", "/addresses/wbz", nil), 400, 99001)
	r.expect(r.do("POST", "/addresses/wbz?overrideValidation=maybe", wbzAddress("7", "DELIVERY")), 400, 99400)
	r.expect(r.do("POST", "/addresses/wbz", wbzAddress("99", "DELIVERY")), 404, 20404)
	r.expect(r.do("POST", "/addresses/wbz", wbzAddress("7", "DELIVERY")), 400, 20071) // no WBZ mark yet
	r.expect(r.call(readOnly, "POST", "/addresses/wbz", wbzAddress("7", "DELIVERY")), 401, 99009)

	r.expect(r.do("PUT", "/customers/7/marks/WBZ", map[string]any{"dealerGroup": "Nord", "dealerNumber": "4711"}), 200, 0)
	a = r.do("POST", "/addresses/wbz", wbzAddress("7", "DELIVERY"))
	r.expect(a, 201, 0)
	want := map[string]any{"addressId": float64(100001), "customerId": "7", "type": "DELIVERY", "companyName": "Presse Nord GmbH",
		"validationStatus": "NONE", "createdDate": t0.Format(time.RFC3339), "changedDate": t0.Format(time.RFC3339)}
	for k, v := range want {
		if a.body[k] != v {
			t.Fatalf("%s = %v, want %v in %s", k, a.body[k], v, a.raw)
		}
	}
	r.expect(r.do("POST", "/addresses/wbz", wbzAddress("7", "INVOICE")), 201, 0)
	if got := fmt.Sprint(r.sim.WBZAddresses("7")); got != "[100001 100002]" || len(r.sim.WBZAddresses("8")) != 0 {
		t.Fatalf("addresses of 7: %s", got)
	}

	t.Run("without the mark when allowed", func(t *testing.T) {
		r := newRig(t, plenigosim.Config{WBZAddressWithoutMark: true})
		r.dealer("7", "d@x.de", false)
		r.expect(r.do("POST", "/addresses/wbz", wbzAddress("7", "DELIVERY")), 201, 0)
	})
	t.Run("address validation", func(t *testing.T) {
		r := newRig(t, plenigosim.Config{WBZAddressWithoutMark: true,
			ValidAddress: func(country, postcode, city, street string) bool { return postcode != "00000" }})
		r.dealer("7", "d@x.de", false)
		if a := r.do("POST", "/addresses/wbz", wbzAddress("7", "DELIVERY")); a.status != 201 || a.body["validationStatus"] != "VALID" {
			t.Fatalf("valid address: %s", a.raw)
		}
		bad := wbzAddress("7", "DELIVERY")
		bad["postcode"] = "00000"
		r.expect(r.do("POST", "/addresses/wbz", bad), 400, 22003)
		r.expect(r.do("POST", "/addresses/wbz?overrideValidation=false", bad), 400, 22003)
		if a := r.do("POST", "/addresses/wbz?overrideValidation=true", bad); a.status != 201 || a.body["validationStatus"] != "OVERRIDDEN" {
			t.Fatalf("overridden: %s", a.raw)
		}
	})
}

func TestWBZImports(t *testing.T) {
	for _, sync := range []bool{false, true} {
		t.Run(fmt.Sprintf("sync %v", sync), func(t *testing.T) {
			r := newRig(t, plenigosim.Config{SyncWBZErrors: sync, LogDelay: time.Hour})
			addr7 := r.dealer("7", "d7@x.de", true)
			addr8 := r.dealer("8", "d8@x.de", true)
			r.dealer("9", "d9@x.de", false) // no mark
			invoice7 := r.do("POST", "/addresses/wbz", wbzAddress("7", "INVOICE"))
			r.expect(invoice7, 201, 0)
			inv7 := int64(invoice7.body["addressId"].(float64))
			tests := []struct {
				name    string
				item    map[string]any
				code    int
				message string
			}{
				{"print without a delivery address", wbzItem("w-1", wbzPrint, "7", 0), 90069, "The WBZ delivery address is missing."},
				{"print with another dealer's address", wbzItem("w-2", wbzPrint, "7", addr8), 90069, "The WBZ delivery address is missing."},
				{"print with an invoice address", wbzItem("w-3", wbzPrint, "7", inv7), 90069, "The WBZ delivery address is missing."},
				{"print with an unknown address", wbzItem("w-4", wbzPrint, "7", 424242), 90069, "The WBZ delivery address is missing."},
				{"customer without the mark", wbzItem("w-5", wbzOffer, "9", 0), 90070, "The WBZ customer mark is missing."},
				{"WBZ offer not imported as WBZ", item("w-6", wbzOffer, "7"), 90071, "A WBZ offer needs a WBZ import."},
				{"WBZ import of another offer", wbzItem("w-7", offer, "7", 0), 90068, "A WBZ import needs a WBZ offer."},
				{"print with its address", wbzItem("w-8", wbzPrint, "7", addr7), 0, ""},
				{"digital without an address", wbzItem("w-9", wbzOffer, "8", 0), 0, ""},
			}
			for _, tt := range tests {
				a := r.do("POST", "/imports/orders", importBody(tt.item))
				if sync && tt.code != 0 {
					r.expect(a, 400, tt.code)
					continue
				}
				r.expect(a, 201, 0)
			}
			r.sim.Flush()
			for _, tt := range tests {
				ext := tt.item["externalSystemId"].(string)
				entries := r.do("GET", "/imports/orders/logs?externalSystemId="+ext, nil).items()
				switch {
				case sync && tt.code != 0:
					if len(entries) != 0 {
						t.Errorf("%s: refused at once but logged %v", tt.name, entries)
					}
				case tt.code != 0:
					if len(entries) != 1 {
						t.Fatalf("%s: entries %v", tt.name, entries)
					}
					expectRefused(t, entries[0].(map[string]any), tt.message)
				default:
					if len(entries) != 1 || entries[0].(map[string]any)["success"] != true || r.sim.OrdersFor(ext) != 1 {
						t.Errorf("%s: entries %v, %d orders", tt.name, entries, r.sim.OrdersFor(ext))
					}
				}
			}
			subs := r.do("GET", "/subscriptions?externalSystemId=w-8", nil).items()
			if len(subs) != 1 || subs[0].(map[string]any)["deliveryAddressId"] != float64(addr7) || subs[0].(map[string]any)["managedBy"] != "WBZ" {
				t.Fatalf("subscription of w-8: %v", subs)
			}
			if r.sim.OrderCount() != 2 {
				t.Fatalf("%d orders", r.sim.OrderCount())
			}
		})
	}
	t.Run("switched at run time", func(t *testing.T) {
		r := newRig(t, plenigosim.Config{})
		r.dealer("9", "d9@x.de", false)
		r.expect(r.do("POST", "/imports/orders", importBody(wbzItem("w-1", wbzOffer, "9", 0))), 201, 0)
		r.sim.SetSyncWBZErrors(true)
		r.expect(r.do("POST", "/imports/orders", importBody(wbzItem("w-2", wbzOffer, "9", 0))), 400, 90070)
	})
}

func TestCustomerStatusAndRegistrationLock(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	r.sim.LockRegistration(2)
	body := map[string]any{"customerId": "7", "email": "a@x.de", "language": "de"}
	r.expect(r.call(readOnly, "POST", "/customers", body), 401, 99009) // the token check comes first
	for range 2 {
		a := r.do("POST", "/customers", body)
		r.expect(a, 423, 20026)
		if a.body["errorMessage"] != "Registration process for given email address is locked for 10 seconds." {
			t.Fatalf("423 %s", a.raw)
		}
	}
	r.expect(r.do("POST", "/customers", body), 201, 0)
	r.expect(r.do("POST", "/customers", map[string]any{"customerId": "8", "email": "b@x.de", "language": "de"}), 201, 0)
	if r.sim.CustomerCount() != 2 {
		t.Fatalf("%d customers", r.sim.CustomerCount())
	}

	if !r.sim.BlockCustomer("A@x.de") || r.sim.BlockCustomer("nobody@x.de") {
		t.Fatal("BlockCustomer found the wrong customers")
	}
	if a := r.do("GET", "/customers/7", nil); a.body["status"] != "BLOCKED" {
		t.Fatalf("status %s", a.raw)
	}
	a := r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7")))
	r.expect(a, 403, 20001)
	if a.body["errorMessage"] != "Customer is not active." {
		t.Fatalf("403 %s", a.raw)
	}
	delivered := item("mkt-2", offer, "8")
	delivered["deliveryCustomerId"] = "7"
	r.expect(r.do("POST", "/imports/orders", importBody(delivered)), 403, 20001)
	delivered["deliveryCustomerId"] = "99"
	r.expect(r.do("POST", "/imports/orders", importBody(delivered)), 404, 20404)
	r.sim.SetCustomerStatus("a@x.de", "ACTIVATED")
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 201, 0)

	// The conflict codes carry plenigo's texts.
	a = r.do("POST", "/customers", map[string]any{"customerId": "9", "email": "a@x.de", "language": "de"})
	r.expect(a, 400, 20027)
	if a.body["errorMessage"] != "Email address or customer id is already used in a different combination." {
		t.Fatalf("20027 %s", a.raw)
	}
	a = r.do("POST", "/customers", map[string]any{"customerId": "8", "email": "c@x.de", "language": "de"})
	r.expect(a, 400, 20068)
	if a.body["errorMessage"] != "Customer id is already in use." {
		t.Fatalf("20068 %s", a.raw)
	}
}

func TestTokenRights(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	r.dealer("7", "d@x.de", false)
	r.sim.SetTokenRights(token, plenigosim.RightCustomers)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 401, 99009)
	r.expect(r.do("GET", "/imports/orders/logs", nil), 401, 99009)
	r.expect(r.do("GET", "/orders", nil), 401, 99009)
	r.expect(r.do("GET", "/subscriptions", nil), 401, 99009)
	r.expect(r.do("GET", "/customers/7", nil), 200, 0)
	r.sim.SetTokenRights(token)
	r.expect(r.do("GET", "/customers/7", nil), 401, 99009)
	r.sim.SetTokenRights(token, plenigosim.RightCustomers, plenigosim.RightImports, plenigosim.RightAppStores)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 201, 0)
	r.expect(r.do("GET", "/orders", nil), 200, 0)

	r2 := newRig(t, plenigosim.Config{TokenRights: map[string][]plenigosim.Right{token: {plenigosim.RightImports}}})
	r2.expect(r2.do("GET", "/imports/orders/logs", nil), 200, 0)
	r2.expect(r2.do("GET", "/customers?email=a@x.de", nil), 401, 99009)
}

func TestPendingEntries(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := simkit.NewClock(t0)
	r := newRig(t, plenigosim.Config{Clock: clock, PendingEntries: true, LogDelay: time.Hour, PendingDelay: time.Hour,
		Duplicates: plenigosim.DuplicateAsync})
	r.dealer("7", "d@x.de", false)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"), item("mkt-1", offer, "7"))), 201, 0)
	r.sim.Flush() // written, pending
	entries := r.do("GET", "/imports/orders/logs?externalSystemId=mkt-1", nil).items()
	if len(entries) != 2 {
		t.Fatalf("entries %v", entries)
	}
	for _, it := range entries {
		e := it.(map[string]any)
		_, reason := e["errorReason"]
		_, detail := e["errorDetail"]
		if e["success"] != false || reason || detail || e["orderId"] != float64(0) || e["createdDate"] != e["changedDate"] {
			t.Fatalf("pending entry %v", e)
		}
	}
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 201, 0) // async: accepted
	if r.sim.OrdersFor("mkt-1") != 0 || len(r.do("GET", "/orders?externalSystemId=mkt-1", nil).items()) != 0 {
		t.Fatal("an order before the entry completed")
	}
	r.sim.SetDuplicateMode(plenigosim.DuplicateSync)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 400, 97001) // pending counts

	clock.Advance(time.Minute)
	r.sim.Flush() // completes the two entries, writes the third pending
	entries = r.do("GET", "/imports/orders/logs?externalSystemId=mkt-1", nil).items()
	if len(entries) != 3 {
		t.Fatalf("entries %v", entries)
	}
	first, second := entries[0].(map[string]any), entries[1].(map[string]any)
	t1 := t0.Add(time.Minute).Format(time.RFC3339)
	if first["orderImportLogEntryId"] != float64(1) || first["success"] != true || first["orderId"] == float64(0) ||
		first["createdDate"] != t0.Format(time.RFC3339) || first["changedDate"] != t1 {
		t.Fatalf("completed entry %v", first)
	}
	expectRefused(t, second, "Order was already imported.")
	if second["changedDate"] != t1 {
		t.Fatalf("refused entry %v", second)
	}
	// startTime and endTime select by changedDate.
	if got := r.do("GET", "/imports/orders/logs?startTime="+t1, nil).items(); len(got) != 3 {
		t.Fatalf("changed since t1: %v", got)
	}
	if got := r.do("GET", "/imports/orders/logs?endTime="+t0.Add(30*time.Second).Format(time.RFC3339), nil).items(); len(got) != 0 {
		t.Fatalf("changed before t1: %v", got)
	}
	r.sim.Flush()
	third := r.do("GET", "/imports/orders/logs/3", nil)
	expectRefused(t, third.body, "Order was already imported.")
	if r.sim.OrdersFor("mkt-1") != 1 {
		t.Fatalf("%d orders", r.sim.OrdersFor("mkt-1"))
	}

	t.Run("with real delays", func(t *testing.T) {
		r := newRig(t, plenigosim.Config{LogDelay: time.Millisecond, PendingDelay: 20 * time.Millisecond})
		r.dealer("7", "d@x.de", false)
		r.sim.SetPendingEntries(true)
		r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 201, 0)
		r.eventually("completed", func() bool {
			e := r.do("GET", "/imports/orders/logs?externalSystemId=mkt-1", nil).items()
			return len(e) == 1 && e[0].(map[string]any)["success"] == true
		})
	})
}

func TestDuplicateAccept(t *testing.T) {
	r := newRig(t, plenigosim.Config{Duplicates: plenigosim.DuplicateAccept, LogDelay: time.Hour})
	r.dealer("7", "d@x.de", false)
	for range 2 { // the second while the first is pending
		r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 201, 0)
	}
	r.sim.Flush()
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 201, 0) // after it was imported
	r.sim.Flush()
	if r.sim.OrdersFor("mkt-1") != 3 || r.sim.SubscriptionsFor("mkt-1") != 3 {
		t.Fatalf("%d orders, %d subscriptions", r.sim.OrdersFor("mkt-1"), r.sim.SubscriptionsFor("mkt-1"))
	}
	if a := r.do("GET", "/orders?externalSystemId=mkt-1", nil); len(a.items()) != 3 {
		t.Fatalf("orders %s", a.raw)
	}
	if a := r.do("GET", "/imports/orders/logs?externalSystemId=mkt-1&success=true", nil); len(a.items()) != 3 {
		t.Fatalf("log %s", a.raw)
	}
}

func TestLookups(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	r := newRig(t, plenigosim.Config{Clock: simkit.NewClock(t0), LogDelay: time.Hour})
	r.dealer("7", "d@x.de", false)
	it := item("mkt-1", offer, "7")
	it["invoiceAddressId"] = 4711
	r.expect(r.do("POST", "/imports/orders", importBody(it, item("mkt-2", offer, "7"))), 201, 0)
	if a := r.do("GET", "/subscriptions?externalSystemId=mkt-1", nil); a.status != 200 || a.items() == nil || len(a.items()) != 0 {
		t.Fatalf("subscriptions before processing: %s", a.raw)
	}
	r.sim.Flush()
	a := r.do("GET", "/subscriptions?externalSystemId=mkt-1", nil)
	if len(a.items()) != 1 {
		t.Fatalf("subscriptions %s", a.raw)
	}
	sub := a.items()[0].(map[string]any)
	want := map[string]any{"subscriptionId": float64(700001), "status": "ACTIVE", "externalSystemId": "mkt-1", "plenigoOfferId": offer,
		"invoiceCustomerId": "7", "deliveryCustomerId": "7", "invoiceAddressId": float64(4711), "startDate": "2025-03-01T00:00:00Z",
		"paymentMethod": "BILLING"}
	for k, v := range want {
		if sub[k] != v {
			t.Fatalf("%s = %v, want %v in %s", k, sub[k], v, a.raw)
		}
	}
	if a := r.do("GET", "/subscriptions", nil); len(a.items()) != 2 {
		t.Fatalf("all subscriptions %s", a.raw)
	}
	if a := r.do("GET", "/subscriptions?externalSystemId=none", nil); a.items() == nil || len(a.items()) != 0 {
		t.Fatalf("no subscriptions %s", a.raw)
	}
	if a := r.do("GET", "/orders?externalSystemId=mkt-2", nil); len(a.items()) != 1 || a.items()[0].(map[string]any)["status"] != "ACTIVE" {
		t.Fatalf("orders %s", a.raw)
	}
	if a := r.do("GET", "/imports/orders/logs?externalSystemId=mkt-2", nil); len(a.items()) != 1 {
		t.Fatalf("log %s", a.raw)
	}
}

func TestFlushAfterClose(t *testing.T) {
	r := newRig(t, plenigosim.Config{LogDelay: time.Hour})
	r.dealer("7", "d@x.de", false)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 201, 0)
	r.sim.Close()
	r.sim.Flush() // nothing left to run, and it does not hang
	if r.sim.OrderCount() != 0 {
		t.Fatal("an import ran after Close")
	}
}

func TestProcessPending(t *testing.T) {
	r := newRig(t, plenigosim.Config{PendingEntries: true, PendingDelay: time.Hour})
	r.dealer("7", "d@x.de", false)
	r.sim.SetLogDelay(time.Hour)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 201, 0)
	r.sim.ProcessPending() // both steps: the pending entry and its completion
	e := r.do("GET", "/imports/orders/logs?externalSystemId=mkt-1", nil).items()
	if len(e) != 1 || e[0].(map[string]any)["success"] != true || r.sim.OrdersFor("mkt-1") != 1 {
		t.Fatalf("entries %v", e)
	}
	r.sim.ProcessPending() // nothing left
}
