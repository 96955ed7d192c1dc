// Package queue is the SQS side of import jobs: sending them in batches and changing how long a
// received job stays invisible.
package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// EnvURL names the import queue's URL in the environment of the functions that use it.
const EnvURL = "IMPORT_QUEUE_URL"

// Job is an import job's body: an id, never a copy of the order.
type Job struct {
	OrderID string `json:"orderId"`
}

// SQS sends and adjusts import jobs on one queue.
type SQS struct {
	Client *sqs.Client
	URL    string
}

// maxBatch is SQS's limit of entries per SendMessageBatch.
const maxBatch = 10

// Send implements importing.Queue with SendMessageBatch, ten jobs a call.
func (q *SQS) Send(ctx context.Context, orderIDs []string) ([]string, error) {
	var failed []string
	for start := 0; start < len(orderIDs); start += maxBatch {
		chunk := orderIDs[start:min(start+maxBatch, len(orderIDs))]
		entries := make([]types.SendMessageBatchRequestEntry, len(chunk))
		for i, id := range chunk {
			body, err := json.Marshal(Job{OrderID: id})
			if err != nil {
				return nil, err
			}
			entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(body))}
		}
		out, err := q.Client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &q.URL, Entries: entries})
		if err != nil {
			return nil, fmt.Errorf("send %d import jobs: %w", len(chunk), err)
		}
		for _, f := range out.Failed {
			i, err := strconv.Atoi(aws.ToString(f.Id))
			if err != nil || i < 0 || i >= len(chunk) {
				return nil, fmt.Errorf("send import jobs: unknown failed entry %q", aws.ToString(f.Id))
			}
			failed = append(failed, chunk[i])
		}
	}
	return failed, nil
}

// Delay makes a received job visible again after d (at most SQS's 12 hours).
func (q *SQS) Delay(ctx context.Context, receiptHandle string, d time.Duration) error {
	secs := int32(min(max(d, 0), 12*time.Hour) / time.Second)
	_, err := q.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: &q.URL, ReceiptHandle: &receiptHandle, VisibilityTimeout: secs,
	})
	if err != nil {
		return fmt.Errorf("delay import job: %w", err)
	}
	return nil
}
