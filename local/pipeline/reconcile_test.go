package pipeline_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/pipeline"
	"github.com/orderhub/orderhub/local/plenigosim"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/reconcile"
)

// TestReconcileFindsWhatPlenigoDisagreesOn plants three disagreements between orderhub and plenigo
// and one order plenigo's import log failed though plenigo has it: reconciliation finds each with
// one paged list call, a dry run changes nothing, the repair settles the safe one, and a second run
// finds only what a person must decide.
func TestReconcileFindsWhatPlenigoDisagreesOn(t *testing.T) {
	p := start(t, pipeline.Options{})
	ctx := context.Background()
	began := time.Now().Add(-time.Second)
	const offer = "O_K3Q9T2W8PLX4RM7N2B" // mapping.yaml's mkt 1339
	var ids []string
	for i := range 6 {
		n := 9700 + i
		ids = append(ids, fmt.Sprintf("mkt-%d", n))
		receive(t, p, scenario.MarketplacePurchase(n, fmt.Sprintf("rec%d@example.com", i), "1338", "1", time.Now()))
	}
	p.Sim.RemoveOffer(offer)
	receive(t, p, scenario.MarketplacePurchase(9710, "rec-failed@example.com", "1339", "1", time.Now()))
	ids = append(ids, "mkt-9710")
	got := settle(t, p, ids, 60*time.Second)
	waitLoyalty(t, p, ids[:6], 30*time.Second) // the six awards are in BonifiQ before it is compared
	failed := got["mkt-9710"]
	if failed.State != order.ImportFailed {
		t.Fatalf("mkt-9710: %s, want IMPORT_FAILED", failed.State)
	}
	// The planted disagreements: plenigo lost one order, made another twice, and has the failed
	// one after all (imported by hand once the offer was back).
	p.Sim.LoseOrder("mkt-9700")
	if !p.Sim.DuplicateOrder("mkt-9701") {
		t.Fatal("no plenigo order for mkt-9701")
	}
	p.Sim.SetOffer(offer, plenigosim.Offer{})
	partners := p.Partners()
	pc := partners.Plenigo.(*plenigo.Client)
	cust, err := pc.FindCustomerByEmail(ctx, "rec-failed@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.ImportOrders(ctx, plenigo.OrderImports{SuppressMail: true, Items: []plenigo.OrderImport{{ExternalSystemID: "mkt-9710",
		PlenigoOfferID: offer, InvoiceCustomerID: cust.CustomerID, Quantity: 1, StartDate: time.Now(), PaymentMethod: "PAYPAL", ManagedBy: "EXTERNAL"}}}); err != nil {
		t.Fatal(err)
	}
	p.Sim.Flush()

	opt := reconcile.Options{From: began, To: time.Now().Add(time.Second), Repair: true, DryRun: true, By: order.Actor{Function: "reconcile", RequestID: "test"}}
	partners.Plenty = nil // no plentymarkets orders here
	p.Sim.ResetCalls()
	rep, err := reconcile.Run(ctx, p.Orders, partners, opt)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]reconcile.Kind{"mkt-9700": reconcile.Missing, "mkt-9701": reconcile.Duplicated, "mkt-9710": reconcile.WrongState}
	check := func(rep reconcile.Report, want map[string]reconcile.Kind) {
		t.Helper()
		found := map[string]reconcile.Kind{}
		for _, f := range rep.Findings {
			if f.Partner != reconcile.Plenigo {
				t.Errorf("unexpected %s finding: %+v", f.Partner, f)
				continue
			}
			found[f.OrderID] = f.Kind
		}
		if fmt.Sprint(found) != fmt.Sprint(want) {
			t.Fatalf("findings %v, want %v (%+v)", found, want, rep.Findings)
		}
	}
	check(rep, want)
	if rep.Orders != 7 || rep.Compared[reconcile.Plenigo] != 7 || rep.Calls[reconcile.Plenigo] != 1 || p.Sim.Calls()["GET /orders"] != 1 {
		t.Errorf("orders %d, compared %v, calls %v, plenigo saw %v; want 7 orders, 7 compared with one list call", rep.Orders, rep.Compared, rep.Calls, p.Sim.Calls())
	}
	if rep.Compared[reconcile.Bonifiq] != 6 {
		t.Errorf("compared with BonifiQ: %d, want the 6 awarded orders", rep.Compared[reconcile.Bonifiq])
	}
	if rep.Repaired != 0 {
		t.Fatalf("the dry run repaired %d", rep.Repaired)
	}
	if o, _ := p.Orders.Get(ctx, "mkt-9710"); o.State != order.ImportFailed || o.Version != failed.Version {
		t.Fatalf("the dry run changed mkt-9710: %s, version %d → %d", o.State, failed.Version, o.Version)
	}

	opt.DryRun = false
	rep, err = reconcile.Run(ctx, p.Orders, partners, opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Repaired != 1 || rep.Unrepaired() != 2 {
		t.Fatalf("repaired %d, left %d; want 1 and 2: %+v", rep.Repaired, rep.Unrepaired(), rep.Findings)
	}
	fixed := settle(t, p, []string{"mkt-9710"}, 30*time.Second)["mkt-9710"]
	if fixed.State != order.Fulfilled || fixed.Subscription.PlenigoOrderID == "" || p.Sim.OrdersFor("mkt-9710") != 1 {
		t.Fatalf("mkt-9710 after the repair: %s, plenigo order %q, %d in plenigo", fixed.State, fixed.Subscription.PlenigoOrderID, p.Sim.OrdersFor("mkt-9710"))
	}
	rep, err = reconcile.Run(ctx, p.Orders, partners, opt)
	if err != nil {
		t.Fatal(err)
	}
	delete(want, "mkt-9710")
	check(rep, want)
	lost, err := p.Orders.Get(ctx, "mkt-9700")
	if err != nil {
		t.Fatal(err)
	}
	if live := reconcile.Live(ctx, lost, partners); len(live.Findings) != 1 || live.Findings[0].Kind != reconcile.Missing || live.Holdings[0].Lines[0] != "mkt-9700: no order" {
		t.Errorf("live trace of the order plenigo lost: %+v", live)
	}
	if rep.Repaired != 0 {
		t.Errorf("the second run repaired %d", rep.Repaired)
	}
}
