package loyalty_test

import (
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/order"
)

func dec(t *testing.T, s string) order.Decimal {
	t.Helper()
	d, err := order.ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestTotalIsWhatWasPaidForTheGoods(t *testing.T) {
	// Seed 001's purchase: one SuperService at 49.00 gross, 41.1765 net.
	seed := &order.Order{Items: []order.Item{{Product: "1338", Quantity: dec(t, "1"),
		Price: order.Money{Gross: dec(t, "49"), Net: dec(t, "41.1765")}}}}
	// A plentymarkets order: two lines, a shipping line kept apart, a 5.00 coupon (4.2017 net).
	plenty := &order.Order{
		Items: []order.Item{
			{Product: "1012", Quantity: dec(t, "2"), Price: order.Money{Gross: dec(t, "19.99"), Net: dec(t, "16.7983")}},
			{Product: "1013", Quantity: dec(t, "1"), Price: order.Money{Gross: dec(t, "9.9"), Net: dec(t, "8.3193")}},
		},
		Shipping:  order.Money{Gross: dec(t, "4.95"), Net: dec(t, "4.1597")},
		Discounts: []order.Discount{{Kind: "coupon", Code: "WELCOME5", Amount: order.Money{Gross: dec(t, "5"), Net: dec(t, "4.2017")}}},
	}
	// A dealer purchase carries no price: nothing was paid through orderhub's sources.
	dealer := &order.Order{Items: []order.Item{{Product: "WBZ-PRINT-12M", Quantity: dec(t, "1")}}}
	// A source that sends gross prices only.
	grossOnly := &order.Order{Items: []order.Item{{Product: "x", Quantity: dec(t, "3"), Price: order.Money{Gross: dec(t, "3.333")}}}}
	for name, c := range map[string]struct {
		o    *order.Order
		want string
	}{
		"seed 001":   {seed, "41.18"},
		"plenty":     {plenty, "37.71"}, // 2 × 16.7983 + 8.3193 − 4.2017 = 37.7142
		"dealer":     {dealer, "0"},
		"gross only": {grossOnly, "10"}, // 9.999 rounds to 10.00
	} {
		if got := loyalty.Total(c.o).String(); got != c.want {
			t.Errorf("%s: Total = %s, want %s", name, got, c.want)
		}
	}
	// A return of one of the two 19.99 lines takes back its net value less its share of the coupon:
	// 16.7983 − 4.2017 × 16.7983 / 41.9159 = 15.1144 → 15.11.
	r := order.Return{ID: "r1", Items: []order.ReturnedItem{{Product: "1012", Quantity: dec(t, "1")}}}
	if got := loyalty.ReturnValue(plenty, r).String(); got != "15.11" {
		t.Errorf("ReturnValue = %s, want 15.11", got)
	}
	// The payload's product lines sum exactly to OrderTotal.
	plenty.Customer.Email = "Ann@Example.com"
	p := loyalty.Payload(plenty, plenty.PlacedAt)
	var sum order.Decimal
	for _, pr := range p.Products {
		sum += dec(t, string(pr.ProductPrice))
	}
	if string(p.OrderTotal) != "37.71" || sum.String() != "37.71" || p.Coupon != "WELCOME5" || p.Customer.OriginalID != "ann@example.com" {
		t.Errorf("payload total %s, lines sum %s, coupon %q, customer %q", p.OrderTotal, sum, p.Coupon, p.Customer.OriginalID)
	}
}

func TestProductLinesNeverGoBelowZero(t *testing.T) {
	o := &order.Order{Items: []order.Item{
		{Product: "x", Quantity: dec(t, "1"), Price: order.Money{Net: dec(t, "10")}},
		{Product: "y", Quantity: dec(t, "1"), Price: order.Money{Net: dec(t, "10")}},
		{Product: "free", Quantity: dec(t, "1")},
	}, Discounts: []order.Discount{{Kind: "coupon", Amount: order.Money{Net: dec(t, "9.99")}}}}
	var sum order.Decimal
	for _, p := range loyalty.Payload(o, time.Now()).Products {
		d := dec(t, string(p.ProductPrice))
		if d < 0 {
			t.Errorf("line %s: %s", p.OriginalID, d)
		}
		sum += d
	}
	if sum.String() != "10.01" {
		t.Errorf("lines sum to %s, want 10.01", sum)
	}
}
