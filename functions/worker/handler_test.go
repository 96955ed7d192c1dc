package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/functions/worker"
	"github.com/orderhub/orderhub/local/plenigosim"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn/lambdatest"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

const (
	token     = "plenigo-test-token"
	requestID = "3b9d2c71-wrk-4a5e-8f10-6c7d8e9f0a1b"
)

// The plenigo offers the orders map to (mapping.yaml).
const (
	offer1338 = "O_MZA1E7173120881551"
	offer1339 = "O_K3Q9T2W8PLX4RM7N2B"
	offerWBZ  = "O_WBZ7PRINT0012MNTHS"
)

// The jobs in events/worker-import-jobs.json: message id → order id, and the malformed message.
var jobs = map[string]string{
	"7d3c9f2a-1b4e-4c8d-9e2f-3a5b6c7d8e90": "mkt-221",
	"0b8e4d1f-6a2c-47e9-b3d5-9c1a2e4f6b80": "dealer-WBZ-2026-000101",
	"e9a27b3c-8f14-4d6a-a1e5-7b2c9d0f3e62": "mkt-222",
}

const malformed = "c41f0e7a-5d93-4b2e-8a6c-2f9d1b3e5a71"

// newTestHandler builds the handler under test, wired as bootstrap/main.go wires it.
func newTestHandler(t *testing.T, orders *memstore.Store, pc *plenigo.Client, q worker.Delayer) *worker.Handler {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &worker.Handler{
		Importer: &importing.Importer{Orders: orders, Customers: &importing.CachedCustomers{Next: importing.StoredCustomers{Records: orders}},
			Plenigo: pc, Now: time.Now, Log: log, MaxItemsPerCall: 50},
		Queue:    q,
		Function: "worker",
		Log:      log,
	}
}

// newSim serves the plenigo simulator and returns it with a client for it.
func newSim(t *testing.T) (*plenigosim.Sim, *plenigo.Client) {
	t.Helper()
	return plenigosim.Serve(t, plenigosim.Config{
		Tokens:   map[string]bool{token: true},
		Offers:   map[string]plenigosim.Offer{offer1338: {}, offer1339: {}, offerWBZ: {WBZ: true}},
		LogDelay: 5 * time.Millisecond,
	}, token)
}

// invoke runs payload through the Lambda runtime's path: decode, handle, encode.
func invoke(t *testing.T, h *worker.Handler, payload []byte) events.SQSEventResponse {
	t.Helper()
	out, err := lambdatest.Invoke(t, h.Handle, payload, 60*time.Second, requestID) // the function's Timeout
	if err != nil {
		t.Fatalf("invoke returned a Lambda error: %v", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	return resp
}

// failures returns the reported message ids, sorted.
func failures(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// recordingDelayer is a worker.Delayer that keeps every request.
type recordingDelayer struct {
	mu     sync.Mutex
	delays map[string][]time.Duration // receipt handle → delays asked for
	err    error
}

func (d *recordingDelayer) Delay(_ context.Context, receiptHandle string, dur time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.delays == nil {
		d.delays = map[string][]time.Duration{}
	}
	d.delays[receiptHandle] = append(d.delays[receiptHandle], dur)
	return d.err
}

func (d *recordingDelayer) calls() map[string][]time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string][]time.Duration{}
	for k, v := range d.delays {
		out[k] = slices.Clone(v)
	}
	return out
}

var enqueuer = order.Actor{Function: "enqueuer", RequestID: "enq-1"}

// queuedOrders stores the three orders the SQS fixture names, QUEUED as the enqueuer leaves them.
// mkt-221 and mkt-222 are the same buyer's.
func queuedOrders(t *testing.T) *memstore.Store {
	t.Helper()
	s := memstore.New()
	at := time.Now().Add(-time.Minute)
	add := func(src order.Source, ref, email, product, offerID, plenigoMethod string, qty int64, dealer *order.Dealer) {
		o, err := order.New(src, ref, at, order.Actor{Function: "receiver", RequestID: "rcv-" + ref})
		if err != nil {
			t.Fatal(err)
		}
		o.Customer = order.Customer{Email: email, Language: "de", FirstName: "John", LastName: "Doe",
			Address: order.Address{Street: "Main Street", HouseNumber: "123", PostalCode: "34117", Town: "Kassel", Country: "DE"}}
		o.Dealer = dealer
		o.Items = []order.Item{{Product: product, Quantity: order.DecimalFromInt(qty), OfferID: offerID}}
		o.Payment = order.Payment{PlenigoMethod: plenigoMethod}
		o.StartDate = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		if err := o.MoveTo(order.Queued, order.Change{At: at, By: enqueuer, Reason: "import job sent"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	add(order.SourceMarketplace, "221", "john@account.com", "1338", offer1338, "PAYPAL", 1, nil)
	add(order.SourceMarketplace, "222", "john@account.com", "1339", offer1339, "PAYPAL", 1, nil)
	add(order.SourceDealer, "WBZ-2026-000101", "vertrieb@presse-nord.example", "WBZ-PRINT-12M", offerWBZ, "BILLING", 25,
		&order.Dealer{Group: "Nord", Number: "4711"})
	return s
}

func get(t *testing.T, s *memstore.Store, id string) *order.Order {
	t.Helper()
	o, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func receiptHandles(t *testing.T) map[string]string {
	t.Helper()
	var ev events.SQSEvent
	if err := json.Unmarshal(lambdatest.Fixture(t, "worker-import-jobs.json"), &ev); err != nil {
		t.Fatal(err)
	}
	handles := map[string]string{}
	for _, m := range ev.Records {
		handles[m.MessageId] = m.ReceiptHandle
	}
	return handles
}

func TestFixtureImportsTheBatchAndFailsOnlyTheMalformedJob(t *testing.T) {
	s := queuedOrders(t)
	sim, pc := newSim(t)
	d := &recordingDelayer{}
	resp := invoke(t, newTestHandler(t, s, pc, d), lambdatest.Fixture(t, "worker-import-jobs.json"))

	if got := failures(resp); !slices.Equal(got, []string{malformed}) {
		t.Fatalf("batch item failures %v, want only the malformed job %s", got, malformed)
	}
	if c := d.calls(); len(c) != 0 {
		t.Fatalf("delays asked for %v; nothing is retried", c)
	}
	for _, id := range jobs {
		o := get(t, s, id)
		last := o.History[len(o.History)-1]
		if o.State != order.ImportSubmitted || o.Subscription.PromiseID == "" || o.Customer.PlenigoCustomerID == "" {
			t.Errorf("%s: %s, promise %q, customer %q", id, o.State, o.Subscription.PromiseID, o.Customer.PlenigoCustomerID)
		}
		if last.Actor != (order.Actor{Function: "worker", RequestID: requestID}) {
			t.Errorf("%s: last history entry by %+v", id, last.Actor)
		}
	}
	if a, b := get(t, s, "mkt-221"), get(t, s, "mkt-222"); a.Customer.PlenigoCustomerID != b.Customer.PlenigoCustomerID ||
		a.Subscription.PromiseID != b.Subscription.PromiseID {
		t.Errorf("one buyer, one batch: customers %q/%q, promises %q/%q", a.Customer.PlenigoCustomerID, b.Customer.PlenigoCustomerID,
			a.Subscription.PromiseID, b.Subscription.PromiseID)
	}
	calls := sim.Calls()
	if calls["POST /customers"] != 2 || sim.CustomerCount() != 2 || sim.CustomersByEmail("john@account.com") != 1 {
		t.Errorf("customers: %d created, %d in plenigo; want one per distinct email (2)", calls["POST /customers"], sim.CustomerCount())
	}
	if calls["POST /imports/orders"] != 1 {
		t.Errorf("%d import calls, want the batch in one", calls["POST /imports/orders"])
	}
	if calls["PUT /customers/{id}/marks/WBZ"] != 1 || !sim.HasWBZMark("vertrieb@presse-nord.example") {
		t.Errorf("the dealer's WBZ mark: calls %v", calls)
	}
	if n := sim.TotalCalls(); n != 4 {
		t.Errorf("%d plenigo calls, want 4 (2 customers, 1 mark, 1 import): %v", n, calls)
	}

	// The same batch delivered again (SQS is at least once): no plenigo call, only the malformed job fails.
	sim.ResetCalls()
	resp = invoke(t, newTestHandler(t, s, pc, d), lambdatest.Fixture(t, "worker-import-jobs.json"))
	if got := failures(resp); !slices.Equal(got, []string{malformed}) || sim.TotalCalls() != 0 {
		t.Fatalf("redelivered batch: failures %v, %d plenigo calls %v", got, sim.TotalCalls(), sim.Calls())
	}
}

// plenigo turns every import away (429: a refusal, so the client tries three times), then recovers.
func TestPlenigoRefusingRetriesEveryJobWithADelay(t *testing.T) {
	s := queuedOrders(t)
	sim, pc := newSim(t)
	d := &recordingDelayer{}
	h := newTestHandler(t, s, pc, d)
	sim.FailNext("POST /imports/orders", plenigosim.Fault429, plenigosim.Fault429, plenigosim.Fault429)

	resp := invoke(t, h, lambdatest.Fixture(t, "worker-import-jobs.json"))
	var want []string
	for msg := range jobs {
		want = append(want, msg)
	}
	if got := failures(resp); !slices.Equal(got, sorted(append(want, malformed)...)) {
		t.Fatalf("batch item failures %v, want every job: %v", got, sorted(append(want, malformed)...))
	}
	if n := sim.Calls()["POST /imports/orders"]; n != 3 {
		t.Errorf("%d import attempts, want the client's 3", n)
	}
	handles := receiptHandles(t)
	delays := d.calls()
	if len(delays) != len(jobs) {
		t.Errorf("delays asked for %d receipt handles, want %d: %v", len(delays), len(jobs), delays)
	}
	for msg, id := range jobs {
		ds := delays[handles[msg]]
		if len(ds) != 1 || ds[0] < importing.RetryBase/2 || ds[0] > importing.RetryBase {
			t.Errorf("job %s (%s): delays %v, want one first-attempt delay within [%s, %s]", msg, id, ds, importing.RetryBase/2, importing.RetryBase)
		}
		if o := get(t, s, id); o.State != order.Retrying || o.Attempts != 1 || !strings.Contains(o.StateReason, "will retry") {
			t.Errorf("%s: %s attempts %d %q", id, o.State, o.Attempts, o.StateReason)
		}
	}
	if _, ok := delays[handles[malformed]]; ok {
		t.Errorf("the malformed job was delayed")
	}

	// The retried delivery, plenigo back: every order submitted in one call, no second customer.
	sim.ResetCalls()
	resp = invoke(t, newTestHandler(t, s, pc, &recordingDelayer{}), lambdatest.Fixture(t, "worker-import-jobs.json"))
	if got := failures(resp); !slices.Equal(got, []string{malformed}) {
		t.Fatalf("retry: batch item failures %v", got)
	}
	for _, id := range jobs {
		if o := get(t, s, id); o.State != order.ImportSubmitted || o.Attempts != 0 {
			t.Errorf("%s after the retry: %s attempts %d", id, o.State, o.Attempts)
		}
	}
	if c := sim.Calls(); c["POST /imports/orders"] != 1 || sim.CustomerCount() != 2 {
		t.Errorf("retry calls %v, %d customers", c, sim.CustomerCount())
	}
}

func TestJobsAreRetriedEvenWhenTheDelayFails(t *testing.T) {
	s := queuedOrders(t)
	sim, pc := newSim(t)
	sim.FailNext("POST /imports/orders", plenigosim.Fault503, plenigosim.Fault503, plenigosim.Fault503)
	d := &recordingDelayer{err: errors.New("ReceiptHandleIsInvalid")}
	resp := invoke(t, newTestHandler(t, s, pc, d), lambdatest.Fixture(t, "worker-import-jobs.json"))
	if got := failures(resp); len(got) != len(jobs)+1 {
		t.Fatalf("batch item failures %v: a failed delay must not acknowledge the job", got)
	}
}

func TestJobWithoutAnOrderIDIsMalformed(t *testing.T) {
	var ev events.SQSEvent
	if err := json.Unmarshal(lambdatest.Fixture(t, "worker-import-jobs.json"), &ev); err != nil {
		t.Fatal(err)
	}
	bodies := []string{`{"id":"mkt-221"}`, `{"orderId":""}`, `{"orderId":221}`, ``}
	for i := range ev.Records {
		if ev.Records[i].MessageId != malformed {
			ev.Records[i].Body = bodies[i%len(bodies)]
		}
	}
	payload, _ := json.Marshal(ev)
	s := queuedOrders(t)
	sim, pc := newSim(t)
	resp := invoke(t, newTestHandler(t, s, pc, &recordingDelayer{}), payload)
	if got := failures(resp); len(got) != len(ev.Records) {
		t.Fatalf("batch item failures %v, want all %d messages", got, len(ev.Records))
	}
	if sim.TotalCalls() != 0 {
		t.Fatalf("malformed jobs cost plenigo calls: %v", sim.Calls())
	}
	for _, id := range jobs {
		if o := get(t, s, id); o.State != order.Queued {
			t.Errorf("%s: %s", id, o.State)
		}
	}
}
