package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/local/pipeline"
	"github.com/orderhub/orderhub/local/plenigosim"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
)

var prefixSeq atomic.Int64

func start(t *testing.T, o pipeline.Options) *pipeline.Pipeline {
	t.Helper()
	o.DynamoDBEndpoint = localaws.Endpoint(t, localaws.EnvDynamoDB)
	o.SQSEndpoint = localaws.Endpoint(t, localaws.EnvSQS)
	o.Template = localaws.Template(t)
	m, err := mapping.Load("../../mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	o.Mapping = m
	o.Prefix = fmt.Sprintf("e2e%d-%d-", time.Now().UnixNano()%1e9, prefixSeq.Add(1))
	if o.PollEvery == 0 {
		o.PollEvery = 100 * time.Millisecond
	}
	if o.SweepEvery == 0 {
		o.SweepEvery = time.Second
	}
	if o.RetryBase == 0 {
		o.RetryBase, o.RetryCap = 100*time.Millisecond, 400*time.Millisecond
	}
	if o.Sim.LogDelay == 0 {
		o.Sim.LogDelay = 50 * time.Millisecond
	}
	if o.Sim.TimeoutHold == 0 {
		o.Sim.TimeoutHold = 2 * time.Second
	}
	if o.Plenty.ReadPerMinute == 0 { // the poller runs every 100 ms here, not every minute
		o.Plenty.ReadPerMinute, o.Plenty.WritePerMinute, o.Plenty.ReadPerDay, o.Plenty.WritePerDay = 60000, 60000, 1e7, 1e7
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := pipeline.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

func receive(t *testing.T, p *pipeline.Pipeline, req any) int {
	t.Helper()
	var status int
	switch r := req.(type) {
	case string: // a marketplace body
		resp, err := p.Receive(context.Background(), pipeline.MarketplaceRequest(r))
		if err != nil {
			t.Fatal(err)
		}
		status = resp.StatusCode
	default:
		t.Fatalf("unknown request %T", req)
	}
	return status
}

func dealer(t *testing.T, p *pipeline.Pipeline, body string) int {
	t.Helper()
	resp, err := p.Receive(context.Background(), pipeline.DealerRequest(body, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

func settle(t *testing.T, p *pipeline.Pipeline, ids []string, within time.Duration) map[string]*order.Order {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	got, err := p.WaitSettled(ctx, ids)
	if err != nil {
		for _, id := range ids {
			if o := got[id]; o != nil && !o.State.Settled() {
				t.Logf("%s: %s %q", id, o.State, o.StateReason)
			}
		}
		t.Fatal(err)
	}
	return got
}

func fixtureBody(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, `"body": "`)
	if i < 0 {
		t.Fatal("fixture has no body")
	}
	var body string
	if _, err := fmt.Sscanf(s[i+len(`"body": `):], "%q", &body); err != nil {
		t.Fatal(err)
	}
	return body
}

// TestPurchasesBecomeImportedSubscriptions runs the seed marketplace purchase and the dealer batch
// fixture through receiver → stream → enqueuer → SQS → worker → plenigo → import log → poller.
func TestPurchasesBecomeImportedSubscriptions(t *testing.T) {
	p := start(t, pipeline.Options{})
	if s := receive(t, p, fixtureBody(t, "marketplace-purchase.json")); s != 202 {
		t.Fatalf("marketplace: %d", s)
	}
	if s := dealer(t, p, fixtureBody(t, "dealer-batch.json")); s != 202 {
		t.Fatalf("dealer batch: %d", s)
	}
	got := settle(t, p, []string{"mkt-221", "dealer-WBZ-2026-000101", "dealer-WBZ-2026-000102", "dealer-WBZ-2026-000103"}, 30*time.Second)
	for _, id := range []string{"mkt-221", "dealer-WBZ-2026-000101", "dealer-WBZ-2026-000102"} {
		o := got[id]
		if o.State != order.Fulfilled || o.Subscription.PlenigoOrderID == "" || o.Customer.PlenigoCustomerID == "" || o.Subscription.PromiseID == "" {
			t.Fatalf("%s: %s, plenigo order %q, customer %q, promise %q", id, o.State, o.Subscription.PlenigoOrderID, o.Customer.PlenigoCustomerID, o.Subscription.PromiseID)
		}
		hops := []string{}
		for _, e := range o.History {
			if e.Track != "" {
				continue // the loyalty track's entries: see loyalty_test.go
			}
			hop := e.Actor.Function + ":" + string(e.To)
			if e.Call != nil {
				hop += "(" + e.Call.Operation + ")"
			}
			hops = append(hops, hop)
		}
		want := []string{"receiver:RECEIVED", "enqueuer:QUEUED", "worker:QUEUED(ensure customer)", "worker:IMPORT_SUBMITTED(import order)", "poller:IMPORTED(import log)", "poller:FULFILLED"}
		if strings.Join(hops, " ") != strings.Join(want, " ") {
			t.Errorf("%s history:\n got %v\nwant %v", id, hops, want)
		}
		if p.Sim.OrdersFor(id) != 1 {
			t.Errorf("%s has %d plenigo orders", id, p.Sim.OrdersFor(id))
		}
	}
	if o := got["dealer-WBZ-2026-000103"]; o.State != order.Rejected {
		t.Errorf("unmapped dealer offer: %s", o.State)
	}
	if !p.Sim.HasWBZMark("vertrieb@presse-nord.example") {
		t.Error("the dealer has no WBZ mark")
	}
}

// TestTripleConcurrentDeliveries delivers every webhook and batch three times at once: one plenigo
// customer per email and one plenigo order per purchase.
func TestTripleConcurrentDeliveries(t *testing.T) {
	p := start(t, pipeline.Options{})
	var ids []string
	var wg sync.WaitGroup
	now := time.Now()
	for i := range 30 {
		body := scenario.MarketplacePurchase(7000+i, fmt.Sprintf("buyer%d@example.com", i%10), "1338", "1", now)
		ids = append(ids, fmt.Sprintf("mkt-%d", 7000+i))
		for range 3 {
			wg.Add(1)
			go func() { defer wg.Done(); receive(t, p, body) }()
		}
	}
	var purchases []string
	for i := range 20 {
		ext := fmt.Sprintf("WBZ-T-%03d", i)
		purchases = append(purchases, scenario.DealerPurchase(ext, fmt.Sprintf("dealer%d@presse.example", i%5), "Nord", fmt.Sprint(i%5), "WBZ-PRINT-12M", 2))
		ids = append(ids, "dealer-"+ext)
	}
	batch := scenario.DealerBatch(purchases...)
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); dealer(t, p, batch) }()
	}
	wg.Wait()
	got := settle(t, p, ids, 60*time.Second)
	for _, id := range ids {
		if got[id].State != order.Fulfilled {
			t.Errorf("%s: %s %q", id, got[id].State, got[id].StateReason)
		}
		if n := p.Sim.OrdersFor(id); n != 1 {
			t.Errorf("%s has %d plenigo orders", id, n)
		}
	}
	for i := range 10 {
		if n := p.Sim.CustomersByEmail(fmt.Sprintf("buyer%d@example.com", i)); n != 1 {
			t.Errorf("buyer%d has %d plenigo customers", i, n)
		}
	}
	if p.Sim.CustomerCount() != 15 || p.Sim.OrderCount() != 50 {
		t.Errorf("plenigo has %d customers and %d orders, want 15 and 50", p.Sim.CustomerCount(), p.Sim.OrderCount())
	}
}

// TestTwentyPercentFaults makes a fifth of all plenigo calls fail (429, 5xx, timeouts, 504 after the
// import was applied): every order still ends imported (FULFILLED, as the mapping completes them on import), none twice.
func TestTwentyPercentFaults(t *testing.T) {
	p := start(t, pipeline.Options{Sim: plenigosim.Config{FaultRate: 0.2}})
	// Besides the random fifth, each kind of fault at least once where it hurts most.
	all := []plenigosim.Fault{plenigosim.Fault429, plenigosim.Fault500, plenigosim.Fault502, plenigosim.Fault503, plenigosim.FaultTimeout, plenigosim.Fault504AfterApply}
	p.Sim.FailNext("POST /imports/orders", all...)
	p.Sim.FailNext("POST /customers", plenigosim.Fault504AfterApply, plenigosim.FaultTimeout)
	var ids []string
	for wave := range 4 {
		for i := range 15 {
			n := 8000 + wave*15 + i
			receive(t, p, scenario.MarketplacePurchase(n, fmt.Sprintf("f%d@example.com", n%20), "1338", "1", time.Now()))
			ids = append(ids, fmt.Sprintf("mkt-%d", n))
		}
		time.Sleep(300 * time.Millisecond)
	}
	got := settle(t, p, ids, 120*time.Second)
	for _, id := range ids {
		if got[id].State != order.Fulfilled || p.Sim.OrdersFor(id) != 1 {
			t.Errorf("%s: %s with %d plenigo orders", id, got[id].State, p.Sim.OrdersFor(id))
		}
	}
	for i := range 20 {
		if n := p.Sim.CustomersByEmail(fmt.Sprintf("f%d@example.com", i)); n != 1 {
			t.Errorf("f%d has %d plenigo customers", i, n)
		}
	}
	kinds := p.Sim.FaultsByKind()
	for _, f := range all {
		if kinds[f] == 0 {
			t.Errorf("no %s fault was injected", f)
		}
	}
	faulted := 0
	for _, n := range kinds {
		faulted += n
	}
	t.Logf("%d of %d plenigo calls faulted: %v", faulted, p.Sim.TotalCalls(), kinds)
}

// TestFailuresEndVisible: plenigo's asynchronous refusal ends IMPORT_FAILED with its reason; a
// permanent validation error ends failed without retries.
func TestFailuresEndVisible(t *testing.T) {
	p := start(t, pipeline.Options{})
	ctx := context.Background()
	// Mapped locally, unknown to plenigo: refused at once (404, 60404), not retried into the DLQ.
	p.Sim.RemoveOffer("O_K3Q9T2W8PLX4RM7N2B")
	receive(t, p, scenario.MarketplacePurchase(9001, "async@example.com", "1339", "1", time.Now()))
	// An order stored with an offer id plenigo's validation refuses (an operator's typo that got past
	// the mapping check would look like this).
	bad, _ := order.New(order.SourceMarketplace, "9002", time.Now(), order.Actor{Function: "test"})
	bad.Customer = order.Customer{Email: "sync@example.com", Language: "de"}
	bad.Items = []order.Item{{Product: "1338", Quantity: order.DecimalFromInt(1), OfferID: "O_SHORT"}}
	bad.Payment = order.Payment{Method: "paypal", PlenigoMethod: "PAYPAL"}
	bad.StartDate = time.Now()
	if err := p.Orders.Create(ctx, bad); err != nil {
		t.Fatal(err)
	}
	got := settle(t, p, []string{"mkt-9001", "mkt-9002"}, 30*time.Second)
	if o := got["mkt-9001"]; o.State != order.ImportFailed || !strings.Contains(o.StateReason, "60404") || o.Attempts != 0 {
		t.Errorf("unknown offer: %s %q attempts %d", o.State, o.StateReason, o.Attempts)
	}
	o := got["mkt-9002"]
	if o.State != order.ImportFailed || !strings.Contains(o.StateReason, "plenigoOfferId") || o.Attempts != 0 {
		t.Errorf("validation error: %s %q attempts %d", o.State, o.StateReason, o.Attempts)
	}
	for _, e := range o.History {
		if e.To == order.Retrying {
			t.Errorf("a permanent error was retried: %+v", e)
		}
	}
}

// TestExhaustedJobsReachTheDLQ: with plenigo refusing the token, a job is retried until the queue's
// maxReceiveCount (from template.yaml) moves it to the DLQ; its order stays visible in RETRYING.
func TestExhaustedJobsReachTheDLQ(t *testing.T) {
	p := start(t, pipeline.Options{RetryBase: 50 * time.Millisecond, RetryCap: 100 * time.Millisecond})
	p.Sim.SetToken(scenario.PlenigoToken, true, false)
	receive(t, p, scenario.MarketplacePurchase(9100, "dlq@example.com", "1338", "1", time.Now()))
	dlq := p.Resources.Queues["ImportDLQ"].URL
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := localaws.Visible(context.Background(), p.SQS, dlq)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the DLQ holds %d messages after 30 s", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	o, err := p.Orders.Get(context.Background(), "mkt-9100")
	if err != nil {
		t.Fatal(err)
	}
	if o.State != order.Retrying || o.Attempts < 5 {
		t.Fatalf("order %s after %d attempts", o.State, o.Attempts)
	}
}

// TestAnOutageLongerThanTheQueueEndsImported: plenigo fails every call until the jobs have used up
// the queue's receives and sit in the DLQ; after plenigo recovers, the sweep gives the RETRYING
// orders new jobs and every order ends IMPORTED without anybody acting.
func TestAnOutageLongerThanTheQueueEndsImported(t *testing.T) {
	p := start(t, pipeline.Options{RetryBase: 50 * time.Millisecond, RetryCap: 100 * time.Millisecond,
		SweepEvery: 300 * time.Millisecond, RetryingAge: 2 * time.Second})
	p.Sim.SetFaults(1, plenigosim.Fault503, plenigosim.Fault502, plenigosim.Fault500, plenigosim.Fault504AfterApply)
	var ids []string
	for i := range 5 {
		receive(t, p, scenario.MarketplacePurchase(9200+i, fmt.Sprintf("outage%d@example.com", i), "1338", "1", time.Now()))
		ids = append(ids, fmt.Sprintf("mkt-%d", 9200+i))
	}
	dlq := p.Resources.Queues["ImportDLQ"].URL
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		n, err := localaws.Visible(context.Background(), p.SQS, dlq)
		if err != nil {
			t.Fatal(err)
		}
		if n >= len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the DLQ holds %d of %d jobs after 90 s", n, len(ids))
		}
	}
	p.Sim.SetFaults(0)
	got := settle(t, p, ids, 45*time.Second)
	for _, id := range ids {
		if o := got[id]; o.State != order.Fulfilled || p.Sim.OrdersFor(id) != 1 {
			t.Errorf("%s: %s %q, %d plenigo orders", id, o.State, o.StateReason, p.Sim.OrdersFor(id))
		}
	}
}
