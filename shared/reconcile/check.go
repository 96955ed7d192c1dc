// Package reconcile compares orderhub's view of its orders with what each partner holds: plenigo's
// orders, plentymarkets' statuses, BonifiQ's loyalty orders. One set of rules serves both the
// reconciliation of a time window (Run, with paged partner reads) and one order's live trace (Live).
package reconcile

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/plenty"
	"github.com/orderhub/orderhub/shared/plentysync"
)

// The partners, as findings name them.
const (
	Plenigo = "plenigo"
	Plenty  = "plentymarkets"
	Bonifiq = "bonifiq"
)

// Kind is what disagrees.
type Kind string

const (
	// Missing: orderhub records that the partner holds the order; the partner does not.
	Missing Kind = "missing"
	// Duplicated: the partner holds the order more than once.
	Duplicated Kind = "duplicated"
	// WrongState: the partner holds the order in a state orderhub does not record.
	WrongState Kind = "wrong state"
)

// Finding is one disagreement between orderhub and a partner about one order.
type Finding struct {
	OrderID string `json:"orderId"`
	Partner string `json:"partner"`
	Kind    Kind   `json:"kind"`
	Detail  string `json:"detail"`
	// Repair says what a repair does about it; empty when a person must decide.
	Repair string `json:"repair,omitempty"`
	// Repaired is set once a repair was applied.
	Repaired bool `json:"repaired,omitempty"`
	// found is what Repair records: plenigo's order id by import key.
	found map[string]string
}

// inPlenigo reports whether orderhub's state says plenigo has the order.
func inPlenigo(s order.State) bool {
	switch s {
	case order.Imported, order.Fulfilled, order.CancelRefused, order.Returned:
		return true
	}
	return false
}

// confirmable: orderhub waits for plenigo's confirmation, or gave up on the import; plenigo's own
// order settles it.
func confirmable(o *order.Order) bool {
	return o.AwaitsConfirmation() || o.State == order.ImportFailed
}

// CheckPlenigo compares o with plenigo's orders by import key (every key of o looked up).
func CheckPlenigo(o *order.Order, byKey map[string][]plenigo.Order) []Finding {
	var out []Finding
	found := map[string]string{}
	for i, it := range o.Items {
		k := o.ImportKey(i)
		got := byKey[k]
		expected := it.PlenigoOrderID != "" || inPlenigo(o.State)
		switch {
		case len(got) > 1:
			ids := make([]string, len(got))
			for j, p := range got {
				ids[j] = strconv.FormatInt(p.OrderID, 10)
			}
			out = append(out, Finding{OrderID: o.ID, Partner: Plenigo, Kind: Duplicated,
				Detail: fmt.Sprintf("plenigo has %d orders for %s: %s; orderhub recorded %s", len(got), k, strings.Join(ids, ", "), dash(it.PlenigoOrderID))})
		case len(got) == 0 && expected:
			out = append(out, Finding{OrderID: o.ID, Partner: Plenigo, Kind: Missing,
				Detail: fmt.Sprintf("orderhub says %s with plenigo order %s for %s; plenigo has none", o.State, dash(it.PlenigoOrderID), k)})
		case len(got) == 1:
			id := strconv.FormatInt(got[0].OrderID, 10)
			switch {
			case got[0].Status == "CANCELLED" && !inPlenigo(o.State):
				out = append(out, Finding{OrderID: o.ID, Partner: Plenigo, Kind: WrongState,
					Detail: fmt.Sprintf("plenigo has order %s for %s, CANCELLED; orderhub says %s", id, k, o.State)})
			case it.PlenigoOrderID != "" && it.PlenigoOrderID != id:
				out = append(out, Finding{OrderID: o.ID, Partner: Plenigo, Kind: WrongState,
					Detail: fmt.Sprintf("orderhub recorded plenigo order %s for %s; plenigo has %s", it.PlenigoOrderID, k, id)})
			case it.PlenigoOrderID == "" && confirmable(o):
				found[k] = id
			case it.PlenigoOrderID == "" && !inPlenigo(o.State):
				out = append(out, Finding{OrderID: o.ID, Partner: Plenigo, Kind: WrongState,
					Detail: fmt.Sprintf("plenigo has order %s for %s; orderhub says %s", id, k, o.State)})
			case got[0].Status == "CANCELLED" && inPlenigo(o.State):
				out = append(out, Finding{OrderID: o.ID, Partner: Plenigo, Kind: WrongState,
					Detail: fmt.Sprintf("plenigo order %s is CANCELLED; orderhub says %s", id, o.State)})
			}
		}
	}
	if len(found) > 0 {
		keys := make([]string, 0, len(found))
		for k, id := range found {
			keys = append(keys, k+" = "+id)
		}
		slices.Sort(keys)
		f := Finding{OrderID: o.ID, Partner: Plenigo, Kind: WrongState, found: found,
			Detail: fmt.Sprintf("plenigo has the order (%s); orderhub says %s", strings.Join(keys, ", "), o.State),
			Repair: "record plenigo's order ids"}
		if len(found)+confirmedItems(o) == len(o.Items) {
			f.Repair += " and move the order to IMPORTED"
		}
		out = append(out, f)
	}
	return out
}

func confirmedItems(o *order.Order) int {
	n := 0
	for _, it := range o.Items {
		if it.PlenigoOrderID != "" {
			n++
		}
	}
	return n
}

// PlentyRef is the plentymarkets order an order came from; ok is false for other sources.
func PlentyRef(o *order.Order) (int, bool) {
	if o.Source != order.SourcePlenty {
		return 0, false
	}
	id, err := strconv.Atoi(o.SourceRef)
	return id, err == nil
}

// CheckPlenty compares the status orderhub last wrote to plentymarkets with the one plentymarkets
// shows. A status the merchant moved on (a cancellation, a return: 8 and 9) is the plentymarkets
// half's to follow, not a disagreement; a status behind what orderhub wrote is.
func CheckPlenty(o *order.Order, remote plenty.Order, found bool) []Finding {
	t := o.Track(plentysync.Track)
	if t == nil {
		return nil
	}
	written := plenty.Status(t.Facts["written"])
	if written == "" {
		return nil
	}
	if !found {
		return []Finding{{OrderID: o.ID, Partner: Plenty, Kind: Missing,
			Detail: fmt.Sprintf("orderhub wrote status %s to plentymarkets order %s; plentymarkets did not list it", written, o.SourceRef)}}
	}
	if remote.Status.Equal(written) || merchants(remote.Status) {
		return nil
	}
	if less(remote.Status, written) {
		return []Finding{{OrderID: o.ID, Partner: Plenty, Kind: WrongState,
			Detail: fmt.Sprintf("plentymarkets order %s is in status %s; orderhub wrote %s", o.SourceRef, remote.Status, written)}}
	}
	return nil
}

// merchants: the statuses of cancellations and returns, which the merchant sets.
func merchants(s plenty.Status) bool {
	c := string(s.Canonical())
	return strings.HasPrefix(c, "8") || strings.HasPrefix(c, "9")
}

// less compares two plentymarkets statuses as the decimals they are.
func less(a, b plenty.Status) bool {
	x, err1 := strconv.ParseFloat(string(a.Canonical()), 64)
	y, err2 := strconv.ParseFloat(string(b.Canonical()), 64)
	return err1 == nil && err2 == nil && x < y
}

// CheckBonifiq compares the loyalty track with BonifiQ's order: an award orderhub made must be
// there, and not cancelled unless orderhub reversed it; a reversal must show as cancelled.
func CheckBonifiq(o *order.Order, remote bonifiq.Remote, found bool) []Finding {
	t := o.Track(loyalty.Track)
	if t == nil {
		return nil
	}
	switch t.State {
	case loyalty.Awarded, loyalty.PartlyReversed:
		if !found {
			return []Finding{{OrderID: o.ID, Partner: Bonifiq, Kind: Missing, Detail: fmt.Sprintf("orderhub says %s; BonifiQ has no order %s", t.State, o.ID)}}
		}
		if remote.State == bonifiq.StateCancelled {
			return []Finding{{OrderID: o.ID, Partner: Bonifiq, Kind: WrongState, Detail: fmt.Sprintf("BonifiQ's order is cancelled; orderhub says %s", t.State)}}
		}
	case loyalty.Reversed:
		if found && remote.State != bonifiq.StateCancelled {
			return []Finding{{OrderID: o.ID, Partner: Bonifiq, Kind: WrongState, Detail: fmt.Sprintf("BonifiQ's order is in state %d, not cancelled; orderhub says REVERSED", remote.State)}}
		}
	}
	return nil
}

// bonifiqSettled: loyalty states in which BonifiQ's order must agree with orderhub's.
func bonifiqSettled(o *order.Order) bool {
	t := o.Track(loyalty.Track)
	return t != nil && (t.State == loyalty.Awarded || t.State == loyalty.PartlyReversed || t.State == loyalty.Reversed)
}

func dash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
