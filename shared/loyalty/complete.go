package loyalty

import (
	"errors"

	"github.com/orderhub/orderhub/shared/order"
)

// Complete moves the order to FULFILLED and starts its loyalty track in the same change: AWARD_DUE
// when its source earns points and something was paid for the goods, NOT_ELIGIBLE otherwise. Every step that completes an order (the
// import's confirmation for orders that complete on import, the fulfilment write-back for the others)
// calls it, so no complete order is without a loyalty decision.
func Complete(o *order.Order, c order.Change) error {
	if err := o.MoveTo(order.Fulfilled, c); err != nil {
		return err
	}
	c.Call = nil
	switch {
	case !o.Completion.EarnsPoints:
		c.Reason = "the source earns no points (mapping: completion)"
		return o.MoveTrack(Machine, NotEligible, c)
	case Total(o) <= 0:
		c.Reason = "nothing was paid for the goods"
		return o.MoveTrack(Machine, NotEligible, c)
	}
	c.Reason = "points due on " + Total(o).String()
	return o.MoveTrack(Machine, AwardDue, c)
}

// CompleteOnImport completes the order when its rule says plenigo's confirmation completes it; it
// changes nothing otherwise. The import steps call it right after the move to IMPORTED.
func CompleteOnImport(o *order.Order, c order.Change) error {
	if o.State != order.Imported || !o.CompletesOnImport() {
		return nil
	}
	c.Reason = "complete on import (mapping: completion)"
	c.Call = nil
	return Complete(o, c)
}

// Return records a return event on the order and, when points were or are about to be awarded,
// makes their reversal due in the same change. ErrAlreadyRecorded from the order means the return is
// there already; callers treat it as done.
func Return(o *order.Order, r order.Return, c order.Change) error {
	if err := o.RecordReturn(r, c); err != nil {
		return err
	}
	return reversalDue(o, c)
}

// reversalDue moves a track that holds or awaits points to REVERSAL_DUE.
func reversalDue(o *order.Order, c order.Change) error {
	t := o.Track(Track)
	if t == nil {
		return nil
	}
	switch t.State {
	case AwardDue, Awarded, PartlyReversed:
		c.Call = nil
		return o.MoveTrack(Machine, ReversalDue, c)
	case Failed:
		if t.Facts[factFailedStep] == string(AwardDue) {
			c.Call = nil
			return o.MoveTrack(Machine, ReversalDue, c)
		}
	}
	return nil
}

// ErrNotFailed is returned by Replay for a track that has not failed.
var ErrNotFailed = errors.New("loyalty track has not failed")

// Replay sends a FAILED track back to the step that failed, after an operator fixed the cause.
func Replay(o *order.Order, c order.Change) error {
	t := o.Track(Track)
	if t == nil || t.State != Failed {
		return ErrNotFailed
	}
	step := order.TrackState(t.Facts[factFailedStep])
	if step != AwardDue && step != ReversalDue {
		step = AwardDue
	}
	return o.MoveTrack(Machine, step, c)
}
