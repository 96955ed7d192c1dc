package bonifiqsim

import (
	"math/big"
	"time"
)

// The order states of BonifiQ's State field.
const (
	StateInitial   = 0
	StatePending   = 1
	StateCompleted = 2
	StateCancelled = 3
	StateIgnored   = 4
)

// OriginExternalAPI is the Origin of orders sent through the API (0 is a platform integration,
// 2 a file import).
const OriginExternalAPI = 1

// customer is a BonifiQ customer, known by the OriginalId orders carry.
type customer struct {
	id         int64
	originalID string
	name       string
	email      string
	phone      string
	document   string
	enrolled   bool
}

// order is an order as BonifiQ keeps it, with its share of the points ledger.
//
// Points: when an order is completed it earns floor(OrderTotal × PointsPerUnit), credited to its
// customer CreditDelay later ("within 24 h" at BonifiQ). A partial cancel takes back
// floor(ValueToRefund × PointsPerUnit): from the credit still due (cut) or, once credited, as a
// reversal. A full cancel reverses what is credited and drops a credit still due.
type order struct {
	id         int64
	originalID string
	customer   *customer
	state      int
	total      *big.Rat
	refunded   *big.Rat
	placed     *time.Time
	completed  *time.Time
	cancelled  *time.Time
	updated    *time.Time // UpdatedDate as sent
	status     string     // OrderStatus, informative
	coupon     *string
	products   []byte // as sent, echoed
	metadatas  []byte
	upserts    int
	changedAt  time.Time       // on the simulator clock
	cancelKeys map[string]bool // CancelKeys of partial cancels that went through

	earned   int64     // points the completion earns, fixed when it completes
	cut      int64     // taken back by partial cancels before the credit landed
	due      time.Time // when the credit lands
	waiting  bool      // a credit is due
	credited bool      // the credit landed
	awarded  int64     // credited points
	reversed int64     // credited points taken back
}

// Points are an order's (or all orders') credited and reversed points: what the customer holds
// from it is Awarded - Reversed.
type Points struct{ Awarded, Reversed int64 }

// Order is what a test sees of an order. OrderTotal and Refunded are decimals with at least two
// places ("119.90"); CustomerID is the customer's OriginalId.
type Order struct {
	ID         int64
	OriginalID string
	State      int
	OrderTotal string
	Refunded   string
	CustomerID string
	Upserts    int
}

// completeOrder moves an order to completed and schedules its credit; the caller holds s.mu.
func (s *Sim) completeOrder(o *order, now time.Time) {
	o.state = StateCompleted
	o.earned = points(o.total, s.cfg.PointsPerUnit)
	o.waiting, o.due = true, now.Add(s.cfg.CreditDelay)
	s.pending = append(s.pending, o)
	s.settle(now)
}

// cancelOrder moves an order to cancelled: credited points are reversed, a credit still due is
// dropped and never lands. The caller holds s.mu.
func (s *Sim) cancelOrder(o *order) {
	o.state = StateCancelled
	o.waiting = false
	o.reversed = o.awarded
}

// refund takes back the points of a partial cancel of amount; the caller holds s.mu.
func (s *Sim) refund(o *order, amount *big.Rat) {
	o.refunded.Add(o.refunded, amount)
	p := points(amount, s.cfg.PointsPerUnit)
	if o.credited {
		o.reversed = min(o.awarded, o.reversed+p)
	} else {
		o.cut += p
	}
}

// settle credits the credits due by now; the caller holds s.mu.
func (s *Sim) settle(now time.Time) {
	kept := s.pending[:0]
	for _, o := range s.pending {
		switch {
		case !o.waiting: // cancelled meanwhile
		case now.Before(o.due):
			kept = append(kept, o)
		default:
			o.waiting, o.credited = false, true
			o.awarded += max(0, o.earned-o.cut)
		}
	}
	clear(s.pending[len(kept):])
	s.pending = kept
}

// lockSettled takes s.mu and credits what is due by the simulator's now, which it returns.
func (s *Sim) lockSettled() time.Time {
	now := s.clock.Now()
	s.mu.Lock()
	s.settle(now)
	return now
}

// Flush credits every credit still due now, whatever the clock says: BonifiQ's 24 hours have passed.
func (s *Sim) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.pending {
		o.due = time.Time{}
	}
	s.settle(time.Time{})
}

// Points returns the credited and reversed points of an order (zero for an unknown one).
func (s *Sim) Points(originalID string) Points {
	s.lockSettled()
	defer s.mu.Unlock()
	o := s.orders[originalID]
	if o == nil {
		return Points{}
	}
	return Points{o.awarded, o.reversed}
}

// PendingPoints returns the points of an order completed but not yet credited (after partial
// cancels); zero once credited or cancelled.
func (s *Sim) PendingPoints(originalID string) int64 {
	s.lockSettled()
	defer s.mu.Unlock()
	o := s.orders[originalID]
	if o == nil || !o.waiting {
		return 0
	}
	return max(0, o.earned-o.cut)
}

// Balance returns the points a customer holds now: credited minus reversed over their orders.
func (s *Sim) Balance(customerOriginalID string) int64 {
	s.lockSettled()
	defer s.mu.Unlock()
	return s.balance(customerOriginalID)
}

// balance is Balance; the caller holds s.mu.
func (s *Sim) balance(customerOriginalID string) int64 {
	var n int64
	for _, o := range s.orders {
		if o.customer.originalID == customerOriginalID {
			n += o.awarded - o.reversed
		}
	}
	return n
}

// TotalPoints returns the credited and reversed points over every order.
func (s *Sim) TotalPoints() Points {
	s.lockSettled()
	defer s.mu.Unlock()
	var p Points
	for _, o := range s.orders {
		p.Awarded += o.awarded
		p.Reversed += o.reversed
	}
	return p
}

// Order returns an order by its OriginalId.
func (s *Sim) Order(originalID string) (Order, bool) {
	s.lockSettled()
	defer s.mu.Unlock()
	o := s.orders[originalID]
	if o == nil {
		return Order{}, false
	}
	return Order{ID: o.id, OriginalID: o.originalID, State: o.state, OrderTotal: formatMoney(o.total),
		Refunded: formatMoney(o.refunded), CustomerID: o.customer.originalID, Upserts: o.upserts}, true
}

// Orders returns how many orders BonifiQ holds.
func (s *Sim) Orders() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.orders)
}
