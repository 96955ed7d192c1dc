package loyalty

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/partner"
)

// BonifiQ is the part of the BonifiQ client the pusher uses (shared/bonifiq).
type BonifiQ interface {
	UpsertOrder(ctx context.Context, o bonifiq.Order) (bonifiq.Placed, error)
	CancelOrder(ctx context.Context, originalID string, at time.Time, status string) error
	PartialCancel(ctx context.Context, originalID string, value json.Number, cancelKey string) error
	GetOrder(ctx context.Context, originalID string) (bonifiq.Remote, error)
}

// Pusher makes the BonifiQ calls that orders' loyalty tracks wait for.
type Pusher struct {
	Orders  order.Repository
	BonifiQ BonifiQ
	Now     func() time.Time
	Log     *slog.Logger
	// SweepAge is how long a track waits before the sweep takes it: the stream normally gets there
	// first. Zero means DefaultSweepAge.
	SweepAge time.Duration
	// Parallel bounds the sweep's concurrent pushes; zero means 8.
	Parallel int
}

// DefaultSweepAge is how old a waiting track is before the sweep pushes it.
const DefaultSweepAge = 5 * time.Minute

// ErrRetry is returned (wrapped) when a push failed for a reason that may pass: the track still
// waits and the caller retries it (the stream by reporting the record, the sweep on its next run).
var ErrRetry = errors.New("loyalty push will be retried")

// Push makes the call the order's loyalty track waits for, if any, and records it on the order. A
// track that waits for nothing (already awarded, not eligible, no track) costs no BonifiQ call, so a
// repeated stream record is harmless.
func (p *Pusher) Push(ctx context.Context, orderID string, by order.Actor) error {
	o, err := p.Orders.Get(ctx, orderID)
	if errors.Is(err, order.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: load order %s: %w", ErrRetry, orderID, err)
	}
	t := o.Track(Track)
	if t == nil {
		return nil
	}
	switch t.State {
	case AwardDue:
		return p.award(ctx, o, by)
	case ReversalDue:
		return p.reverse(ctx, o, by)
	}
	return nil
}

func (p *Pusher) award(ctx context.Context, o *order.Order, by order.Actor) error {
	placed, err := p.BonifiQ.UpsertOrder(ctx, Payload(o, p.Now()))
	call := &order.PartnerCall{Partner: "bonifiq", Operation: "upsert order", Outcome: "completed", Status: 200,
		Detail: "OrderTotal " + Total(o).String()}
	if err != nil {
		return p.fail(ctx, o.ID, AwardDue, call, err, by)
	}
	call.Detail += fmt.Sprintf(", BonifiQ id %d", placed.ID)
	return p.move(ctx, o.ID, AwardDue, Awarded, by, "points awarded", call, func(t *order.Track) {
		t.Ref = strconv.FormatInt(placed.ID, 10)
	})
}

// reverse takes back the points of every return not yet reversed: the whole order with a cancel
// when everything came back, each return with a partial cancel keyed by the return otherwise.
func (p *Pusher) reverse(ctx context.Context, o *order.Order, by order.Actor) error {
	t := o.Track(Track)
	call := &order.PartnerCall{Partner: "bonifiq"}
	if t.Ref == "" {
		// The award was never confirmed: BonifiQ may have the order from an answer that was lost.
		call.Operation = "get order"
		remote, err := p.BonifiQ.GetOrder(ctx, o.ID)
		switch {
		case err == nil && remote.State == bonifiq.StateCancelled:
			call.Outcome, call.Status = "nothing to reverse", partner.StatusOf(err)
			return p.move(ctx, o.ID, ReversalDue, Reversed, by, "BonifiQ has the order cancelled", call, nil)
		case partner.KindOf(err) == partner.NotFound && o.FullyReturned():
			call.Outcome, call.Status = "nothing to reverse", partner.StatusOf(err)
			return p.move(ctx, o.ID, ReversalDue, Reversed, by, "no points were awarded, and everything came back", call, nil)
		case partner.KindOf(err) == partner.NotFound:
			// Some items were kept: they earn their points. Award first, then reverse the returns.
			placed, err := p.BonifiQ.UpsertOrder(ctx, Payload(o, p.Now()))
			call = &order.PartnerCall{Partner: "bonifiq", Operation: "upsert order", Outcome: "completed", Status: 200,
				Detail: "OrderTotal " + Total(o).String() + ", before reversing the returns"}
			if err != nil {
				return p.fail(ctx, o.ID, ReversalDue, call, err, by)
			}
			p.record(ctx, o.ID, by, func(t *order.Track) { t.Ref = strconv.FormatInt(placed.ID, 10) })
		case err != nil:
			return p.fail(ctx, o.ID, ReversalDue, call, err, by)
		}
	}
	var done []string
	mark := func(t *order.Track) {
		for _, id := range done {
			t.SetFact(factReversed+id, "yes")
		}
	}
	pending := unreversed(o, t)
	for i, r := range pending {
		var err error
		if o.FullyReturned() && i == len(pending)-1 {
			call = &order.PartnerCall{Partner: "bonifiq", Operation: "cancel order", Outcome: "cancelled", Status: 200,
				Detail: "return " + r.ID + ": the rest of the order"}
			err = p.BonifiQ.CancelOrder(ctx, o.ID, r.At, string(order.Returned))
			if err != nil && partner.KindOf(err) != partner.Transient {
				if remote, gerr := p.BonifiQ.GetOrder(ctx, o.ID); gerr == nil && remote.State == bonifiq.StateCancelled {
					err, call.Outcome = nil, "already cancelled"
				}
			}
		} else {
			value := ReturnValue(o, r)
			call = &order.PartnerCall{Partner: "bonifiq", Operation: "partial cancel", Outcome: "refunded", Status: 200,
				Detail: "return " + r.ID + ": " + value.String()}
			if value > 0 {
				err = p.BonifiQ.PartialCancel(ctx, o.ID, json.Number(value.String()), CancelKey(o, r))
			}
			if bonifiq.IsDuplicateCancelKey(err) {
				err, call.Outcome = nil, "already refunded (CancelKey used)"
			}
		}
		if err != nil {
			if len(done) > 0 {
				p.record(ctx, o.ID, by, mark)
			}
			return p.fail(ctx, o.ID, ReversalDue, call, err, by)
		}
		done = append(done, r.ID)
	}
	// The move is decided on the order as it is now: a return recorded while these calls ran keeps
	// the track due, so it is reversed too.
	left := 0
	_, err := p.Orders.Update(ctx, o.ID, func(cur *order.Order) error {
		t := cur.Track(Track)
		if t == nil || t.State != ReversalDue {
			return order.ErrNoChange
		}
		mark(t)
		if left = len(unreversed(cur, t)); left > 0 {
			return cur.RecordTrack(Track, order.Change{At: p.Now(), By: by, Reason: "another return came meanwhile", Call: call})
		}
		to := PartlyReversed
		if cur.FullyReturned() {
			to = Reversed
		}
		return cur.MoveTrack(Machine, to, order.Change{At: p.Now(), By: by, Reason: "points reversed", Call: call})
	})
	if err != nil {
		return fmt.Errorf("%w: record reversal of order %s: %w", ErrRetry, o.ID, err)
	}
	if left > 0 {
		return fmt.Errorf("%w: order %s has %d more returns to reverse", ErrRetry, o.ID, left)
	}
	return nil
}

// CancelKey is the partial cancel's key of a return: derived from the return, so every retry reuses
// it and a second return never does.
func CancelKey(o *order.Order, r order.Return) string { return o.ID + "/return/" + r.ID }

func unreversed(o *order.Order, t *order.Track) []order.Return {
	var out []order.Return
	for _, r := range o.Returns {
		if t.Facts[factReversed+r.ID] == "" {
			out = append(out, r)
		}
	}
	return out
}

// move records the step's success, unless another writer moved the track first.
func (p *Pusher) move(ctx context.Context, id string, from, to order.TrackState, by order.Actor, reason string, call *order.PartnerCall, edit func(*order.Track)) error {
	_, err := p.Orders.Update(ctx, id, func(o *order.Order) error {
		if t := o.Track(Track); t == nil || t.State != from {
			return order.ErrNoChange
		}
		if edit != nil {
			edit(o.Tracks[Track])
		}
		return o.MoveTrack(Machine, to, order.Change{At: p.Now(), By: by, Reason: reason, Call: call})
	})
	if err != nil {
		return fmt.Errorf("%w: record %s of order %s: %w", ErrRetry, to, id, err)
	}
	return nil
}

// record saves progress without a move (returns reversed before a later one failed).
func (p *Pusher) record(ctx context.Context, id string, by order.Actor, edit func(*order.Track)) {
	_, err := p.Orders.Update(ctx, id, func(o *order.Order) error {
		if o.Track(Track) == nil {
			return order.ErrNoChange
		}
		edit(o.Tracks[Track])
		return nil
	})
	if err != nil {
		p.Log.WarnContext(ctx, "loyalty progress not saved; the next push repeats it with the same keys", "order", id, "error", err.Error())
	}
}

// fail records a failed call: FAILED for a refusal retrying cannot fix, else the attempt, and
// ErrRetry so the caller tries again.
func (p *Pusher) fail(ctx context.Context, id string, step order.TrackState, call *order.PartnerCall, err error, by order.Actor) error {
	kind := partner.KindOf(err)
	call.Outcome, call.Status, call.Detail = kind.String(), partner.StatusOf(err), err.Error()
	permanent := kind == partner.Permanent || kind == partner.Conflict || kind == partner.NotFound
	_, uerr := p.Orders.Update(ctx, id, func(o *order.Order) error {
		t := o.Track(Track)
		if t == nil || t.State != step {
			return order.ErrNoChange
		}
		c := order.Change{At: p.Now(), By: by, Call: call}
		if permanent {
			c.Reason = "BonifiQ refused it: " + err.Error()
			o.Tracks[Track].SetFact(factFailedStep, string(step))
			return o.MoveTrack(Machine, Failed, c)
		}
		c.Reason = "will retry: " + kind.String() + " failure"
		return o.RecordTrack(Track, c)
	})
	if permanent {
		p.Log.ErrorContext(ctx, "loyalty push failed", "order", id, "step", string(step), "status", call.Status, "error", err.Error())
		if uerr != nil {
			return fmt.Errorf("%w: record failure of order %s: %w", ErrRetry, id, uerr)
		}
		return nil
	}
	if kind == partner.Unauthorized {
		p.Log.ErrorContext(ctx, "BonifiQ refused the credentials; check the BonifiQ secret", "order", id)
	}
	return fmt.Errorf("%w: order %s: %w", ErrRetry, id, err)
}

// SweepResult counts a sweep's work.
type SweepResult struct{ Found, Pushed, Failed int }

// Sweep pushes every track that has waited longer than SweepAge: the safety net for a stream
// record that was lost or ran out of retries.
func (p *Pusher) Sweep(ctx context.Context, by order.Actor) (SweepResult, error) {
	age := p.SweepAge
	if age <= 0 {
		age = DefaultSweepAge
	}
	var res SweepResult
	var ids []string
	for _, st := range Due {
		work, err := p.Orders.TracksNeedingWork(ctx, Track, st, p.Now().Add(-age), 1000)
		if err != nil {
			return res, fmt.Errorf("list loyalty tracks in %s: %w", st, err)
		}
		for _, w := range work {
			ids = append(ids, w.OrderID)
		}
	}
	res.Found = len(ids)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(cmp.Or(p.Parallel, 8))
	errs := make([]error, len(ids))
	for i, id := range ids {
		g.Go(func() error {
			errs[i] = p.Push(gctx, id, by)
			return nil
		})
	}
	_ = g.Wait()
	for _, err := range errs {
		if err != nil {
			res.Failed++
		} else {
			res.Pushed++
		}
	}
	return res, nil
}
