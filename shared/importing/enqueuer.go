package importing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orderhub/orderhub/shared/order"
)

// parallelWrites bounds the order updates the enqueuer and the confirmer run at once.
const parallelWrites = 8

// Enqueuer is the transactional outbox's relay: it turns RECEIVED orders into import jobs. The stream
// of the Orders table drives it within seconds; a scheduled sweep catches what the stream missed.
type Enqueuer struct {
	Orders order.Repository
	Queue  Queue
	Now    func() time.Time
	Log    *slog.Logger
	// ReceivedAge, QueuedAge and RetryingAge are how long an order may sit in each state without
	// progress before the sweep enqueues it (again). A RETRYING order that long without an attempt
	// has lost its job (the queue gave up on it, or the dead-letter queue's retention ended).
	ReceivedAge, QueuedAge, RetryingAge time.Duration
	// SweepLimit bounds the orders one sweep handles per state.
	SweepLimit int
}

// Enqueue moves each order from RECEIVED to QUEUED and sends its job. The state moves first: a crash
// after it leaves a QUEUED order without a job, which the sweep resends; the reverse order could
// leave a job for an order nobody marked. Orders in other states are skipped. It returns the ids
// that could not be queued or sent, for the caller to retry; retrying any of them is harmless.
func (e *Enqueuer) Enqueue(ctx context.Context, ids []string, by order.Actor) ([]string, error) {
	return e.enqueue(ctx, ids, by, "import job sent", false)
}

// enqueue does Enqueue's work; a sweep also records the resend of a QUEUED order's job, which
// restarts its clock so the next sweep does not resend it again at once.
func (e *Enqueuer) enqueue(ctx context.Context, ids []string, by order.Actor, reason string, sweep bool) ([]string, error) {
	// Each id is one read and one write; run them side by side, as a batch holds up to 100.
	marked := make([]bool, len(ids))
	bad := make([]bool, len(ids))
	var g errgroup.Group
	g.SetLimit(parallelWrites)
	for i, id := range ids {
		g.Go(func() error {
			o, err := e.Orders.Update(ctx, id, func(o *order.Order) error {
				switch o.State {
				case order.Received:
					return o.MoveTo(order.Queued, order.Change{At: e.Now(), By: by, Reason: reason})
				case order.Queued, order.Retrying:
					if sweep {
						o.Record(order.Change{At: e.Now(), By: by, Reason: reason})
						return nil
					}
					return order.ErrNoChange // a stream redelivery: send again, record nothing
				}
				return order.ErrNoChange
			})
			switch {
			case errors.Is(err, order.ErrNotFound):
				e.Log.WarnContext(ctx, "enqueue unknown order", "order", id)
			case err != nil:
				e.Log.ErrorContext(ctx, "mark order queued", "order", id, "error", err.Error())
				bad[i] = true
			default:
				marked[i] = o.State == order.Queued || (sweep && o.State == order.Retrying)
			}
			return nil // each id's outcome is in bad and marked
		})
	}
	_ = g.Wait()
	var send, failed []string
	for i, id := range ids {
		switch {
		case bad[i]:
			failed = append(failed, id)
		case marked[i]:
			send = append(send, id)
		}
	}
	if len(send) == 0 {
		return failed, nil
	}
	notSent, err := e.Queue.Send(ctx, send)
	if err != nil {
		e.Log.ErrorContext(ctx, "send import jobs", "jobs", len(send), "error", err.Error())
		notSent = send
	}
	return append(failed, notSent...), nil
}

// Sweep enqueues orders that have waited in RECEIVED longer than ReceivedAge, and resends jobs for
// orders QUEUED longer than QueuedAge (a job lost between the state change and the send) and for
// orders RETRYING longer than RetryingAge without an attempt (a job the queue gave up on). A resent
// job that meets a live one is harmless: the worker's claim lets one of them call plenigo.
func (e *Enqueuer) Sweep(ctx context.Context, by order.Actor) (int, error) {
	now := e.Now()
	total := 0
	for _, st := range []struct {
		state order.State
		age   time.Duration
	}{{order.Received, e.ReceivedAge}, {order.Queued, e.QueuedAge}, {order.Retrying, e.RetryingAge}} {
		stale, err := e.Orders.NeedingWork(ctx, st.state, now.Add(-st.age), e.SweepLimit)
		if err != nil {
			return total, err
		}
		if len(stale) == 0 {
			continue
		}
		ids := make([]string, len(stale))
		for i, o := range stale {
			ids[i] = o.ID
		}
		failed, err := e.enqueue(ctx, ids, by, "sweep: waited in "+string(st.state)+" longer than "+st.age.String(), true)
		if err != nil {
			return total, err
		}
		if len(failed) > 0 {
			return total, fmt.Errorf("sweep: %d import jobs could not be sent", len(failed))
		}
		total += len(ids)
		e.Log.InfoContext(ctx, "sweep enqueued", "state", string(st.state), "orders", len(ids))
	}
	return total, nil
}
