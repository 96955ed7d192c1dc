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
	token    = "tok"
	readOnly = "read-only"
	offer    = "O_MZA1E7173120881551"
	wbzOffer = "O_WBZ7PRINT0012MNTHS"
)

type rig struct {
	t   *testing.T
	sim *plenigosim.Sim
	srv *httptest.Server
}

func newRig(t *testing.T, cfg plenigosim.Config) *rig {
	t.Helper()
	cfg.Tokens = map[string]bool{token: true, readOnly: false}
	cfg.Offers = map[string]plenigosim.Offer{offer: {}, wbzOffer: {WBZ: true}}
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

func TestRateLimitCarriesRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter time.Duration
		want       string
	}{
		{"default one second", 0, "1"},
		{"configured", 3 * time.Second, "3"},
		{"zero", plenigosim.RetryAfterZero, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, plenigosim.Config{RetryAfter: tt.retryAfter})
			r.sim.FailNext("GET /orders", plenigosim.Fault429)
			a := r.do("GET", "/orders", nil)
			r.expect(a, 429, 99429)
			if got := a.header.Get("Retry-After"); got != tt.want {
				t.Fatalf("Retry-After %q, want %q", got, tt.want)
			}
			if a.body["errorMessage"] != "Rate limit reached." {
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
		{plenigosim.Fault500, 500, "Internal error."},
		{plenigosim.Fault502, 502, "Bad gateway."},
		{plenigosim.Fault503, 503, "Temporarily unavailable."},
		{plenigosim.FaultTimeout, 504, "Gateway timeout."},
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
	r := newRig(t, plenigosim.Config{Clock: clock})
	r.expect(r.do("POST", "/customers", map[string]any{"customerId": "7", "email": "a@x.de", "language": "de"}), 201, 0)

	a := r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"), item("mkt-2", "O_UNKNOWNOFFER000001", "7")))
	r.expect(a, 201, 0)
	if a.body["success"] != true || a.body["promiseId"] != "prm00000000000000000001" {
		t.Fatalf("import %s", a.raw)
	}
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 400, 97001) // pending counts
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-3", offer, "99"))), 404, 20404)
	r.expect(r.do("POST", "/imports/orders", importBody()), 400, 99400)
	r.expect(r.do("POST", "/imports/orders", importBody(item("", "short", ""))), 400, 99400)
	r.eventually("two log entries", func() bool { return len(r.do("GET", "/imports/orders/logs", nil).items()) == 2 })
	logs := r.do("GET", "/imports/orders/logs", nil).items()
	first, second := logs[0].(map[string]any), logs[1].(map[string]any)
	if first["success"] != true || first["createdDate"] != t0.Format(time.RFC3339) || second["success"] != false || second["errorReason"] != "Offer not found." {
		t.Fatalf("log entries %v", logs)
	}
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 400, 97001) // imported
	if a := r.do("GET", "/orders?externalSystemId=mkt-1", nil); len(a.items()) != 1 || r.sim.OrdersFor("mkt-1") != 1 || r.sim.OrderCount() != 1 {
		t.Fatalf("orders %s", a.raw)
	}
	if a := r.do("GET", "/orders?externalSystemId=mkt-2", nil); a.items() == nil || len(a.items()) != 0 {
		t.Fatalf("orders for a failed import %s", a.raw)
	}

	r.sim.SetDuplicateMode(plenigosim.DuplicateAsync)
	r.expect(r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7"))), 201, 0)
	r.eventually("the async duplicate's entry", func() bool {
		items := r.do("GET", "/imports/orders/logs?externalSystemId=mkt-1&success=false", nil).items()
		return len(items) == 1 && items[0].(map[string]any)["errorDetail"].(map[string]any)["errorCode"] == float64(97001)
	})
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
		if a.status != 404 || a.raw != `{"errorCode":99404,"errorMessage":"Not found."}`+"\n" || a.header.Get("Content-Type") != "application/json" {
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
	r.do("POST", "/imports/orders", importBody(item("mkt-1", offer, "7")))
	r.do("GET", "/imports/orders/logs", nil)
	r.do("GET", "/imports/orders/logs/1", nil)
	r.do("GET", "/orders?externalSystemId=mkt-1", nil)
	r.sim.FailNext("GET /orders", plenigosim.Fault503)
	r.do("GET", "/orders", nil)

	r.sim.Counter().ExpectCalls(t, map[string]int{
		"POST /customers":     1,
		"GET /customers":      1,
		"GET /customers/{id}": 2,
		"GET /customers/customerIdByExternalSystemId/{id}": 1,
		"PUT /customers/{id}/marks/WBZ":                    1,
		"GET /customers/{id}/marks/WBZ":                    1,
		"POST /imports/orders":                             1,
		"GET /imports/orders/logs":                         1,
		"GET /imports/orders/logs/{id}":                    1,
		"GET /orders":                                      2,
		"GET /unknown":                                     0,
	})
	r.sim.Counter().ExpectAtMost(t, "POST /customers", 1)
	if r.sim.TotalCalls() != 12 || r.sim.Faulted()["GET /orders"] != 1 {
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
