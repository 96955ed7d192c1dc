package order

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// CompleteWhen says what makes an order of a source complete (FULFILLED): the event after which the
// merchant owes the customer nothing more, and the order earns its loyalty points.
type CompleteWhen string

const (
	// CompleteOnImport: the product is the subscription, so plenigo confirming it completes the order
	// (marketplace services, dealer subscriptions).
	CompleteOnImport CompleteWhen = "imported"
	// CompleteOnDelivery: the source reports the delivery; for plentymarkets, the fulfilment written
	// back to it.
	CompleteOnDelivery CompleteWhen = "delivered"
)

// Completion is the source's rule for an order, stamped on it when the mapping is applied, so an
// order keeps the rule it was taken under.
type Completion struct {
	When CompleteWhen `json:"when,omitempty"`
	// EarnsPoints: the order earns loyalty points once complete.
	EarnsPoints bool `json:"earnsPoints,omitempty"`
}

// CompletesOnImport reports whether plenigo's confirmation completes the order.
func (o *Order) CompletesOnImport() bool { return o.Completion.When == CompleteOnImport }

// Discount is what the source took off the goods' price: a coupon, a promotion, a gift card. It is
// kept apart from the items, like shipping, because what a customer earns points on is the goods'
// value after every discount.
type Discount struct {
	Kind   string `json:"kind"`           // "coupon", "promotion", "gift_card"
	Code   string `json:"code,omitempty"` // the coupon code the customer used, if any
	Amount Money  `json:"amount"`         // positive: the amount taken off
}

// Return is one return event: which items came back and when. Its ID is the source's (a
// plentymarkets return order id, an operator's reference) and keys everything done for it.
type Return struct {
	ID    string         `json:"id"`
	At    time.Time      `json:"at"`
	Items []ReturnedItem `json:"items"`
}

// ReturnedItem is a quantity of one of the order's items that came back.
type ReturnedItem struct {
	Product  string  `json:"product"`
	Quantity Decimal `json:"quantity"`
}

// ErrReturn is returned for a return the order cannot take: unknown items, more than was bought, a
// state without delivery.
var ErrReturn = errors.New("return refused")

// ErrAlreadyRecorded is returned when a return with the same id is already on the order.
var ErrAlreadyRecorded = errors.New("already recorded")

// RecordReturn adds a return event and moves the order to RETURNED. An empty item list returns
// everything not yet returned. It refuses, changing nothing, a return of an order not delivered, of
// items the order does not have, or of more than is left; a second return with the same id is
// ErrAlreadyRecorded.
func (o *Order) RecordReturn(r Return, c Change) error {
	if slices.ContainsFunc(o.Returns, func(x Return) bool { return x.ID == r.ID }) {
		return fmt.Errorf("order %s: return %s: %w", o.ID, r.ID, ErrAlreadyRecorded)
	}
	if r.ID == "" {
		return fmt.Errorf("order %s: a return needs an id: %w", o.ID, ErrReturn)
	}
	if !o.State.CanMoveTo(Returned) {
		return fmt.Errorf("order %s is %s; only a delivered order can be returned: %w", o.ID, o.State, ErrReturn)
	}
	left := o.NotReturned()
	if len(r.Items) == 0 {
		for _, it := range o.Items {
			if q := left[it.Product]; q > 0 {
				r.Items = append(r.Items, ReturnedItem{Product: it.Product, Quantity: q})
				left[it.Product] = 0
			}
		}
		if len(r.Items) == 0 {
			return fmt.Errorf("order %s: everything was returned already: %w", o.ID, ErrReturn)
		}
	} else {
		for _, ri := range r.Items {
			q, ok := left[ri.Product]
			if !ok {
				return fmt.Errorf("order %s has no item %q: %w", o.ID, ri.Product, ErrReturn)
			}
			if ri.Quantity <= 0 || ri.Quantity > q {
				return fmt.Errorf("order %s: item %q: %s returned, %s left to return: %w", o.ID, ri.Product, ri.Quantity, q, ErrReturn)
			}
			left[ri.Product] = q - ri.Quantity
		}
	}
	r.At = r.At.UTC()
	if r.At.IsZero() {
		r.At = c.At.UTC()
	}
	if err := o.MoveTo(Returned, c); err != nil {
		return err
	}
	o.Returns = append(slices.Clone(o.Returns), r)
	return nil
}

// NotReturned is the quantity of each product not yet returned.
func (o *Order) NotReturned() map[string]Decimal {
	left := make(map[string]Decimal, len(o.Items))
	for _, it := range o.Items {
		left[it.Product] += it.Quantity
	}
	for _, r := range o.Returns {
		for _, ri := range r.Items {
			left[ri.Product] -= ri.Quantity
		}
	}
	return left
}

// FullyReturned reports whether every item came back.
func (o *Order) FullyReturned() bool {
	if len(o.Returns) == 0 {
		return false
	}
	for _, q := range o.NotReturned() {
		if q > 0 {
			return false
		}
	}
	return true
}

// ErrMayBeInPlenigo is returned by Cancel for an order plenigo may already hold: cancelling it
// only in orderhub would leave a live subscription behind.
var ErrMayBeInPlenigo = errors.New("plenigo may already have the order")

// MayBeInPlenigo reports whether plenigo has, or may have, the order: it is imported, an import was
// accepted, plenigo confirmed any of its items, a worker holds (or held and never released) the
// import step, or a submission's outcome is unknown.
func (o *Order) MayBeInPlenigo() bool {
	switch o.State {
	case ImportSubmitted, Imported:
		return true
	}
	// One item of several confirmed is a live subscription, whatever became of the others.
	if o.Subscription.PlenigoOrderID != "" {
		return true
	}
	for _, it := range o.Items {
		if it.PlenigoOrderID != "" {
			return true
		}
	}
	s := o.Submission
	// A claim, even an expired one, may have posted the import before its holder went away.
	return o.AwaitsSubmission() && (s.Owner != "" || !s.UncertainAt.IsZero())
}

// Cancel records the customer's cancellation as the truth allows: an order not yet delivered and not
// in plenigo becomes CANCELLED, and no import of it starts afterwards (the worker claims only orders
// awaiting submission); a delivered one becomes CANCEL_REFUSED, because what was delivered is not
// undone by saying so. An order plenigo may hold is refused with ErrMayBeInPlenigo, changing nothing.
// It returns the state reached.
func (o *Order) Cancel(c Change) (State, error) {
	to := Cancelled
	switch {
	case o.State.CanMoveTo(Cancelled) && o.MayBeInPlenigo():
		return o.State, fmt.Errorf("order %s is %s: %w", o.ID, o.State, ErrMayBeInPlenigo)
	case !o.State.CanMoveTo(Cancelled) && o.State.CanMoveTo(CancelRefused):
		to = CancelRefused
	}
	if err := o.MoveTo(to, c); err != nil {
		return o.State, err
	}
	o.Submission = Submission{}
	return to, nil
}
