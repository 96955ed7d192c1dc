// Package backlog measures what waits in the Orders table: per order state and per partner track
// state that needs work, how many wait and for how long the oldest has waited. Sweeps publish it
// as metrics, so alarms see orders that need a person and work that stopped moving.
package backlog

import (
	"context"
	"fmt"
	"time"

	"github.com/orderhub/orderhub/shared/order"
)

// MaxCounted bounds what one state's count reads; a fuller state is reported as MaxCounted.
const MaxCounted = 1000

// Waiting is one state's backlog.
type Waiting struct {
	// State is the order state, or "<track>#<state>" for a partner track.
	State string
	Count int
	// Oldest is how long the longest-waiting one has waited; zero when none waits.
	Oldest time.Duration
	// NeedsPerson: only a person moves these on.
	NeedsPerson bool
}

// Measure reads the work index: one query per order state that needs work, and per waiting state
// of each track's machine.
func Measure(ctx context.Context, orders order.Repository, now time.Time, tracks ...*order.Machine) ([]Waiting, error) {
	var out []Waiting
	for _, st := range order.States() {
		if !st.NeedsWork() {
			continue
		}
		list, err := orders.NeedingWork(ctx, st, now.Add(time.Minute), MaxCounted)
		if err != nil {
			return nil, fmt.Errorf("backlog of %s: %w", st, err)
		}
		w := Waiting{State: string(st), Count: len(list), NeedsPerson: st.NeedsPerson()}
		if len(list) > 0 {
			w.Oldest = max(now.Sub(list[0].UpdatedAt), 0)
		}
		out = append(out, w)
	}
	for _, m := range tracks {
		for _, st := range m.Waiting() {
			list, err := orders.TracksNeedingWork(ctx, m.Name(), st, now.Add(time.Minute), MaxCounted)
			if err != nil {
				return nil, fmt.Errorf("backlog of %s %s: %w", m.Name(), st, err)
			}
			w := Waiting{State: string(m.Name()) + "#" + string(st), Count: len(list), NeedsPerson: m.NeedsPerson(st)}
			if len(list) > 0 {
				w.Oldest = max(now.Sub(list[0].Track.Since), 0)
			}
			out = append(out, w)
		}
	}
	return out, nil
}
