package importing_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/plenigosim"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

const (
	offer    = "O_MZA1E7173120881551"
	wbzOffer = "O_WBZ7PRINT0012MNTHS"
)

var by = order.Actor{Function: "test", RequestID: "r1"}

type rig struct {
	sim       *plenigosim.Sim
	orders    *memstore.Store
	importer  *importing.Importer
	confirmer *importing.Confirmer
	queue     *memQueue
	enqueuer  *importing.Enqueuer
}

func newRig(t *testing.T, cfg plenigosim.Config) *rig {
	t.Helper()
	cfg.Tokens = map[string]bool{"tok": true}
	cfg.Offers = map[string]plenigosim.Offer{offer: {}, wbzOffer: {WBZ: true}}
	if cfg.LogDelay == 0 {
		cfg.LogDelay = 5 * time.Millisecond
	}
	sim, pc := plenigosim.Serve(t, cfg, "tok")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := &rig{sim: sim, orders: memstore.New(), queue: &memQueue{}}
	r.importer = &importing.Importer{Orders: r.orders, Customers: &importing.CachedCustomers{Next: importing.StoredCustomers{Records: r.orders}}, Plenigo: pc, Now: time.Now, Log: log, MaxItemsPerCall: 50}
	r.confirmer = &importing.Confirmer{Orders: r.orders, Records: r.orders, Plenigo: pc, Now: time.Now, Log: log,
		Overlap: time.Minute, FirstLook: time.Hour, StaleAfter: time.Hour, GiveUpAfter: 24 * time.Hour, LeaseTTL: time.Minute, PageSize: 100}
	r.enqueuer = &importing.Enqueuer{Orders: r.orders, Queue: r.queue, Now: time.Now, Log: log, ReceivedAge: time.Minute, QueuedAge: time.Hour, RetryingAge: time.Hour, SweepLimit: 100}
	return r
}

// queued stores an order already in QUEUED, as the enqueuer leaves it.
func (r *rig) queued(t *testing.T, src order.Source, ref, email string, offerID string, dealer *order.Dealer) string {
	t.Helper()
	o, err := order.New(src, ref, time.Now().Add(-time.Minute), by)
	if err != nil {
		t.Fatal(err)
	}
	o.Customer = order.Customer{Email: email, Language: "de", FirstName: "A", Address: order.Address{Street: "Main Street", Town: "Kassel", Country: "DE"}}
	o.Dealer = dealer
	o.Items = []order.Item{{Product: "p", Quantity: order.DecimalFromInt(1), OfferID: offerID}}
	o.Payment = order.Payment{Method: "paypal", PlenigoMethod: "PAYPAL"}
	o.StartDate = time.Now()
	if err := o.MoveTo(order.Queued, order.Change{At: time.Now(), By: by}); err != nil {
		t.Fatal(err)
	}
	if err := r.orders.Create(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

func (r *rig) state(t *testing.T, id string) *order.Order {
	t.Helper()
	o, err := r.orders.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestBatchSharesOneImportCallAndCachesCustomers(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	a := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	b := r.queued(t, order.SourceMarketplace, "2", "a@x.de", offer, nil)
	c := r.queued(t, order.SourceMarketplace, "3", "c@x.de", offer, nil)
	res := r.importer.Import(ctx, []string{a, b, c}, by)
	for _, id := range []string{a, b, c} {
		if res[id].Outcome != importing.Done {
			t.Fatalf("%s: %+v", id, res[id])
		}
		o := r.state(t, id)
		if o.State != order.ImportSubmitted || o.Subscription.PromiseID == "" || o.Customer.PlenigoCustomerID == "" {
			t.Fatalf("%s: %s promise %q customer %q", id, o.State, o.Subscription.PromiseID, o.Customer.PlenigoCustomerID)
		}
	}
	calls := r.sim.Calls()
	if calls["POST /imports/orders"] != 1 || calls["POST /customers"] != 2 || r.sim.TotalCalls() != 3 {
		t.Fatalf("calls %v, want one import and two customer creations", calls)
	}
	d := r.queued(t, order.SourceMarketplace, "4", "a@x.de", offer, nil)
	r.sim.ResetCalls()
	r.importer.Import(ctx, []string{d}, by)
	if calls := r.sim.Calls(); calls["POST /customers"] != 0 || calls["GET /customers"] != 0 {
		t.Fatalf("a known customer cost calls: %v", calls)
	}
}

func TestDealerGetsItsWBZMarkOnce(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	d := &order.Dealer{Group: "Nord", Number: "4711"}
	a := r.queued(t, order.SourceDealer, "W-1", "dealer@x.de", wbzOffer, d)
	b := r.queued(t, order.SourceDealer, "W-2", "dealer@x.de", wbzOffer, d)
	r.importer.Import(ctx, []string{a}, by)
	r.importer.Import(ctx, []string{b}, by)
	if !r.sim.HasWBZMark("dealer@x.de") || r.sim.Calls()["PUT /customers/{id}/marks/WBZ"] != 1 {
		t.Fatalf("WBZ mark calls %v", r.sim.Calls())
	}
	hist := r.state(t, a).History
	var sawCustomer bool
	for _, e := range hist {
		if e.Call != nil && e.Call.Operation == "ensure customer" && strings.Contains(e.Call.Outcome, "WBZ mark set") {
			sawCustomer = true
		}
	}
	if !sawCustomer {
		t.Fatalf("history lacks the customer hop: %+v", hist)
	}
}

func TestExistingPlenigoCustomerIsFoundByEmail(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	existing, _, err := r.importer.Plenigo.CreateCustomer(ctx, plenigo.CustomerCreation{CustomerID: "555", Email: "old@x.de", Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	id := r.queued(t, order.SourceMarketplace, "9", "old@x.de", offer, nil)
	r.importer.Import(ctx, []string{id}, by)
	if o := r.state(t, id); o.Customer.PlenigoCustomerID != existing.CustomerID || r.sim.CustomerCount() != 1 {
		t.Fatalf("customer %q, %d customers", o.Customer.PlenigoCustomerID, r.sim.CustomerCount())
	}
}

func TestPermanentRefusalFailsOnlyTheBadOrder(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	good := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	bad := r.queued(t, order.SourceMarketplace, "2", "b@x.de", "O_TOO_SHORT", nil)
	res := r.importer.Import(ctx, []string{good, bad}, by)
	if res[good].Outcome != importing.Done || res[bad].Outcome != importing.Done {
		t.Fatalf("results %+v", res)
	}
	if o := r.state(t, good); o.State != order.ImportSubmitted {
		t.Fatalf("good order: %s", o.State)
	}
	o := r.state(t, bad)
	if o.State != order.ImportFailed || !strings.Contains(o.StateReason, "plenigoOfferId") {
		t.Fatalf("bad order: %s %q", o.State, o.StateReason)
	}
	if n := r.sim.Calls()["POST /imports/orders"]; n != 3 {
		t.Fatalf("%d import calls, want the batch then each order alone", n)
	}
}

func TestTransientFailureRetriesWithGrowingDelay(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	var delays []time.Duration
	for range 2 {
		r.sim.FailNext("POST /imports/orders", plenigosim.Fault429, plenigosim.Fault429, plenigosim.Fault429) // refused: the client tries three times
		res := r.importer.Import(ctx, []string{id}, by)
		if res[id].Outcome != importing.Retry {
			t.Fatalf("result %+v", res[id])
		}
		delays = append(delays, res[id].Delay)
	}
	o := r.state(t, id)
	if o.State != order.Retrying || o.Attempts != 2 {
		t.Fatalf("after two failed runs: %s attempts %d", o.State, o.Attempts)
	}
	// Equal jitter: attempt n waits between half and all of RetryBase·2^(n-1).
	if delays[0] < importing.RetryBase/2 || delays[0] > importing.RetryBase || delays[1] < importing.RetryBase || delays[1] > 2*importing.RetryBase {
		t.Fatalf("delays %v do not follow the schedule", delays)
	}
	if res := r.importer.Import(ctx, []string{id}, by); res[id].Outcome != importing.Done {
		t.Fatalf("third run: %+v", res[id])
	}
	if o := r.state(t, id); o.State != order.ImportSubmitted || o.Attempts != 0 {
		t.Fatalf("after recovery: %s attempts %d", o.State, o.Attempts)
	}
}

func TestExpiredTokenRetriesInsteadOfFailing(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	r.sim.SetToken("tok", true, false)
	if res := r.importer.Import(context.Background(), []string{id}, by); res[id].Outcome != importing.Retry {
		t.Fatalf("result %+v", res[id])
	}
	if o := r.state(t, id); o.State != order.Retrying {
		t.Fatalf("state %s", o.State)
	}
}

func TestJobsForOrdersPastTheStepCostNothing(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	r.importer.Import(ctx, []string{id}, by)
	r.sim.ResetCalls()
	res := r.importer.Import(ctx, []string{id, id, "mkt-404"}, by)
	if res[id].Outcome != importing.Done || res["mkt-404"].Outcome != importing.Done || r.sim.TotalCalls() != 0 {
		t.Fatalf("results %+v, %d calls", res, r.sim.TotalCalls())
	}
}

func TestAnOfferPlenigoDoesNotHaveFailsAtOnceWithItsReason(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", "O_NOTINPLENIGO000000", nil)
	if res := r.importer.Import(context.Background(), []string{id}, by); res[id].Outcome != importing.Done {
		t.Fatalf("result %+v: the job would go on to the dead-letter queue", res[id])
	}
	if o := r.state(t, id); o.State != order.ImportFailed || !strings.Contains(o.StateReason, "60404") {
		t.Fatalf("order %s %q, want IMPORT_FAILED with plenigo's 60404", o.State, o.StateReason)
	}
	if n := r.sim.Calls()["POST /imports/orders"]; n != 1 {
		t.Fatalf("%d import calls; a permanent refusal is not retried", n)
	}
}

func TestConfirmerAppliesTheLogOnce(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	ok := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	removed := r.queued(t, order.SourceMarketplace, "2", "b@x.de", wbzOffer, nil)
	r.sim.SetLogDelay(time.Hour) // hold the imports until the offer is gone
	r.importer.Import(ctx, []string{ok, removed}, by)
	r.sim.RemoveOffer(wbzOffer) // plenigo loses the offer after it accepted the import
	r.sim.ProcessPending()
	st, err := r.confirmer.Run(ctx, by)
	if err != nil || st.Imported != 1 || st.Failed != 1 || st.Pages != 1 {
		t.Fatalf("run: %+v %v", st, err)
	}
	if o := r.state(t, ok); o.State != order.Imported || o.Subscription.PlenigoOrderID == "" {
		t.Fatalf("imported order: %s %q", o.State, o.Subscription.PlenigoOrderID)
	}
	if o := r.state(t, removed); o.State != order.ImportFailed || !strings.Contains(o.StateReason, "could not be imported") {
		t.Fatalf("failed order: %s %q", o.State, o.StateReason)
	}
	before := r.state(t, ok).Version
	st, err = r.confirmer.Run(ctx, by)
	if err != nil || st.Imported != 0 || st.Failed != 0 || st.Entries != 0 {
		t.Fatalf("second run re-applied entries it had applied: %+v %v", st, err)
	}
	if r.state(t, ok).Version != before {
		t.Fatal("the second run wrote to an imported order")
	}
}

// TestAPollFindingNothingNewSavesNothing: after a burst of 250 imports (three pages of the log),
// a run that finds every entry of its overlap window applied before leaves the checkpoint as it was;
// the run that applied them saved it once per page.
func TestAPollFindingNothingNewSavesNothing(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	var ids []string
	for i := range 250 {
		ids = append(ids, r.queued(t, order.SourceMarketplace, "burst-"+strconv.Itoa(i), "a@x.de", offer, nil))
	}
	r.importer.Import(ctx, ids, by)
	r.sim.ProcessPending()
	saves := &countedSaves{Store: r.orders}
	r.confirmer.Records = saves
	st, err := r.confirmer.Run(ctx, by)
	if err != nil || st.Imported != 250 || st.Pages != 3 {
		t.Fatalf("the burst's run: %+v %v", st, err)
	}
	if saves.n != 3 {
		t.Errorf("the burst's run saved the checkpoint %d times, want once per page (3)", saves.n)
	}
	for run := range 2 {
		saves.n = 0
		st, err := r.confirmer.Run(ctx, by)
		if err != nil || st.Entries != 0 || st.Pages != 3 {
			t.Fatalf("idle run %d: %+v %v", run, st, err)
		}
		if saves.n != 0 {
			t.Errorf("idle run %d saved the checkpoint %d times, want none: nothing moved", run, saves.n)
		}
	}
}

// countedSaves counts the records saved through it.
type countedSaves struct {
	*memstore.Store
	n int
}

func (c *countedSaves) Save(ctx context.Context, kind, key string, v any, version int) error {
	c.n++
	return c.Store.Save(ctx, kind, key, v, version)
}

func TestOverlappingRunsSkipByLease(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	if ok, _ := r.orders.AcquireLease(ctx, importing.CheckpointImportLog, "other", time.Now(), time.Minute); !ok {
		t.Fatal("could not take the lease")
	}
	st, err := r.confirmer.Run(ctx, by)
	if err != nil || !st.Skipped || r.sim.TotalCalls() != 0 {
		t.Fatalf("run under a held lease: %+v %v, %d calls", st, err, r.sim.TotalCalls())
	}
}

func TestConcurrentRunsWithoutLeaseStillApplyOnce(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	var ids []string
	for i := range 20 {
		ids = append(ids, r.queued(t, order.SourceMarketplace, string(rune('a'+i)), "a@x.de", offer, nil))
	}
	r.importer.Import(ctx, ids, by)
	time.Sleep(30 * time.Millisecond)
	r.confirmer.Records = noLease{r.orders} // as if the lease had expired under a slow run
	var wg sync.WaitGroup
	imported := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _ := r.confirmer.Run(ctx, order.Actor{Function: "test", RequestID: string(rune('x' + i))})
			imported[i] = st.Imported
		}()
	}
	wg.Wait()
	if imported[0]+imported[1] != 20 {
		t.Fatalf("runs imported %v, want 20 in total", imported)
	}
	for _, id := range ids {
		o := r.state(t, id)
		n := 0
		for _, e := range o.History {
			if e.To == order.Imported && e.From != order.Imported {
				n++
			}
		}
		if o.State != order.Imported || n != 1 {
			t.Fatalf("%s: %s with %d IMPORTED entries", id, o.State, n)
		}
	}
}

func TestAsyncDuplicateEntryDoesNotFailTheOrder(t *testing.T) {
	r := newRig(t, plenigosim.Config{Duplicates: plenigosim.DuplicateAsync})
	ctx := context.Background()
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	r.sim.FailNext("POST /imports/orders", plenigosim.Fault504AfterApply)
	r.importer.Import(ctx, []string{id}, by) // applied, 504, retried: 201 then a failed duplicate entry
	time.Sleep(30 * time.Millisecond)
	if _, err := r.confirmer.Run(ctx, by); err != nil {
		t.Fatal(err)
	}
	if o := r.state(t, id); o.State != order.Imported || r.sim.OrdersFor(id) != 1 {
		t.Fatalf("%s, %d plenigo orders", o.State, r.sim.OrdersFor(id))
	}
}

func TestStaleSubmissionIsCheckedThenGivenUp(t *testing.T) {
	r := newRig(t, plenigosim.Config{LogDelay: time.Hour}) // the log never shows it
	ctx := context.Background()
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	r.importer.Import(ctx, []string{id}, by)
	r.confirmer.StaleAfter, r.confirmer.GiveUpAfter = 0, time.Hour
	st, err := r.confirmer.Run(ctx, by)
	if err != nil || st.Checked != 1 || st.GaveUp != 0 || r.state(t, id).State != order.ImportSubmitted {
		t.Fatalf("young stale order: %+v %v", st, err)
	}
	r.confirmer.GiveUpAfter = 0
	st, err = r.confirmer.Run(ctx, by)
	if err != nil || st.GaveUp != 1 {
		t.Fatalf("old stale order: %+v %v", st, err)
	}
	if o := r.state(t, id); o.State != order.ImportFailed || !strings.Contains(o.StateReason, "replay") {
		t.Fatalf("%s %q", o.State, o.StateReason)
	}
}

func TestEnqueueMovesThenSends(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	o, _ := order.New(order.SourceMarketplace, "1", time.Now().Add(-time.Hour), by)
	o.Items = []order.Item{{Product: "p", Quantity: order.DecimalFromInt(1)}}
	_ = r.orders.Create(ctx, o)
	failed, err := r.enqueuer.Enqueue(ctx, []string{o.ID, "mkt-404"}, by)
	if err != nil || len(failed) != 0 || r.state(t, o.ID).State != order.Queued || len(r.queue.sent) != 1 {
		t.Fatalf("enqueue: %v %v, sent %v", failed, err, r.queue.sent)
	}
	// A stream redelivery sends again but records nothing.
	v := r.state(t, o.ID).Version
	_, _ = r.enqueuer.Enqueue(ctx, []string{o.ID}, by)
	if len(r.queue.sent) != 2 || r.state(t, o.ID).Version != v {
		t.Fatalf("redelivery: sent %v, version %d→%d", r.queue.sent, v, r.state(t, o.ID).Version)
	}
	r.queue.fail = true
	o2, _ := order.New(order.SourceMarketplace, "2", time.Now().Add(-time.Hour), by)
	_ = r.orders.Create(ctx, o2)
	if failed, _ := r.enqueuer.Enqueue(ctx, []string{o2.ID}, by); len(failed) != 1 {
		t.Fatalf("a failed send was not reported: %v", failed)
	}
	r.queue.fail = false
	n, err := r.enqueuer.Sweep(ctx, by) // o2 is QUEUED but its job was lost
	if err != nil || n != 0 {
		t.Fatalf("sweep right after: %d %v", n, err)
	}
	r.enqueuer.QueuedAge = 0
	if n, err := r.enqueuer.Sweep(ctx, by); err != nil || n != 2 {
		t.Fatalf("sweep of stale QUEUED orders: %d %v", n, err)
	}
}

type memQueue struct {
	mu   sync.Mutex
	sent []string
	fail bool
}

func (q *memQueue) Send(_ context.Context, ids []string) ([]string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail {
		return ids, nil
	}
	q.sent = append(q.sent, ids...)
	return nil, nil
}

// noLease grants every lease, to show that applying the log is safe even when two runs overlap.
type noLease struct{ *memstore.Store }

func (noLease) AcquireLease(context.Context, string, string, time.Time, time.Duration) (bool, error) {
	return true, nil
}

// failingUpdates fails the first Update of one order, as a throttled store would.
type failingUpdates struct {
	*memstore.Store
	id    string
	fails int
}

func (f *failingUpdates) Update(ctx context.Context, id string, fn func(*order.Order) error) (*order.Order, error) {
	if id == f.id && f.fails > 0 {
		f.fails--
		return nil, errors.New("throttled")
	}
	return f.Store.Update(ctx, id, fn)
}

func TestAJobTwiceInABatchKeepsTheRetryOfItsFirstCopy(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	r.importer.Orders = &failingUpdates{Store: r.orders, id: id, fails: 1}
	res := r.importer.Import(context.Background(), []string{id, id}, by)
	if res[id].Outcome != importing.Retry {
		t.Fatalf("a job whose order could not be read was answered %+v: both copies would be acknowledged", res[id])
	}
}

// submitAndConfirm runs the worker on ids, lets plenigo process everything, and runs the poller.
func (r *rig) submitAndConfirm(t *testing.T, ids ...string) {
	t.Helper()
	r.importer.Import(context.Background(), ids, by)
	r.sim.ProcessPending()
	if _, err := r.confirmer.Run(context.Background(), by); err != nil {
		t.Fatal(err)
	}
}

func TestWBZPrintOrderIsImportedWithItsDeliveryAddress(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	r.sim.SetOffer(wbzOffer, plenigosim.Offer{WBZ: true, NeedsDeliveryAddress: true})
	kiosk := &order.Address{Company: "Kiosk am Markt", Street: "Markt", HouseNumber: "1", PostalCode: "20095", Town: "Hamburg", Country: "DE"}
	dealer := func() *order.Dealer {
		d := &order.Dealer{Group: "Nord", Number: "4711"}
		a := *kiosk
		d.Delivery = &a
		return d
	}
	first := r.queued(t, order.SourceDealer, "WBZ-1", "d@presse.example", wbzOffer, dealer())
	second := r.queued(t, order.SourceDealer, "WBZ-2", "d@presse.example", wbzOffer, dealer())
	noAddress := r.queued(t, order.SourceDealer, "WBZ-3", "e@presse.example", wbzOffer, &order.Dealer{Group: "Nord", Number: "4712"})
	r.submitAndConfirm(t, first, second, noAddress)
	for _, id := range []string{first, second} {
		if o := r.state(t, id); o.State != order.Imported || o.Dealer.DeliveryAddressID == 0 {
			t.Fatalf("%s: %s with delivery address %d (%q)", id, o.State, o.Dealer.DeliveryAddressID, o.StateReason)
		}
	}
	if n := len(r.sim.WBZAddresses(importing.StableCustomerID("d@presse.example"))); n != 1 || r.sim.Calls()["POST /addresses/wbz"] != 1 {
		t.Fatalf("%d WBZ addresses after %d calls; one address serves every order of the dealer", n, r.sim.Calls()["POST /addresses/wbz"])
	}
	if o := r.state(t, noAddress); o.State != order.ImportFailed || !strings.Contains(o.StateReason, "could not be imported") {
		t.Fatalf("a print order without a delivery address: %s %q", o.State, o.StateReason)
	}
}

func TestOneCustomerCarriesOneDealer(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	first := r.queued(t, order.SourceDealer, "WBZ-1", "d@presse.example", wbzOffer, &order.Dealer{Group: "Nord", Number: "4711"})
	r.importer.Import(context.Background(), []string{first}, by)
	other := r.queued(t, order.SourceDealer, "WBZ-2", "d@presse.example", wbzOffer, &order.Dealer{Group: "Süd", Number: "12"})
	r.importer.Import(context.Background(), []string{other}, by)
	if o := r.state(t, other); o.State != order.ImportFailed || !strings.Contains(o.StateReason, "Nord/4711") {
		t.Fatalf("a second dealer under one email: %s %q", o.State, o.StateReason)
	}
	if r.sim.Calls()["PUT /customers/{id}/marks/WBZ"] != 1 {
		t.Fatalf("the first dealer's mark was overwritten: %v", r.sim.Calls())
	}
}

func TestADuplicatesRefusalInTheLogDoesNotFailAnImportedOrder(t *testing.T) {
	r := newRig(t, plenigosim.Config{Duplicates: plenigosim.DuplicateAsync})
	ctx := context.Background()
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	r.importer.Import(ctx, []string{id}, by)
	r.sim.ProcessPending()
	// The same import again (as after an uncertain answer), refused in the log in plenigo's shape.
	o := r.state(t, id)
	pc := r.importer.Plenigo
	if _, err := pc.ImportOrders(ctx, plenigo.OrderImports{SuppressMail: true, Items: []plenigo.OrderImport{{ExternalSystemID: id,
		PlenigoOfferID: offer, InvoiceCustomerID: o.Customer.PlenigoCustomerID, Quantity: 1, StartDate: o.StartDate, PaymentMethod: "PAYPAL", ManagedBy: "EXTERNAL"}}}); err != nil {
		t.Fatal(err)
	}
	r.sim.ProcessPending()
	entries, _ := pc.ImportLogFor(ctx, id)
	if len(entries) != 2 || entries[1].Success || entries[1].ErrorReason == "" {
		t.Fatalf("log %+v", entries)
	}
	// The poller reads only the refusal: the success entry is behind its checkpoint.
	if err := r.orders.Save(ctx, "CHECKPOINT", importing.CheckpointImportLog, importing.Checkpoint{Since: entries[1].ChangedDate}, 0); err != nil {
		t.Fatal(err)
	}
	r.confirmer.Overlap = 0
	if _, err := r.confirmer.Run(ctx, by); err != nil {
		t.Fatal(err)
	}
	if o := r.state(t, id); o.State != order.Imported || o.Subscription.PlenigoOrderID == "" {
		t.Fatalf("an order plenigo has: %s %q", o.State, o.StateReason)
	}
}

func TestAPendingEntryThatSucceedsLaterEndsImported(t *testing.T) {
	r := newRig(t, plenigosim.Config{PendingEntries: true, PendingDelay: time.Hour})
	ctx := context.Background()
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	r.importer.Import(ctx, []string{id}, by)
	r.sim.Flush() // the entry is written, pending: success false, no reason
	if entries, _ := r.importer.Plenigo.ImportLogFor(ctx, id); len(entries) != 1 || entries[0].Success {
		t.Fatalf("log %+v", entries)
	}
	if _, err := r.confirmer.Run(ctx, by); err != nil {
		t.Fatal(err)
	}
	if o := r.state(t, id); o.State != order.ImportSubmitted {
		t.Fatalf("after a pending entry: %s %q", o.State, o.StateReason)
	}
	r.sim.ProcessPending()
	if _, err := r.confirmer.Run(ctx, by); err != nil {
		t.Fatal(err)
	}
	if o := r.state(t, id); o.State != order.Imported {
		t.Fatalf("after the entry succeeded: %s %q", o.State, o.StateReason)
	}
}

func TestALockedRegistrationIsRetriedAndSucceeds(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	r.sim.LockRegistration(1) // 423 with 20026 for a few seconds
	if res := r.importer.Import(context.Background(), []string{id}, by); res[id].Outcome != importing.Done {
		t.Fatalf("result %+v", res[id])
	}
	if o := r.state(t, id); o.State != order.ImportSubmitted || r.sim.Calls()["POST /customers"] != 2 {
		t.Fatalf("%s after %d customer calls", o.State, r.sim.Calls()["POST /customers"])
	}
}

func TestTwoWorkersOnOneOrderMakeOnePlenigoOrder(t *testing.T) {
	r := newRig(t, plenigosim.Config{Duplicates: plenigosim.DuplicateAccept})
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = r.queued(t, order.SourceMarketplace, strconv.Itoa(i), "a@x.de", offer, nil)
	}
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.importer.Import(context.Background(), ids, order.Actor{Function: "worker", RequestID: "req-" + strconv.Itoa(w)})
		}()
	}
	wg.Wait()
	r.sim.ProcessPending()
	for _, id := range ids {
		if n := r.sim.OrdersFor(id); n != 1 {
			t.Fatalf("%s: %d plenigo orders; a plenigo that accepts duplicates got two imports", id, n)
		}
	}
}

func TestAnUncertainImportIsLookedUpNotPostedAgain(t *testing.T) {
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	applied := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	lost := r.queued(t, order.SourceMarketplace, "2", "b@x.de", offer, nil)
	r.importer.UncertainAfter = time.Hour
	r.sim.FailNext("POST /imports/orders", plenigosim.Fault504AfterApply, plenigosim.Fault503)
	r.importer.Import(ctx, []string{applied}, by)
	r.importer.Import(ctx, []string{lost}, by)
	r.sim.ProcessPending()
	for _, id := range []string{applied, lost} {
		if o := r.state(t, id); o.State != order.Retrying || o.Submission.UncertainAt.IsZero() {
			t.Fatalf("%s after an uncertain answer: %s %+v", id, o.State, o.Submission)
		}
	}
	r.sim.ResetCalls()
	res := r.importer.Import(ctx, []string{applied, lost}, by)
	if o := r.state(t, applied); o.State != order.Imported || res[applied].Outcome != importing.Done {
		t.Fatalf("an import plenigo took: %s %+v", o.State, res[applied])
	}
	if o := r.state(t, lost); o.State != order.Retrying || res[lost].Outcome != importing.Retry {
		t.Fatalf("an import plenigo shows no trace of, inside the window: %s %+v", o.State, res[lost])
	}
	if n := r.sim.Calls()["POST /imports/orders"]; n != 0 {
		t.Fatalf("%d imports posted while their outcome was open", n)
	}
	r.importer.UncertainAfter = time.Nanosecond // the window is over: plenigo never got it
	r.importer.Import(ctx, []string{lost}, by)
	r.sim.ProcessPending()
	if o := r.state(t, lost); o.State != order.ImportSubmitted || r.sim.OrdersFor(lost) != 1 || r.sim.OrdersFor(applied) != 1 {
		t.Fatalf("after the window: %s, plenigo orders %d and %d", o.State, r.sim.OrdersFor(lost), r.sim.OrdersFor(applied))
	}
}

func TestAPollerRunCutOffByItsDeadlineIsContinuedByTheNext(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 log entries")
	}
	r := newRig(t, plenigosim.Config{})
	ctx := context.Background()
	pc := r.importer.Plenigo
	cu, _, err := pc.CreateCustomer(ctx, plenigo.CustomerCreation{CustomerID: "7", Email: "bulk@x.de", Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	const total = 20_000
	for start := 0; start < total; start += 100 {
		req := plenigo.OrderImports{SuppressMail: true}
		for i := start; i < start+100; i++ {
			req.Items = append(req.Items, plenigo.OrderImport{ExternalSystemID: "other-system-" + strconv.Itoa(i), PlenigoOfferID: offer,
				InvoiceCustomerID: cu.CustomerID, Quantity: 1, StartDate: time.Now(), PaymentMethod: "BILLING", ManagedBy: "EXTERNAL"})
		}
		if _, err := pc.ImportOrders(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	r.sim.ProcessPending()
	// Ours is the newest entry: only a run that reads the whole log confirms it.
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	r.importer.Import(ctx, []string{id}, by)
	r.sim.ProcessPending()

	r.confirmer.Budget = 1200 * time.Millisecond // more than the plenigo client keeps for itself (1 s)
	cut, cancel := context.WithTimeout(ctx, 2500*time.Millisecond)
	first, err := r.confirmer.Run(cut, by)
	cancel()
	if err != nil || !first.Unfinished || first.Entries >= total {
		t.Fatalf("first run: %+v %v; want it cut off before the end", first, err)
	}
	runs, seen := 1, first.Entries
	for ; runs < 100; runs++ {
		st, err := r.confirmer.Run(ctx, by)
		if err != nil {
			t.Fatal(err)
		}
		seen += st.Entries
		if !st.Unfinished {
			break
		}
	}
	if seen != total+1 {
		t.Fatalf("%d entries applied over %d runs, want each of the %d once", seen, runs+1, total+1)
	}
	if o := r.state(t, id); o.State != order.Imported {
		t.Fatalf("the order behind the newest entry: %s", o.State)
	}
}

// uncertainRig leaves order id submitted once with an answer that told nothing (a 504 after plenigo
// took the import), with plenigo's import log in the state set up by prepare.
func uncertainRig(t *testing.T, cfg plenigosim.Config) (*rig, string) {
	t.Helper()
	r := newRig(t, cfg)
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	r.importer.UncertainAfter = time.Nanosecond // no waiting for a trace: what the log says decides
	r.sim.FailNext("POST /imports/orders", plenigosim.Fault504AfterApply)
	r.importer.Import(context.Background(), []string{id}, by)
	if o := r.state(t, id); o.State != order.Retrying || o.Submission.UncertainAt.IsZero() {
		t.Fatalf("after an uncertain answer: %s %+v", o.State, o.Submission)
	}
	return r, id
}

func TestAPendingEntryAfterAnUncertainAnswerIsWaitedFor(t *testing.T) {
	r, id := uncertainRig(t, plenigosim.Config{PendingEntries: true, PendingDelay: time.Hour, Duplicates: plenigosim.DuplicateAccept})
	r.sim.Flush() // plenigo has written the entry, pending
	if res := r.importer.Import(context.Background(), []string{id}, by); res[id].Outcome != importing.Retry {
		t.Fatalf("result %+v", res[id])
	}
	r.sim.ProcessPending()
	if n := r.sim.OrdersFor(id); n != 1 {
		t.Fatalf("%d plenigo orders: an import still being processed was posted again", n)
	}
	r.importer.Import(context.Background(), []string{id}, by)
	if o := r.state(t, id); o.State != order.Imported {
		t.Fatalf("once plenigo finished: %s %q", o.State, o.StateReason)
	}
}

func TestAnUncertainImportThatPlenigoRefusedEndsFailedNotPostedAgain(t *testing.T) {
	r, id := uncertainRig(t, plenigosim.Config{LogDelay: time.Hour})
	r.sim.RemoveOffer(offer) // plenigo refuses the import it took
	r.sim.ProcessPending()
	r.sim.ResetCalls()
	r.importer.Import(context.Background(), []string{id}, by)
	if o := r.state(t, id); o.State != order.ImportFailed || !strings.Contains(o.StateReason, "could not be imported") {
		t.Fatalf("%s %q", o.State, o.StateReason)
	}
	if n := r.sim.Calls()["POST /imports/orders"]; n != 0 {
		t.Fatalf("%d imports posted after plenigo refused the first", n)
	}
}

func TestAClaimItsHolderNeverGaveUpIsTakenAsUncertain(t *testing.T) {
	r := newRig(t, plenigosim.Config{Duplicates: plenigosim.DuplicateAccept})
	ctx := context.Background()
	id := r.queued(t, order.SourceMarketplace, "1", "a@x.de", offer, nil)
	// A worker claimed the order, posted its import and died before it could write anything.
	if _, err := r.orders.Update(ctx, id, func(o *order.Order) error {
		o.Claim("dead-worker", time.Now().Add(-time.Hour), time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	o := r.state(t, id)
	if _, _, err := r.importer.Plenigo.CreateCustomer(ctx, plenigo.CustomerCreation{CustomerID: importing.StableCustomerID(o.Customer.Email), Email: o.Customer.Email, Language: "de"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.importer.Plenigo.ImportOrders(ctx, plenigo.OrderImports{SuppressMail: true, Items: []plenigo.OrderImport{{ExternalSystemID: id,
		PlenigoOfferID: offer, InvoiceCustomerID: importing.StableCustomerID(o.Customer.Email), Quantity: 1, StartDate: o.StartDate, PaymentMethod: "PAYPAL", ManagedBy: "EXTERNAL"}}}); err != nil {
		t.Fatal(err)
	}
	r.sim.ProcessPending()
	r.importer.Import(ctx, []string{id}, by)
	r.sim.ProcessPending()
	if o := r.state(t, id); o.State != order.Imported || r.sim.OrdersFor(id) != 1 {
		t.Fatalf("%s with %d plenigo orders", o.State, r.sim.OrdersFor(id))
	}
}
