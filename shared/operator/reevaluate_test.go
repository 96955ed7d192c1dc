package operator

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

const testMapping = `
offers:
  mkt:
    "1338": O_MZA1E7173120881551
paymentMethods:
  mkt:
    paypal: PAYPAL
languages:
  default: de
`

// fixture stores, through the intake like the receiver does, mkt-7777 and mkt-8888 (REJECTED: no
// offer for either) and mkt-1338 (mapped, then moved on to QUEUED). Then the operator fixes the
// mapping for 7777 only.
func fixture(t *testing.T) (*intake.Service, *memstore.Store) {
	t.Helper()
	m, err := mapping.Parse([]byte(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	svc := &intake.Service{Orders: store, Mapping: m}
	ctx := context.Background()
	for _, product := range []string{"7777", "8888", "1338"} {
		o, err := order.New(order.SourceMarketplace, product, time.Now().Add(-time.Hour), order.Actor{Function: "test"})
		if err != nil {
			t.Fatal(err)
		}
		o.Customer.Email = "a@b.de"
		o.Items = []order.Item{{Product: product, Quantity: order.DecimalFromInt(1)}}
		o.Payment.Method = "paypal"
		if _, err := svc.Accept(ctx, o, order.Actor{Function: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Update(ctx, "mkt-1338", func(o *order.Order) error {
		return o.MoveTo(order.Queued, order.Change{At: time.Now(), By: order.Actor{Function: "enqueuer"}})
	}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]order.State{"mkt-7777": order.Rejected, "mkt-8888": order.Rejected, "mkt-1338": order.Queued} {
		if o, _ := store.Get(ctx, id); o.State != want {
			t.Fatalf("fixture: %s is %s, want %s", id, o.State, want)
		}
	}
	m.Offers[order.SourceMarketplace]["7777"] = "O_K3Q9T2W8PLX4RM7N2B" // the operator's fix
	return svc, store
}

func TestReevaluateAllRejected(t *testing.T) {
	svc, store := fixture(t)
	ctx := context.Background()
	before8888, _ := store.Get(ctx, "mkt-8888")
	before1338, _ := store.Get(ctx, "mkt-1338")
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

	var out bytes.Buffer
	moved, err := Reevaluate(ctx, &out, svc, store, nil, true, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if moved != 1 {
		t.Errorf("moved %d, want 1", moved)
	}
	for _, want := range []string{"mkt-7777: mapped now, back to RECEIVED", "mkt-8888: still REJECTED: " + before8888.StateReason, "1 of 2 orders moved back to RECEIVED"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "mkt-1338") {
		t.Errorf("--all looked at a QUEUED order:\n%s", out.String())
	}

	o, _ := store.Get(ctx, "mkt-7777")
	if o.State != order.Received || o.StateReason != "mapping now complete" {
		t.Errorf("mkt-7777: state %s (%q), want RECEIVED (mapping now complete)", o.State, o.StateReason)
	}
	if len(o.Items) != 1 || o.Items[0].OfferID != "O_K3Q9T2W8PLX4RM7N2B" {
		t.Errorf("mkt-7777 items %+v, want the new offer id", o.Items)
	}
	last := o.History[len(o.History)-1]
	if last.From != order.Rejected || last.To != order.Received || !last.At.Equal(now) || last.Actor.Function != "orderhub reevaluate" {
		t.Errorf("mkt-7777's last history entry %+v, want REJECTED → RECEIVED at %s by orderhub reevaluate", last, now)
	}

	o, _ = store.Get(ctx, "mkt-8888")
	if o.State != order.Rejected || o.StateReason == "" || o.StateReason != before8888.StateReason || len(o.History) != len(before8888.History) {
		t.Errorf("mkt-8888: state %s (%q), %d history entries; want it REJECTED as before (%q, %d entries)",
			o.State, o.StateReason, len(o.History), before8888.StateReason, len(before8888.History))
	}
	o, _ = store.Get(ctx, "mkt-1338")
	if o.State != order.Queued || len(o.History) != len(before1338.History) {
		t.Errorf("mkt-1338: state %s, %d history entries; want it QUEUED as before with %d", o.State, len(o.History), len(before1338.History))
	}
}

func TestReevaluateGivenIDs(t *testing.T) {
	svc, store := fixture(t)
	ctx := context.Background()
	before, _ := store.Get(ctx, "mkt-1338")

	var out bytes.Buffer
	ids := []string{"mkt-1338", "mkt-8888"}
	moved, err := Reevaluate(ctx, &out, svc, store, ids, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if moved != 0 {
		t.Errorf("moved %d, want 0", moved)
	}
	for _, want := range []string{"mkt-1338: QUEUED, nothing to do", "mkt-8888: still REJECTED: ", "0 of 2 orders moved back to RECEIVED"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if o, _ := store.Get(ctx, "mkt-1338"); o.State != order.Queued || len(o.History) != len(before.History) || !o.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("mkt-1338 changed: state %s, %d history entries", o.State, len(o.History))
	}
	if o, _ := store.Get(ctx, "mkt-7777"); o.State != order.Rejected {
		t.Errorf("mkt-7777 was not asked for but is %s", o.State)
	}
}

func TestReevaluateUnknownOrder(t *testing.T) {
	svc, store := fixture(t)
	var out bytes.Buffer
	moved, err := Reevaluate(context.Background(), &out, svc, store, []string{"mkt-7777", "mkt-404"}, false, nil)
	if !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("err %v, want order.ErrNotFound", err)
	}
	if moved != 1 || !strings.Contains(out.String(), "mkt-7777: mapped now") {
		t.Errorf("moved %d, output:\n%s\nwant the order before the unknown one moved", moved, out.String())
	}
}
