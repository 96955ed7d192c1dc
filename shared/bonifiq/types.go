package bonifiq

import (
	"encoding/json"
	"time"
)

// Ref names something by the shop's own id: a payment method, a branch, a sales person.
type Ref struct {
	OriginalID string `json:"OriginalId"`
	Name       string `json:"Name,omitempty"`
}

// Customer is the buyer of an order. OriginalID is the shop's customer key (usually the email or the
// document); BonifiQ creates the customer on the first order that names it.
type Customer struct {
	OriginalID string `json:"OriginalId"`
	Name       string `json:"Name,omitempty"`
	Email      string `json:"Email,omitempty"`
	Phone      string `json:"Phone,omitempty"`
}

// Product is one order line. The order body has no quantity, so ProductPrice is the net total of the
// line, and the lines add up to OrderTotal.
type Product struct {
	OriginalID   string      `json:"OriginalId"`
	Title        string      `json:"Title,omitempty"`
	ProductPrice json.Number `json:"ProductPrice"`
}

// Metadata is one free key/value pair of an order.
type Metadata struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

// Order is the body of POST /v1/pvt/Order. Sending the same OriginalID again updates the order.
// OrderTotal is what the customer paid for the goods: after every discount, coupon and reward,
// without shipping and taxes; it decides the points. A completed order needs OrderCompletedDate, a
// cancelled one OrderCancelledDate. Dates go out in UTC, RFC 3339; zero dates are left out.
type Order struct {
	OriginalID            string
	OrderPlacementDate    time.Time
	OrderCompletedDate    *time.Time
	OrderCancelledDate    *time.Time
	OrderStatus           string // the shop's status text; BonifiQ only shows it
	IsCompleted           bool
	IsCancelledOrReturned bool
	OrderTotal            json.Number
	Customer              Customer
	Products              []Product
	UpdatedDate           time.Time
	Coupon                string // the ExternalCode of a BonifiQ reward used, else the shop's coupon
	Metadatas             []Metadata
	PaymentMethod         *Ref
	Branch                *Ref
	SalesPerson           *Ref
}

// wireOrder is Order as BonifiQ reads it.
type wireOrder struct {
	OriginalID            string      `json:"OriginalId"`
	OrderPlacementDate    string      `json:"OrderPlacementDate,omitempty"`
	OrderCompletedDate    string      `json:"OrderCompletedDate,omitempty"`
	OrderCancelledDate    string      `json:"OrderCancelledDate,omitempty"`
	OrderStatus           string      `json:"OrderStatus,omitempty"`
	IsCompleted           bool        `json:"IsCompleted"`
	IsCancelledOrReturned bool        `json:"IsCancelledOrReturned"`
	OrderTotal            json.Number `json:"OrderTotal"`
	Customer              Customer    `json:"Customer"`
	Products              []Product   `json:"Products,omitempty"`
	UpdatedDate           string      `json:"UpdatedDate,omitempty"`
	Coupon                string      `json:"Coupon,omitempty"`
	Metadatas             []Metadata  `json:"Metadatas,omitempty"`
	PaymentMethod         *Ref        `json:"PaymentMethod,omitempty"`
	Branch                *Ref        `json:"Branch,omitempty"`
	SalesPerson           *Ref        `json:"SalesPerson,omitempty"`
}

// MarshalJSON writes the order with BonifiQ's field names and UTC dates.
func (o Order) MarshalJSON() ([]byte, error) {
	return json.Marshal(wireOrder{
		OriginalID:            o.OriginalID,
		OrderPlacementDate:    wireTime(o.OrderPlacementDate),
		OrderCompletedDate:    wireTimePtr(o.OrderCompletedDate),
		OrderCancelledDate:    wireTimePtr(o.OrderCancelledDate),
		OrderStatus:           o.OrderStatus,
		IsCompleted:           o.IsCompleted,
		IsCancelledOrReturned: o.IsCancelledOrReturned,
		OrderTotal:            o.OrderTotal,
		Customer:              o.Customer,
		Products:              o.Products,
		UpdatedDate:           wireTime(o.UpdatedDate),
		Coupon:                o.Coupon,
		Metadatas:             o.Metadatas,
		PaymentMethod:         o.PaymentMethod,
		Branch:                o.Branch,
		SalesPerson:           o.SalesPerson,
	})
}

// wireTime is a date as BonifiQ is asked to receive it: UTC, RFC 3339; "" for the zero time.
func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func wireTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return wireTime(*t)
}

// Placed is BonifiQ's answer to an upsert: its own ids of the order and of the customer.
type Placed struct {
	ID         int64
	CustomerID int64
}

// The states of an order in BonifiQ (Remote.State).
const (
	StateInitial   = 0
	StatePending   = 1
	StateComplete  = 2
	StateCancelled = 3
	StateIgnored   = 4
)

// Remote is what BonifiQ holds for an order; only the fields orderhub reads.
type Remote struct {
	ID         int64       `json:"Id"`
	OriginalID string      `json:"OriginalId"`
	State      int         `json:"State"`
	OrderTotal json.Number `json:"OrderTotal"`
}

// cancelBody is the body of POST /v1/pvt/Order/{id}/cancel.
type cancelBody struct {
	OrderCancelledDate string `json:"OrderCancelledDate"`
	OrderStatus        string `json:"OrderStatus,omitempty"`
}

// partialCancelBody is the body of POST /v1/pvt/Order/{id}/partialcancel.
type partialCancelBody struct {
	ValueToRefund json.Number `json:"ValueToRefund"`
	CancelKey     string      `json:"CancelKey"`
}
