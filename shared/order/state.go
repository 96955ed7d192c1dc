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

// facts is everything the domain knows about a state. Each state's facts are written once, here.
type facts struct {
	// next lists the states it may move to; anything else is refused, so no caller has to know.
	next []State
	// settled: no step of orderhub moves the order on by itself any more; it waits for an outside
	// event (a partner's status, an operator's fix) or has none left.
	settled bool
	// needsWork: the system or an operator still has to act without an outside event; the store
	// indexes these orders so sweeps and dashboards find them with one query.
	needsWork bool
	// awaitsSubmission: the import worker's step (ensure the customer, submit the import) is next.
	awaitsSubmission bool
	// awaitsConfirmation: plenigo may have the import; its log or a lookup can confirm it.
	awaitsConfirmation bool
	// needsPerson: only a person can move the order on (a mapping fix, a replay, a decision).
	needsPerson bool
}

// lifecycle is the state machine, in life order.
var lifecycle = []struct {
	State
	facts
}{
	{Received, facts{next: []State{Queued, Rejected, Cancelled}, needsWork: true}},
	{Rejected, facts{next: []State{Received, Cancelled}, settled: true, needsWork: true, needsPerson: true}},
	{Queued, facts{next: []State{ImportSubmitted, Imported, Retrying, ImportFailed, Cancelled}, needsWork: true, awaitsSubmission: true, awaitsConfirmation: true}},
	{Retrying, facts{next: []State{ImportSubmitted, Imported, Retrying, ImportFailed, Cancelled}, needsWork: true, awaitsSubmission: true, awaitsConfirmation: true}},
	{ImportSubmitted, facts{next: []State{Imported, ImportFailed, Cancelled}, needsWork: true, awaitsConfirmation: true}},
	{ImportFailed, facts{next: []State{Received, Queued, Imported, Cancelled}, settled: true, needsWork: true, needsPerson: true}},
	{Imported, facts{next: []State{Fulfilled, Cancelled}, settled: true}},
	{Fulfilled, facts{next: []State{CancelRefused, Returned}, settled: true}},
	{Cancelled, facts{settled: true}},
	{CancelRefused, facts{next: []State{Returned}, settled: true, needsWork: true, needsPerson: true}},
	{Returned, facts{next: []State{Returned}, settled: true}}, // a further return of what is left
}

var factsOf = func() map[State]facts {
	m := make(map[State]facts, len(lifecycle))
	for _, s := range lifecycle {
		m[s.State] = s.facts
	}
	return m
}()

// States returns every state, in life order.
func States() []State {
	out := make([]State, len(lifecycle))
	for i, s := range lifecycle {
		out[i] = s.State
	}
	return out
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { _, ok := factsOf[s]; return ok }

// CanMoveTo reports whether the domain allows s → to.
func (s State) CanMoveTo(to State) bool {
	for _, t := range factsOf[s].next {
		if t == to {
			return true
		}
	}
	return false
}

// Final reports whether nothing can happen to the order any more.
func (s State) Final() bool { return s.Valid() && len(factsOf[s].next) == 0 }

// Settled reports whether no step of orderhub moves the order on by itself any more.
func (s State) Settled() bool { return factsOf[s].settled }

// NeedsWork reports whether the system or an operator still has to act on an order in this state
// without an outside event.
func (s State) NeedsWork() bool { return factsOf[s].needsWork }

// NeedsPerson reports whether only a person can move an order in this state on.
func (s State) NeedsPerson() bool { return factsOf[s].needsPerson }

// NeedingPerson lists the states only a person moves on, in life order.
func NeedingPerson() []State {
	var out []State
	for _, s := range lifecycle {
		if s.needsPerson {
			out = append(out, s.State)
		}
	}
	return out
}

// InFlight lists the states a running pipeline moves on by itself: the unsettled ones.
func InFlight() []State {
	var out []State
	for _, s := range lifecycle {
		if !s.settled {
			out = append(out, s.State)
		}
	}
	return out
}

// AwaitsSubmission reports whether the import worker's step is next: the customer ensured and the
// import submitted to plenigo.
func (o *Order) AwaitsSubmission() bool { return factsOf[o.State].awaitsSubmission }

// AwaitsConfirmation reports whether plenigo may have the order's import and its import log, or a
// lookup, can confirm it.
func (o *Order) AwaitsConfirmation() bool { return factsOf[o.State].awaitsConfirmation }

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
