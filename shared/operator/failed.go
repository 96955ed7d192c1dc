package operator

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/orderhub/orderhub/shared/backlog"
	"github.com/orderhub/orderhub/shared/order"
)

// Need is an order that needs a person: its state (or a partner track's) and why (backlog.Need).
type Need = backlog.Need

// Selection chooses orders that need a person. Empty fields choose everything.
type Selection = backlog.Selection

// MaxListed bounds what one listing reads per state, and what one replay touches.
const MaxListed = backlog.MaxListed

// Failed lists every order that needs a person, newest first: orders in a state only a person moves
// on (REJECTED, IMPORT_FAILED, CANCEL_REFUSED) and partner tracks a partner refused for good. It
// reads the work index, one query per state, never the whole table (backlog.Needs, which the
// enqueuer's failure digest reads too).
func Failed(ctx context.Context, orders order.Repository, sel Selection, now time.Time) ([]Need, error) {
	return backlog.Needs(ctx, orders, sel, now)
}

// PrintFailed writes the needs grouped by what they wait for (state and reason), the largest group
// first, each with its orders newest first.
func PrintFailed(w io.Writer, needs []Need, now time.Time) {
	for _, g := range backlog.Grouped(needs) {
		fmt.Fprintf(w, "%d × %s\n", len(g.Needs), g.Key)
		for _, n := range g.Needs {
			fmt.Fprintf(w, "    %-28s %-8s %s ago  %s\n", n.OrderID, n.Source, now.Sub(n.Since).Round(time.Second), n.Reason)
		}
	}
	if len(needs) == 1 {
		fmt.Fprintln(w, "1 order needs a person")
		return
	}
	fmt.Fprintf(w, "%d orders need a person\n", len(needs))
}
