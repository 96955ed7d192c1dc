package operator

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/order"
)

// reevaluator is the actor on the history entry of an order Reevaluate moves.
const reevaluator = "orderhub reevaluate"

// Reevaluate applies svc's mapping to the REJECTED orders among ids, and to every REJECTED order in
// orders when all is set: those that map now move back to RECEIVED (the stream hands them to the
// import like new ones), the others stay REJECTED with their reason, orders in any other state are
// left alone. It writes one line per order and a summary to w, and returns how many orders moved;
// on an error it stops there and returns how many moved before. now is the clock (nil for time.Now).
func Reevaluate(ctx context.Context, w io.Writer, svc *intake.Service, orders order.Repository, ids []string, all bool, now func() time.Time) (moved int, err error) {
	if now == nil {
		now = time.Now
	}
	ids = slices.Clip(ids) // appending below must not write into the caller's array
	if all {
		// A minute ahead, so an order rejected just now (or stamped by a clock a little ahead) is in.
		rejected, err := orders.NeedingWork(ctx, order.Rejected, now().Add(time.Minute), 0)
		if err != nil {
			return 0, err
		}
		for _, o := range rejected {
			ids = append(ids, o.ID)
		}
	}
	for _, id := range ids {
		ok, err := svc.Reevaluate(ctx, id, now(), order.Actor{Function: reevaluator})
		if err != nil {
			return moved, err
		}
		if ok {
			moved++
			fmt.Fprintf(w, "%s: mapped now, back to RECEIVED\n", id)
			continue
		}
		o, err := orders.Get(ctx, id)
		if err != nil {
			return moved, fmt.Errorf("re-evaluate order %s: %w", id, err)
		}
		if o.State == order.Rejected {
			fmt.Fprintf(w, "%s: still REJECTED: %s\n", id, o.StateReason)
		} else {
			fmt.Fprintf(w, "%s: %s, nothing to do\n", id, o.State)
		}
	}
	fmt.Fprintf(w, "%d of %d orders moved back to RECEIVED\n", moved, len(ids))
	return moved, nil
}
