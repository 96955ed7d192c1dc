package intake

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/order"
)

var fuzzAt = time.Unix(1795338000, 0)

// checkParse holds what every parse must give: an order that later steps can rely on, or an
// *InputError (a 4xx), never a panic and never any other error.
func checkParse(t *testing.T, o *order.Order, err error) {
	t.Helper()
	if err != nil {
		var ie *InputError
		if !errors.As(err, &ie) || ie.Code == "" || ie.Message == "" {
			t.Fatalf("error %v (%T) is not an InputError with code and message", err, err)
		}
		if o != nil {
			t.Fatal("an order and an error together")
		}
		return
	}
	if o == nil || o.ID == "" || len(o.ID) > order.MaxExternalIDLen || o.Customer.Email == "" || len(o.Items) == 0 || o.State != order.Received {
		t.Fatalf("accepted an order later steps cannot use: %+v", o)
	}
	for _, it := range o.Items {
		if it.Product == "" || it.Quantity <= 0 {
			t.Fatalf("accepted an item without product or quantity: %+v", it)
		}
	}
}

func FuzzParseMarketplace(f *testing.F) {
	if b, err := os.ReadFile("testdata/marketplace-seed.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.c"},"order":{"id":"7","orderItems":[{"itemVariationId":"1","quantity":"1.0","priceGross":"1e2"}]}}}`))
	f.Add([]byte(`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.c"},"order":{"id":{},"orderItems":[{}]}}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"resource":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := ParseMarketplace(body, fuzzAt, order.Actor{Function: "fuzz"})
		checkParse(t, o, err)
	})
}

func FuzzParseDealerBatch(f *testing.F) {
	f.Add([]byte(`{"purchases":[{"externalSystemId":"X-1","email":"a@b.c","dealerGroup":"G","dealerNumber":1,"offer":"P","quantity":2,"startDate":"2026-12-01","paymentMethod":"invoice"}]}`))
	f.Add([]byte(`{"purchases":[{},null,1,"x",[]]}`))
	f.Add([]byte(`{"purchases":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := ParseDealerBatch(body, fuzzAt, order.Actor{Function: "fuzz"})
		if err != nil {
			checkParse(t, nil, err)
			return
		}
		if len(items) == 0 || len(items) > MaxDealerBatch {
			t.Fatalf("%d items without an error", len(items))
		}
		for _, it := range items {
			if (it.Order == nil) == (it.Err == nil) {
				t.Fatalf("item %d has neither or both an order and an error", it.Index)
			}
			if it.Err != nil {
				checkParse(t, nil, it.Err)
			} else {
				checkParse(t, it.Order, nil)
				if it.Order.Dealer == nil || it.Order.Dealer.Group == "" || it.Order.Dealer.Number == "" {
					t.Fatalf("dealer order without dealer group and number: %+v", it.Order)
				}
			}
		}
	})
}
