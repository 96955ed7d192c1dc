package operator

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/orderhub/orderhub/shared/order"
)

// Trace writes an order's whole history to w: a header with its state and reason, its plenigo ids,
// each partner track's state, then one line per history entry with time, function, the move of the
// order or of a track, partner call and reason.
func Trace(w io.Writer, o *order.Order) {
	fmt.Fprintf(w, "order %s  (%s, %s)  state %s", o.ID, o.Source, o.SourceRef, o.State)
	if o.StateReason != "" {
		fmt.Fprintf(w, ": %s", o.StateReason)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  plenigo customer %s  order %s  promise %s\n", dash(o.Customer.PlenigoCustomerID), dash(o.Subscription.PlenigoOrderID), dash(o.Subscription.PromiseID))
	names := slices.Sorted(maps.Keys(o.Tracks))
	for _, name := range names {
		t := o.Tracks[name]
		fmt.Fprintf(w, "  %s %s  since %s  attempts %d  ref %s\n", name, t.State, t.UpdatedAt.UTC().Format("2006-01-02 15:04:05.000"), t.Attempts, dash(t.Ref))
	}
	for _, e := range o.History {
		move := string(e.To)
		switch {
		case e.Track != "" && e.TrackFrom != e.TrackTo:
			move = string(e.Track) + ": " + string(orStart(e.TrackFrom)) + " → " + string(e.TrackTo)
		case e.Track != "":
			move = string(e.Track) + ": " + string(e.TrackTo)
		case e.From != "" && e.From != e.To:
			move = string(e.From) + " → " + string(e.To)
		}
		line := fmt.Sprintf("  %3d  %s  %-9s  %-36s", e.Seq, e.At.UTC().Format("2006-01-02 15:04:05.000"), e.Actor.Function, move)
		if e.Call != nil {
			line += fmt.Sprintf("  %s %s: %s", e.Call.Partner, e.Call.Operation, e.Call.Outcome)
			if e.Call.Detail != "" {
				line += " (" + e.Call.Detail + ")"
			}
		}
		if e.Reason != "" {
			line += "  — " + e.Reason
		}
		fmt.Fprintln(w, line)
	}
}

func orStart(s order.TrackState) order.TrackState {
	if s == "" {
		return "(start)"
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
