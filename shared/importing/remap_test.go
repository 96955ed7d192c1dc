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
// re-evaluates the REJECTED orders (nothing maps yet) and records the mapping; a second sweep with
// the same mapping does nothing; a sweep with a mapping that now knows the product moves the order
// back to RECEIVED, once.
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
	o, _ := order.New(order.SourceMarketplace, "7777", time.Now().Add(-time.Hour), by)
	o.Customer.Email = "a@b.de"
	o.Items = []order.Item{{Product: "7777", Quantity: order.DecimalFromInt(1)}}
	o.Payment.Method = "paypal"
	if _, err := (&intake.Service{Orders: store, Mapping: before}).Accept(ctx, o, by); err != nil {
		t.Fatal(err)
	}
	remapper := func(m *mapping.Config) *importing.Remapper {
		return &importing.Remapper{Intake: &intake.Service{Orders: store, Mapping: m}, Orders: store, Records: store,
			Fingerprint: m.Fingerprint, Limit: 500, Now: time.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	}
	for i, c := range []struct {
		m     *mapping.Config
		moved int
		reads bool
	}{{before, 0, true}, {before, 0, false}, {after, 1, true}, {after, 0, false}} {
		calls.Reset()
		moved, err := remapper(c.m).Run(ctx, by)
		if err != nil || moved != c.moved {
			t.Fatalf("sweep %d: moved %d, %v; want %d", i+1, moved, err, c.moved)
		}
		if listed := calls.Count("Query") > 0; listed != c.reads {
			t.Errorf("sweep %d listed the REJECTED orders: %v, want %v", i+1, listed, c.reads)
		}
	}
	got, err := store.Get(ctx, "mkt-7777")
	if err != nil || got.State != order.Received || got.Items[0].OfferID != "O_K3Q9T2W8PLX4RM7N2B" {
		t.Fatalf("mkt-7777: %v %v", got, err)
	}
}
