package importing_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

const remapBase = `
offers:
  mkt:
    "1338": O_MZA1E7173120881551
paymentMethods:
  mkt:
    paypal: PAYPAL
languages:
  default: de
`

// TestAMappingChangeRemapsRejectedOrdersOnce, on DynamoDB Local: the first sweep with a mapping
// re-evaluates the REJECTED orders (nothing maps yet) and records the mapping; a sweep with the same
// mapping after the grace reads the record only; a sweep with a mapping that now knows the product
// moves the order back to RECEIVED, once; an order the old mapping rejects during the grace is
// re-evaluated too.
func TestAMappingChangeRemapsRejectedOrdersOnce(t *testing.T) {
	if os.Getenv(localaws.EnvDynamoDB) == "" {
		t.Skipf("%s is not set (make test, or orderhub with-emulators, sets it)", localaws.EnvDynamoDB)
	}
	db, table, calls := localaws.TestTable(t, "OrdersTable")
	store := dynamostore.New(db, table)
	ctx := context.Background()
	by := order.Actor{Function: "enqueuer"}
	parse := func(doc string) *mapping.Config {
		m, err := mapping.Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	before, after := parse(remapBase), parse(remapBase+"  # 7777 added\n")
	after.Offers[order.SourceMarketplace]["7777"] = "O_K3Q9T2W8PLX4RM7N2B"
	if before.Fingerprint == after.Fingerprint {
		t.Fatal("two documents, one fingerprint")
	}
	t0 := time.Now().Add(-2 * time.Hour)
	reject := func(product string, at time.Time) {
		t.Helper()
		o, _ := order.New(order.SourceMarketplace, product, at, by)
		o.Customer.Email = "a@b.de"
		o.Items = []order.Item{{Product: "7777", Quantity: order.DecimalFromInt(1)}}
		o.Payment.Method = "paypal"
		if _, err := (&intake.Service{Orders: store, Mapping: before}).Accept(ctx, o, by); err != nil {
			t.Fatal(err)
		}
	}
	reject("7777", t0.Add(-time.Hour))
	now := t0
	remapper := func(m *mapping.Config) *importing.Remapper {
		return &importing.Remapper{Intake: &intake.Service{Orders: store, Mapping: m}, Orders: store, Records: store,
			Fingerprint: m.Fingerprint, Limit: 500, Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	}
	sweep := func(name string, m *mapping.Config, at time.Duration, moved int, reads bool) {
		t.Helper()
		now = t0.Add(at)
		calls.Reset()
		got, err := remapper(m).Run(ctx, by)
		if err != nil || got != moved {
			t.Fatalf("%s: moved %d, %v; want %d", name, got, err, moved)
		}
		if listed := calls.Count("Query") > 0; listed != reads {
			t.Errorf("%s listed the REJECTED orders: %v, want %v", name, listed, reads)
		}
	}
	sweep("the first sweep", before, 0, 0, true)
	sweep("a sweep with the same mapping, after the grace", before, 20*time.Minute, 0, false)
	sweep("the sweep after the fix", after, 21*time.Minute, 1, true)
	// During the deploy a receiver still on the old mapping rejects another order.
	reject("7778", t0.Add(22*time.Minute))
	sweep("a sweep within the grace", after, 23*time.Minute, 1, true)
	sweep("a sweep after the grace", after, 40*time.Minute, 0, false)
	for _, id := range []string{"mkt-7777", "mkt-7778"} {
		got, err := store.Get(ctx, id)
		if err != nil || got.State != order.Received || got.Items[0].OfferID != "O_K3Q9T2W8PLX4RM7N2B" {
			t.Fatalf("%s: %v %v", id, got, err)
		}
	}
}
