package eventsource

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Queue polls an SQS queue and invokes a function with batches, the way Lambda's SQS event source
// mapping does: messages the function does not report as failed are deleted; failed ones stay and
// come back after their visibility timeout, until the queue's redrive policy moves them to its DLQ.
type Queue struct {
	Client   *sqs.Client
	QueueURL string
	QueueARN string
	// BatchSize and Window: up to BatchSize messages, gathered for at most Window.
	BatchSize int
	Window    time.Duration
	Invoke    Invoker
	Log       *slog.Logger
	Region    string
}

// Run polls until ctx ends.
func (q *Queue) Run(ctx context.Context) error {
	size := q.BatchSize
	if size <= 0 {
		size = 10
	}
	for ctx.Err() == nil {
		msgs, err := q.receive(ctx, size)
		if err != nil {
			if ctx.Err() == nil {
				q.Log.WarnContext(ctx, "receive", "queue", q.QueueURL, "error", err.Error())
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		q.deliver(ctx, msgs)
	}
	return nil
}

func (q *Queue) receive(ctx context.Context, size int) ([]types.Message, error) {
	var msgs []types.Message
	deadline := time.Now().Add(q.Window)
	for len(msgs) < size {
		wait := int32(1)
		if len(msgs) > 0 {
			wait = 0
		}
		out, err := q.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    &q.QueueURL,
			MaxNumberOfMessages:         int32(min(size-len(msgs), 10)),
			WaitTimeSeconds:             wait,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, out.Messages...)
		if len(out.Messages) == 0 || time.Now().After(deadline) {
			break
		}
	}
	return msgs, nil
}

func (q *Queue) deliver(ctx context.Context, msgs []types.Message) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, m := range msgs {
		attrs := make(map[string]string, len(m.Attributes))
		for k, v := range m.Attributes {
			attrs[k] = v
		}
		sum := md5.Sum([]byte(aws.ToString(m.Body)))
		ev.Records[i] = events.SQSMessage{
			MessageId:      aws.ToString(m.MessageId),
			ReceiptHandle:  aws.ToString(m.ReceiptHandle),
			Body:           aws.ToString(m.Body),
			Md5OfBody:      hex.EncodeToString(sum[:]),
			Attributes:     attrs,
			EventSource:    "aws:sqs",
			EventSourceARN: q.QueueARN,
			AWSRegion:      q.Region,
		}
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		q.Log.ErrorContext(ctx, "encode SQS event", "error", err.Error())
		return
	}
	out, err := q.Invoke(ctx, payload)
	if err != nil {
		// The whole batch failed: every message comes back after its visibility timeout.
		q.Log.WarnContext(ctx, "SQS batch failed", "queue", q.QueueURL, "messages", len(msgs), "error", err.Error())
		return
	}
	var resp events.SQSEventResponse
	if len(out) > 0 && string(out) != "null" {
		if err := json.Unmarshal(out, &resp); err != nil {
			q.Log.WarnContext(ctx, "SQS batch response", "error", err.Error())
			return
		}
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if !failed[aws.ToString(m.MessageId)] {
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	for start := 0; start < len(del); start += 10 {
		out, err := q.Client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &q.QueueURL, Entries: del[start:min(start+10, len(del))]})
		if err != nil {
			q.Log.WarnContext(ctx, "delete handled messages", "error", err.Error())
			continue
		}
		if len(out.Failed) > 0 {
			q.Log.WarnContext(ctx, "delete handled messages", "failed", fmt.Sprint(len(out.Failed)))
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
