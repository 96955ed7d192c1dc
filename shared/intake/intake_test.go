package intake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

var by = order.Actor{Function: "test", RequestID: "r"}

func TestMarketplaceWithOnlyRequiredFields(t *testing.T) {
	o, err := ParseMarketplace([]byte(`{"id":"evt_9","type":"SERVICE.PLUGIN.PURCHASE",
		"resource":{"contact":{"email":" Jane@Example.COM ","gender":""},
		"order":{"id":"4711","orderItems":[{"itemVariationId":"1338","quantity":2.0,"priceGross":"12.34567"}]}}}`), fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != "mkt-4711" || o.Customer.Email != "jane@example.com" || o.Customer.Gender != "" {
		t.Errorf("order %s, email %q, gender %q", o.ID, o.Customer.Email, o.Customer.Gender)
	}
	if o.Payment.Method != MarketplaceNone || o.Customer.Address != (order.Address{}) || o.SourceDetails != nil {
		t.Errorf("missing optional fields were filled: %+v %+v %v", o.Payment, o.Customer.Address, o.SourceDetails)
	}
	it := o.Items[0]
	if it.Quantity != order.DecimalFromInt(2) || it.Price.Gross != 123457 || it.Price.Net != 0 {
		t.Errorf("item %+v: want quantity 2, gross 12.3457 (rounded from 5 places), net 0", it)
	}
	if !o.PlacedAt.Equal(fuzzAt) || !o.StartDate.Equal(fuzzAt) {
		t.Errorf("without createdAt the purchase time should be the receipt time: %v", o.PlacedAt)
	}
}

// A quantity plenigo cannot import is the sender's mistake: no mapping fix can make 1.5 or 10001
// importable, so it is refused with the field named and nothing is stored.
func TestMarketplaceQuantityTheSenderGotWrongIsRefused(t *testing.T) {
	for _, q := range []string{`1.5`, `"1.5"`, `10001`, `0`, `-1`, `1.00001`, `0.99999`, `1e5`, `"many"`, `true`, `{}`} {
		body := `{"id":"evt_9","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},
			"order":{"id":1,"payPalTransactionId":"TX","orderItems":[{"itemVariationId":1338,"quantity":` + q + `,"priceGross":49}]}}}`
		o, err := ParseMarketplace([]byte(body), fuzzAt, by)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != "resource.order.orderItems[0].quantity" || ie.Code != "invalid_field" {
			t.Errorf("quantity %s: order %v, error %v", q, o, err)
		}
	}
	for q, want := range map[string]int64{`2.0`: 2, `"3"`: 3, `10000`: 10000, `1e1`: 10, `"\u0034"`: 4} {
		body := `{"id":"evt_9","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},
			"order":{"id":1,"orderItems":[{"itemVariationId":1338,"quantity":` + q + `,"priceGross":49}]}}}`
		o, err := ParseMarketplace([]byte(body), fuzzAt, by)
		if err != nil || o.Items[0].Quantity != order.DecimalFromInt(want) {
			t.Errorf("quantity %s: %v %v, want %d", q, o, err, want)
		}
	}
}

// What only the mapping can fix (an unknown product, an unmapped payment method) is still stored,
// as REJECTED with the reason, and never refused.
func TestMarketplaceConfigurationGapIsStoredRejected(t *testing.T) {
	o, err := ParseMarketplace([]byte(`{"id":"evt_9","type":"SERVICE.PLUGIN.PURCHASE",
		"resource":{"contact":{"email":"a@b.de"},"order":{"id":1,"orderItems":[{"itemVariationId":9999,"quantity":2,"priceGross":49}]}}}`), fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	out, err := newService(t).Accept(context.Background(), o, by)
	if err != nil {
		t.Fatal(err)
	}
	if out.State != order.Rejected || !strings.Contains(out.Reason, `item "9999" has no plenigo offer`) ||
		!strings.Contains(out.Reason, `payment method "none"`) || strings.Contains(out.Reason, "quantity") {
		t.Fatalf("outcome %+v", out)
	}
}

func TestMarketplaceRefusesWhatPlenigoCannotKey(t *testing.T) {
	cases := map[string]string{
		"order id with space": `{"id":"e","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},"order":{"id":"1 2","orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":1}]}}}`,
		"order id too long":   `{"id":"e","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},"order":{"id":"` + strings.Repeat("9", 97) + `","orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":1}]}}}`,
		"negative price":      `{"id":"e","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},"order":{"id":"1","orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":-1}]}}}`,
		"event id too long":   `{"id":"` + strings.Repeat("e", 201) + `","type":"SERVICE.PLUGIN.PURCHASE"}`,
		// 7 and 7.0 would be two orders for one purchase.
		"fractional order id":  `{"id":"e","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},"order":{"id":7.0,"orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":1}]}}}`,
		"boolean order id":     `{"id":"e","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},"order":{"id":true,"orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":1}]}}}`,
		"no-break space in id": `{"id":"e","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},"order":{"id":"47\u00a011","orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":1}]}}}`,
		"escaped quote in id":  `{"id":"e","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},"order":{"id":"47\"11","orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":1}]}}}`,
		"contact id object":    `{"id":"e","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"id":{},"email":"a@b.de"},"order":{"id":"1","orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":1}]}}}`,
		"data after the value": `{"id":"e","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},"order":{"id":"1","orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":1}]}}}]`,
	}
	for name, body := range cases {
		if _, err := ParseMarketplace([]byte(body), fuzzAt, by); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func newService(t *testing.T) *Service {
	t.Helper()
	m, err := mapping.Load("../../mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &Service{Orders: memstore.New(), Mapping: m}
}

func TestReevaluateAfterMappingFix(t *testing.T) {
	svc := newService(t)
	o, err := ParseMarketplace([]byte(`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},
		"order":{"id":"5","payPalTransactionId":"TX","orderItems":[{"itemVariationId":"7777","quantity":1,"priceGross":10}]}}}`), fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := svc.Accept(context.Background(), o, by); err != nil || out.State != order.Rejected {
		t.Fatalf("accept: %+v %v", out, err)
	}
	at := fuzzAt.Add(time.Hour)
	if moved, err := svc.Reevaluate(context.Background(), "mkt-5", at, by); err != nil || moved {
		t.Fatalf("re-evaluated without a fix: moved %v, %v", moved, err)
	}
	svc.Mapping.Offers[order.SourceMarketplace]["7777"] = "O_K3Q9T2W8PLX4RM7N2B"
	if moved, err := svc.Reevaluate(context.Background(), "mkt-5", at, by); err != nil || !moved {
		t.Fatalf("re-evaluate after the fix: moved %v, %v", moved, err)
	}
	got, _ := svc.Orders.Get(context.Background(), "mkt-5")
	if got.State != order.Received || got.Items[0].OfferID != "O_K3Q9T2W8PLX4RM7N2B" || len(got.History) != 3 {
		t.Fatalf("after re-evaluation: %s %+v, %d history entries", got.State, got.Items[0], len(got.History))
	}
	if moved, _ := svc.Reevaluate(context.Background(), "mkt-5", at, by); moved {
		t.Fatal("a RECEIVED order was moved again")
	}
	if _, err := svc.Reevaluate(context.Background(), "mkt-404", at, by); !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("unknown order: %v", err)
	}
}

func TestDealerDeliveryAddress(t *testing.T) {
	const base = `{"externalSystemId":"WBZ-9","email":"d@presse.example","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"`
	items, err := ParseDealerBatch([]byte(`{"purchases":[`+base+`,"deliveryAddress":{"company":"Kiosk am Markt","street":"Markt","houseNumber":"1","postalCode":"20095","town":"Hamburg","country":"de"}},`+
		base+`,"deliveryAddress":{"company":"Kiosk","street":"Markt","postalCode":"20095","country":"DE"}}]}`), fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	d := items[0].Order.Dealer.Delivery
	if items[0].Err != nil || d == nil || d.Company != "Kiosk am Markt" || d.Town != "Hamburg" || d.Country != "DE" {
		t.Fatalf("delivery address %+v, error %v", d, items[0].Err)
	}
	if e := items[1].Err; e == nil || e.Field != "purchases[1].deliveryAddress.town" {
		t.Fatalf("an address without a town: %+v", e)
	}
}

func TestAcceptedOrdersAreRetainedForTheConfiguredTime(t *testing.T) {
	svc := newService(t)
	svc.Retention = 30 * 24 * time.Hour
	o, err := ParseMarketplace([]byte(`{"id":"evt_r","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"r@example.com"},
		"order":{"id":"5150","orderItems":[{"itemVariationId":"1338","quantity":1,"priceGross":49}]}}}`), fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Accept(t.Context(), o, by); err != nil {
		t.Fatal(err)
	}
	stored, err := svc.Orders.Get(t.Context(), "mkt-5150")
	if err != nil {
		t.Fatal(err)
	}
	if want := fuzzAt.Add(30 * 24 * time.Hour); !stored.RetainUntil.Equal(want) {
		t.Fatalf("RetainUntil %v, want %v", stored.RetainUntil, want)
	}
}
