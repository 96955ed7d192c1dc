package reconcile_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/plenigosim"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/reconcile"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

const (
	token = "reconcile-token"
	offer = "O_MZA1E7173120881551"
)

var by = order.Actor{Function: "test"}

// stored puts an order in state st into orders, received at at, moved through the states before.
func stored(t *testing.T, orders *memstore.Store, ref string, at time.Time, path ...order.State) {
	t.Helper()
	o, err := order.New(order.SourceMarketplace, ref, at, by)
	if err != nil {
		t.Fatal(err)
	}
	o.Items = []order.Item{{Product: "1338", Quantity: order.DecimalFromInt(1), OfferID: offer}}
	for _, st := range path {
		if err := o.MoveTo(st, order.Change{At: at, By: by}); err != nil {
			t.Fatal(err)
		}
	}
	if err := orders.Create(context.Background(), o); err != nil {
		t.Fatal(err)
	}
}

// TestPlenigosListIsReadToItsEnd: 130 orders in plenigo are read in two pages of a hundred and
// agree with orderhub; an order plenigo cancelled while orderhub gave up on it is reported for a
// person, with no repair, and one plenigo lacks is missing.
func TestPlenigosListIsReadToItsEnd(t *testing.T) {
	sim, pc := plenigosim.Serve(t, plenigosim.Config{Tokens: map[string]bool{token: true},
		Offers: map[string]plenigosim.Offer{offer: {}}, LogDelay: time.Millisecond}, token)
	ctx := context.Background()
	cust, _, err := pc.CreateCustomer(ctx, plenigo.CustomerCreation{CustomerID: "42", Email: "a@b.de", Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	orders := memstore.New()
	at := time.Now().Add(-time.Hour)
	imported := []order.State{order.Queued, order.ImportSubmitted, order.Imported}
	var items []plenigo.OrderImport
	for i := range 131 {
		ref := fmt.Sprint(5000 + i)
		items = append(items, plenigo.OrderImport{ExternalSystemID: "mkt-" + ref, PlenigoOfferID: offer, InvoiceCustomerID: cust.CustomerID,
			Quantity: 1, StartDate: at, PaymentMethod: "PAYPAL", ManagedBy: "EXTERNAL"})
		switch i {
		case 130: // plenigo has it, cancelled; orderhub gave up on the import
			stored(t, orders, ref, at, order.Queued, order.ImportFailed)
		default:
			stored(t, orders, ref, at, imported...)
		}
	}
	stored(t, orders, "6000", at, imported...) // plenigo never had it
	for len(items) > 0 {
		n := min(len(items), 50)
		if _, err := pc.ImportOrders(ctx, plenigo.OrderImports{SuppressMail: true, Items: items[:n]}); err != nil {
			t.Fatal(err)
		}
		items = items[n:]
	}
	sim.Flush()
	if !sim.SetOrderStatus("mkt-5130", "CANCELLED") {
		t.Fatal("no plenigo order mkt-5130")
	}
	rep, err := reconcile.Run(ctx, orders, reconcile.Partners{Plenigo: pc}, reconcile.Options{From: at.Add(-time.Minute), To: time.Now(), Repair: true, By: by})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Orders != 132 || rep.Calls[reconcile.Plenigo] != 2 || rep.Truncated {
		t.Errorf("orders %d, calls %v, truncated %v; want 132 orders read with 2 list calls", rep.Orders, rep.Calls, rep.Truncated)
	}
	if len(rep.Findings) != 2 || rep.Repaired != 0 {
		t.Fatalf("findings %+v, repaired %d", rep.Findings, rep.Repaired)
	}
	cancelled, missing := rep.Findings[0], rep.Findings[1]
	if cancelled.OrderID != "mkt-5130" || cancelled.Kind != reconcile.WrongState || cancelled.Repair != "" {
		t.Errorf("the cancelled order: %+v", cancelled)
	}
	if missing.OrderID != "mkt-6000" || missing.Kind != reconcile.Missing {
		t.Errorf("the order plenigo lacks: %+v", missing)
	}
	if o, _ := orders.Get(ctx, "mkt-5130"); o.State != order.ImportFailed {
		t.Errorf("mkt-5130 moved to %s", o.State)
	}
}
