package order

import (
	"errors"
	"fmt"
	"time"
)

// State is where an order is in its life.
type State string

// The states. See docs/order-lifecycle.md for the diagram.
const (
	Received        State = "RECEIVED"         // stored by the receiver; waiting for the enqueuer
	Rejected        State = "REJECTED"         // cannot be mapped or is invalid; replayable after a fix
	Queued          State = "QUEUED"           // an import job is on the queue
	Retrying        State = "RETRYING"         // a transient partner failure; the job will run again
	ImportSubmitted State = "IMPORT_SUBMITTED" // plenigo accepted the import; waiting for its log
	ImportFailed    State = "IMPORT_FAILED"    // plenigo refused the import, or its log says it failed
	Imported        State = "IMPORTED"         // plenigo has the order; subscription exists
	Fulfilled       State = "FULFILLED"        // delivered; final for loyalty
	Cancelled       State = "CANCELLED"        // cancelled before fulfilment
	CancelRefused   State = "CANCEL_REFUSED"   // a cancellation arrived after fulfilment
	Returned        State = "RETURNED"         // returned after fulfilment; points reversed
)

// transitions lists, for each state, the states it may move to. Anything else is refused here, so no
// caller has to know the rules.
var transitions = map[State][]State{
	Received:        {Queued, Rejected, Cancelled},
	Rejected:        {Received, Cancelled},
	Queued:          {ImportSubmitted, Imported, Retrying, ImportFailed, Cancelled},
	Retrying:        {ImportSubmitted, Imported, Retrying, ImportFailed, Cancelled},
	ImportSubmitted: {Imported, ImportFailed, Cancelled},
	ImportFailed:    {Queued, Cancelled},
	Imported:        {Fulfilled, Cancelled},
	Fulfilled:       {CancelRefused, Returned},
	CancelRefused:   {Returned},
	Cancelled:       nil,
	Returned:        nil,
}

// States returns every state, in life order.
func States() []State {
	return []State{Received, Rejected, Queued, Retrying, ImportSubmitted, ImportFailed, Imported,
		Fulfilled, Cancelled, CancelRefused, Returned}
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { _, ok := transitions[s]; return ok }

// CanMoveTo reports whether the domain allows s → to.
func (s State) CanMoveTo(to State) bool {
	for _, t := range transitions[s] {
		if t == to {
			return true
		}
	}
	return false
}

// Final reports whether nothing can happen to the order any more.
func (s State) Final() bool { return s.Valid() && len(transitions[s]) == 0 }

// Settled reports whether no step of orderhub moves the order on by itself any more: it waits for an
// outside event (a partner's status, an operator's fix) or has none left.
func (s State) Settled() bool {
	switch s {
	case Imported, ImportFailed, Rejected, Fulfilled, Cancelled, CancelRefused, Returned:
		return true
	}
	return false
}

// NeedsWork reports whether the system or an operator still has to act on an order in this state
// without an outside event: the store indexes these orders so sweeps and dashboards find them.
func (s State) NeedsWork() bool {
	switch s {
	case Received, Rejected, Queued, Retrying, ImportSubmitted, ImportFailed:
		return true
	}
	return false
}

// ErrIllegalTransition is returned when a move is not in the state machine.
var ErrIllegalTransition = errors.New("illegal state transition")

// Change describes one move: when, who, why, and the partner call behind it if any.
type Change struct {
	At     time.Time
	By     Actor
	Reason string
	Call   *PartnerCall
}

// MoveTo moves the order to state to and appends the history entry. It refuses moves the state
// machine does not allow and leaves the order unchanged then.
func (o *Order) MoveTo(to State, c Change) error {
	if !o.State.CanMoveTo(to) {
		return fmt.Errorf("order %s: %s → %s: %w", o.ID, o.State, to, ErrIllegalTransition)
	}
	from := o.State
	o.State = to
	o.StateReason = c.Reason
	o.UpdatedAt = c.At.UTC()
	if from != to {
		o.Attempts = 0
	}
	o.appendEvent(Event{At: c.At.UTC(), From: from, To: to, Actor: c.By, Reason: c.Reason, Call: c.Call})
	return nil
}

// Record appends a history entry that does not change the state, such as a partner call that will be
// retried.
func (o *Order) Record(c Change) {
	o.UpdatedAt = c.At.UTC()
	o.appendEvent(Event{At: c.At.UTC(), From: o.State, To: o.State, Actor: c.By, Reason: c.Reason, Call: c.Call})
}

func (o *Order) appendEvent(e Event) {
	e.Seq = len(o.History) + 1
	o.History = append(o.History, e)
}
