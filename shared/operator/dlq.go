package operator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderhub/orderhub/shared/queue"
)

// ParkedJob is an import job in the dead-letter queue.
type ParkedJob struct {
	MessageID string `json:"messageId"`
	OrderID   string `json:"orderId"`
	Receives  int    `json:"receives"`
	body      string
	receipt   string
}

// Jobs is the import queue and its dead-letter queue.
type Jobs struct {
	Client            *sqs.Client
	QueueURL, DeadURL string
}

// List returns the jobs parked in the dead-letter queue, at most limit, without taking them: each one
// read is made visible again at once, so it stays where it is.
func (j Jobs) List(ctx context.Context, limit int) ([]ParkedJob, error) {
	seen := map[string]bool{}
	var out []ParkedJob
	for empty := 0; len(out) < limit && empty < 2; {
		msgs, err := j.receive(ctx, 30)
		if err != nil {
			return out, err
		}
		for _, m := range msgs {
			// The SDK leaves a zero visibility timeout out of ReceiveMessage, so it is set here.
			if _, err := j.Client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(j.DeadURL),
				ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
				return out, fmt.Errorf("leave a parked job where it is: %w", err)
			}
		}
		fresh := 0
		for _, m := range msgs {
			if seen[aws.ToString(m.MessageId)] {
				continue
			}
			seen[aws.ToString(m.MessageId)] = true
			out = append(out, parked(m))
			fresh++
		}
		if fresh == 0 {
			empty++
		}
	}
	return out, nil
}

// Redrive moves every parked job back to the import queue: sent first, then deleted from the
// dead-letter queue, so a failure between the two leaves a second job, which the worker's claim
// makes harmless, and never a lost one. A dry run lists what it would move. It writes a line per
// job and returns how many moved.
func (j Jobs) Redrive(ctx context.Context, w io.Writer, dry bool) (int, error) {
	if dry {
		jobs, err := j.List(ctx, MaxListed)
		for _, p := range jobs {
			fmt.Fprintf(w, "%s: would go back to the import queue (received %d times)\n", p.OrderID, p.Receives)
		}
		fmt.Fprintf(w, "%d jobs would go back (dry run: nothing moved)\n", len(jobs))
		return len(jobs), err
	}
	moved := 0
	for moved < MaxListed {
		msgs, err := j.receive(ctx, 60)
		if err != nil {
			return moved, err
		}
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			p := parked(m)
			if _, err := j.Client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(j.QueueURL), MessageBody: aws.String(p.body)}); err != nil {
				return moved, fmt.Errorf("send %s back: %w", p.OrderID, err)
			}
			if _, err := j.Client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(j.DeadURL), ReceiptHandle: aws.String(p.receipt)}); err != nil {
				return moved, fmt.Errorf("remove %s from the dead-letter queue (its job is back already): %w", p.OrderID, err)
			}
			moved++
			fmt.Fprintf(w, "%s: back to the import queue\n", p.OrderID)
		}
	}
	fmt.Fprintf(w, "%d jobs back in the import queue\n", moved)
	return moved, nil
}

func (j Jobs) receive(ctx context.Context, visibility int32) ([]types.Message, error) {
	out, err := j.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(j.DeadURL), MaxNumberOfMessages: 10,
		VisibilityTimeout: visibility, WaitTimeSeconds: 0,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
	if err != nil {
		return nil, fmt.Errorf("read the dead-letter queue: %w", err)
	}
	return out.Messages, nil
}

func parked(m types.Message) ParkedJob {
	p := ParkedJob{MessageID: aws.ToString(m.MessageId), body: aws.ToString(m.Body), receipt: aws.ToString(m.ReceiptHandle)}
	var job queue.Job
	if json.Unmarshal([]byte(p.body), &job) == nil {
		p.OrderID = job.OrderID
	} else {
		p.OrderID = "(not a job: " + p.MessageID + ")"
	}
	p.Receives, _ = strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	return p
}
