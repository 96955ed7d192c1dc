package poller_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/functions/poller"
	"github.com/orderhub/orderhub/local/plenigosim"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn/lambdatest"
	"github.com/orderhub/orderhub/shared/metrics"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/reconcile"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

const (
	token     = "plenigo-test-token"
	requestID = "9e8d7c6b-pol-4a3f-b2e1-0d9c8b7a6f5e"
	offer1338 = "O_MZA1E7173120881551"
	offer1339 = "O_K3Q9T2W8PLX4RM7N2B" // plenigo loses it after accepting its import: the import fails
	offerWBZ  = "O_WBZ7PRINT0012MNTHS"
)

// newTestHandler builds the handler under test, wired as bootstrap/main.go wires it with the
// template's settings.
func newTestHandler(t *testing.T, orders *memstore.Store, pc *plenigo.Client) *poller.Handler {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &poller.Handler{
		Confirmer: &importing.Confirmer{Orders: orders, Records: orders, Plenigo: pc, Now: time.Now, Log: log,
			Overlap: 2 * time.Minute, FirstLook: 24 * time.Hour, StaleAfter: 15 * time.Minute, GiveUpAfter: 24 * time.Hour,
			LeaseTTL: 5 * time.Minute, PageSize: 100},
		Function: "poller",
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
func invoke(t *testing.T, h *poller.Handler, payload []byte) ([]byte, error) {
	t.Helper()
	return lambdatest.Invoke(t, h.Handle, payload, 120*time.Second, requestID) // the function's Timeout
}

func poll(t *testing.T, h *poller.Handler) (importing.Stats, map[string]any) {
	t.Helper()
	out, err := invoke(t, h, lambdatest.Fixture(t, "poller-schedule.json"))
	if err != nil {
		t.Fatalf("invoke returned a Lambda error: %v", err)
	}
	var st importing.Stats
	var raw map[string]any
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	if err := json.Unmarshal(out, &raw); err != nil || len(raw) == 0 {
		t.Fatalf("answer %s is not a JSON object of stats", out)
	}
	return st, raw
}

var worker = order.Actor{Function: "worker", RequestID: "wrk-1"}

// submitted stores an order in IMPORT_SUBMITTED, as the worker leaves it, and, when
// submit is set, first submits its import to plenigo as the worker would.
func submitted(t *testing.T, s *memstore.Store, pc *plenigo.Client, src order.Source, ref, email, offerID string, submit bool) {
	t.Helper()
	ctx := context.Background()
	at := time.Now().Add(-time.Minute)
	o, err := order.New(src, ref, at.Add(-time.Minute), order.Actor{Function: "receiver", RequestID: "rcv-" + ref})
	if err != nil {
		t.Fatal(err)
	}
	o.Customer = order.Customer{Email: email, Language: "de", PlenigoCustomerID: importing.StableCustomerID(email)}
	o.Items = []order.Item{{Product: "p", Quantity: order.DecimalFromInt(1), OfferID: offerID}}
	o.Payment = order.Payment{PlenigoMethod: "PAYPAL"}
	o.StartDate = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := o.MoveTo(order.Queued, order.Change{At: at, By: order.Actor{Function: "enqueuer"}}); err != nil {
		t.Fatal(err)
	}
	if submit {
		if _, _, err := pc.CreateCustomer(ctx, plenigo.CustomerCreation{CustomerID: o.Customer.PlenigoCustomerID, Email: email, Language: "de"}); err != nil {
			t.Fatal(err)
		}
		res, err := pc.ImportOrders(ctx, plenigo.OrderImports{SuppressMail: true, Items: []plenigo.OrderImport{{
			ExternalSystemID: o.ImportKey(0), PlenigoOfferID: offerID, InvoiceCustomerID: o.Customer.PlenigoCustomerID,
			Quantity: 1, StartDate: o.StartDate, PaymentMethod: "PAYPAL", ManagedBy: "EXTERNAL"}}})
		if err != nil {
			t.Fatal(err)
		}
		o.Subscription.PromiseID = res.PromiseID
	}
	if err := o.MoveTo(order.ImportSubmitted, order.Change{At: at, By: worker, Reason: "import accepted; waiting for plenigo's import log"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
}

// processed waits until plenigo's import queue has written n log entries (the sim's LogDelay).
func processed(t *testing.T, pc *plenigo.Client, n int) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(10 * time.Second); ; {
		page, err := pc.ImportLogPage(ctx, plenigo.LogQuery{Since: time.Now().Add(-time.Hour), Size: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("plenigo wrote %d of %d import log entries", len(page), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func get(t *testing.T, s *memstore.Store, id string) *order.Order {
	t.Helper()
	o, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestScheduleFixtureConfirmsImportsFromTheLog(t *testing.T) {
	s := memstore.New()
	sim, pc := newSim(t)
	sim.SetLogDelay(time.Hour) // hold the imports until plenigo has lost offer1339
	submitted(t, s, pc, order.SourceMarketplace, "221", "john@account.com", offer1338, true)
	submitted(t, s, pc, order.SourceMarketplace, "222", "john@account.com", offer1339, true)
	submitted(t, s, pc, order.SourceDealer, "WBZ-2026-000101", "vertrieb@presse-nord.example", offerWBZ, false) // not in plenigo yet
	sim.RemoveOffer(offer1339)
	sim.ProcessPending()
	processed(t, pc, 2)
	plenigoOrders, err := pc.OrdersByExternalSystemID(context.Background(), "mkt-221")
	if err != nil || len(plenigoOrders) != 1 {
		t.Fatalf("plenigo's orders for mkt-221: %+v %v", plenigoOrders, err)
	}
	plenigoID := strconv.FormatInt(plenigoOrders[0].OrderID, 10)
	dealerVersion := get(t, s, "dealer-WBZ-2026-000101").Version
	h := newTestHandler(t, s, pc)
	sim.ResetCalls()

	st, raw := poll(t, h)
	if want := (importing.Stats{Pages: 1, Entries: 2, Imported: 1, Failed: 1}); st != want {
		t.Fatalf("stats %+v (%v), want %+v", st, raw, want)
	}
	o := get(t, s, "mkt-221")
	if o.State != order.Imported || o.Subscription.PlenigoOrderID != plenigoID || o.Items[0].PlenigoOrderID != plenigoID {
		t.Fatalf("mkt-221: %s, plenigo order %q (item %q), want IMPORTED as %s", o.State, o.Subscription.PlenigoOrderID, o.Items[0].PlenigoOrderID, plenigoID)
	}
	if last := o.History[len(o.History)-1]; last.Actor != (order.Actor{Function: "poller", RequestID: requestID}) || last.To != order.Imported {
		t.Errorf("mkt-221's last history entry: %+v", last)
	}
	if o := get(t, s, "mkt-222"); o.State != order.ImportFailed || !strings.Contains(o.StateReason, "Offer for the provided id cannot be found") {
		t.Errorf("mkt-222: %s %q, want IMPORT_FAILED with plenigo's reason", o.State, o.StateReason)
	}
	if o := get(t, s, "dealer-WBZ-2026-000101"); o.State != order.ImportSubmitted || o.Version != dealerVersion {
		t.Errorf("dealer order without a log entry: %s version %d", o.State, o.Version)
	}
	// One log page, and one direct look before an order is failed from the log.
	if c := sim.Calls(); c["GET /imports/orders/logs"] != 1 || c["GET /orders"] != 1 || sim.TotalCalls() != 2 {
		t.Errorf("plenigo calls %v, want one log page and one order lookup", c)
	}

	// The next scheduled poll: the entries are applied already, nothing changes.
	versions := map[string]int{}
	for _, id := range []string{"mkt-221", "mkt-222", "dealer-WBZ-2026-000101"} {
		versions[id] = get(t, s, id).Version
	}
	st, raw = poll(t, h)
	if want := (importing.Stats{Pages: 1}); st != want {
		t.Fatalf("second poll: stats %+v (%v), want %+v", st, raw, want)
	}
	for id, v := range versions {
		if o := get(t, s, id); o.Version != v {
			t.Errorf("%s was written by the second poll: %s version %d, was %d", id, o.State, o.Version, v)
		}
	}
}

func TestPollSkipsWhileAnotherRunHoldsTheLease(t *testing.T) {
	s := memstore.New()
	_, pc := newSim(t)
	submitted(t, s, pc, order.SourceMarketplace, "221", "john@account.com", offer1338, true)
	processed(t, pc, 1)
	if ok, err := s.AcquireLease(context.Background(), importing.CheckpointImportLog, "another-run", time.Now(), time.Minute); !ok || err != nil {
		t.Fatalf("lease: %v %v", ok, err)
	}
	st, _ := poll(t, newTestHandler(t, s, pc))
	if st != (importing.Stats{Skipped: true}) {
		t.Fatalf("stats %+v, want a skipped run", st)
	}
	if o := get(t, s, "mkt-221"); o.State != order.ImportSubmitted {
		t.Fatalf("a skipped run moved the order to %s", o.State)
	}
}

func TestPollThatCannotReadTheLogFailsTheInvocation(t *testing.T) {
	s := memstore.New()
	sim, pc := newSim(t)
	submitted(t, s, pc, order.SourceMarketplace, "221", "john@account.com", offer1338, true)
	processed(t, pc, 1)
	sim.FailNext("GET /imports/orders/logs", plenigosim.Fault503, plenigosim.Fault503, plenigosim.Fault503)
	h := newTestHandler(t, s, pc)
	if out, err := invoke(t, h, lambdatest.Fixture(t, "poller-schedule.json")); err == nil {
		t.Fatalf("answered %s while plenigo was down; the scheduler should see a failure", out)
	}
	if o := get(t, s, "mkt-221"); o.State != order.ImportSubmitted {
		t.Fatalf("order moved to %s", o.State)
	}
	// The lease was given back: the next poll runs and confirms the import.
	if st, _ := poll(t, h); st.Skipped || st.Imported != 1 {
		t.Fatalf("poll after the failure: %+v", st)
	}
}

// TestTheReconcileScheduleCountsDisagreements: the daily schedule's payload runs a reconciliation
// instead of a poll; an order orderhub says plenigo has, and plenigo lacks, is one disagreement in
// the answer, in a log line naming it, and in the Disagreements metric record.
func TestTheReconcileScheduleCountsDisagreements(t *testing.T) {
	_, pc := newSim(t)
	orders := memstore.New()
	now := time.Now()
	for i, imported := range []bool{true, false} {
		o, err := order.New(order.SourceMarketplace, strconv.Itoa(9900+i), now.Add(-3*time.Hour), worker)
		if err != nil {
			t.Fatal(err)
		}
		o.Items = []order.Item{{Product: "1338", Quantity: order.DecimalFromInt(1), OfferID: offer1338}}
		if imported {
			c := order.Change{At: now.Add(-2 * time.Hour), By: worker}
			for _, s := range []order.State{order.Queued, order.ImportSubmitted, order.Imported} {
				if err := o.MoveTo(s, c); err != nil {
					t.Fatal(err)
				}
			}
			o.ConfirmImport(o.ImportKey(0), "500999")
		}
		if err := orders.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	h := newTestHandler(t, orders, pc)
	var logged strings.Builder
	log := slog.New(slog.NewJSONHandler(&logged, nil))
	h.Log = log
	h.Reconcile = &poller.Reconciler{Orders: orders, Partners: reconcile.Partners{Plenigo: pc}, Metrics: metrics.NewSink(log, "orderhub/test"), Now: time.Now}
	out, err := invoke(t, h, lambdatest.Fixture(t, "poller-reconcile.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res poller.Result
	if err := json.Unmarshal(out, &res); err != nil || res.Reconciliation == nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	r := res.Reconciliation
	if r.Orders != 2 || r.Compared["plenigo"] != 2 || r.Calls["plenigo"] != 1 || r.Disagreements != 1 || res.Entries != 0 {
		t.Fatalf("reconciliation %+v (entries %d); want 2 orders compared with one call, 1 disagreement, no poll", r, res.Entries)
	}
	if !strings.Contains(logged.String(), `"msg":"disagreement","orderId":"mkt-9900","partner":"plenigo","kind":"missing"`) {
		t.Errorf("no log line names the disagreement:\n%s", logged.String())
	}
	if !strings.Contains(logged.String(), `"Disagreements":1,"_aws"`) {
		t.Errorf("no Disagreements metric record of 1:\n%s", logged.String())
	}
}
