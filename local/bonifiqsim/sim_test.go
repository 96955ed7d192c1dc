package bonifiqsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/bonifiqsim"
	"github.com/orderhub/orderhub/local/simkit"
)

const (
	placed    = "2024-05-01T10:00:00Z"
	completed = "2024-05-02T10:00:00Z"
	cancelled = "2024-05-03T10:00:00Z"
	before    = "2024-04-30T10:00:00Z"
	buyer     = "maria@example.com"
)

type rig struct {
	t    *testing.T
	sim  *bonifiqsim.Sim
	base string
}

func newRig(t *testing.T, cfg bonifiqsim.Config) *rig {
	t.Helper()
	sim, base := bonifiqsim.Serve(t, cfg)
	return &rig{t: t, sim: sim, base: base}
}

type answer struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (a answer) hasError() bool { v, _ := a.body["HasError"].(bool); return v }

func (a answer) errorCode() int { n, _ := a.body["ErrorCode"].(float64); return int(n) }

func (a answer) message() string { m, _ := a.body["ErrorMessage"].(string); return m }

func (a answer) result() map[string]any { m, _ := a.body["Result"].(map[string]any); return m }

// descriptions returns the Description values and Fields of ErrorDescriptions.
func (a answer) descriptions() (codes []int, fields []string) {
	ds, _ := a.body["ErrorDescriptions"].([]any)
	for _, d := range ds {
		m, _ := d.(map[string]any)
		n, _ := m["Description"].(float64)
		f, _ := m["Field"].(string)
		codes, fields = append(codes, int(n)), append(fields, f)
	}
	return codes, fields
}

// call sends a request with Basic credentials (none when user is empty) and a JSON body (none when
// body is nil; a string is sent as it is).
func (r *rig) call(user, password, method, path string, body any) answer {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			r.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, r.base+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
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
	return r.call(bonifiqsim.DefaultUser, bonifiqsim.DefaultPassword, method, path, body)
}

// ok fails unless the answer is a 200 success envelope, and returns its Result.
func (r *rig) ok(a answer) map[string]any {
	r.t.Helper()
	if a.status != 200 || a.hasError() || a.result() == nil {
		r.t.Fatalf("answer %d %s, want a 200 success envelope", a.status, a.raw)
	}
	return a.result()
}

// refused fails unless the answer is an error envelope with status whose message contains msg.
func (r *rig) refused(a answer, status int, msg string) {
	r.t.Helper()
	if a.status != status || !a.hasError() || !strings.Contains(a.message(), msg) || a.body["Result"] != nil {
		r.t.Fatalf("answer %d %s, want %d HasError with message %q", a.status, a.raw, status, msg)
	}
}

// order is an upsert body; opts change it.
func order(id, total string, opts ...func(map[string]any)) map[string]any {
	o := map[string]any{
		"OriginalId": id, "OrderPlacementDate": placed, "OrderStatus": "paid",
		"IsCompleted": false, "IsCancelledOrReturned": false, "OrderTotal": json.Number(total),
		"Customer": map[string]any{"OriginalId": buyer, "Name": "Maria Silva", "Email": buyer, "IsEnrolled": true},
		"Products": []any{map[string]any{"OriginalId": "P1", "Title": "Shirt", "ProductPrice": json.Number(total), "IsActive": true}},
	}
	for _, f := range opts {
		f(o)
	}
	return o
}

func done(o map[string]any) { o["IsCompleted"], o["OrderCompletedDate"] = true, completed }

func dropped(o map[string]any) { o["IsCancelledOrReturned"], o["OrderCancelledDate"] = true, cancelled }

func set(k string, v any) func(map[string]any) { return func(o map[string]any) { o[k] = v } }

func unset(k string) func(map[string]any) { return func(o map[string]any) { delete(o, k) } }

func cancelBody() map[string]any {
	return map[string]any{"OrderCancelledDate": cancelled, "OrderStatus": "returned"}
}

func partial(value, key string) map[string]any {
	return map[string]any{"ValueToRefund": json.Number(value), "CancelKey": key}
}

func (r *rig) expectPoints(id string, want bonifiqsim.Points) {
	r.t.Helper()
	if got := r.sim.Points(id); got != want {
		r.t.Fatalf("points of %s: %+v, want %+v", id, got, want)
	}
}

func (r *rig) expectState(id string, want int) bonifiqsim.Order {
	r.t.Helper()
	o, found := r.sim.Order(id)
	if !found || o.State != want {
		r.t.Fatalf("order %s: %+v (found %v), want state %d", id, o, found, want)
	}
	return o
}

func num(v any) int64 { f, _ := v.(float64); return int64(f) }

func TestAuth(t *testing.T) {
	for _, tc := range []struct {
		name           string
		answer         bonifiqsim.AuthAnswer
		user, password string
		status         int
	}{
		{"right credentials", bonifiqsim.Auth401, bonifiqsim.DefaultUser, bonifiqsim.DefaultPassword, 200},
		{"wrong password, 401", bonifiqsim.Auth401, bonifiqsim.DefaultUser, "nope", 401},
		{"unknown user, 401", bonifiqsim.Auth401, "APIUSER-other-0002", bonifiqsim.DefaultPassword, 401},
		{"no credentials, 401", bonifiqsim.Auth401, "", "", 401},
		{"wrong password, envelope", bonifiqsim.AuthEnvelope, bonifiqsim.DefaultUser, "nope", 200},
		{"no credentials, envelope", bonifiqsim.AuthEnvelope, "", "", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, bonifiqsim.Config{AuthAnswer: tc.answer})
			a := r.call(tc.user, tc.password, "POST", "/v1/pvt/Order", order("A-1", "10.00", done))
			if a.status != tc.status {
				t.Fatalf("status %d %s, want %d", a.status, a.raw, tc.status)
			}
			if tc.user == bonifiqsim.DefaultUser && tc.password == bonifiqsim.DefaultPassword {
				r.ok(a)
				return
			}
			r.refused(a, tc.status, "credentials")
			if a.errorCode() != 401 {
				t.Errorf("ErrorCode %d, want 401", a.errorCode())
			}
			if got := a.header.Get("WWW-Authenticate"); (tc.status == 401) != (got != "") {
				t.Errorf("WWW-Authenticate %q on a %d", got, tc.status)
			}
			if n := r.sim.Orders(); n != 0 {
				t.Errorf("%d orders after a refused call", n)
			}
		})
	}
}

func TestConfiguredAndRotatedCredentials(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{User: "APIUSER-shop-ab12", Password: "pw1"})
	r.refused(r.do("POST", "/v1/pvt/Order", order("K-1", "1", done)), 401, "credentials")
	r.ok(r.call("APIUSER-shop-ab12", "pw1", "POST", "/v1/pvt/Order", order("K-1", "1", done)))
}

func TestUpsertAnswersTheEnvelopeWithAStableID(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	a := r.do("POST", "/v1/pvt/Order", order("A-1", "119.90", done))
	res := r.ok(a)
	for _, k := range []string{"ErrorMessage", "ErrorCode"} {
		if v, present := a.body[k]; !present || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, present)
		}
	}
	id, cust := num(res["Id"]), num(res["Customer"].(map[string]any)["Id"])
	if id == 0 || cust == 0 || res["OriginalId"] != "A-1" || res["OrderTotal"] != 119.9 || num(res["State"]) != bonifiqsim.StateCompleted {
		t.Fatalf("Result %v", res)
	}
	for i := range 3 {
		again := r.ok(r.do("POST", "/v1/pvt/Order", order("A-1", "119.90", done)))
		if num(again["Id"]) != id {
			t.Fatalf("re-send %d: Id %v, want %d", i, again["Id"], id)
		}
	}
	pos := r.ok(r.do("POST", "/v1/pvt/POS/orders", order("A-1", "119.90", done)))
	if num(pos["Id"]) != id {
		t.Fatalf("POS alias: Id %v, want %d", pos["Id"], id)
	}
	other := r.ok(r.do("POST", "/v1/pvt/Order", order("A-2", "5", done)))
	if num(other["Id"]) == id || num(other["Customer"].(map[string]any)["Id"]) != cust {
		t.Fatalf("second order %v: want a new Id and the same Customer.Id %d", other, cust)
	}
	if r.sim.Orders() != 2 {
		t.Fatalf("%d orders, want 2", r.sim.Orders())
	}
	o := r.expectState("A-1", bonifiqsim.StateCompleted)
	if o.ID != id || o.Upserts != 5 || o.OrderTotal != "119.90" || o.Refunded != "0.00" || o.CustomerID != buyer {
		t.Fatalf("order %+v", o)
	}
}

func TestUpsertAcceptsCamelCase(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	body := `{"originalId":"C-1","orderPlacementDate":"2024-05-01T10:00:00","isCompleted":true,
		"orderCompletedDate":"2024-05-02T10:00:00.1234567","orderTotal":42.5,
		"customer":{"originalId":"c@example.com","name":"C"},"paymentMethods":[{"originalId":"PIX","name":"Pix","paidAmount":42.5}]}`
	r.ok(r.do("POST", "/v1/pvt/Order", body))
	o := r.expectState("C-1", bonifiqsim.StateCompleted)
	if o.OrderTotal != "42.50" || o.CustomerID != "c@example.com" {
		t.Fatalf("order %+v", o)
	}
	r.expectPoints("C-1", bonifiqsim.Points{Awarded: 42})
}

func TestPointsAreExactDecimals(t *testing.T) {
	for _, tc := range []struct {
		total   string
		perUnit int64
		want    int64
	}{
		{"119.90", 0, 119},
		{"119.90", 10, 1199},
		{"0.99", 1, 0},
		{"100", 2, 200},
		{"0.29", 100, 29}, // 0.29 × 100 is 28.999… in float64
		{"1.005", 1000, 1005},
		{"1e2", 1, 100},
	} {
		t.Run(tc.total, func(t *testing.T) {
			r := newRig(t, bonifiqsim.Config{PointsPerUnit: tc.perUnit})
			r.ok(r.do("POST", "/v1/pvt/Order", order("P-1", tc.total, done)))
			r.expectPoints("P-1", bonifiqsim.Points{Awarded: tc.want})
			if b := r.sim.Balance(buyer); b != tc.want {
				t.Fatalf("balance %d, want %d", b, tc.want)
			}
		})
	}
}

func TestPointsAreCreditedAfterTheDelay(t *testing.T) {
	clock := simkit.NewClock(time.Date(2024, 5, 2, 12, 0, 0, 0, time.UTC))
	r := newRig(t, bonifiqsim.Config{CreditDelay: 24 * time.Hour, Clock: clock})
	if r.sim.Clock() != clock {
		t.Fatal("Clock() is not the configured clock")
	}
	r.ok(r.do("POST", "/v1/pvt/Order", order("D-1", "119.90", done)))
	if p := r.sim.PendingPoints("D-1"); p != 119 {
		t.Fatalf("pending %d, want 119", p)
	}
	clock.Advance(24*time.Hour - time.Second)
	r.expectPoints("D-1", bonifiqsim.Points{})
	if b := r.sim.Balance(buyer); b != 0 {
		t.Fatalf("balance %d before the delay", b)
	}
	clock.Advance(time.Second)
	r.expectPoints("D-1", bonifiqsim.Points{Awarded: 119})
	if b, p := r.sim.Balance(buyer), r.sim.PendingPoints("D-1"); b != 119 || p != 0 {
		t.Fatalf("balance %d pending %d, want 119 and 0", b, p)
	}
	// The order answer shows the balance once credited.
	got := r.do("GET", "/v1/pvt/Order/D-1", nil)
	if num(got.body["Customer"].(map[string]any)["PointsBalance"]) != 119 {
		t.Fatalf("GET %s", got.raw)
	}
}

func TestFlushCreditsEverythingDue(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{CreditDelay: 24 * time.Hour})
	r.ok(r.do("POST", "/v1/pvt/Order", order("F-1", "10", done)))
	r.ok(r.do("POST", "/v1/pvt/Order", order("F-2", "20", done, set("Customer", map[string]any{"OriginalId": "other"}))))
	r.sim.Flush()
	if got := r.sim.TotalPoints(); got != (bonifiqsim.Points{Awarded: 30}) {
		t.Fatalf("total %+v", got)
	}
	if r.sim.Balance(buyer) != 10 || r.sim.Balance("other") != 20 || r.sim.Balance("nobody") != 0 {
		t.Fatal("balances do not follow the customers")
	}
}

func TestRepeatedCompletionsAwardOnce(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{CreditDelay: time.Hour})
	for range 3 {
		r.ok(r.do("POST", "/v1/pvt/Order", order("R-1", "50.00", done)))
		r.ok(r.do("POST", "/v1/pvt/Order/R-1/complete", map[string]any{"OrderCompletedDate": completed}))
		r.sim.Flush()
	}
	r.ok(r.do("POST", "/v1/pvt/POS/orders", order("R-1", "50.00", done)))
	r.sim.Flush()
	r.expectPoints("R-1", bonifiqsim.Points{Awarded: 50})
	if b := r.sim.Balance(buyer); b != 50 {
		t.Fatalf("balance %d, want 50", b)
	}
}

func TestPendingThenCompletedEarnsOnCompletion(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	res := r.ok(r.do("POST", "/v1/pvt/Order", order("S-1", "30")))
	if num(res["State"]) != bonifiqsim.StatePending {
		t.Fatalf("Result %v, want pending", res)
	}
	r.expectPoints("S-1", bonifiqsim.Points{})
	r.ok(r.do("POST", "/v1/pvt/Order", order("S-1", "30", done)))
	r.expectPoints("S-1", bonifiqsim.Points{Awarded: 30})
}

func TestCancelReversesCreditedPoints(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.ok(r.do("POST", "/v1/pvt/Order", order("X-1", "119.90", done)))
	r.expectPoints("X-1", bonifiqsim.Points{Awarded: 119})
	a := r.do("POST", "/v1/pvt/Order/X-1/cancel", cancelBody())
	res := r.ok(a)
	if res["isCanceled"] != true || num(res["Status"]) != bonifiqsim.StateCancelled || res["UpdatedAt"] == nil {
		t.Fatalf("Result %v", res)
	}
	if _, upper := res["IsCanceled"]; upper {
		t.Fatalf("Result %v: BonifiQ writes isCanceled in lower case", res)
	}
	r.expectPoints("X-1", bonifiqsim.Points{Awarded: 119, Reversed: 119})
	if b := r.sim.Balance(buyer); b != 0 {
		t.Fatalf("balance %d after cancel", b)
	}
	got := r.do("GET", "/v1/pvt/Order/X-1", nil)
	bonus, _ := got.body["EstimatedBonus"].(map[string]any)
	if num(got.body["State"]) != bonifiqsim.StateCancelled || bonus["GenerateBonus"] != false || num(bonus["EstimatedPoints"]) != 0 {
		t.Fatalf("GET %s, want state 3 and no bonus", got.raw)
	}
}

func TestCancelBeforeCreditIsNeverCredited(t *testing.T) {
	clock := simkit.NewClock(time.Date(2024, 5, 2, 12, 0, 0, 0, time.UTC))
	r := newRig(t, bonifiqsim.Config{CreditDelay: 24 * time.Hour, Clock: clock})
	r.ok(r.do("POST", "/v1/pvt/Order", order("X-2", "80", done)))
	clock.Advance(time.Hour)
	r.ok(r.do("POST", "/v1/pvt/Order/X-2/cancel", cancelBody()))
	clock.Advance(48 * time.Hour)
	r.sim.Flush()
	r.expectPoints("X-2", bonifiqsim.Points{})
	if b, p := r.sim.Balance(buyer), r.sim.PendingPoints("X-2"); b != 0 || p != 0 {
		t.Fatalf("balance %d pending %d after a cancel before the credit", b, p)
	}
}

func TestCancelRefusals(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.refused(r.do("POST", "/v1/pvt/Order/ghost/cancel", cancelBody()), 404, "not found")
	r.ok(r.do("POST", "/v1/pvt/Order", order("X-3", "10", done)))
	a := r.do("POST", "/v1/pvt/Order/X-3/cancel", map[string]any{"OrderStatus": "returned"})
	r.refused(a, 200, "OrderCancelledDate")
	if codes, _ := a.descriptions(); len(codes) != 1 || codes[0] != 14 {
		t.Fatalf("descriptions %v, want [14]", codes)
	}
	a = r.do("POST", "/v1/pvt/Order/X-3/cancel", map[string]any{"OrderCancelledDate": before})
	if codes, _ := a.descriptions(); len(codes) != 1 || codes[0] != 15 {
		t.Fatalf("answer %s, want description 15", a.raw)
	}
	r.expectState("X-3", bonifiqsim.StateCompleted)
	r.ok(r.do("POST", "/v1/pvt/Order/X-3/cancel", cancelBody()))
	r.refused(r.do("POST", "/v1/pvt/Order/X-3/cancel", cancelBody()), 200, "already cancelled")
	r.expectPoints("X-3", bonifiqsim.Points{Awarded: 10, Reversed: 10})
}

func TestUpsertCancellingACompletedOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mode  bonifiqsim.UpsertCancel
		state int
		pts   bonifiqsim.Points
	}{
		{"refused by default", bonifiqsim.RefuseUpsertCancel, bonifiqsim.StateCompleted, bonifiqsim.Points{Awarded: 40}},
		{"accepted", bonifiqsim.AcceptUpsertCancel, bonifiqsim.StateCancelled, bonifiqsim.Points{Awarded: 40, Reversed: 40}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, bonifiqsim.Config{UpsertCancel: tc.mode})
			r.ok(r.do("POST", "/v1/pvt/Order", order("U-1", "40", done)))
			a := r.do("POST", "/v1/pvt/Order", order("U-1", "40", done, dropped))
			if tc.mode == bonifiqsim.RefuseUpsertCancel {
				r.refused(a, 200, "cancel")
				if codes, _ := a.descriptions(); len(codes) != 1 || codes[0] != 13 || a.errorCode() != 13 {
					t.Fatalf("answer %s, want description 13", a.raw)
				}
			} else {
				r.ok(a)
			}
			r.expectState("U-1", tc.state)
			r.expectPoints("U-1", tc.pts)
		})
	}
}

func TestUpsertCancellingAPendingOrder(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.ok(r.do("POST", "/v1/pvt/Order", order("V-1", "25")))
	res := r.ok(r.do("POST", "/v1/pvt/Order", order("V-1", "25", dropped)))
	if num(res["State"]) != bonifiqsim.StateCancelled || res["IsCancelledOrReturned"] != true {
		t.Fatalf("Result %v", res)
	}
	// A late completed re-send does not revive it.
	r.ok(r.do("POST", "/v1/pvt/Order", order("V-1", "25", done)))
	r.sim.Flush()
	r.expectState("V-1", bonifiqsim.StateCancelled)
	r.expectPoints("V-1", bonifiqsim.Points{})
	// A new order may arrive cancelled.
	r.ok(r.do("POST", "/v1/pvt/Order", order("V-2", "25", dropped)))
	r.expectState("V-2", bonifiqsim.StateCancelled)
}

func TestValidation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		body  map[string]any
		code  int
		field string
	}{
		{"missing OriginalId", order("", "10", done), 7, "OriginalId"},
		{"blank OriginalId", order("  ", "10", done), 7, "OriginalId"},
		{"missing customer", order("V-1", "10", done, unset("Customer")), 7, "Customer.OriginalId"},
		{"zero total", order("V-1", "0", done), 9, "OrderTotal"},
		{"negative total", order("V-1", "-5.00", done), 9, "OrderTotal"},
		{"missing total", order("V-1", "1", done, unset("OrderTotal")), 9, "OrderTotal"},
		{"completed without date", order("V-1", "10", set("IsCompleted", true)), 11, "OrderCompletedDate"},
		{"completed before placement", order("V-1", "10", done, set("OrderCompletedDate", before)), 12, "OrderCompletedDate"},
		{"cancelled without date", order("V-1", "10", set("IsCancelledOrReturned", true)), 14, "OrderCancelledDate"},
		{"cancelled before placement", order("V-1", "10", dropped, set("OrderCancelledDate", before)), 15, "OrderCancelledDate"},
	} {
		for _, status := range []int{0, 400} {
			t.Run(tc.name+"/"+http.StatusText(max(status, 200)), func(t *testing.T) {
				r := newRig(t, bonifiqsim.Config{ValidationStatus: status})
				a := r.do("POST", "/v1/pvt/Order", tc.body)
				r.refused(a, max(status, 200), "")
				codes, fields := a.descriptions()
				if len(codes) != 1 || codes[0] != tc.code || fields[0] != tc.field || a.errorCode() != tc.code || a.message() == "" {
					t.Fatalf("answer %s, want description %d on %s", a.raw, tc.code, tc.field)
				}
				if n := r.sim.Orders(); n != 0 {
					t.Fatalf("%d orders after a refused upsert", n)
				}
			})
		}
	}
}

func TestBadBodies(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.refused(r.do("POST", "/v1/pvt/Order", "{not json"), 400, "not valid JSON")
	r.refused(r.do("POST", "/v1/pvt/Order", nil), 400, "missing")
	r.refused(r.do("POST", "/v1/pvt/Order", `{"OriginalId":"B-1","OrderTotal":"ten"}`), 400, "not valid JSON")
	r.refused(r.do("POST", "/v1/pvt/Order", order("B-1", "1", set("OrderPlacementDate", "yesterday"))), 400, "not valid JSON")
	if r.sim.Orders() != 0 {
		t.Fatal("a bad body created an order")
	}
}

func TestPartialCancel(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.ok(r.do("POST", "/v1/pvt/Order", order("PC-1", "100.00", done)))
	r.expectPoints("PC-1", bonifiqsim.Points{Awarded: 100})

	res := r.ok(r.do("POST", "/v1/pvt/Order/PC-1/partialcancel", partial("25.50", "ret-1")))
	if res["isCanceled"] != true || num(res["Status"]) != bonifiqsim.StateCompleted {
		t.Fatalf("Result %v", res)
	}
	r.expectPoints("PC-1", bonifiqsim.Points{Awarded: 100, Reversed: 25})

	steps := []struct {
		name, value, key, msg string
	}{
		{"repeated key", "25.50", "ret-1", "already used"},
		{"repeated key, other value", "1.00", "ret-1", "already used"},
		{"more than is left", "74.51", "ret-2", "greater than"},
	}
	for _, st := range steps {
		r.refused(r.do("POST", "/v1/pvt/Order/PC-1/partialcancel", partial(st.value, st.key)), 200, st.msg)
		if o := r.expectState("PC-1", bonifiqsim.StateCompleted); o.Refunded != "25.50" {
			t.Fatalf("%s: refunded %s, want 25.50", st.name, o.Refunded)
		}
		r.expectPoints("PC-1", bonifiqsim.Points{Awarded: 100, Reversed: 25})
	}

	// ret-2 was refused, so it may be used now; it refunds the rest.
	r.ok(r.do("POST", "/v1/pvt/Order/PC-1/partialcancel", partial("74.50", "ret-2")))
	if o := r.expectState("PC-1", bonifiqsim.StateCompleted); o.Refunded != "100.00" {
		t.Fatalf("refunded %s, want 100.00", o.Refunded)
	}
	r.expectPoints("PC-1", bonifiqsim.Points{Awarded: 100, Reversed: 99}) // floor(25.50) + floor(74.50)
	r.refused(r.do("POST", "/v1/pvt/Order/PC-1/partialcancel", partial("0.01", "ret-3")), 200, "greater than")

	// The full cancel takes back what partials left.
	r.ok(r.do("POST", "/v1/pvt/Order/PC-1/cancel", cancelBody()))
	r.expectPoints("PC-1", bonifiqsim.Points{Awarded: 100, Reversed: 100})
	r.refused(r.do("POST", "/v1/pvt/Order/PC-1/partialcancel", partial("1", "ret-4")), 200, "cancelled")
	r.refused(r.do("POST", "/v1/pvt/Order/PC-1/partialcancel", partial("1", "ret-1")), 200, "already used")
}

func TestPartialCancelRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		body  any
		code  int
		field string
	}{
		{"zero", partial("0", "k"), 9, "ValueToRefund"},
		{"negative", partial("-1", "k"), 9, "ValueToRefund"},
		{"missing value", map[string]any{"CancelKey": "k"}, 9, "ValueToRefund"},
		{"missing key", map[string]any{"ValueToRefund": 1}, 7, "CancelKey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, bonifiqsim.Config{ValidationStatus: 400})
			r.ok(r.do("POST", "/v1/pvt/Order", order("PR-1", "10", done)))
			a := r.do("POST", "/v1/pvt/Order/PR-1/partialcancel", tc.body)
			r.refused(a, 400, "")
			if codes, fields := a.descriptions(); len(codes) != 1 || codes[0] != tc.code || fields[0] != tc.field {
				t.Fatalf("answer %s, want description %d on %s", a.raw, tc.code, tc.field)
			}
			r.expectPoints("PR-1", bonifiqsim.Points{Awarded: 10})
		})
	}
	r := newRig(t, bonifiqsim.Config{})
	r.refused(r.do("POST", "/v1/pvt/Order/ghost/partialcancel", partial("1", "k")), 404, "not found")
}

func TestPartialCancelBeforeCreditReducesTheCredit(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{CreditDelay: 24 * time.Hour, PointsPerUnit: 2})
	r.ok(r.do("POST", "/v1/pvt/Order", order("PB-1", "100", done)))
	r.ok(r.do("POST", "/v1/pvt/Order/PB-1/partialcancel", partial("30.25", "r1")))
	if p := r.sim.PendingPoints("PB-1"); p != 140 { // 200 - floor(60.5)
		t.Fatalf("pending %d, want 140", p)
	}
	r.sim.Flush()
	r.expectPoints("PB-1", bonifiqsim.Points{Awarded: 140})
	if b := r.sim.Balance(buyer); b != 140 {
		t.Fatalf("balance %d, want 140", b)
	}
}

func TestCompleteEndpoint(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.refused(r.do("POST", "/v1/pvt/Order/ghost/complete", map[string]any{"OrderCompletedDate": completed}), 404, "not found")
	r.ok(r.do("POST", "/v1/pvt/Order", order("CP-1", "60")))

	a := r.do("POST", "/v1/pvt/Order/CP-1/complete", map[string]any{"OrderStatus": "invoiced"})
	if codes, _ := a.descriptions(); len(codes) != 1 || codes[0] != 11 {
		t.Fatalf("answer %s, want description 11", a.raw)
	}
	a = r.do("POST", "/v1/pvt/Order/CP-1/complete", map[string]any{"OrderCompletedDate": before})
	if codes, _ := a.descriptions(); len(codes) != 1 || codes[0] != 12 {
		t.Fatalf("answer %s, want description 12", a.raw)
	}
	r.expectState("CP-1", bonifiqsim.StatePending)

	res := r.ok(r.do("POST", "/v1/pvt/Order/CP-1/complete", map[string]any{"OrderCompletedDate": completed, "OrderStatus": "invoiced"}))
	if res["IsCompleted"] != true || num(res["Status"]) != bonifiqsim.StateCompleted || res["UpdatedAt"] == nil {
		t.Fatalf("Result %v", res)
	}
	r.ok(r.do("POST", "/v1/pvt/Order/CP-1/complete", map[string]any{"OrderCompletedDate": completed}))
	r.expectPoints("CP-1", bonifiqsim.Points{Awarded: 60})

	r.ok(r.do("POST", "/v1/pvt/Order/CP-1/cancel", cancelBody()))
	r.refused(r.do("POST", "/v1/pvt/Order/CP-1/complete", map[string]any{"OrderCompletedDate": completed}), 200, "cancelled")
	r.expectPoints("CP-1", bonifiqsim.Points{Awarded: 60, Reversed: 60})
}

func TestGetOrderIsABareObject(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	id := num(r.ok(r.do("POST", "/v1/pvt/Order", order("G-1", "119.90", done, set("Coupon", "BNF-1"))))["Id"])
	a := r.do("GET", "/v1/pvt/Order/G-1", nil)
	if a.status != 200 {
		t.Fatalf("GET %d %s", a.status, a.raw)
	}
	for _, k := range []string{"HasError", "Result", "ErrorMessage"} {
		if _, present := a.body[k]; present {
			t.Fatalf("GET answer has %s: %s", k, a.raw)
		}
	}
	b := a.body
	if num(b["Id"]) != id || b["OriginalId"] != "G-1" || num(b["State"]) != bonifiqsim.StateCompleted ||
		num(b["Origin"]) != bonifiqsim.OriginExternalAPI || b["OrderTotal"] != 119.9 || b["Coupon"] != "BNF-1" ||
		b["OrderPlacementDate"] != placed || b["OrderCompletedDate"] != completed {
		t.Fatalf("GET %s", a.raw)
	}
	if !strings.Contains(a.raw, `"OrderTotal":119.90`) {
		t.Fatalf("OrderTotal is not the exact decimal: %s", a.raw)
	}
	r.refused(r.do("GET", "/v1/pvt/Order/ghost", nil), 404, "not found")
}

func TestEnvelopeFaultsChangeNothing(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.sim.FailNextWithEnvelope(bonifiqsim.EndpointUpsert, 2)
	for range 2 {
		a := r.do("POST", "/v1/pvt/Order", order("E-1", "10", done))
		r.refused(a, 200, "internal error")
		if codes, _ := a.descriptions(); a.errorCode() != 500 || codes != nil {
			t.Fatalf("envelope fault %s, want ErrorCode 500 and no ErrorDescriptions", a.raw)
		}
		if r.sim.Orders() != 0 {
			t.Fatal("an envelope fault created the order")
		}
	}
	r.ok(r.do("POST", "/v1/pvt/Order", order("E-1", "10", done)))

	r.sim.FailNextWithEnvelope(bonifiqsim.EndpointCancel, 1)
	r.refused(r.do("POST", "/v1/pvt/Order/E-1/cancel", cancelBody()), 200, "internal error")
	r.sim.FailNextWithEnvelope(bonifiqsim.EndpointPartialCancel, 1)
	r.refused(r.do("POST", "/v1/pvt/Order/E-1/partialcancel", partial("5", "k1")), 200, "internal error")
	r.expectState("E-1", bonifiqsim.StateCompleted)
	r.expectPoints("E-1", bonifiqsim.Points{Awarded: 10})
	// The faulted partial did not use up its key.
	r.ok(r.do("POST", "/v1/pvt/Order/E-1/partialcancel", partial("5", "k1")))

	r.sim.SetEnvelopeFaults(1)
	r.refused(r.do("GET", "/v1/pvt/Order/E-1", nil), 200, "internal error")
	r.refused(r.do("POST", "/v1/pvt/Order/E-1/cancel", cancelBody()), 200, "internal error")
	r.sim.SetEnvelopeFaults(0)
	r.expectState("E-1", bonifiqsim.StateCompleted)
	want := map[string]int{bonifiqsim.EndpointUpsert: 2, bonifiqsim.EndpointCancel: 2, bonifiqsim.EndpointPartialCancel: 1, bonifiqsim.EndpointGet: 1}
	got := r.sim.EnvelopeFaults()
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("envelope faults %v, want %v", got, want)
		}
	}
}

func TestRandomEnvelopeFaults(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.sim.SetEnvelopeFaults(0.5)
	faulted := 0
	for range 40 {
		a := r.do("POST", "/v1/pvt/Order", order("RE-1", "10", done))
		if a.hasError() {
			faulted++
		}
	}
	if faulted == 0 || faulted == 40 {
		t.Fatalf("%d of 40 calls faulted at rate 0.5", faulted)
	}
	if o, _ := r.sim.Order("RE-1"); o.Upserts != 40-faulted {
		t.Fatalf("upserts %d, want %d", o.Upserts, 40-faulted)
	}
	r.expectPoints("RE-1", bonifiqsim.Points{Awarded: 10})
}

func TestLostAnswersAreApplied(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.sim.LoseNextAnswer(bonifiqsim.EndpointUpsert, 1)
	if a := r.do("POST", "/v1/pvt/Order", order("L-1", "70", done)); a.status != 504 {
		t.Fatalf("answer %d %s, want 504", a.status, a.raw)
	}
	o := r.expectState("L-1", bonifiqsim.StateCompleted)
	r.expectPoints("L-1", bonifiqsim.Points{Awarded: 70})
	res := r.ok(r.do("POST", "/v1/pvt/Order", order("L-1", "70", done)))
	if num(res["Id"]) != o.ID {
		t.Fatalf("retry Id %v, want %d", res["Id"], o.ID)
	}
	r.expectPoints("L-1", bonifiqsim.Points{Awarded: 70})

	r.sim.LoseNextAnswer(bonifiqsim.EndpointCancel, 1)
	if a := r.do("POST", "/v1/pvt/Order/L-1/cancel", cancelBody()); a.status != 504 {
		t.Fatalf("answer %d %s, want 504", a.status, a.raw)
	}
	r.expectPoints("L-1", bonifiqsim.Points{Awarded: 70, Reversed: 70})
	r.refused(r.do("POST", "/v1/pvt/Order/L-1/cancel", cancelBody()), 200, "already cancelled")
	if got := r.do("GET", "/v1/pvt/Order/L-1", nil); num(got.body["State"]) != bonifiqsim.StateCancelled {
		t.Fatalf("GET %s", got.raw)
	}

	r.ok(r.do("POST", "/v1/pvt/Order", order("L-2", "70", done)))
	r.sim.LoseNextAnswer(bonifiqsim.EndpointPartialCancel, 1)
	if a := r.do("POST", "/v1/pvt/Order/L-2/partialcancel", partial("20", "ret-1")); a.status != 504 {
		t.Fatalf("answer %d %s, want 504", a.status, a.raw)
	}
	r.refused(r.do("POST", "/v1/pvt/Order/L-2/partialcancel", partial("20", "ret-1")), 200, "already used")
	r.expectPoints("L-2", bonifiqsim.Points{Awarded: 70, Reversed: 20})
}

func TestHTTPFaults(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.sim.SetRetryAfter(3 * time.Second)
	r.sim.SetTimeoutHold(10 * time.Millisecond)
	r.sim.FailNext(bonifiqsim.EndpointUpsert, simkit.Fault429, simkit.Fault500, simkit.Fault502, simkit.Fault503, simkit.FaultTimeout)
	for _, want := range []int{429, 500, 502, 503, 504} {
		a := r.do("POST", "/v1/pvt/Order", order("H-1", "10", done))
		if a.status != want {
			t.Fatalf("answer %d %s, want %d", a.status, a.raw, want)
		}
		switch want {
		case 429:
			if a.header.Get("Retry-After") != "3" || !a.hasError() {
				t.Fatalf("429: Retry-After %q body %s", a.header.Get("Retry-After"), a.raw)
			}
		case 502, 503, 504:
			if a.body != nil {
				t.Fatalf("%d from the gateway should not be the JSON envelope: %s", want, a.raw)
			}
		}
	}
	if r.sim.Orders() != 0 {
		t.Fatal("a faulted call created the order")
	}
	r.sim.SetFaults(1, simkit.Fault503)
	if a := r.do("GET", "/v1/pvt/Order/H-1", nil); a.status != 503 {
		t.Fatalf("answer %d, want 503", a.status)
	}
	r.sim.SetFaults(0)
	r.ok(r.do("POST", "/v1/pvt/Order", order("H-1", "10", done)))
	kinds := r.sim.Counter().FaultsByKind()
	if kinds[simkit.Fault429] != 1 || kinds[simkit.Fault503] != 2 || kinds[simkit.FaultTimeout] != 1 {
		t.Fatalf("faults by kind %v", kinds)
	}
}

func TestSlowAnswers(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.sim.SlowNext(bonifiqsim.EndpointGet, 1, 60*time.Millisecond)
	start := time.Now()
	r.do("GET", "/v1/pvt/Order/none", nil)
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Fatalf("slow answer took %v", d)
	}
	r.sim.SetLatency(30 * time.Millisecond)
	start = time.Now()
	r.ok(r.do("POST", "/v1/pvt/Order", order("SL-1", "1", done)))
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("latency: answer took %v", d)
	}
}

func TestCallsAreCountedByEndpoint(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.ok(r.do("POST", "/v1/pvt/Order", order("N-1", "10", done)))
	r.ok(r.do("POST", "/v1/pvt/POS/orders", order("N-1", "10", done)))
	r.do("GET", "/v1/pvt/Order/N-1", nil)
	r.do("POST", "/v1/pvt/Order/N-1/partialcancel", partial("1", "a"))
	r.do("POST", "/v1/pvt/Order/N-1/complete", map[string]any{"OrderCompletedDate": completed})
	r.do("POST", "/v1/pvt/Order/N-1/cancel", cancelBody())
	r.call("", "", "POST", "/v1/pvt/Order/N-1/cancel", cancelBody())
	r.do("GET", "/v1/pvt/Orders", nil)
	r.sim.Counter().ExpectCalls(t, map[string]int{
		"POST /v1/pvt/Order":                    1,
		"POST /v1/pvt/POS/orders":               1,
		"GET /v1/pvt/Order/{id}":                1,
		"POST /v1/pvt/Order/{id}/partialcancel": 1,
		"POST /v1/pvt/Order/{id}/complete":      1,
		"POST /v1/pvt/Order/{id}/cancel":        2,
		"GET /unknown":                          1,
	})
}

func TestUnknownRouteAnswersTheEnvelope(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.refused(r.do("DELETE", "/v1/pvt/Order/N-1", nil), 404, "Not Found")
}

func TestSetters(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	r.ok(r.do("POST", "/v1/pvt/Order", order("T-1", "10", done)))
	r.sim.SetUpsertCancel(bonifiqsim.AcceptUpsertCancel)
	r.ok(r.do("POST", "/v1/pvt/Order", order("T-1", "10", done, dropped)))
	r.sim.SetValidationStatus(422)
	r.refused(r.do("POST", "/v1/pvt/Order", order("T-2", "0", done)), 422, "OrderTotal")
	r.sim.SetCredentials("APIUSER-new-0003", "rotated")
	r.refused(r.do("GET", "/v1/pvt/Order/T-1", nil), 401, "credentials")
	r.sim.SetAuthAnswer(bonifiqsim.AuthEnvelope)
	r.refused(r.do("GET", "/v1/pvt/Order/T-1", nil), 200, "credentials")
	if a := r.call("APIUSER-new-0003", "rotated", "GET", "/v1/pvt/Order/T-1", nil); a.status != 200 || num(a.body["State"]) != 3 {
		t.Fatalf("GET with rotated credentials %d %s", a.status, a.raw)
	}
	r.sim.SetCreditDelay(time.Hour)
	r.ok(r.call("APIUSER-new-0003", "rotated", "POST", "/v1/pvt/Order", order("T-3", "10", done)))
	if p := r.sim.PendingPoints("T-3"); p != 10 {
		t.Fatalf("pending %d after SetCreditDelay", p)
	}
}

func TestConcurrentCallsApplyOnce(t *testing.T) {
	r := newRig(t, bonifiqsim.Config{})
	var wg sync.WaitGroup
	ids := make([]int64, 16)
	for i := range ids {
		wg.Go(func() { ids[i] = num(r.ok(r.do("POST", "/v1/pvt/Order", order("CC-1", "100", done)))["Id"]) })
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("Ids %v, want one", ids)
		}
	}
	var mu sync.Mutex
	succeeded := 0
	for range 16 {
		wg.Go(func() {
			if a := r.do("POST", "/v1/pvt/Order/CC-1/partialcancel", partial("10", "same-key")); !a.hasError() {
				mu.Lock()
				succeeded++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if succeeded != 1 {
		t.Fatalf("%d partial cancels with one key went through, want 1", succeeded)
	}
	r.expectPoints("CC-1", bonifiqsim.Points{Awarded: 100, Reversed: 10})
	if o, _ := r.sim.Order("CC-1"); o.Refunded != "10.00" || o.Upserts != 16 || r.sim.Orders() != 1 {
		t.Fatalf("order %+v, %d orders", o, r.sim.Orders())
	}
}
