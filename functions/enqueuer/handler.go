package enqueuer

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/shared/backlog"
	"github.com/orderhub/orderhub/shared/digest"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/metrics"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plentysync"
	"github.com/orderhub/orderhub/shared/runs"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// Handler serves the enqueuer's two triggers: the Orders table's stream (filtered to RECEIVED
// orders) and the scheduled sweep.
type Handler struct {
	Enqueuer *importing.Enqueuer
	Function string
	Log      *slog.Logger
	// MetricsNamespace is where the sweep publishes the backlog (metrics.Backlog); empty: plain logs.
	MetricsNamespace string
	// Digest is the failure digest the second schedule asks for ({"action":"digest"}).
	Digest *digest.Digest
	// Remap re-evaluates the REJECTED orders in the sweep after a change of the mapping; nil: off.
	Remap *importing.Remapper
	// Runs records each sweep and digest that ran to the end, for `orderhub status`; nil: not recorded.
	Runs *runs.Recorder
}

// Handle serves one invocation, from the stream or from either schedule (lambdafn.Trigger): the
// sweep, or the failure digest.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	ev, err := lambdafn.DecodeTrigger(raw, lambdafn.ActionDigest)
	if err != nil {
		h.Log.ErrorContext(ctx, "unknown event", "error", err.Error())
		return nil, err
	}
	if len(ev.Records) > 0 {
		return h.Stream(ctx, ev.Records), nil
	}
	if ev.Action == lambdafn.ActionDigest {
		return h.digest(ctx)
	}
	n, err := h.Enqueuer.Sweep(ctx, lambdafn.Actor(ctx, h.Function))
	if err != nil {
		h.Log.ErrorContext(ctx, "sweep failed", "enqueued", n, "error", err.Error())
		return nil, err
	}
	h.Log.InfoContext(ctx, "sweep", "enqueued", n)
	res := map[string]int{"enqueued": n}
	if h.Remap != nil {
		// A failure here is logged and tried again by the next sweep; the backlog is still published.
		moved, err := h.Remap.Run(ctx, lambdafn.Actor(ctx, h.Function))
		if err != nil {
			h.Log.ErrorContext(ctx, "re-evaluating REJECTED orders after a mapping change failed", "moved", moved, "error", err.Error())
		}
		if moved > 0 {
			res["remapped"] = moved
		}
	}
	h.publishBacklog(ctx)
	h.Runs.Done(ctx, runs.EnqueuerSweep)
	return res, nil
}

// Stream enqueues the orders of a batch of stream records. When some cannot be enqueued it reports
// the first of them by sequence number: Lambda then checkpoints the records before it and retries
// from it (re-enqueueing a record after it is harmless).
func (h *Handler) Stream(ctx context.Context, records []events.DynamoDBEventRecord) events.DynamoDBEventResponse {
	var ids []string
	seq := map[string]string{} // order id → sequence number of its first record
	for _, c := range dynamostore.Changes(records) {
		if c.NewState != order.Received {
			continue // the event filter should keep these out; never act on them
		}
		if _, dup := seq[c.OrderID]; !dup {
			seq[c.OrderID] = c.Seq
			ids = append(ids, c.OrderID)
		}
	}
	if len(ids) == 0 {
		return events.DynamoDBEventResponse{}
	}
	failed, err := h.Enqueuer.Enqueue(ctx, ids, lambdafn.Actor(ctx, h.Function))
	if err != nil {
		h.Log.ErrorContext(ctx, "enqueue failed", "orders", len(ids), "error", err.Error())
		failed = ids
	}
	h.Log.InfoContext(ctx, "enqueued", "orders", len(ids)-len(failed), "failed", len(failed))
	if len(failed) == 0 {
		return events.DynamoDBEventResponse{}
	}
	// Report the earliest record of a failed order: everything before it is done.
	bad := make(map[string]bool, len(failed))
	for _, id := range failed {
		bad[id] = true
	}
	for _, id := range ids { // ids are in stream order
		if bad[id] {
			return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq[id]}}}
		}
	}
	return events.DynamoDBEventResponse{}
}

// digest publishes what needs a person to the alarm topic. A failure fails the invocation, so
// Lambda retries it and the enqueuer's errors alarm says so.
func (h *Handler) digest(ctx context.Context) (any, error) {
	if h.Digest == nil {
		return nil, errors.New("enqueuer: no failure digest configured")
	}
	res, err := h.Digest.Run(ctx)
	if err != nil {
		h.Log.ErrorContext(ctx, "digest failed", "error", err.Error())
		return nil, err
	}
	h.Runs.Done(ctx, runs.EnqueuerDigest)
	return res, nil
}

// publishBacklog publishes, with every sweep, how many orders and tracks wait in each state and for
// how long: the alarms on orders that need a person and on work that stopped moving read it. A
// failure to measure is logged; the sweep's own work is done.
func (h *Handler) publishBacklog(ctx context.Context) {
	now := h.Enqueuer.Now()
	ws, err := backlog.Measure(ctx, h.Enqueuer.Orders, now, loyalty.Machine, plentysync.Machine)
	if err != nil {
		h.Log.WarnContext(ctx, "backlog not measured", "error", err.Error())
		return
	}
	metrics.Backlog(ctx, h.Log, h.MetricsNamespace, ws, now)
}
