package backlog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/order"
)

// Need is an order that needs a person: its state (or a partner track's) and why.
type Need struct {
	OrderID    string           `json:"orderId"`
	Source     order.Source     `json:"source"`
	State      order.State      `json:"state"`
	Track      order.TrackName  `json:"track,omitempty"`
	TrackState order.TrackState `json:"trackState,omitempty"`
	Reason     string           `json:"reason"`
	Since      time.Time        `json:"since"`
}

// What is what the order waits in: its state, or "<track> <state>" for a partner track.
func (n Need) What() string {
	if n.Track != "" {
		return string(n.Track) + " " + string(n.TrackState)
	}
	return string(n.State)
}

// Selection chooses orders that need a person. Empty fields choose everything.
type Selection struct {
	IDs    []string      // these orders only
	States []string      // order states or track states (REJECTED, IMPORT_FAILED, FAILED, …)
	Source order.Source  // mkt, plenty, dealer
	Reason string        // a part of the reason, case-insensitive
	Since  time.Duration // in need for at most this long
}

// MaxListed bounds what one listing reads per state.
const MaxListed = 5000

// Needs lists every order that needs a person, newest first: orders in a state only a person moves
// on (REJECTED, IMPORT_FAILED, CANCEL_REFUSED) and partner tracks a partner refused for good, of
// every declared track (order.Machines). It reads the work index, one query per state, never the
// whole table.
func Needs(ctx context.Context, orders order.Repository, sel Selection, now time.Time) ([]Need, error) {
	var needs []Need
	for _, st := range order.NeedingPerson() {
		if !sel.wantsState(string(st)) {
			continue
		}
		list, err := orders.NeedingWork(ctx, st, now.Add(time.Minute), MaxListed)
		if err != nil {
			return nil, fmt.Errorf("list %s orders: %w", st, err)
		}
		for _, o := range list {
			needs = append(needs, Need{OrderID: o.ID, Source: o.Source, State: o.State, Reason: o.StateReason, Since: o.UpdatedAt})
		}
	}
	for _, m := range order.Machines() {
		for _, st := range m.NeedingPerson() {
			if !sel.wantsState(string(st)) {
				continue
			}
			list, err := orders.TracksNeedingWork(ctx, m.Name(), st, now.Add(time.Minute), MaxListed)
			if err != nil {
				return nil, fmt.Errorf("list %s tracks in %s: %w", m.Name(), st, err)
			}
			for _, w := range list {
				n := Need{OrderID: w.OrderID, Track: m.Name(), TrackState: st, Since: w.Track.Since}
				if c := w.Track.LastCall; c != nil {
					n.Reason = strings.TrimSpace(c.Partner + " " + c.Operation + ": " + c.Detail)
				}
				if i := strings.IndexByte(w.OrderID, '-'); i > 0 {
					n.Source = order.Source(w.OrderID[:i])
				}
				needs = append(needs, n)
			}
		}
	}
	out := needs[:0]
	for _, n := range needs {
		if sel.wants(n, now) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b Need) int {
		return cmp.Or(b.Since.Compare(a.Since), strings.Compare(a.OrderID, b.OrderID))
	})
	return out, nil
}

func (s Selection) wantsState(st string) bool {
	return len(s.States) == 0 || slices.ContainsFunc(s.States, func(w string) bool { return strings.EqualFold(w, st) })
}

func (s Selection) wants(n Need, now time.Time) bool {
	switch {
	case len(s.IDs) > 0 && !slices.Contains(s.IDs, n.OrderID):
		return false
	case s.Source != "" && n.Source != s.Source:
		return false
	case s.Reason != "" && !strings.Contains(strings.ToLower(n.Reason), strings.ToLower(s.Reason)):
		return false
	case s.Since > 0 && n.Since.Before(now.Add(-s.Since)):
		return false
	}
	return true
}

// Group is the orders that wait for the same thing: in the same state for the same kind of reason.
type Group struct {
	// Key is "<what>: <reason kind>", e.g. `IMPORT_FAILED: plenigo refused the order: offer "…" unknown (#)`.
	Key   string
	Needs []Need
}

// Grouped groups needs by what they wait for (state and reason kind), the largest group first, each
// with its orders in the order given. `orderhub failed` and the failure digest both show it.
func Grouped(needs []Need) []Group {
	var groups []*Group
	byKey := map[string]*Group{}
	for _, n := range needs {
		key := n.What() + ": " + ReasonKind(n.Reason)
		g := byKey[key]
		if g == nil {
			g = &Group{Key: key}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.Needs = append(g.Needs, n)
	}
	slices.SortStableFunc(groups, func(a, b *Group) int { return len(b.Needs) - len(a.Needs) })
	out := make([]Group, len(groups))
	for i, g := range groups {
		out[i] = *g
	}
	return out
}

// ReasonKind is a reason without what differs from order to order (ids, quoted values), so that
// orders that fail for the same reason group together.
func ReasonKind(reason string) string {
	var b strings.Builder
	quoted := false
	for _, r := range reason {
		switch {
		case r == '"':
			if !quoted {
				b.WriteString(`"…"`)
			}
			quoted = !quoted
		case quoted:
		case r >= '0' && r <= '9':
			if s := b.String(); !strings.HasSuffix(s, "#") {
				b.WriteByte('#')
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
