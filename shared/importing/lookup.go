package importing

import (
	"context"
	"github.com/orderhub/orderhub/shared/loyalty"
	"strconv"
	"time"

	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenigo"
)

// lookupImport asks plenigo directly for the order of every item of o not confirmed yet. found maps
// import key to plenigo's order id; complete is true when every item has one.
func lookupImport(ctx context.Context, pc *plenigo.Client, o *order.Order) (found map[string]string, complete bool, err error) {
	found = make(map[string]string, len(o.Items))
	complete = true
	for i, it := range o.Items {
		k := o.ImportKey(i)
		if it.PlenigoOrderID != "" {
			found[k] = it.PlenigoOrderID
			continue
		}
		orders, err := pc.OrdersByExternalSystemID(ctx, k)
		if err != nil {
			return nil, false, err
		}
		if len(orders) == 0 {
			complete = false
			continue
		}
		found[k] = strconv.FormatInt(orders[0].OrderID, 10)
	}
	return found, complete, nil
}

// confirmFound records the plenigo orders a lookup found and moves the order to IMPORTED.
func confirmFound(o *order.Order, found map[string]string, at time.Time, by order.Actor) error {
	for k, id := range found {
		o.ConfirmImport(k, id)
	}
	return Imported(o, order.Change{At: at, By: by, Call: &order.PartnerCall{Partner: "plenigo",
		Operation: "find order", Outcome: "imported as plenigo order " + o.Subscription.PlenigoOrderID}})
}

// Imported moves the order to IMPORTED and, when its source's rule says plenigo's confirmation
// completes it, on to FULFILLED with its loyalty decision, in the same write.
func Imported(o *order.Order, c order.Change) error {
	if err := o.MoveTo(order.Imported, c); err != nil {
		return err
	}
	return loyalty.CompleteOnImport(o, c)
}
