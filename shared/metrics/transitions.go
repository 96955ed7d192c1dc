package metrics

import (
	"context"

	"github.com/orderhub/orderhub/shared/order"
)

// OrderTransitions counts the state changes orders make, by the dimensions Track and To.
const OrderTransitions = "OrderTransitions"

// Dimensions of OrderTransitions. Track is TrackOrder for the order's own state (the import
// lifecycle), or a partner track's name (loyalty, plenty); To is the state entered. Both take
// only the values the state machines declare, so the metric's cardinality stays bounded.
const (
	DimTrack = "Track"
	DimTo    = "To"
)

// TrackOrder is the Track of a change of the order's own state.
const TrackOrder = "order"

// Transition is one state change: a history entry that moved the order, or one of its tracks.
type Transition struct {
	Track    string
	From, To string // From is empty for the first state
}

// TransitionsOf picks the state changes out of history entries: order moves (From ≠ To, the first
// entry included) and track moves (TrackFrom ≠ TrackTo). Recorded partner calls and repeated states
// are no transitions.
func TransitionsOf(events []order.Event) []Transition {
	var out []Transition
	for _, e := range events {
		switch {
		case e.Track != "":
			if e.TrackFrom != e.TrackTo {
				out = append(out, Transition{Track: string(e.Track), From: string(e.TrackFrom), To: string(e.TrackTo)})
			}
		case e.From != e.To:
			out = append(out, Transition{Track: TrackOrder, From: string(e.From), To: string(e.To)})
		}
	}
	return out
}

// Transitions writes one OrderTransitions record per state change among the history entries an
// order's write committed (a store's commit hook calls it). From and the order's id are in the
// line for Logs Insights, never dimensions.
func (s *Sink) Transitions(ctx context.Context, orderID string, events []order.Event) {
	if !s.on() {
		return
	}
	for _, t := range TransitionsOf(events) {
		s.write(ctx, "transition", [][]string{{DimTrack, DimTo}}, []metric{{OrderTransitions, "Count"}},
			[]any{DimTrack, t.Track, DimTo, t.To, "From", t.From, "orderId", orderID, OrderTransitions, 1})
	}
}
