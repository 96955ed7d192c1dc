package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/queue"
)

// Delayer makes a received job visible again later.
type Delayer interface {
	Delay(ctx context.Context, receiptHandle string, d time.Duration) error
}

// Handler is the import worker: a batch of import jobs in, partial batch failures out.
type Handler struct {
	Importer *importing.Importer
	Queue    Delayer
	Function string
	Log      *slog.Logger
}

// Handle imports the batch's orders together and returns the jobs to try again. Each of those is
// delayed by its order's retry schedule; a job that keeps failing reaches the dead-letter queue
// after the queue's maxReceiveCount, while its order stays visible in RETRYING.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	ids := make([]string, 0, len(ev.Records))
	idOf := make(map[string]string, len(ev.Records)) // message id → order id
	for _, m := range ev.Records {
		var job queue.Job
		if err := json.Unmarshal([]byte(m.Body), &job); err != nil || job.OrderID == "" {
			// Not a job this code wrote: let it reach the dead-letter queue for a person to see.
			h.Log.ErrorContext(ctx, "malformed import job", "messageId", m.MessageId)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		idOf[m.MessageId] = job.OrderID
		ids = append(ids, job.OrderID)
	}
	if len(ids) == 0 {
		return resp, nil
	}
	results := h.Importer.Import(ctx, ids, lambdafn.Actor(ctx, h.Function))
	retried := 0
	for _, m := range ev.Records {
		id, ok := idOf[m.MessageId]
		if !ok {
			continue
		}
		r := results[id]
		if r.Outcome != importing.Retry {
			continue
		}
		retried++
		if err := h.Queue.Delay(ctx, m.ReceiptHandle, r.Delay); err != nil {
			h.Log.WarnContext(ctx, "delay retry", "order", id, "error", err.Error())
		}
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
	}
	h.Log.InfoContext(ctx, "import batch", "jobs", len(ev.Records), "retry", retried)
	return resp, nil
}
