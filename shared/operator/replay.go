package operator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plentysync"
)

// replayer is the actor on the history entries Replay writes; the request id says who ran it.
const replayer = "orderhub replay"

// trackReplays send a failed partner track back to the step that failed, by track: a new partner's
// track adds its line here.
var trackReplays = map[order.TrackName]func(*order.Order, order.Change) error{
	loyalty.Track:    loyalty.Replay,
	plentysync.Track: plentysync.Replay,
}

// ReplayOptions say how a replay runs.
type ReplayOptions struct {
	// DryRun shows what would happen to each order and changes nothing.
	DryRun bool
	// Cap bounds the orders one replay touches; zero means MaxListed.
	Cap int
	// Who ran it (user@host), recorded on every order replayed.
	Who string
}

// ErrOverCap is returned when a selection holds more orders than a replay may touch.
var ErrOverCap = errors.New("more orders than one replay may touch")

// Replay moves each order of needs on again, after the cause was fixed: a REJECTED order is mapped
// anew and, if it maps, imported like a new one; an IMPORT_FAILED order is mapped anew and imported
// again; a partner track that failed retries its step. CANCEL_REFUSED orders wait for a person's
// decision and are only listed. Every move is recorded in the order's history with who ran it. The
// partners' keys (the order id at plenigo and at BonifiQ) make a second run, or a replay of
// something that succeeded after all, change nothing there. It writes a line per order and returns
// how many moved (or, in a dry run, would move).
func Replay(ctx context.Context, w io.Writer, svc *intake.Service, needs []Need, opt ReplayOptions, now func() time.Time) (int, error) {
	if now == nil {
		now = time.Now
	}
	limit := opt.Cap
	if limit <= 0 {
		limit = MaxListed
	}
	if len(needs) > limit {
		return 0, fmt.Errorf("%d orders chosen: %w (%d); narrow the selection", len(needs), ErrOverCap, limit)
	}
	by := order.Actor{Function: replayer, RequestID: opt.Who}
	moved := 0
	for _, n := range needs {
		line, ok, err := replayOne(ctx, svc, n, opt.DryRun, now(), by)
		if err != nil {
			return moved, fmt.Errorf("replay %s: %w", n.OrderID, err)
		}
		if ok {
			moved++
		}
		fmt.Fprintf(w, "%s: %s\n", n.OrderID, line)
	}
	verb := "moved on"
	if opt.DryRun {
		verb = "would move on (dry run: nothing changed)"
	}
	fmt.Fprintf(w, "%d of %d orders %s\n", moved, len(needs), verb)
	return moved, nil
}

func replayOne(ctx context.Context, svc *intake.Service, n Need, dry bool, at time.Time, by order.Actor) (string, bool, error) {
	if n.Track != "" {
		replay := trackReplays[n.Track]
		if replay == nil {
			return "no replay for track " + string(n.Track), false, nil
		}
		if dry {
			return fmt.Sprintf("would retry its %s step at the partner", n.Track), true, nil
		}
		_, err := svc.Orders.Update(ctx, n.OrderID, func(o *order.Order) error {
			return replay(o, order.Change{At: at, By: by, Reason: "replayed"})
		})
		if errors.Is(err, loyalty.ErrNotFailed) || errors.Is(err, plentysync.ErrNotFailed) {
			return "its track has moved on already", false, nil
		}
		return fmt.Sprintf("%s retries its step", n.Track), err == nil, err
	}
	switch n.State {
	case order.Rejected, order.ImportFailed:
		o, err := svc.Orders.Get(ctx, n.OrderID)
		if err != nil {
			return "", false, err
		}
		if o.State != n.State {
			return fmt.Sprintf("now %s, nothing to do", o.State), false, nil
		}
		probe := o.Clone()
		if err := svc.Mapping.Apply(probe); err != nil {
			var u *mapping.Unmappable
			if errors.As(err, &u) {
				return "still does not map: " + u.Error(), false, nil
			}
			return "", false, err
		}
		plan := "import again with " + offers(probe)
		if dry {
			return "would " + plan, true, nil
		}
		replay := svc.Replay
		if n.State == order.Rejected {
			replay = svc.Reevaluate
		}
		ok, err := replay(ctx, n.OrderID, at, by)
		if !ok && err == nil {
			return "changed meanwhile, nothing done", false, nil
		}
		return "back to RECEIVED: " + plan, ok, err
	}
	return fmt.Sprintf("%s waits for a person's decision (orderhub trace %s)", n.State, n.OrderID), false, nil
}

func offers(o *order.Order) string {
	var s []string
	for _, it := range o.Items {
		s = append(s, it.Product+"→"+it.OfferID)
	}
	return "offer " + strings.Join(s, ", ")
}
