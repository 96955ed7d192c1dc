package bonifiq_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/secrets"
)

// canned is one answer of the canned server.
type canned struct {
	status int
	body   string
	header map[string]string
}

func ok(body string) canned { return canned{status: 200, body: body} }

// request is what the canned server received.
type request struct {
	method, path, auth, contentType string
	body                            []byte
}

// cannedServer answers with the given answers in turn, the last one again once they are used up.
type cannedServer struct {
	mu       sync.Mutex
	answers  []canned
	requests []request
	waits    []time.Duration
}

func (s *cannedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, request{method: r.Method, path: r.URL.EscapedPath(), auth: r.Header.Get("Authorization"),
		contentType: r.Header.Get("Content-Type"), body: b})
	a := s.answers[min(len(s.requests), len(s.answers))-1]
	s.mu.Unlock()
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	if a.body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (s *cannedServer) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func (s *cannedServer) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return nil
}

const cannedCreds = "APIUSER-Store-0a1b:p@ss,word:x"

func cannedClient(t *testing.T, answers ...canned) (*bonifiq.Client, *cannedServer) {
	t.Helper()
	s := &cannedServer{answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := bonifiq.New(srv.URL, secrets.Static{cannedCreds}, srv.Client())
	c.Sleep = s.sleep
	c.Backoff = backoff.Policy{Base: time.Millisecond, Cap: 5 * time.Second}
	return c, s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func completed(id string) bonifiq.Order {
	placed := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	done := placed.Add(48 * time.Hour)
	return bonifiq.Order{OriginalID: id, OrderPlacementDate: placed, OrderCompletedDate: &done, OrderStatus: "shipped",
		IsCompleted: true, OrderTotal: "119.90", UpdatedDate: done,
		Customer: bonifiq.Customer{OriginalID: "maria@example.com", Name: "Maria", Email: "maria@example.com"},
		Products: []bonifiq.Product{{OriginalID: "P1", Title: "Jeans", ProductPrice: "119.90"}}}
}

func TestEnvelopeClassification(t *testing.T) {
	upsert := func(c *bonifiq.Client, ctx context.Context) error {
		_, err := c.UpsertOrder(ctx, completed("mkt-1"))
		return err
	}
	cancel := func(c *bonifiq.Client, ctx context.Context) error {
		return c.CancelOrder(ctx, "mkt-1", time.Now(), "cancelled")
	}
	partial := func(c *bonifiq.Client, ctx context.Context) error {
		return c.PartialCancel(ctx, "mkt-1", "25.90", "ret-1")
	}
	get := func(c *bonifiq.Client, ctx context.Context) error {
		_, err := c.GetOrder(ctx, "mkt-1")
		return err
	}
	hasErr := ok(`{"HasError":true,"ErrorMessage":"Ocorreu um erro","ErrorCode":null,"Result":null}`)
	upserted := ok(`{"HasError":false,"ErrorMessage":null,"Result":{"Id":40,"OriginalId":"mkt-1","Customer":{"Id":7}}}`)
	for _, tc := range []struct {
		name    string
		call    func(*bonifiq.Client, context.Context) error
		answers []canned
		kind    partner.Kind // 0: success
		calls   int
		dup     bool
	}{
		{"upsert ok", upsert, []canned{upserted}, 0, 1, false},
		{"upsert ok camelCase answer", upsert, []canned{ok(`{"hasError":false,"result":{"id":41,"customer":{"id":8}}}`)}, 0, 1, false},
		{"HasError 200 without descriptions is retried", upsert, []canned{hasErr, upserted}, 0, 2, false},
		{"HasError 200 without descriptions, every time", upsert, []canned{hasErr}, partner.Transient, 3, false},
		{"Severity 2 without HasError is a failure", upsert, []canned{ok(`{"HasError":false,"Severity":2,"Code":"99","Result":{}}`)}, partner.Transient, 3, false},
		{"Severity by name", upsert, []canned{ok(`{"Severity":"Error","Result":{"Id":1}}`)}, partner.Transient, 3, false},
		{"Severity 1 is a valid outcome", upsert, []canned{ok(`{"HasError":false,"Severity":1,"HasWarning":true,"Code":"03","Result":{"Id":1}}`)}, 0, 1, false},
		{"validation on 200", upsert, []canned{ok(`{"HasError":true,"ErrorMessage":"invalid","ErrorDescriptions":[{"Description":11,"Field":"OrderCompletedDate","FieldText":"x"}]}`)}, partner.Permanent, 1, false},
		{"validation on 400", upsert, []canned{{status: 400, body: `{"HasError":true,"ErrorDescriptions":[{"Description":9,"Field":"OrderTotal"}]}`}}, partner.Permanent, 1, false},
		{"validation on 500 still decides", upsert, []canned{{status: 500, body: `{"HasError":true,"ErrorDescriptions":[{"Description":7,"Field":"OriginalId"}]}`}}, partner.Permanent, 1, false},
		{"completed order cannot be cancelled", upsert, []canned{ok(`{"HasError":true,"ErrorDescriptions":[{"Description":13}]}`)}, partner.Conflict, 1, false},
		{"description sent as its name", upsert, []canned{ok(`{"HasError":true,"ErrorDescriptions":[{"Description":"Order_CompletedOrderCannotBeCancelled"}]}`)}, partner.Conflict, 1, false},
		{"description sent as a numeric string", upsert, []canned{ok(`{"HasError":true,"ErrorDescriptions":[{"Description":"12"}]}`)}, partner.Permanent, 1, false},
		{"null Result is not success", upsert, []canned{ok(`{"HasError":false,"Result":null}`)}, partner.Transient, 3, false},
		{"200 that is not JSON", upsert, []canned{{status: 200, body: "<html>maintenance</html>"}}, partner.Transient, 3, false},
		{"401", upsert, []canned{{status: 401}}, partner.Unauthorized, 1, false},
		{"403 with an envelope", upsert, []canned{{status: 403, body: `{"HasError":true,"ErrorMessage":"Forbidden"}`}}, partner.Unauthorized, 1, false},
		{"auth envelope by words", upsert, []canned{ok(`{"HasError":true,"ErrorMessage":"Unauthorized: invalid API credentials"}`)}, partner.Unauthorized, 1, false},
		{"auth envelope by code", upsert, []canned{ok(`{"HasError":true,"ErrorCode":401,"ErrorMessage":"x"}`)}, partner.Unauthorized, 1, false},
		{"429 then ok", upsert, []canned{{status: 429, header: map[string]string{"Retry-After": "2"}}, upserted}, 0, 2, false},
		{"5xx until the attempts are used", upsert, []canned{{status: 503}}, partner.Transient, 3, false},
		{"502 then ok", upsert, []canned{{status: 502}, upserted}, 0, 2, false},
		{"other 4xx", upsert, []canned{{status: 400, body: "bad"}}, partner.Permanent, 1, false},
		{"409 with a message", upsert, []canned{{status: 409, body: `{"HasError":true,"ErrorMessage":"conflict"}`}}, partner.Permanent, 1, false},

		{"cancel ok", cancel, []canned{ok(`{"HasError":false,"Result":{"isCanceled":true,"UpdatedAt":"2025-03-05T10:00:00Z","Status":3}}`)}, 0, 1, false},
		{"cancel ok, PascalCase key", cancel, []canned{ok(`{"HasError":false,"Result":{"IsCanceled":true,"Status":3}}`)}, 0, 1, false},
		{"cancel not confirmed", cancel, []canned{ok(`{"HasError":false,"Result":{"isCanceled":false,"Status":2}}`)}, partner.Conflict, 1, false},
		{"cancel without Result", cancel, []canned{ok(`{"HasError":false}`)}, partner.Conflict, 1, false},
		{"cancel of a completed order refused", cancel, []canned{ok(`{"HasError":true,"ErrorDescriptions":[{"Description":13}]}`)}, partner.Conflict, 1, false},
		{"cancel of a cancelled order", cancel, []canned{ok(`{"HasError":true,"ErrorMessage":"Order is already cancelled.","ErrorCode":null,"Result":null}`)}, partner.AlreadyDone, 1, false},
		{"cancel of an unknown order, by words", cancel, []canned{ok(`{"HasError":true,"ErrorMessage":"Order not found"}`)}, partner.NotFound, 1, false},

		{"partial ok", partial, []canned{ok(`{"HasError":false,"Result":{"isCanceled":true,"RefundErrorDetails":null}}`)}, 0, 1, false},
		{"partial with RefundErrorDetails", partial, []canned{ok(`{"HasError":false,"Severity":0,"Result":{"isCanceled":false,"RefundErrorDetails":{"Code":"VALUE_MISMATCH","Message":"values differ","Field":"ValueToRefund"}}}`)}, partner.Permanent, 1, false},
		{"partial duplicate key", partial, []canned{ok(`{"HasError":true,"ErrorMessage":"CancelKey ret-1 already used for this order"}`)}, partner.AlreadyDone, 1, true},
		{"partial duplicate key on 400", partial, []canned{{status: 400, body: `{"HasError":true,"ErrorMessage":"Duplicated cancel key"}`}}, partner.AlreadyDone, 1, true},
		{"partial duplicate key by code name", partial, []canned{ok(`{"HasError":false,"Severity":2,"Code":"05","CodeName":"DuplicatedCancelKey"}`)}, partner.AlreadyDone, 1, true},
		{"partial duplicate key in RefundErrorDetails", partial, []canned{ok(`{"Result":{"RefundErrorDetails":{"Code":"CANCEL_KEY_ALREADY_USED","Message":"x"}}}`)}, partner.AlreadyDone, 1, true},
		{"partial of a cancelled order", partial, []canned{ok(`{"HasError":true,"ErrorMessage":"Order is cancelled."}`)}, partner.Conflict, 1, false},
		{"partial above what is left", partial, []canned{ok(`{"HasError":true,"ErrorMessage":"ValueToRefund is greater than the order total not yet refunded."}`)}, partner.Permanent, 1, false},
		{"partial failing without a reason", partial, []canned{ok(`{"HasError":true,"ErrorMessage":"An internal error occurred.","ErrorCode":500}`)}, partner.Transient, 3, false},
		{"partial over the total", partial, []canned{ok(`{"HasError":true,"ErrorDescriptions":[{"Description":9,"Field":"ValueToRefund"}]}`)}, partner.Permanent, 1, false},

		{"get bare object", get, []canned{ok(`{"Id":40,"OriginalId":"mkt-1","State":2,"OrderTotal":119.9}`)}, 0, 1, false},
		{"get enveloped", get, []canned{ok(`{"HasError":false,"Result":{"Id":40,"OriginalId":"mkt-1","State":2}}`)}, 0, 1, false},
		{"get 404", get, []canned{{status: 404}}, partner.NotFound, 1, false},
		{"get 204", get, []canned{{status: 204}}, partner.NotFound, 1, false},
		{"get null", get, []canned{ok(`null`)}, partner.NotFound, 1, false},
		{"get not found by words", get, []canned{ok(`{"HasError":true,"ErrorMessage":"Pedido não encontrado"}`)}, partner.NotFound, 1, false},
		{"get 500 then ok", get, []canned{{status: 500}, ok(`{"Id":40,"OriginalId":"mkt-1","State":2}`)}, 0, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s := cannedClient(t, tc.answers...)
			err := tc.call(c, testCtx(t))
			if got := partner.KindOf(err); got != tc.kind {
				t.Fatalf("kind %v (%v), want %v", got, err, tc.kind)
			}
			if s.calls() != tc.calls {
				t.Fatalf("%d calls, want %d (%v)", s.calls(), tc.calls, err)
			}
			if bonifiq.IsDuplicateCancelKey(err) != tc.dup {
				t.Fatalf("duplicate key %v, want %v (%v)", bonifiq.IsDuplicateCancelKey(err), tc.dup, err)
			}
			if err != nil && strings.Contains(err.Error(), "p@ss") {
				t.Fatalf("error text carries the password: %v", err)
			}
		})
	}
}

func TestAnswersAreDecoded(t *testing.T) {
	c, _ := cannedClient(t, ok(`{"ErrorMessage":null,"ErrorCode":null,"HasError":false,"Result":{"Id":40,"OriginalId":"mkt-1","Customer":{"Id":7,"OriginalId":"maria@example.com"}}}`))
	p, err := c.UpsertOrder(testCtx(t), completed("mkt-1"))
	if err != nil || p != (bonifiq.Placed{ID: 40, CustomerID: 7}) {
		t.Fatalf("placed %+v %v", p, err)
	}
	c, _ = cannedClient(t, ok(`{"Id":40,"OriginalId":"mkt-1","State":3,"Origin":1,"OrderTotal":119.9,"Customer":{"Id":7}}`))
	r, err := c.GetOrder(testCtx(t), "mkt-1")
	if err != nil || r.ID != 40 || r.OriginalID != "mkt-1" || r.State != bonifiq.StateCancelled || r.OrderTotal != "119.9" {
		t.Fatalf("remote %+v %v", r, err)
	}
}

func TestErrorCarriesTheEnvelope(t *testing.T) {
	c, _ := cannedClient(t, ok(`{"HasError":true,"ErrorCode":12,"ErrorMessage":"invalid order","ErrorDescriptions":[{"Description":11,"Field":"OrderCompletedDate"},{"Description":9,"Field":"OrderTotal"}]}`))
	_, err := c.UpsertOrder(testCtx(t), completed("mkt-1"))
	var e *bonifiq.Error
	if !errors.As(err, &e) || e.Status != 200 || e.Code != 12 || e.Message != "invalid order" || !e.HasError ||
		len(e.Descriptions) != 2 || e.Descriptions[0] != 11 || e.Fields[1] != "OrderTotal" || partner.StatusOf(err) != 200 {
		t.Fatalf("error %#v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "Order_OrderCompletedNeddCompletedDate (11) on OrderCompletedDate") {
		t.Fatalf("message %q names no description", msg)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	c, s := cannedClient(t, canned{status: 429, header: map[string]string{"Retry-After": "2"}}, ok(`{"Result":{"Id":1}}`))
	if _, err := c.UpsertOrder(testCtx(t), completed("mkt-1")); err != nil {
		t.Fatal(err)
	}
	if len(s.waits) != 1 || s.waits[0] != 2*time.Second {
		t.Fatalf("waits %v, want the 2s BonifiQ asked for", s.waits)
	}
	if !partner.Refused(&bonifiq.Error{Status: 429}) || partner.Refused(&bonifiq.Error{Status: 503}) {
		t.Fatal("only a 429 is a refusal")
	}
}

func TestRequestsOnTheWire(t *testing.T) {
	c, s := cannedClient(t, ok(`{"HasError":false,"Result":{"Id":1,"isCanceled":true}}`))
	ctx := testCtx(t)
	sp := time.FixedZone("BRT", -3*3600)
	placed := time.Date(2025, 3, 1, 6, 30, 0, 0, sp) // 09:30 UTC
	done := placed.Add(48 * time.Hour)
	o := bonifiq.Order{OriginalID: "mkt/1", OrderPlacementDate: placed, OrderCompletedDate: &done, OrderStatus: "shipped",
		IsCompleted: true, OrderTotal: "119.90", UpdatedDate: done, Coupon: "BNF-1",
		Customer:      bonifiq.Customer{OriginalID: "maria@example.com", Name: "Maria"},
		Products:      []bonifiq.Product{{OriginalID: "P1", Title: "Jeans", ProductPrice: "100.00"}, {OriginalID: "P2", ProductPrice: "19.90"}},
		Metadatas:     []bonifiq.Metadata{{Name: "channel", Value: "marketplace"}},
		PaymentMethod: &bonifiq.Ref{OriginalID: "PIX", Name: "Pix"}, Branch: &bonifiq.Ref{OriginalID: "web"}}
	if _, err := c.UpsertOrder(ctx, o); err != nil {
		t.Fatal(err)
	}
	if err := c.CancelOrder(ctx, "mkt/1", done.Add(time.Hour), "returned"); err != nil {
		t.Fatal(err)
	}
	if err := c.PartialCancel(ctx, "mkt/1", "25.90", "mkt/1-ret-1"); err != nil {
		t.Fatal(err)
	}
	s.answers = []canned{ok(`{"Id":1,"OriginalId":"mkt/1","State":2}`)}
	if _, err := c.GetOrder(ctx, "mkt/1"); err != nil {
		t.Fatal(err)
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(cannedCreds))
	want := []request{
		{method: "POST", path: "/v1/pvt/Order", contentType: "application/json", body: []byte(`{"OriginalId":"mkt/1",` +
			`"OrderPlacementDate":"2025-03-01T09:30:00Z","OrderCompletedDate":"2025-03-03T09:30:00Z","OrderStatus":"shipped",` +
			`"IsCompleted":true,"IsCancelledOrReturned":false,"OrderTotal":119.90,` +
			`"Customer":{"OriginalId":"maria@example.com","Name":"Maria"},` +
			`"Products":[{"OriginalId":"P1","Title":"Jeans","ProductPrice":100.00},{"OriginalId":"P2","ProductPrice":19.90}],` +
			`"UpdatedDate":"2025-03-03T09:30:00Z","Coupon":"BNF-1","Metadatas":[{"Name":"channel","Value":"marketplace"}],` +
			`"PaymentMethod":{"OriginalId":"PIX","Name":"Pix"},"Branch":{"OriginalId":"web"}}`)},
		{method: "POST", path: "/v1/pvt/Order/mkt%2F1/cancel", contentType: "application/json",
			body: []byte(`{"OrderCancelledDate":"2025-03-03T10:30:00Z","OrderStatus":"returned"}`)},
		{method: "POST", path: "/v1/pvt/Order/mkt%2F1/partialcancel", contentType: "application/json",
			body: []byte(`{"ValueToRefund":25.90,"CancelKey":"mkt/1-ret-1"}`)},
		{method: "GET", path: "/v1/pvt/Order/mkt%2F1"},
	}
	if len(s.requests) != len(want) {
		t.Fatalf("%d requests", len(s.requests))
	}
	for i, w := range want {
		g := s.requests[i]
		if g.method != w.method || g.path != w.path || g.contentType != w.contentType || string(g.body) != string(w.body) || g.auth != wantAuth {
			t.Errorf("request %d:\n got %s %s %q %q %s\nwant %s %s %q %q %s", i, g.method, g.path, g.contentType, g.auth, g.body,
				w.method, w.path, w.contentType, wantAuth, w.body)
		}
	}
}

func TestZeroDatesAreLeftOut(t *testing.T) {
	b, err := json.Marshal(bonifiq.Order{OriginalID: "x", OrderTotal: "10", Customer: bonifiq.Customer{OriginalID: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"OriginalId":"x","IsCompleted":false,"IsCancelledOrReturned":false,"OrderTotal":10,"Customer":{"OriginalId":"c"}}`; string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestRequestsRefusedBeforeSending(t *testing.T) {
	c, s := cannedClient(t, ok(`{}`))
	ctx := testCtx(t)
	for name, err := range map[string]error{
		"no CancelKey":      c.PartialCancel(ctx, "mkt-1", "10", ""),
		"zero value":        c.PartialCancel(ctx, "mkt-1", "0", "k"),
		"not a number":      c.PartialCancel(ctx, "mkt-1", "ten", "k"),
		"cancel without at": c.CancelOrder(ctx, "mkt-1", time.Time{}, ""),
		"no OriginalId":     func() error { _, err := c.UpsertOrder(ctx, bonifiq.Order{}); return err }(),
	} {
		if partner.KindOf(err) != partner.Permanent {
			t.Errorf("%s: %v, want a permanent error", name, err)
		}
	}
	if s.calls() != 0 {
		t.Fatalf("%d calls", s.calls())
	}
}

func TestCredentialProblemsAreUnauthorized(t *testing.T) {
	c, s := cannedClient(t, ok(`{}`))
	ctx := testCtx(t)
	c.Credentials = secrets.Static{"no-colon-here"}
	if _, err := c.GetOrder(ctx, "x"); partner.KindOf(err) != partner.Unauthorized || strings.Contains(err.Error(), "no-colon-here") {
		t.Fatalf("malformed credentials: %v", err)
	}
	c.Credentials = nil
	if _, err := c.GetOrder(ctx, "x"); partner.KindOf(err) != partner.Unauthorized {
		t.Fatalf("no credentials: %v", err)
	}
	var env envconfig.Reader
	c = bonifiq.ReadSettings(&env).Client(nil, nil, nil)
	if _, err := c.GetOrder(ctx, "x"); partner.KindOf(err) != partner.Unauthorized {
		t.Fatalf("nothing configured: %v", err)
	}
	c.Credentials = failing{}
	if _, err := c.GetOrder(ctx, "x"); partner.KindOf(err) != partner.Transient {
		t.Fatalf("Secrets Manager unavailable: %v", err)
	}
	if s.calls() != 0 {
		t.Fatalf("%d calls", s.calls())
	}
}

type failing struct{}

func (failing) Values(context.Context) ([]string, error) { return nil, errors.New("throttled") }

func TestSettings(t *testing.T) {
	var env envconfig.Reader
	s := bonifiq.ReadSettings(&env)
	if s.BaseURL != bonifiq.ProductionURL || s.AttemptTimeout != partner.DefaultPolicy.AttemptTimeout || env.Err() != nil {
		t.Fatalf("defaults %+v %v", s, env.Err())
	}

	srv := &cannedServer{answers: []canned{ok(`{"Id":1,"OriginalId":"x"}`)}}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	t.Setenv(bonifiq.EnvBaseURL, hs.URL+"/")
	t.Setenv(bonifiq.EnvCredentials, " APIUSER-demo-0001:se,cret ")
	t.Setenv(bonifiq.EnvAttemptTimeout, "3s")
	s = bonifiq.ReadSettings(&env)
	c := s.Client(nil, hs.Client(), nil)
	if env.Err() != nil || c.AttemptTimeout != 3*time.Second || c.BaseURL != hs.URL+"/" || c.MaxAttempts != partner.DefaultPolicy.MaxAttempts {
		t.Fatalf("client %+v %v", c, env.Err())
	}
	if _, err := c.GetOrder(testCtx(t), "x"); err != nil {
		t.Fatal(err)
	}
	if got, want := srv.requests[0].auth, "Basic "+base64.StdEncoding.EncodeToString([]byte("APIUSER-demo-0001:se,cret")); got != want {
		t.Fatalf("a password with a comma is cut: %q", got)
	}
	if srv.requests[0].path != "/v1/pvt/Order/x" {
		t.Fatalf("path %q", srv.requests[0].path)
	}

	t.Setenv(bonifiq.EnvAttemptTimeout, "soon")
	env = envconfig.Reader{}
	bonifiq.ReadSettings(&env)
	if env.Err() == nil {
		t.Fatal("a bad timeout is not reported")
	}
}
