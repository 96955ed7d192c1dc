package intake

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
)

// Service accepts parsed orders into the repository.
type Service struct {
	Orders  order.Repository
	Mapping *mapping.Config
	// Retention is how long after receipt an order and its history are kept (order.RetainUntil);
	// zero keeps them.
	Retention time.Duration
}

// MaxItems bounds the items of one purchase; plenigo imports each item as an order of its own.
const MaxItems = 100

// Outcome is what became of one accepted purchase.
type Outcome struct {
	OrderID   string
	Duplicate bool // an order with this id and the same content was already stored; nothing was written
	// Conflict: an order with this id but other content was stored before (the same id sent for
	// another purchase, by mistake or by someone else); nothing was written.
	Conflict bool
	State    order.State // the state stored (unknown for a duplicate)
	Reason   string      // why the order is REJECTED, when it is
}

// Accept maps the order and stores it with one conditional write. An order that cannot be mapped is
// still stored, as REJECTED with the reason, so a purchase is never lost to incomplete
// configuration. A second delivery of the same purchase is a Duplicate, not an error.
func (s *Service) Accept(ctx context.Context, o *order.Order, by order.Actor) (Outcome, error) {
	if len(o.Items) > MaxItems {
		return Outcome{}, &InputError{Code: "too_many_items", Field: "items", Message: fmt.Sprintf("holds %d items; at most %d per purchase", len(o.Items), MaxItems)}
	}
	o.Digest = o.Fingerprint()
	if s.Retention > 0 {
		o.RetainUntil = o.ReceivedAt.Add(s.Retention).UTC()
	}
	if err := s.Mapping.Apply(o); err != nil {
		var u *mapping.Unmappable
		if !errors.As(err, &u) {
			return Outcome{}, fmt.Errorf("map order %s: %w", o.ID, err)
		}
		if err := o.MoveTo(order.Rejected, order.Change{At: o.ReceivedAt, By: by, Reason: u.Error()}); err != nil {
			return Outcome{}, err
		}
	}
	switch err := s.Orders.Create(ctx, o); {
	case errors.Is(err, order.ErrExists):
		return s.known(ctx, o)
	case errors.Is(err, order.ErrTooLarge):
		return Outcome{}, &InputError{Code: "too_large", Message: "the purchase is too large to store; send fewer or shorter fields"}
	case err != nil:
		return Outcome{}, fmt.Errorf("store order %s: %w", o.ID, err)
	}
	return Outcome{OrderID: o.ID, State: o.State, Reason: o.StateReason}, nil
}

// known answers a delivery whose id is stored already: a duplicate when the stored order has the
// same content (or predates digests), a conflict otherwise.
func (s *Service) known(ctx context.Context, o *order.Order) (Outcome, error) {
	stored, err := s.Orders.Get(ctx, o.ID)
	if err != nil {
		return Outcome{}, fmt.Errorf("read stored order %s: %w", o.ID, err)
	}
	if stored.Digest != "" && stored.Digest != o.Digest {
		return Outcome{OrderID: o.ID, Conflict: true}, nil
	}
	return Outcome{OrderID: o.ID, Duplicate: true}, nil
}

// Reevaluate applies the current mapping to a REJECTED order and, when it now maps, moves it back to
// RECEIVED so it is imported like a new one. It reports whether the order moved; an order in any
// other state is left alone.
func (s *Service) Reevaluate(ctx context.Context, id string, at time.Time, by order.Actor) (bool, error) {
	return s.reenter(ctx, id, order.Rejected, at, by, "mapping now complete")
}

// Replay sends an IMPORT_FAILED order through the import again, after a fix at plenigo or in the
// mapping: the mapping is applied anew and the order moves back to RECEIVED, from where the stream
// hands it to the import like a new one. It reports false, changing nothing, for an order in another
// state or one that does not map now. plenigo keys the import by the order id, so a second replay,
// or a replay of an order plenigo has after all, imports nothing twice.
func (s *Service) Replay(ctx context.Context, id string, at time.Time, by order.Actor) (bool, error) {
	return s.reenter(ctx, id, order.ImportFailed, at, by, "replayed")
}

// reenter moves an order in state from back to RECEIVED when the mapping applies to it now.
func (s *Service) reenter(ctx context.Context, id string, from order.State, at time.Time, by order.Actor, reason string) (bool, error) {
	moved := false
	_, err := s.Orders.Update(ctx, id, func(o *order.Order) error {
		moved = false
		if o.State != from {
			return order.ErrNoChange
		}
		if err := s.Mapping.Apply(o); err != nil {
			return order.ErrNoChange
		}
		moved = true
		return o.MoveTo(order.Received, order.Change{At: at, By: by, Reason: reason})
	})
	if err != nil {
		return false, fmt.Errorf("re-evaluate order %s: %w", id, err)
	}
	return moved, nil
}
