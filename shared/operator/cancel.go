package operator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/order"
)

// The actors on the history entries Cancel and Return write.
const (
	canceller = "orderhub cancel"
	returner  = "orderhub return"
)

// Cancel records a customer's cancellation of the order, as the truth allows (order.Cancel): not yet
// in plenigo → CANCELLED, and no import starts afterwards; delivered → CANCEL_REFUSED. An order
// plenigo may hold is refused, naming why, and left as it is. It writes one line to w.
func Cancel(ctx context.Context, w io.Writer, orders order.Repository, id, reason string, now func() time.Time) (order.State, error) {
	if now == nil {
		now = time.Now
	}
	var reached order.State
	_, err := orders.Update(ctx, id, func(o *order.Order) error {
		var err error
		reached, err = o.Cancel(order.Change{At: now(), By: order.Actor{Function: canceller}, Reason: "cancelled: " + reason})
		return err
	})
	switch {
	case errors.Is(err, order.ErrMayBeInPlenigo):
		return "", fmt.Errorf("%w; wait until it settles, then record a return instead", err)
	case err != nil:
		return "", fmt.Errorf("cancel order %s: %w", id, err)
	}
	fmt.Fprintf(w, "%s: %s\n", id, reached)
	return reached, nil
}

// Return records a return of a delivered order (all of what is left when r names no items). Points
// awarded for it become due for reversal in the same write; the loyalty pusher reverses them. A
// return already recorded under r.ID changes nothing.
func Return(ctx context.Context, w io.Writer, orders order.Repository, id string, r order.Return, now func() time.Time) error {
	if now == nil {
		now = time.Now
	}
	o, err := orders.Update(ctx, id, func(o *order.Order) error {
		err := loyalty.Return(o, r, order.Change{At: now(), By: order.Actor{Function: returner}, Reason: "return " + r.ID})
		if errors.Is(err, order.ErrAlreadyRecorded) {
			return order.ErrNoChange
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("return of order %s: %w", id, err)
	}
	loyaltyState := order.TrackState("none")
	if t := o.Track(loyalty.Track); t != nil {
		loyaltyState = t.State
	}
	fmt.Fprintf(w, "%s: %s, loyalty %s\n", id, o.State, loyaltyState)
	return nil
}
