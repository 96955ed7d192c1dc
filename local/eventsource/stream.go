package eventsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Stream polls a DynamoDB stream and invokes a function with batches of matching records, the way
// Lambda's event source mapping does: in order per shard, a failed record (reported by its sequence
// number) and everything after it retried, up to MaxRetries, then handed to OnFailure and skipped.
type Stream struct {
	Client    *dynamodbstreams.Client
	StreamARN string
	Filter    Filter
	BatchSize int
	// MaxRetries bounds the retries of a failing batch (Lambda's MaximumRetryAttempts).
	MaxRetries int
	Invoke     Invoker
	// OnFailure receives records given up on (Lambda's OnFailure destination).
	OnFailure func(records []events.DynamoDBEventRecord)
	Log       *slog.Logger
	// Poll is the pause between empty reads.
	Poll time.Duration
	// Region is put in the records' awsRegion.
	Region string

	shards map[string]*shardState
}

type shardState struct {
	iterator string
	pending  []events.DynamoDBEventRecord // read, not yet acknowledged
	retries  int
	done     bool
}

// Run polls until ctx ends. It reads from the start of every shard (TRIM_HORIZON).
func (s *Stream) Run(ctx context.Context) error {
	s.shards = map[string]*shardState{}
	poll := s.Poll
	if poll == 0 {
		poll = 100 * time.Millisecond
	}
	for ctx.Err() == nil {
		if err := s.discover(ctx); err != nil && ctx.Err() == nil {
			s.Log.WarnContext(ctx, "describe stream", "error", err.Error())
		}
		busy := false
		ids := make([]string, 0, len(s.shards))
		for id := range s.shards {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			n, err := s.step(ctx, s.shards[id])
			if err != nil && ctx.Err() == nil {
				s.Log.WarnContext(ctx, "read stream shard", "shard", id, "error", err.Error())
			}
			busy = busy || n > 0
		}
		if !busy {
			select {
			case <-ctx.Done():
			case <-time.After(poll):
			}
		}
	}
	return nil
}

func (s *Stream) discover(ctx context.Context) error {
	var start *string
	for {
		out, err := s.Client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &s.StreamARN, ExclusiveStartShardId: start})
		if err != nil {
			return err
		}
		for _, sh := range out.StreamDescription.Shards {
			id := aws.ToString(sh.ShardId)
			if _, known := s.shards[id]; known {
				continue
			}
			it, err := s.Client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
				StreamArn: &s.StreamARN, ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
			})
			if err != nil {
				return err
			}
			s.shards[id] = &shardState{iterator: aws.ToString(it.ShardIterator)}
		}
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return nil
		}
	}
}

// step reads more records when nothing is pending, then delivers one batch. It returns how many
// records it delivered.
func (s *Stream) step(ctx context.Context, sh *shardState) (int, error) {
	if len(sh.pending) == 0 && !sh.done {
		if sh.iterator == "" {
			sh.done = true
			return 0, nil
		}
		out, err := s.Client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: &sh.iterator, Limit: aws.Int32(1000)})
		if err != nil {
			return 0, err
		}
		sh.iterator = aws.ToString(out.NextShardIterator)
		for _, r := range out.Records {
			rec, err := s.convert(r)
			if err != nil {
				return 0, err
			}
			sh.pending = append(sh.pending, rec)
		}
	}
	if len(sh.pending) == 0 {
		return 0, nil
	}
	size := s.BatchSize
	if size <= 0 {
		size = 100
	}
	batch := make([]events.DynamoDBEventRecord, 0, size)
	var consumed int
	for consumed < len(sh.pending) && len(batch) < size {
		r := sh.pending[consumed]
		consumed++
		if s.matches(r) {
			batch = append(batch, r)
		}
	}
	if len(batch) == 0 {
		sh.pending = sh.pending[consumed:]
		return consumed, nil
	}
	failedAt, err := s.deliver(ctx, batch)
	if err == nil && failedAt < 0 {
		sh.pending, sh.retries = sh.pending[consumed:], 0
		return len(batch), nil
	}
	// Everything before the failed record is done; retry from it.
	if err != nil {
		s.Log.WarnContext(ctx, "stream batch failed", "error", err.Error(), "records", len(batch))
		failedAt = 0
	}
	seq := batch[failedAt].Change.SequenceNumber
	for i, r := range sh.pending {
		if r.Change.SequenceNumber == seq {
			sh.pending = sh.pending[i:]
			break
		}
	}
	sh.retries++
	if sh.retries > s.MaxRetries {
		give := batch[failedAt:]
		if s.OnFailure != nil {
			s.OnFailure(give)
		}
		s.Log.ErrorContext(ctx, "stream records given up", "records", len(give), "firstSequence", seq)
		drop := 0
		last := give[len(give)-1].Change.SequenceNumber
		for i, r := range sh.pending {
			if r.Change.SequenceNumber == last {
				drop = i + 1
				break
			}
		}
		sh.pending, sh.retries = sh.pending[drop:], 0
	}
	return len(batch), nil
}

// deliver invokes the function and returns the index of the first failed record, or -1.
func (s *Stream) deliver(ctx context.Context, batch []events.DynamoDBEventRecord) (int, error) {
	payload, err := json.Marshal(events.DynamoDBEvent{Records: batch})
	if err != nil {
		return 0, err
	}
	out, err := s.Invoke(ctx, payload)
	if err != nil {
		return 0, err
	}
	var resp events.DynamoDBEventResponse
	if len(out) > 0 && string(out) != "null" {
		if err := json.Unmarshal(out, &resp); err != nil {
			return 0, fmt.Errorf("stream response: %w", err)
		}
	}
	first := -1
	for _, f := range resp.BatchItemFailures {
		for i, r := range batch {
			if r.Change.SequenceNumber == f.ItemIdentifier && (first < 0 || i < first) {
				first = i
			}
		}
	}
	if len(resp.BatchItemFailures) > 0 && first < 0 {
		return 0, fmt.Errorf("batch item failure names an unknown sequence number %q", resp.BatchItemFailures[0].ItemIdentifier)
	}
	return first, nil
}

func (s *Stream) matches(r events.DynamoDBEventRecord) bool {
	if len(s.Filter) == 0 {
		return true
	}
	b, err := json.Marshal(r)
	if err != nil {
		return false
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return false
	}
	return s.Filter.Match(m)
}

// convert turns a stream record into the record Lambda delivers.
func (s *Stream) convert(r types.Record) (events.DynamoDBEventRecord, error) {
	d := r.Dynamodb
	if d == nil {
		return events.DynamoDBEventRecord{}, errors.New("stream record without dynamodb part")
	}
	keys, err := image(d.Keys)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	newImg, err := image(d.NewImage)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	oldImg, err := image(d.OldImage)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	rec := events.DynamoDBEventRecord{
		AWSRegion:      s.Region,
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    "aws:dynamodb",
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: s.StreamARN,
		Change: events.DynamoDBStreamRecord{
			Keys:           keys,
			NewImage:       newImg,
			OldImage:       oldImg,
			SequenceNumber: aws.ToString(d.SequenceNumber),
			SizeBytes:      aws.ToInt64(d.SizeBytes),
			StreamViewType: string(d.StreamViewType),
		},
	}
	if d.ApproximateCreationDateTime != nil {
		rec.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
	}
	return rec, nil
}

func image(m map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		av, err := attr(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func attr(v types.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(x.Value), nil
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(x.Value), nil
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(x.Value), nil
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(x.Value), nil
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute(), nil
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(x.Value), nil
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(x.Value), nil
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(x.Value), nil
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(x.Value))
		for i, e := range x.Value {
			av, err := attr(e)
			if err != nil {
				return events.DynamoDBAttributeValue{}, err
			}
			l[i] = av
		}
		return events.NewListAttribute(l), nil
	case *types.AttributeValueMemberM:
		m, err := image(x.Value)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		return events.NewMapAttribute(m), nil
	}
	return events.DynamoDBAttributeValue{}, fmt.Errorf("unsupported attribute type %T", v)
}
