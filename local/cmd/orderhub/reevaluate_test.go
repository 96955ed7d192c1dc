package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

func TestReevaluateAllRejected(t *testing.T) {
	m, err := mapping.Load("../../../mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New()
	svc := &intake.Service{Orders: store, Mapping: m}
	ctx := context.Background()
	for _, product := range []string{"7777", "8888"} {
		o, _ := order.New(order.SourceMarketplace, product, time.Now().Add(-time.Hour), order.Actor{Function: "test"})
		o.Customer.Email = "a@b.de"
		o.Items = []order.Item{{Product: product, Quantity: order.DecimalFromInt(1)}}
		o.Payment.Method = "paypal"
		if _, err := svc.Accept(ctx, o, order.Actor{Function: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	m.Offers[order.SourceMarketplace]["7777"] = "O_K3Q9T2W8PLX4RM7N2B" // the operator's fix
	var out bytes.Buffer
	if err := reevaluate(ctx, &out, svc, store, nil, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "mkt-7777: mapped now, back to RECEIVED") || !strings.Contains(out.String(), "mkt-8888: still REJECTED") ||
		!strings.Contains(out.String(), "1 of 2 orders moved") {
		t.Fatalf("output:\n%s", out.String())
	}
	if o, _ := store.Get(ctx, "mkt-7777"); o.State != order.Received {
		t.Fatalf("state %s", o.State)
	}
}
