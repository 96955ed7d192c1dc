package loyalty

import "github.com/orderhub/orderhub/shared/order"

// Track is the loyalty track's name on the order.
const Track order.TrackName = "loyalty"

// The loyalty track's states.
const (
	// AwardDue: the order is complete and earns points; BonifiQ has not confirmed it yet.
	AwardDue order.TrackState = "AWARD_DUE"
	// Awarded: BonifiQ has the order as completed; it credits the points.
	Awarded order.TrackState = "AWARDED"
	// ReversalDue: a return (or a cancellation) must take points back; BonifiQ has not confirmed it.
	ReversalDue order.TrackState = "REVERSAL_DUE"
	// PartlyReversed: the points of every return so far are reversed; items remain.
	PartlyReversed order.TrackState = "PARTLY_REVERSED"
	// Reversed: the order's points are all taken back, or were never given.
	Reversed order.TrackState = "REVERSED"
	// NotEligible: the order's source earns no points.
	NotEligible order.TrackState = "NOT_ELIGIBLE"
	// Failed: BonifiQ refused the call for a reason retrying cannot fix; an operator acts.
	Failed order.TrackState = "FAILED"
)

// Machine is the loyalty track's state machine.
var Machine = order.NewMachine(Track, []order.TrackState{AwardDue, NotEligible}, map[order.TrackState]order.TrackFacts{
	AwardDue:       {Next: []order.TrackState{Awarded, ReversalDue, Failed}, NeedsWork: true},
	Awarded:        {Next: []order.TrackState{ReversalDue}},
	ReversalDue:    {Next: []order.TrackState{Reversed, PartlyReversed, Failed}, NeedsWork: true},
	PartlyReversed: {Next: []order.TrackState{ReversalDue}},
	Reversed:       {},
	NotEligible:    {},
	Failed:         {Next: []order.TrackState{AwardDue, ReversalDue}, NeedsWork: true, NeedsPerson: true},
})

// Due lists the states the pusher works on.
var Due = []order.TrackState{AwardDue, ReversalDue}

// Facts the track keeps.
const (
	// factReversed + a return id: that return's points are reversed.
	factReversed = "reversed:"
	// factFailedStep: the step (award or reversal) that failed, for a replay.
	factFailedStep = "failedStep"
)
