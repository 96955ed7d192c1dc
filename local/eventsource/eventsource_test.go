package eventsource_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderhub/orderhub/local/eventsource"
	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/local/samtemplate"
)

func TestFilterMatchesLambdaPatterns(t *testing.T) {
	f, err := eventsource.ParseFilter(`{"eventName":["INSERT","MODIFY"],"dynamodb":{"NewImage":{"sk":{"S":["ORDER"]},"state":{"S":["RECEIVED"]}}}}`)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(event, sk, state string) map[string]any {
		return map[string]any{"eventName": event, "dynamodb": map[string]any{"NewImage": map[string]any{"sk": map[string]any{"S": sk}, "state": map[string]any{"S": state}}}}
	}
	cases := map[string]struct {
		rec  map[string]any
		want bool
	}{
		"new received order":  {rec("INSERT", "ORDER", "RECEIVED"), true},
		"re-evaluated order":  {rec("MODIFY", "ORDER", "RECEIVED"), true},
		"queued order":        {rec("MODIFY", "ORDER", "QUEUED"), false},
		"history entry":       {rec("INSERT", "H#000001", "RECEIVED"), false},
		"removed":             {rec("REMOVE", "ORDER", "RECEIVED"), false},
		"no new image at all": {map[string]any{"eventName": "INSERT"}, false},
	}
	for name, c := range cases {
		if got := f.Match(c.rec); got != c.want {
			t.Errorf("%s: %v, want %v", name, got, c.want)
		}
	}
	ops, _ := eventsource.ParseFilter(`{"a":[{"prefix":"mkt-"}],"b":[{"anything-but":["x"]}],"c":[{"exists":false}]}`)
	if !ops.Match(map[string]any{"a": "mkt-1", "b": "y"}) || ops.Match(map[string]any{"a": "mkt-1", "b": "x"}) || ops.Match(map[string]any{"a": "mkt-1", "b": "y", "c": 1.0}) {
		t.Error("operators prefix, anything-but or exists misbehave")
	}
}

// TestSQSPartialFailureAndRedrive: failed messages come back and, after maxReceiveCount receives,
// the queue's redrive policy moves them to the DLQ; the others are deleted once.
func TestSQSPartialFailureAndRedrive(t *testing.T) {
	ep := localaws.Endpoint(t, localaws.EnvSQS)
	client := localaws.SQS(ep, nil)
	tmpl, err := samtemplate.Parse([]byte(`
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 1
      RedrivePolicy: {deadLetterTargetArn: !GetAtt JobsDLQ.Arn, maxReceiveCount: 3}
  JobsDLQ:
    Type: AWS::SQS::Queue
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := localaws.CreateResources(ctx, tmpl, nil, client, fmt.Sprintf("es%d-", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	q := res.Queues["Jobs"]
	for i := range 6 {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q.URL, MessageBody: aws.String(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	handled := map[string]int{}
	src := &eventsource.Queue{Client: client, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: 10, Log: slog.New(slog.DiscardHandler),
		Invoke: func(_ context.Context, payload []byte) ([]byte, error) {
			var ev events.SQSEvent
			if err := json.Unmarshal(payload, &ev); err != nil {
				return nil, err
			}
			var resp events.SQSEventResponse
			mu.Lock()
			defer mu.Unlock()
			for _, m := range ev.Records {
				handled[m.Body]++
				if n, _ := strconv.Atoi(m.Body); n%2 == 1 { // odd messages always fail
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
				}
				if m.EventSourceARN != q.ARN || m.Attributes["ApproximateReceiveCount"] == "" {
					return nil, fmt.Errorf("record lacks source or receive count: %+v", m)
				}
			}
			return json.Marshal(resp)
		}}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = src.Run(runCtx); close(done) }()
	for {
		n, err := localaws.Visible(ctx, client, res.Queues["JobsDLQ"].URL)
		if err != nil {
			t.Fatal(err)
		}
		if n == 3 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the DLQ holds %d messages, want the 3 that always fail", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	<-done
	mu.Lock()
	defer mu.Unlock()
	for i := range 6 {
		got := handled[strconv.Itoa(i)]
		if i%2 == 0 && got != 1 {
			t.Errorf("message %d succeeded but was handled %d times", i, got)
		}
		if i%2 == 1 && got != 3 {
			t.Errorf("message %d was handled %d times before the DLQ, want maxReceiveCount 3", i, got)
		}
	}
}

// TestStreamFailureBySequenceNumber: a reported failure retries from that record on, the records
// before it are not delivered again, and after MaxRetries the rest go to OnFailure.
func TestStreamFailureBySequenceNumber(t *testing.T) {
	ep := localaws.Endpoint(t, localaws.EnvDynamoDB)
	tmpl, err := samtemplate.Parse([]byte(`
Resources:
  T:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := localaws.DynamoDB(ep, nil)
	res, err := localaws.CreateResources(ctx, tmpl, db, nil, fmt.Sprintf("es%d-", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	table := res.Tables["T"]
	for i := range 5 {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: fmt.Sprintf("k%d", i)}, "n": &ddbtypes.AttributeValueMemberN{Value: strconv.Itoa(i)}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var deliveries [][]string
	var given []events.DynamoDBEventRecord
	src := &eventsource.Stream{Client: localaws.Streams(ep, nil), StreamARN: res.Streams["T"], BatchSize: 10, MaxRetries: 2,
		Log: slog.New(slog.DiscardHandler), Poll: 20 * time.Millisecond,
		OnFailure: func(r []events.DynamoDBEventRecord) { mu.Lock(); given = append(given, r...); mu.Unlock() },
		Invoke: func(_ context.Context, payload []byte) ([]byte, error) {
			var ev events.DynamoDBEvent
			if err := json.Unmarshal(payload, &ev); err != nil {
				return nil, err
			}
			var keys []string
			var resp events.DynamoDBEventResponse
			for _, r := range ev.Records {
				k := r.Change.NewImage["pk"].String()
				keys = append(keys, k)
				if k == "k3" && resp.BatchItemFailures == nil { // k3 always fails
					resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: r.Change.SequenceNumber}}
				}
			}
			mu.Lock()
			deliveries = append(deliveries, keys)
			mu.Unlock()
			return json.Marshal(resp)
		}}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = src.Run(runCtx); close(done) }()
	for {
		mu.Lock()
		n := len(given)
		mu.Unlock()
		if n > 0 || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
	mu.Lock()
	defer mu.Unlock()
	want := "[[k0 k1 k2 k3 k4] [k3 k4] [k3 k4]]"
	if got := fmt.Sprint(deliveries); got != want {
		t.Fatalf("deliveries %s, want %s (first the batch, then retries from the failed record)", got, want)
	}
	if len(given) != 2 || given[0].Change.NewImage["pk"].String() != "k3" {
		t.Fatalf("given up: %d records", len(given))
	}
}
