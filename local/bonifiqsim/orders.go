package bonifiqsim

import (
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// orderIn is the body of POST /v1/pvt/Order, BonifiQ's "Purchase Order Model". Fields orderhub
// does not need are accepted and ignored (PaymentMethod, Branch, SalesPerson, ExternalCoupon, …).
type orderIn struct {
	OriginalID            string `json:"OriginalId"`
	OrderPlacementDate    wireTime
	OrderCompletedDate    wireTime
	OrderCancelledDate    wireTime
	UpdatedDate           wireTime
	OrderStatus           string
	IsCancelledOrReturned bool
	IsCompleted           bool
	OrderTotal            json.Number
	Customer              *customerIn
	Products              json.RawMessage
	Coupon                *string
	Metadatas             json.RawMessage
}

type customerIn struct {
	OriginalID string `json:"OriginalId"`
	Name       string
	Email      string
	Phone      string
	Document   string
	IsEnrolled bool
}

// upsert is POST /v1/pvt/Order (and its POS alias POST /v1/pvt/POS/orders): it creates the order
// or, for a known OriginalId, updates it, and answers the order with the Id it had from the start.
func (s *Sim) upsert(w http.ResponseWriter, r *http.Request) {
	var in orderIn
	if !decode(w, r, &in) {
		return
	}
	now := s.lockSettled()
	out := s.upsertLocked(&in, now)
	s.mu.Unlock()
	out.write(w)
}

// upsertLocked validates and applies an upsert; the caller holds s.mu.
//
// States follow the flags: IsCancelledOrReturned means cancelled, else IsCompleted completed, else
// pending. A pending order may move to completed or cancelled. A completed order stays completed
// (a re-send never earns twice); cancelling it this way follows Config.UpsertCancel. A cancelled
// order stays cancelled. The customer is the one of the first upsert.
func (s *Sim) upsertLocked(in *orderIn, now time.Time) outcome {
	o := s.orders[in.OriginalID]
	total, d := validateOrder(in, o)
	if len(d) > 0 {
		return s.invalidOutcome(d)
	}
	want := StatePending
	switch {
	case in.IsCancelledOrReturned:
		want = StateCancelled
	case in.IsCompleted:
		want = StateCompleted
	}
	if o != nil && o.state == StateCompleted && want == StateCancelled && s.cfg.UpsertCancel == RefuseUpsertCancel {
		return s.invalidOutcome([]description{{CompletedOrderCannotBeCancelled, "IsCancelledOrReturned",
			"A completed order cannot be cancelled; use the cancel endpoint."}})
	}
	if o == nil {
		s.nextOrder++
		o = &order{id: s.nextOrder, originalID: in.OriginalID, customer: s.customerFor(in.Customer),
			state: StatePending, refunded: new(big.Rat), cancelKeys: map[string]bool{}}
		s.orders[o.originalID] = o
	} else {
		s.updateCustomer(o.customer, in.Customer)
	}
	o.total = total
	o.placed = keep(in.OrderPlacementDate.t, o.placed)
	o.completed = keep(in.OrderCompletedDate.t, o.completed)
	o.cancelled = keep(in.OrderCancelledDate.t, o.cancelled)
	o.updated = keep(in.UpdatedDate.t, o.updated)
	o.status, o.coupon = in.OrderStatus, in.Coupon
	o.products, o.metadatas = in.Products, in.Metadatas
	o.upserts++
	o.changedAt = now
	if o.state == StatePending {
		switch want {
		case StateCompleted:
			s.completeOrder(o, now)
		case StateCancelled:
			s.cancelOrder(o)
		}
	} else if o.state == StateCompleted && want == StateCancelled {
		s.cancelOrder(o)
	}
	return ok(s.orderJSON(o))
}

// validateOrder applies BonifiQ's order rules to an upsert of o (nil for a new order) and returns
// the parsed OrderTotal. Dates are compared with the placement date sent, or else the one kept.
func validateOrder(in *orderIn, o *order) (*big.Rat, []description) {
	var d []description
	if strings.TrimSpace(in.OriginalID) == "" {
		d = append(d, description{FieldCannotBeNullOrBlank, "OriginalId", "OriginalId is required."})
	}
	if in.Customer == nil || strings.TrimSpace(in.Customer.OriginalID) == "" {
		d = append(d, description{FieldCannotBeNullOrBlank, "Customer.OriginalId", "Customer.OriginalId is required."})
	}
	total, parsed := parseMoney(in.OrderTotal)
	if !parsed || total.Sign() <= 0 {
		d = append(d, description{BiggerThanZero, "OrderTotal", "OrderTotal must be bigger than zero."})
	}
	placed := in.OrderPlacementDate.t
	if placed == nil && o != nil {
		placed = o.placed
	}
	d = append(d, checkCompleted(in.IsCompleted, in.OrderCompletedDate.t, placed)...)
	d = append(d, checkCancelled(in.IsCancelledOrReturned, in.OrderCancelledDate.t, placed)...)
	return total, d
}

// checkCompleted is the rule for a completion: a completion date (11), not before placement (12).
func checkCompleted(completed bool, date, placed *time.Time) []description {
	switch {
	case completed && date == nil:
		return []description{{OrderCompletedNeedsCompletedDate, "OrderCompletedDate",
			"OrderCompletedDate is required when the order is completed."}}
	case date != nil && placed != nil && date.Before(*placed):
		return []description{{OrderCompletedDateMustBeAfterPlacementDate, "OrderCompletedDate",
			"OrderCompletedDate must be after OrderPlacementDate."}}
	}
	return nil
}

// checkCancelled is the rule for a cancellation: a cancellation date (14), not before placement (15).
func checkCancelled(cancelled bool, date, placed *time.Time) []description {
	switch {
	case cancelled && date == nil:
		return []description{{CancelledOrderRequiresCancellationDate, "OrderCancelledDate",
			"OrderCancelledDate is required when the order is cancelled or returned."}}
	case date != nil && placed != nil && date.Before(*placed):
		return []description{{OrderCancellationDateBeforePlacementDate, "OrderCancelledDate",
			"OrderCancelledDate must not be before OrderPlacementDate."}}
	}
	return nil
}

func keep(sent, kept *time.Time) *time.Time {
	if sent != nil {
		return sent
	}
	return kept
}

// customerFor returns the customer with in's OriginalId, created on first sight; the caller holds s.mu.
func (s *Sim) customerFor(in *customerIn) *customer {
	c := s.customers[in.OriginalID]
	if c == nil {
		s.nextCust++
		c = &customer{id: s.nextCust, originalID: in.OriginalID}
		s.customers[c.originalID] = c
	}
	s.updateCustomer(c, in)
	return c
}

// updateCustomer copies the details sent over the customer's; the caller holds s.mu.
func (s *Sim) updateCustomer(c *customer, in *customerIn) {
	if in == nil || in.OriginalID != c.originalID {
		return
	}
	c.name, c.email, c.phone, c.document, c.enrolled = in.Name, in.Email, in.Phone, in.Document, in.IsEnrolled
}

// getOrder is GET /v1/pvt/Order/{id}: the order as a bare object, without the envelope; 404 for
// an unknown OriginalId.
func (s *Sim) getOrder(w http.ResponseWriter, r *http.Request) {
	s.lockSettled()
	o := s.orders[r.PathValue("id")]
	var out orderOut
	if o != nil {
		out = s.orderJSON(o)
	}
	s.mu.Unlock()
	if o == nil {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// orderOut is an order as BonifiQ answers it (Result of the upsert, the body of GET).
type orderOut struct {
	ID                    int64  `json:"Id"`
	OriginalID            string `json:"OriginalId"`
	OrderPlacementDate    outTime
	OrderCompletedDate    outTime
	OrderCancelledDate    outTime
	OrderStatus           string
	IsCancelledOrReturned bool
	IsCompleted           bool
	OrderTotal            json.Number
	Customer              customerOut
	Products              json.RawMessage
	UpdatedDate           outTime
	Coupon                *string
	State                 int
	Origin                int
	Metadatas             json.RawMessage
	EstimatedBonus        bonusOut
}

type customerOut struct {
	ID            int64  `json:"Id"`
	OriginalID    string `json:"OriginalId"`
	Name          *string
	Email         *string
	Phone         *string
	Document      *string
	IsEnrolled    bool
	PointsBalance int64
}

type bonusOut struct {
	GenerateBonus   bool
	EstimatedPoints int64
}

// orderJSON renders an order; the caller holds s.mu.
func (s *Sim) orderJSON(o *order) orderOut {
	c := o.customer
	var est int64 // what the order still earns, as BonifiQ's EstimatedBonus shows it
	if o.state != StateCancelled {
		est = max(0, points(new(big.Rat).Sub(o.total, o.refunded), s.cfg.PointsPerUnit))
	}
	return orderOut{
		ID: o.id, OriginalID: o.originalID,
		OrderPlacementDate: outTime{o.placed}, OrderCompletedDate: outTime{o.completed},
		OrderCancelledDate: outTime{o.cancelled}, OrderStatus: o.status,
		IsCancelledOrReturned: o.state == StateCancelled, IsCompleted: o.state == StateCompleted,
		OrderTotal: moneyNumber(o.total),
		Customer: customerOut{ID: c.id, OriginalID: c.originalID, Name: null(c.name), Email: null(c.email),
			Phone: null(c.phone), Document: null(c.document), IsEnrolled: c.enrolled, PointsBalance: s.balance(c.originalID)},
		Products: rawOrNull(o.products), UpdatedDate: outTime{o.updated}, Coupon: o.coupon,
		State: o.state, Origin: OriginExternalAPI, Metadatas: rawOrNull(o.metadatas),
		EstimatedBonus: bonusOut{GenerateBonus: est > 0, EstimatedPoints: est},
	}
}

func rawOrNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// null writes an empty string as null, as .NET does for strings never set.
func null(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
