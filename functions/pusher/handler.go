package pusher

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/runs"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// Handler serves the pusher's two triggers: the Orders table's stream (filtered to loyalty tracks
// that wait for BonifiQ) and the scheduled sweep.
type Handler struct {
	Pusher   *loyalty.Pusher
	Function string
	Log      *slog.Logger
	// Runs records each sweep that ran to the end, for `orderhub status`; nil: not recorded.
	Runs *runs.Recorder
}

// Handle serves one invocation, from the stream or from the schedule (lambdafn.Trigger).
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	ev, err := lambdafn.DecodeTrigger(raw)
	if err != nil {
		h.Log.ErrorContext(ctx, "unknown event", "error", err.Error())
		return nil, err
	}
	if len(ev.Records) > 0 {
		return h.Stream(ctx, ev.Records), nil
	}
	res, err := h.Pusher.Sweep(ctx, lambdafn.Actor(ctx, h.Function))
	if err != nil {
		h.Log.ErrorContext(ctx, "loyalty sweep failed", "error", err.Error())
		return nil, err
	}
	h.Log.InfoContext(ctx, "loyalty sweep", "found", res.Found, "pushed", res.Pushed, "failed", res.Failed)
	h.Runs.Done(ctx, runs.PusherSweep)
	return res, nil
}

// Stream pushes the orders of a batch of records in stream order. At the first push that must be
// retried it stops and reports that record: Lambda checkpoints the records before it and retries
// from it. A record pushed twice costs no second BonifiQ call (loyalty.Pusher.Push).
func (h *Handler) Stream(ctx context.Context, records []events.DynamoDBEventRecord) events.DynamoDBEventResponse {
	by := lambdafn.Actor(ctx, h.Function)
	done := map[string]bool{}
	for _, c := range dynamostore.TrackChanges(records, loyalty.Track) {
		if done[c.OrderID] || c.Removed {
			continue
		}
		done[c.OrderID] = true
		if err := h.Pusher.Push(ctx, c.OrderID, by); err != nil {
			h.Log.WarnContext(ctx, "loyalty push will be retried", "order", c.OrderID, "error", err.Error())
			return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: c.Seq}}}
		}
	}
	return events.DynamoDBEventResponse{}
}
