package enqueuer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// Handler serves the enqueuer's two triggers: the Orders table's stream (filtered to RECEIVED
// orders) and the scheduled sweep.
type Handler struct {
	Enqueuer *importing.Enqueuer
	Function string
	Log      *slog.Logger
}

// Handle dispatches on the event's shape: stream records, or a scheduled sweep.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	if bytes.Contains(raw, []byte(`"Records"`)) {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decode stream event: %w", err)
		}
		return h.Stream(ctx, ev), nil
	}
	n, err := h.Enqueuer.Sweep(ctx, h.actor(ctx))
	if err != nil {
		h.Log.ErrorContext(ctx, "sweep failed", "enqueued", n, "error", err.Error())
		return nil, err
	}
	h.Log.InfoContext(ctx, "sweep", "enqueued", n)
	return map[string]int{"enqueued": n}, nil
}

// Stream enqueues the orders of a batch of stream records. When some cannot be enqueued it reports
// the first of them by sequence number: Lambda then checkpoints the records before it and retries
// from it (re-enqueueing a record after it is harmless).
func (h *Handler) Stream(ctx context.Context, ev events.DynamoDBEvent) events.DynamoDBEventResponse {
	var ids []string
	seq := map[string]string{} // order id → sequence number of its first record
	for _, r := range ev.Records {
		img := r.Change.NewImage
		if r.EventName == "REMOVE" || img[dynamostore.AttrSK].String() != dynamostore.SKOrder ||
			img[dynamostore.AttrState].String() != string(order.Received) {
			continue // the event filter should keep these out; never act on them
		}
		id := img[dynamostore.AttrPK].String()
		if _, dup := seq[id]; !dup {
			seq[id] = r.Change.SequenceNumber
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return events.DynamoDBEventResponse{}
	}
	failed, _ := h.Enqueuer.Enqueue(ctx, ids, h.actor(ctx))
	h.Log.InfoContext(ctx, "enqueued", "orders", len(ids)-len(failed), "failed", len(failed))
	if len(failed) == 0 {
		return events.DynamoDBEventResponse{}
	}
	bad := map[string]bool{}
	for _, id := range failed {
		bad[id] = true
	}
	for _, r := range ev.Records {
		if id := r.Change.NewImage[dynamostore.AttrPK].String(); bad[id] && seq[id] == r.Change.SequenceNumber {
			return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: r.Change.SequenceNumber}}}
		}
	}
	return events.DynamoDBEventResponse{}
}

func (h *Handler) actor(ctx context.Context) order.Actor {
	a := order.Actor{Function: h.Function}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		a.RequestID = lc.AwsRequestID
	}
	return a
}
