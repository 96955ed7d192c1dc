package bonifiqsim

import (
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"time"
)

// statusIn is the body of /cancel and /complete: the date of the change and the shop's status text.
type statusIn struct {
	OrderCancelledDate wireTime
	OrderCompletedDate wireTime
	OrderStatus        *string
}

// cancelOut is the Result of /cancel and /partialcancel. The lower-case isCanceled is BonifiQ's.
type cancelOut struct {
	IsCanceled bool    `json:"isCanceled"`
	UpdatedAt  outTime `json:"UpdatedAt"`
	Status     int     `json:"Status"`
}

// completeOut is the Result of /complete.
type completeOut struct {
	IsCompleted bool
	UpdatedAt   outTime
	Status      int
}

// cancel is POST /v1/pvt/Order/{id}/cancel, {id} being the OriginalId: the order becomes cancelled,
// credited points are reversed and a credit still due never lands. A second cancel is refused.
func (s *Sim) cancel(w http.ResponseWriter, r *http.Request) {
	var in statusIn
	if !decode(w, r, &in) {
		return
	}
	now := s.lockSettled()
	out := s.cancelLocked(r.PathValue("id"), &in, now)
	s.mu.Unlock()
	out.write(w)
}

func (s *Sim) cancelLocked(id string, in *statusIn, now time.Time) outcome {
	o := s.orders[id]
	if o == nil {
		return outcome{notFound: true}
	}
	if d := checkCancelled(true, in.OrderCancelledDate.t, o.placed); len(d) > 0 {
		return s.invalidOutcome(d)
	}
	if o.state == StateCancelled {
		return s.refused(msgAlreadyCanceled)
	}
	o.cancelled = in.OrderCancelledDate.t
	if in.OrderStatus != nil {
		o.status = *in.OrderStatus
	}
	o.changedAt = now
	s.cancelOrder(o)
	return ok(cancelOut{IsCanceled: true, UpdatedAt: at(now), Status: o.state})
}

// complete is POST /v1/pvt/Order/{id}/complete: a pending order becomes completed and earns its
// points. Completing a completed order changes nothing (and earns nothing again); a cancelled one
// is refused.
func (s *Sim) complete(w http.ResponseWriter, r *http.Request) {
	var in statusIn
	if !decode(w, r, &in) {
		return
	}
	now := s.lockSettled()
	out := s.completeLocked(r.PathValue("id"), &in, now)
	s.mu.Unlock()
	out.write(w)
}

func (s *Sim) completeLocked(id string, in *statusIn, now time.Time) outcome {
	o := s.orders[id]
	if o == nil {
		return outcome{notFound: true}
	}
	if d := checkCompleted(true, in.OrderCompletedDate.t, o.placed); len(d) > 0 {
		return s.invalidOutcome(d)
	}
	switch o.state {
	case StateCancelled:
		return s.refused(msgCompleteCancel)
	case StatePending:
		o.completed = in.OrderCompletedDate.t
		if in.OrderStatus != nil {
			o.status = *in.OrderStatus
		}
		o.changedAt = now
		s.completeOrder(o, now)
	}
	return ok(completeOut{IsCompleted: true, UpdatedAt: at(o.changedAt), Status: o.state})
}

// partialIn is the body of /partialcancel.
type partialIn struct {
	ValueToRefund json.Number
	CancelKey     string
}

// partialCancel is POST /v1/pvt/Order/{id}/partialcancel: it refunds ValueToRefund of the order and
// takes back floor(ValueToRefund × PointsPerUnit) points. CancelKey is a no-duplicates key, not a
// replay key: "If you try to cancel the same order using the same CancelKey the cancellation will
// fail", so a repeated key is refused and changes nothing. Partial cancels together may not refund
// more than OrderTotal. Refunding all of it does not cancel the order.
func (s *Sim) partialCancel(w http.ResponseWriter, r *http.Request) {
	var in partialIn
	if !decode(w, r, &in) {
		return
	}
	now := s.lockSettled()
	out := s.partialLocked(r.PathValue("id"), &in, now)
	s.mu.Unlock()
	out.write(w)
}

func (s *Sim) partialLocked(id string, in *partialIn, now time.Time) outcome {
	var d []description
	value, parsed := parseMoney(in.ValueToRefund)
	if !parsed || value.Sign() <= 0 {
		d = append(d, description{BiggerThanZero, "ValueToRefund", "ValueToRefund must be bigger than zero."})
	}
	if strings.TrimSpace(in.CancelKey) == "" {
		d = append(d, description{FieldCannotBeNullOrBlank, "CancelKey", "CancelKey is required."})
	}
	o := s.orders[id]
	switch {
	case o == nil:
		return outcome{notFound: true}
	case len(d) > 0:
		return s.invalidOutcome(d)
	case o.cancelKeys[in.CancelKey]:
		return s.refused(msgCancelKeyUsed)
	case o.state == StateCancelled:
		return s.refused(msgOrderCancelled)
	}
	if left := new(big.Rat).Sub(o.total, o.refunded); value.Cmp(left) > 0 {
		return s.refused(msgRefundTooLarge)
	}
	o.cancelKeys[in.CancelKey] = true
	o.changedAt = now
	s.refund(o, value)
	return ok(cancelOut{IsCanceled: true, UpdatedAt: at(now), Status: o.state})
}
