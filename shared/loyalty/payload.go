package loyalty

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/order"
)

// Payload is the BonifiQ purchase of a complete order. Its OriginalId is the order id, the key
// plenigo knows it by too, so a repeated upsert updates the one purchase. Dates are UTC.
func Payload(o *order.Order, now time.Time) bonifiq.Order {
	email := strings.ToLower(strings.TrimSpace(o.Customer.Email))
	completed := completedAt(o)
	p := bonifiq.Order{
		OriginalID:         o.ID,
		OrderPlacementDate: o.PlacedAt.UTC(),
		OrderCompletedDate: &completed,
		OrderStatus:        string(order.Fulfilled),
		IsCompleted:        true,
		OrderTotal:         json.Number(Total(o).String()),
		Customer: bonifiq.Customer{
			OriginalID: email,
			Name:       strings.TrimSpace(o.Customer.FirstName + " " + o.Customer.LastName),
			Email:      email,
			Phone:      o.Customer.Address.Phone,
		},
		Products:      products(o),
		UpdatedDate:   now.UTC(),
		PaymentMethod: &bonifiq.Ref{OriginalID: o.Payment.Method, Name: paymentName(o.Payment)},
		Branch:        branch(o),
		Metadatas:     []bonifiq.Metadata{{Name: "source", Value: string(o.Source)}},
	}
	if id := o.Subscription.PlenigoOrderID; id != "" {
		p.Metadatas = append(p.Metadatas, bonifiq.Metadata{Name: "plenigoOrderId", Value: id})
	}
	for _, d := range o.Discounts {
		if d.Code != "" {
			p.Coupon = d.Code
			break
		}
	}
	if d := o.Dealer; d != nil {
		p.SalesPerson = &bonifiq.Ref{OriginalID: d.Number, Name: "dealer " + d.Number}
	}
	return p
}

// completedAt is when the order became FULFILLED.
func completedAt(o *order.Order) time.Time {
	for i := len(o.History) - 1; i >= 0; i-- {
		if e := o.History[i]; e.To == order.Fulfilled && e.From != order.Fulfilled {
			return e.At.UTC()
		}
	}
	if t := o.Track(Track); t != nil {
		return t.UpdatedAt.UTC()
	}
	return o.UpdatedAt.UTC()
}

// products are the order's lines with their net totals after their share of the discounts, so the
// lines sum exactly to OrderTotal, as BonifiQ's own example client sends them; the cents rounding
// leaves over go to the largest line.
func products(o *order.Order) []bonifiq.Product {
	total := Total(o)
	lines := make([]order.Decimal, len(o.Items))
	var goods order.Decimal
	for i, it := range o.Items {
		lines[i] = netUnit(it).Times(it.Quantity)
		goods += lines[i]
	}
	shares := make([]order.Decimal, len(o.Items))
	var given order.Decimal
	largest := 0
	for i := range o.Items {
		if goods > 0 {
			shares[i] = toCents(order.Decimal(int64(total) * int64(lines[i]) / int64(goods)))
		}
		given += shares[i]
		if lines[i] > lines[largest] {
			largest = i
		}
	}
	if len(shares) > 0 {
		shares[largest] += total - given // the rounding's cents go to the largest line, never below zero
	}
	out := make([]bonifiq.Product, len(o.Items))
	for i, it := range o.Items {
		out[i] = bonifiq.Product{OriginalID: it.Product, Title: it.Name, ProductPrice: json.Number(shares[i].String())}
	}
	return out
}

func paymentName(p order.Payment) string {
	if p.PlenigoMethod != "" {
		return p.PlenigoMethod
	}
	return p.Method
}

// branch is where the purchase was made: the source, or the dealer's group for dealer purchases.
func branch(o *order.Order) *bonifiq.Ref {
	if d := o.Dealer; d != nil {
		return &bonifiq.Ref{OriginalID: "dealer-" + d.Group, Name: "dealer group " + d.Group}
	}
	names := map[order.Source]string{order.SourceMarketplace: "plentyMarketplace", order.SourcePlenty: "plentymarkets shop"}
	return &bonifiq.Ref{OriginalID: string(o.Source), Name: names[o.Source]}
}
