package receiver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/signature"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// The local credentials the fixtures in events/ were made with.
const (
	localToken        = scenario.MarketplaceToken
	localDealerSecret = scenario.DealerSecret
	// otherDealerSecret is the key of a second dealer system, for group Ost and ids OST-….
	otherDealerSecret = "whsec_b3RoZXItZGVhbGVyLXN5c3RlbS1zaWduaW5nLWtleQ=="
)

// fixtureTime is when the fixtures were signed.
var fixtureTime = time.Unix(1795338000, 0).UTC()

type env struct {
	h     *Handler
	repo  order.Repository
	db    *dynamodb.Client
	table string
	calls *localaws.Counter
	logs  *syncBuffer
}

// newEnv wires the handler as main does, on a fresh DynamoDB Local table.
func newEnv(t *testing.T) *env {
	t.Helper()
	db, table, calls := localaws.TestTable(t, "OrdersTable")
	e := &env{db: db, table: table, calls: calls, repo: dynamostore.New(db, table)}
	e.h = newHandler(t, e.repo)
	e.logs = e.h.Log.Handler().(*captureHandler).buf
	return e
}

func newHandler(t testing.TB, repo order.Repository) *Handler {
	t.Helper()
	m, err := mapping.Load("../../mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	buf := &syncBuffer{}
	return &Handler{
		Intake:            &intake.Service{Orders: repo, Mapping: m},
		MarketplaceTokens: secrets.Static{"rotated-out-token-still-valid", localToken},
		DealerKeys:        secrets.Static{testDealerKeys},
		Function:          "receiver",
		Log:               slog.New(&captureHandler{buf: buf, Handler: slog.NewJSONHandler(buf, nil)}),
		Now:               func() time.Time { return fixtureTime },
	}
}

func fixture(t testing.TB, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &req); err != nil {
		t.Fatal(err)
	}
	return req
}

type response struct {
	Status int
	Body   map[string]any
	Raw    string
}

// invoke runs the request through the real Lambda JSON path: encode event, decode, handle, encode.
func invoke(t testing.TB, h *Handler, req events.APIGatewayV2HTTPRequest) response {
	t.Helper()
	payload, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(25*time.Second))
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "req-" + req.RequestContext.RequestID})
	out, err := lambda.NewHandler(h.Handle).Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("invoke returned a Lambda error: %v", err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	r := response{Status: resp.StatusCode, Raw: resp.Body}
	if resp.Headers["content-type"] != "application/json" {
		t.Errorf("response content-type %q", resp.Headers["content-type"])
	}
	if err := json.Unmarshal([]byte(resp.Body), &r.Body); err != nil {
		t.Fatalf("response body is not JSON: %q", resp.Body)
	}
	return r
}

func (e *env) items(t *testing.T) int {
	t.Helper()
	out, err := e.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: &e.table, ConsistentRead: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

func ptr[T any](v T) *T { return &v }

func TestMarketplaceFixtureMapsEveryField(t *testing.T) {
	e := newEnv(t)
	r := invoke(t, e.h, fixture(t, "marketplace-purchase.json"))
	if r.Status != 202 || r.Body["orderId"] != "mkt-221" || r.Body["status"] != "accepted" || r.Body["state"] != "RECEIVED" {
		t.Fatalf("first delivery: %d %s", r.Status, r.Raw)
	}
	if n := e.calls.Total(); n != 1 {
		t.Errorf("accepting one purchase made %d DynamoDB requests, want 1", n)
	}
	o, err := e.repo.Get(context.Background(), "mkt-221")
	if err != nil {
		t.Fatal(err)
	}
	want := order.Order{
		ID: "mkt-221", Source: order.SourceMarketplace, SourceRef: "221", EventID: "evt_553ea8a294e2d3a75d5086a06fb53f5a",
		State: order.Received,
		Customer: order.Customer{Email: "john@account.com", Language: "de", Gender: "male", FirstName: "John", LastName: "Doe", SourceID: "1337",
			Address: order.Address{Company: "MyStore", FirstName: "John", LastName: "Doe", Street: "Main Street", HouseNumber: "123",
				PostalCode: "34117", Town: "Kassel", Country: "DE", Phone: "123-456-7890", Email: "john@account.com"}},
		Items: []order.Item{{Product: "1338", Name: "SuperService", Quantity: order.DecimalFromInt(1),
			Price: order.Money{Gross: order.DecimalFromInt(49), Net: 411765}, OfferID: "O_MZA1E7173120881551"}},
		Payment:       order.Payment{Method: "paypal", TransactionID: "1S473067CV761473M", PlenigoMethod: "PAYPAL"},
		PlacedAt:      time.Unix(1510656066, 0).UTC(),
		StartDate:     time.Unix(1510656066, 0).UTC(),
		Completion:    order.Completion{When: order.CompleteOnImport, EarnsPoints: true}, // mapping.yaml's rule for mkt
		SourceDetails: order.SourceDetails{"addressId": "25", "addressUpdatedAt": "1510753095", "contactUpdatedAt": "1510837206"},
		ReceivedAt:    fixtureTime, UpdatedAt: fixtureTime, Version: 1,
	}
	want.Digest = want.Fingerprint() // what the sender said, without what orderhub added
	got := *o
	got.History = nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("stored order differs from the seed payload:\n got %+v\nwant %+v", got, want)
	}
	if len(o.History) != 1 || o.History[0].Actor.Function != "receiver" || o.History[0].Actor.RequestID != "req-fixture-request" {
		t.Errorf("history = %+v", o.History)
	}
}

func TestConcurrentDeliveriesMakeOneOrder(t *testing.T) {
	e := newEnv(t)
	const n = 10
	req := fixture(t, "marketplace-purchase.json")
	statuses := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = invoke(t, e.h, req)
		}()
	}
	wg.Wait()
	accepted, dup := 0, 0
	for _, r := range statuses {
		if r.Body["orderId"] != "mkt-221" {
			t.Errorf("delivery answered %d %s", r.Status, r.Raw)
		}
		switch r.Status {
		case 202:
			accepted++
		case 200:
			dup++
		default:
			t.Errorf("delivery answered %d %s", r.Status, r.Raw)
		}
	}
	if accepted != 1 || dup != n-1 {
		t.Fatalf("%d accepted and %d duplicates, want 1 and %d", accepted, dup, n-1)
	}
	if got := e.items(t); got != 1 {
		t.Fatalf("table holds %d items, want 1 (the order, with its history)", got)
	}
	// A later, sequential redelivery is a duplicate too.
	if r := invoke(t, e.h, req); r.Status != 200 || r.Body["status"] != "duplicate" {
		t.Fatalf("sequential redelivery: %d %s", r.Status, r.Raw)
	}
}

func TestWrongTokenIs401AndStoresNothing(t *testing.T) {
	e := newEnv(t)
	for name, token := range map[string]string{"wrong": "guess", "empty": "", "prefix": localToken[:10], "longer": localToken + "x"} {
		req := fixture(t, "marketplace-purchase.json")
		req.RawPath = "/webhooks/marketplace/" + token
		req.PathParameters = map[string]string{"token": token}
		if r := invoke(t, e.h, req); r.Status != 401 || r.Body["error"] == nil {
			t.Errorf("%s token: %d %s", name, r.Status, r.Raw)
		}
	}
	if n := e.items(t); n != 0 {
		t.Fatalf("table holds %d items after refused deliveries", n)
	}
	if e.calls.Count("PutItem")+e.calls.Count("TransactWriteItems") != 0 {
		t.Fatal("a refused delivery wrote to DynamoDB")
	}
	req := fixture(t, "marketplace-purchase.json")
	req.RawPath = "/webhooks/marketplace/rotated-out-token-still-valid"
	req.PathParameters = map[string]string{"token": "rotated-out-token-still-valid"}
	if r := invoke(t, e.h, req); r.Status != 202 {
		t.Fatalf("the second configured token is refused: %d %s", r.Status, r.Raw)
	}
}

func TestMalformedInputGetsItsOwn4xx(t *testing.T) {
	e := newEnv(t)
	base := fixture(t, "marketplace-purchase.json")
	body := func(f func(m map[string]any)) string {
		var m map[string]any
		if err := json.Unmarshal([]byte(base.Body), &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	res := func(m map[string]any) map[string]any { return m["resource"].(map[string]any) }
	item := func(m map[string]any) map[string]any {
		return res(m)["order"].(map[string]any)["orderItems"].([]any)[0].(map[string]any)
	}
	cases := map[string]struct {
		mutate func(*events.APIGatewayV2HTTPRequest)
		status int
		code   string
		field  string
	}{
		"not JSON":        {func(r *events.APIGatewayV2HTTPRequest) { r.Body = `{"id": "evt_1",` }, 400, "malformed_json", ""},
		"two JSON values": {func(r *events.APIGatewayV2HTTPRequest) { r.Body = base.Body + "{}" }, 400, "malformed_json", ""},
		"array body":      {func(r *events.APIGatewayV2HTTPRequest) { r.Body = `[1,2]` }, 400, "invalid_field", ""},
		"empty body":      {func(r *events.APIGatewayV2HTTPRequest) { r.Body = `` }, 400, "malformed_json", ""},
		"missing email": {func(r *events.APIGatewayV2HTTPRequest) {
			r.Body = body(func(m map[string]any) { delete(res(m)["contact"].(map[string]any), "email") })
		}, 400, "missing_field", "resource.contact.email"},
		"bad email": {func(r *events.APIGatewayV2HTTPRequest) {
			r.Body = body(func(m map[string]any) { res(m)["contact"].(map[string]any)["email"] = "john" })
		}, 400, "invalid_field", "resource.contact.email"},
		"missing order id": {func(r *events.APIGatewayV2HTTPRequest) {
			r.Body = body(func(m map[string]any) { delete(res(m)["order"].(map[string]any), "id") })
		}, 400, "missing_field", "resource.order.id"},
		"no items": {func(r *events.APIGatewayV2HTTPRequest) {
			r.Body = body(func(m map[string]any) { res(m)["order"].(map[string]any)["orderItems"] = []any{} })
		}, 400, "missing_field", "resource.order.orderItems"},
		"quantity text": {func(r *events.APIGatewayV2HTTPRequest) {
			r.Body = body(func(m map[string]any) { item(m)["quantity"] = "many" })
		}, 400, "invalid_field", "resource.order.orderItems[0].quantity"},
		"quantity zero": {func(r *events.APIGatewayV2HTTPRequest) {
			r.Body = body(func(m map[string]any) { item(m)["quantity"] = 0 })
		}, 400, "invalid_field", "resource.order.orderItems[0].quantity"},
		"missing price": {func(r *events.APIGatewayV2HTTPRequest) {
			r.Body = body(func(m map[string]any) { delete(item(m), "priceGross") })
		}, 400, "missing_field", "resource.order.orderItems[0].priceGross"},
		"wrong type": {func(r *events.APIGatewayV2HTTPRequest) {
			r.Body = body(func(m map[string]any) { m["type"] = "SERVICE.PLUGIN.REFUND" })
		}, 400, "invalid_field", "type"},
		"type not string": {func(r *events.APIGatewayV2HTTPRequest) { r.Body = body(func(m map[string]any) { m["type"] = 7 }) }, 400, "invalid_field", "type"},
		"bad base64":      {func(r *events.APIGatewayV2HTTPRequest) { r.IsBase64Encoded = true; r.Body = "%%%" }, 400, "malformed_body", ""},
		"text/plain":      {func(r *events.APIGatewayV2HTTPRequest) { r.Headers = map[string]string{"content-type": "text/plain"} }, 415, "unsupported_media_type", "content-type"},
		"no content type": {func(r *events.APIGatewayV2HTTPRequest) { r.Headers = map[string]string{} }, 415, "unsupported_media_type", "content-type"},
		"latin-1": {func(r *events.APIGatewayV2HTTPRequest) {
			r.Headers = map[string]string{"content-type": "application/json; charset=latin1"}
		}, 415, "unsupported_media_type", "content-type"},
		"too large":     {func(r *events.APIGatewayV2HTTPRequest) { r.Body = strings.Repeat(" ", MaxMarketplaceBody+1) }, 413, "too_large", ""},
		"GET":           {func(r *events.APIGatewayV2HTTPRequest) { r.RequestContext.HTTP.Method = "GET" }, 405, "method_not_allowed", ""},
		"unknown route": {func(r *events.APIGatewayV2HTTPRequest) { r.RawPath = "/orders" }, 404, "not_found", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req := fixture(t, "marketplace-purchase.json")
			c.mutate(&req)
			r := invoke(t, e.h, req)
			errBody, _ := r.Body["error"].(map[string]any)
			if r.Status != c.status || errBody["code"] != c.code || (c.field != "" && errBody["field"] != c.field) || errBody["message"] == "" {
				t.Fatalf("got %d %s, want %d %s field %q", r.Status, r.Raw, c.status, c.code, c.field)
			}
		})
	}
	if n := e.items(t); n != 0 {
		t.Fatalf("refused requests left %d items in the table", n)
	}
}

func TestBase64BodyIsAccepted(t *testing.T) {
	e := newEnv(t)
	req := fixture(t, "marketplace-purchase.json")
	req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(req.Body)), true
	if r := invoke(t, e.h, req); r.Status != 202 {
		t.Fatalf("base64 body: %d %s", r.Status, r.Raw)
	}
}

func TestUnmappableItemIsStoredRejectedWithReason(t *testing.T) {
	e := newEnv(t)
	req := fixture(t, "marketplace-purchase.json")
	req.Body = strings.Replace(req.Body, `"itemVariationId": 1338`, `"itemVariationId": 9999`, 1)
	r := invoke(t, e.h, req)
	if r.Status != 202 || r.Body["state"] != "REJECTED" || !strings.Contains(fmt.Sprint(r.Body["reason"]), `item "9999"`) {
		t.Fatalf("unmapped item: %d %s", r.Status, r.Raw)
	}
	o, err := e.repo.Get(context.Background(), "mkt-221")
	if err != nil {
		t.Fatal(err)
	}
	if o.State != order.Rejected || !strings.Contains(o.StateReason, "offers.mkt") || len(o.History) != 2 {
		t.Fatalf("stored: state %s reason %q history %d", o.State, o.StateReason, len(o.History))
	}
	if got, _ := e.repo.NeedingWork(context.Background(), order.Rejected, fixtureTime.Add(time.Second), 10); len(got) != 1 {
		t.Fatalf("the rejected order is not visible in the work index")
	}
	if n := e.calls.Count("PutItem") + e.calls.Count("TransactWriteItems"); n != 1 {
		t.Errorf("a rejected order took %d writes", n)
	}
}

func TestLogsHoldNoPersonalData(t *testing.T) {
	e := newEnv(t)
	invoke(t, e.h, fixture(t, "marketplace-purchase.json"))
	invoke(t, e.h, fixture(t, "dealer-batch.json"))
	logs := e.logs.String()
	if !strings.Contains(logs, "mkt-221") {
		t.Fatalf("the logs do not mention the order: %s", logs)
	}
	for _, pii := range []string{"john@account.com", "Main Street", "vertrieb@presse-nord", "123-456-7890", "Doe"} {
		if strings.Contains(logs, pii) {
			t.Errorf("logs contain %q:\n%s", pii, logs)
		}
	}
}

func TestDealerBatchIsAnsweredPerItem(t *testing.T) {
	e := newEnv(t)
	r := invoke(t, e.h, fixture(t, "dealer-batch.json"))
	if r.Status != 202 || r.Body["accepted"] != 3.0 || r.Body["rejected"] != 0.0 {
		t.Fatalf("batch: %d %s", r.Status, r.Raw)
	}
	results := r.Body["results"].([]any)
	states := []string{"RECEIVED", "RECEIVED", "REJECTED"}
	for i, res := range results {
		m := res.(map[string]any)
		if m["status"] != "accepted" || m["state"] != states[i] || m["orderId"] != fmt.Sprintf("dealer-WBZ-2026-00010%d", i+1) {
			t.Errorf("result %d: %v", i, m)
		}
	}
	if e.calls.Count("PutItem") != 3 || e.calls.Total() != 3 {
		t.Errorf("3 purchases took %d requests (%d PutItem), want 3 PutItem", e.calls.Total(), e.calls.Count("PutItem"))
	}
	o, err := e.repo.Get(context.Background(), "dealer-WBZ-2026-000101")
	if err != nil {
		t.Fatal(err)
	}
	if o.Dealer == nil || o.Dealer.Group != "Nord" || o.Dealer.Number != "4711" || o.Items[0].OfferID != "O_WBZ7PRINT0012MNTHS" ||
		o.Items[0].Quantity != order.DecimalFromInt(25) || o.Payment.PlenigoMethod != "BILLING" || o.Customer.Language != "de" ||
		!o.StartDate.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || o.Customer.Address.Company != "Presse Nord GmbH" {
		t.Errorf("stored dealer order: %+v", o)
	}
	second, _ := e.repo.Get(context.Background(), "dealer-WBZ-2026-000102")
	if second.Customer.Language != "de" || second.Payment.PlenigoMethod != "BANK_ACCOUNT" {
		t.Errorf("defaults not applied: language %q, payment %q", second.Customer.Language, second.Payment.PlenigoMethod)
	}

	// The same batch again, freshly signed: every item a duplicate, nothing written.
	e.calls.Reset()
	again := signed(t, fixture(t, "dealer-batch.json").Body, "msg_resend")
	if r := invoke(t, e.h, again); r.Status != 200 || r.Body["duplicates"] != 3.0 {
		t.Fatalf("resent batch: %d %s", r.Status, r.Raw)
	}
	if e.items(t) != 3 {
		t.Errorf("table holds %d items, want 3 orders", e.items(t))
	}
}

// signed returns a dealer request for body, signed now with the local secret.
func signed(t testing.TB, body, id string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	req := fixture(t, "dealer-batch.json")
	sig, err := signature.Sign(localDealerSecret, id, fixtureTime, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Body = body
	req.Headers = map[string]string{"content-type": "application/json", "orderhub-key-id": scenario.DealerKeyID, "webhook-id": id,
		"webhook-timestamp": fmt.Sprint(fixtureTime.Unix()), "webhook-signature": sig}
	return req
}

// testDealerKeys are the receiver's keys in these tests: the local dealer system's (the scenario's,
// with the groups the tests use) and a second system's.
var testDealerKeys = `{"keys":[
	{"id":"` + scenario.DealerKeyID + `","secret":"` + localDealerSecret + `","groups":["Nord","Sued","West","Müller \"Nord\""],"idPrefix":"WBZ-"},
	{"id":"other-dealer","secret":"` + otherDealerSecret + `","groups":["Ost"],"idPrefix":"OST-"}]}`

func TestDealerItemsFailAlone(t *testing.T) {
	e := newEnv(t)
	body := `{"purchases":[
	 {"externalSystemId":"WBZ-A-1","email":"a@dealer.example","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"},
	 {"externalSystemId":"WBZ-A-2","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"},
	 {"externalSystemId":"WBZ-A-3","email":"c@dealer.example","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":"x","startDate":"2026-12-01","paymentMethod":"invoice"},
	 {"externalSystemId":"WBZ-A-4","email":"d@dealer.example","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"1.12.2026","paymentMethod":"invoice"},
	 {"externalSystemId":"WBZ-A-1","email":"a@dealer.example","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"},
	 "not an object"
	]}`
	r := invoke(t, e.h, signed(t, body, "msg_mixed"))
	if r.Status != 202 || r.Body["accepted"] != 1.0 || r.Body["rejected"] != 4.0 || r.Body["duplicates"] != 1.0 {
		t.Fatalf("mixed batch: %d %s", r.Status, r.Raw)
	}
	fields := []string{"", "purchases[1].email", "purchases[2].quantity", "purchases[3].startDate", "", "purchases[5]"}
	for i, res := range r.Body["results"].([]any) {
		m := res.(map[string]any)
		if fields[i] == "" {
			continue
		}
		errBody, _ := m["error"].(map[string]any)
		if m["status"] != "rejected" || errBody["field"] != fields[i] {
			t.Errorf("result %d: %v, want rejected on %s", i, m, fields[i])
		}
	}
	if n := e.items(t); n != 1 {
		t.Fatalf("table holds %d items, want only the one valid purchase", n)
	}
}

func TestDealerBatchLevelProblems(t *testing.T) {
	e := newEnv(t)
	purchase := `{"externalSystemId":"B-%d","email":"b@dealer.example","dealerGroup":"G","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"}`
	many := make([]string, intake.MaxDealerBatch+1)
	for i := range many {
		many[i] = fmt.Sprintf(purchase, i)
	}
	cases := map[string]struct {
		req    events.APIGatewayV2HTTPRequest
		status int
		code   string
	}{
		"too many purchases": {signed(t, `{"purchases":[`+strings.Join(many, ",")+`]}`, "m1"), 400, "invalid_field"},
		"no purchases":       {signed(t, `{"purchases":[]}`, "m2"), 400, "invalid_field"},
		"purchases missing":  {signed(t, `{}`, "m3"), 400, "missing_field"},
		"not JSON":           {signed(t, `purchases`, "m4"), 400, "malformed_json"},
		"all invalid":        {signed(t, `{"purchases":[{}]}`, "m5"), 400, ""},
		"bad signature": {func() events.APIGatewayV2HTTPRequest {
			r := fixture(t, "dealer-batch.json")
			r.Body = strings.Replace(r.Body, `"quantity": 25`, `"quantity": 250`, 1)
			return r
		}(), 401, "unauthorized"},
		"unsigned": {func() events.APIGatewayV2HTTPRequest {
			r := fixture(t, "dealer-batch.json")
			r.Headers = map[string]string{"content-type": "application/json"}
			return r
		}(), 401, "unauthorized"},
		"wrong content type": {func() events.APIGatewayV2HTTPRequest {
			r := fixture(t, "dealer-batch.json")
			r.Headers["content-type"] = "application/xml"
			return r
		}(), 415, "unsupported_media_type"},
		"too large": {signed(t, strings.Repeat(" ", MaxDealerBody+1), "m6"), 413, "too_large"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := invoke(t, e.h, c.req)
			errBody, _ := r.Body["error"].(map[string]any)
			if r.Status != c.status || (c.code != "" && errBody["code"] != c.code) {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Raw[:min(len(r.Raw), 300)], c.status, c.code)
			}
		})
	}
	if n := e.items(t); n != 0 {
		t.Fatalf("refused batches left %d items", n)
	}
}

func TestStaleSignatureIsRefused(t *testing.T) {
	e := newEnv(t)
	e.h.Now = func() time.Time { return fixtureTime.Add(signature.DefaultTolerance + time.Minute) }
	if r := invoke(t, e.h, fixture(t, "dealer-batch.json")); r.Status != 401 {
		t.Fatalf("replayed old batch: %d %s", r.Status, r.Raw)
	}
}

// failingRepo fails every write, as DynamoDB does when throttled or unreachable.
type failingRepo struct{ order.Repository }

func (failingRepo) Create(context.Context, *order.Order) error {
	return errors.New("ProvisionedThroughputExceededException")
}

func TestStoreFailureIs5xxSoTheSenderRetries(t *testing.T) {
	h := newHandler(t, failingRepo{})
	r := invoke(t, h, fixture(t, "marketplace-purchase.json"))
	if r.Status != 500 || strings.Contains(r.Raw, "Provisioned") {
		t.Fatalf("marketplace on a failing store: %d %s", r.Status, r.Raw)
	}
	r = invoke(t, h, fixture(t, "dealer-batch.json"))
	if r.Status != 503 || r.Body["failed"] != 3.0 {
		t.Fatalf("dealer batch on a failing store: %d %s", r.Status, r.Raw)
	}
}

func TestSecretUnavailableIs503(t *testing.T) {
	h := newHandler(t, failingRepo{})
	h.MarketplaceTokens = secrets.Static{}
	h.DealerKeys = secrets.Static{}
	if r := invoke(t, h, fixture(t, "marketplace-purchase.json")); r.Status != 503 {
		t.Fatalf("marketplace without tokens: %d %s", r.Status, r.Raw)
	}
	if r := invoke(t, h, fixture(t, "dealer-batch.json")); r.Status != 503 {
		t.Fatalf("dealer without secrets: %d %s", r.Status, r.Raw)
	}
}

// captureHandler keeps what the handler logs, for the personal-data check.
type captureHandler struct {
	slog.Handler
	buf *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
