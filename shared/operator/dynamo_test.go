package operator

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
)

// TestLocalTargetOnDynamoDBLocal opens a Local target the way the command line does (endpoint and
// table, static credentials) and runs Reevaluate --all and Trace on it. It needs DynamoDB Local
// (`make test` starts it) and skips without it.
func TestLocalTargetOnDynamoDBLocal(t *testing.T) {
	if os.Getenv(localaws.EnvDynamoDB) == "" {
		t.Skipf("%s is not set (make test, or orderhub with-emulators, sets it)", localaws.EnvDynamoDB)
	}
	_, table, _ := localaws.TestTable(t, "OrdersTable")
	ctx := context.Background()
	store, err := Open(ctx, Target{Kind: Local, Endpoint: os.Getenv(localaws.EnvDynamoDB), Table: table})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Parse([]byte(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	svc := &intake.Service{Orders: store, Mapping: m}
	for _, product := range []string{"7777", "8888"} {
		o, _ := order.New(order.SourceMarketplace, product, time.Now().Add(-time.Hour), order.Actor{Function: "test"})
		o.Customer.Email = "a@b.de"
		o.Items = []order.Item{{Product: product, Quantity: order.DecimalFromInt(1)}}
		o.Payment.Method = "paypal"
		if _, err := svc.Accept(ctx, o, order.Actor{Function: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	m.Offers[order.SourceMarketplace]["7777"] = "O_K3Q9T2W8PLX4RM7N2B"

	var out bytes.Buffer
	moved, err := Reevaluate(ctx, &out, svc, store, nil, true, nil)
	if err != nil || moved != 1 || !strings.Contains(out.String(), "1 of 2 orders moved") {
		t.Fatalf("moved %d, err %v, output:\n%s", moved, err, out.String())
	}
	o, err := store.Get(ctx, "mkt-7777")
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	Trace(&out, o)
	if !strings.Contains(out.String(), "state RECEIVED") || !strings.Contains(out.String(), "orderhub reevaluate  REJECTED → RECEIVED") {
		t.Errorf("trace:\n%s", out.String())
	}
}
