package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderhub/orderhub/local/samtemplate"
)

// SQS returns a client for the SQS emulator at endpoint.
func SQS(endpoint string, hc *http.Client) *sqs.Client {
	return sqs.NewFromConfig(Config(hc), func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// Streams returns a DynamoDB Streams client for DynamoDB Local at endpoint.
func Streams(endpoint string, hc *http.Client) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(Config(hc), func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// Resources are the template's tables, queues and topics as created in the emulators.
type Resources struct {
	Tables  map[string]string // logical id → table name
	Streams map[string]string // logical id → stream ARN
	Queues  map[string]Queue  // logical id → queue
	Topics  map[string]Topic  // logical id → topic, with the queue that receives what it publishes
}

// Queue is a created queue.
type Queue struct {
	Name, URL, ARN string
}

// Ref returns what !Ref of a created resource gives in AWS: a table's name, a queue's URL, a
// topic's ARN.
func (r *Resources) Ref(logicalID string) (string, bool) {
	if t, ok := r.Tables[logicalID]; ok {
		return t, true
	}
	if q, ok := r.Queues[logicalID]; ok {
		return q.URL, true
	}
	if t, ok := r.Topics[logicalID]; ok {
		return t.ARN, true
	}
	return "", false
}

// GetAtt returns what !GetAtt gives for the attributes local wiring needs.
func (r *Resources) GetAtt(logicalID, attr string) (string, bool) {
	switch attr {
	case "Arn":
		if q, ok := r.Queues[logicalID]; ok {
			return q.ARN, true
		}
		if t, ok := r.Tables[logicalID]; ok {
			return "arn:aws:dynamodb:" + Region + ":000000000000:table/" + t, true
		}
	case "QueueName":
		if q, ok := r.Queues[logicalID]; ok {
			return q.Name, true
		}
	case "QueueUrl":
		if q, ok := r.Queues[logicalID]; ok {
			return q.URL, true
		}
	case "StreamArn":
		s, ok := r.Streams[logicalID]
		return s, ok
	case "TopicArn":
		if t, ok := r.Topics[logicalID]; ok {
			return t.ARN, true
		}
	case "TopicName":
		if t, ok := r.Topics[logicalID]; ok {
			return t.Name, true
		}
	}
	return "", false
}

// CreateResources creates every AWS::DynamoDB::Table, AWS::SQS::Queue and AWS::SNS::Topic of the
// template, each named prefix + logical id, queues with their attributes and redrive policies
// (dead-letter queues first), topics in the SQS emulator (which speaks SNS on the same endpoint),
// each with an inbox queue subscribed to it.
func CreateResources(ctx context.Context, tmpl *samtemplate.Template, db *dynamodb.Client, q *sqs.Client, prefix string) (*Resources, error) {
	res := &Resources{Tables: map[string]string{}, Streams: map[string]string{}, Queues: map[string]Queue{}, Topics: map[string]Topic{}}
	for _, id := range tmpl.ResourcesOfType("AWS::DynamoDB::Table") {
		name := prefix + id
		if err := CreateTable(ctx, db, tmpl.Resources[id], name); err != nil {
			return nil, err
		}
		res.Tables[id] = name
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
		if err != nil {
			return nil, fmt.Errorf("describe table %s: %w", name, err)
		}
		if arn := aws.ToString(out.Table.LatestStreamArn); arn != "" {
			res.Streams[id] = arn
		}
	}
	r := &samtemplate.Resolver{T: tmpl, Ref: res.Ref, GetAtt: res.GetAtt, Pseudo: map[string]string{"AWS::Region": Region}}
	pending := tmpl.ResourcesOfType("AWS::SQS::Queue")
	for len(pending) > 0 {
		var next []string
		progress := false
		for _, id := range pending {
			attrs, err := queueAttributes(r, tmpl.Resources[id])
			if err != nil {
				next = append(next, id) // refers to a queue not created yet
				continue
			}
			qu, err := createQueue(ctx, q, prefix+id, attrs)
			if err != nil {
				return nil, err
			}
			res.Queues[id] = qu
			progress = true
		}
		if !progress {
			return nil, fmt.Errorf("queues %v refer to each other or to something unknown", next)
		}
		pending = next
	}
	if ids := tmpl.ResourcesOfType("AWS::SNS::Topic"); len(ids) > 0 && q != nil {
		topics := SNS(aws.ToString(q.Options().BaseEndpoint), q)
		for _, id := range ids {
			t, err := createTopic(ctx, topics, q, prefix+id)
			if err != nil {
				return nil, err
			}
			res.Topics[id] = t
		}
	}
	return res, nil
}

func queueAttributes(r *samtemplate.Resolver, res samtemplate.Resource) (map[string]string, error) {
	attrs := map[string]string{}
	keys := make([]string, 0, len(res.Properties))
	for k := range res.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "MaximumMessageSize", "RedrivePolicy":
		default:
			continue // names and encryption settings do not apply locally
		}
		v, err := r.Resolve(res.Properties[k])
		if err != nil {
			return nil, err
		}
		switch k {
		case "VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "MaximumMessageSize":
			attrs[k] = fmt.Sprint(v)
		case "RedrivePolicy":
			m, _ := v.(map[string]any)
			b, err := json.Marshal(map[string]any{"deadLetterTargetArn": m["deadLetterTargetArn"], "maxReceiveCount": fmt.Sprint(m["maxReceiveCount"])})
			if err != nil {
				return nil, err
			}
			attrs[k] = string(b)
		}
	}
	return attrs, nil
}

func createQueue(ctx context.Context, q *sqs.Client, name string, attrs map[string]string) (Queue, error) {
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Attributes: attrs})
	if err != nil {
		return Queue{}, fmt.Errorf("create queue %s: %w", name, err)
	}
	url := aws.ToString(out.QueueUrl)
	got, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return Queue{}, fmt.Errorf("queue %s ARN: %w", name, err)
	}
	return Queue{Name: name, URL: url, ARN: got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]}, nil
}

// Visible returns how many messages a queue holds that are visible now.
func Visible(ctx context.Context, q *sqs.Client, url string) (int, error) {
	out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
}

// DeleteResources removes what CreateResources made, so a long-running emulator does not fill up with
// tables whose streams it keeps serving.
func DeleteResources(ctx context.Context, res *Resources, db *dynamodb.Client, q *sqs.Client) error {
	var errs []error
	for _, t := range res.Tables {
		if _, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(t)}); err != nil {
			errs = append(errs, err)
		}
	}
	for _, qu := range res.Queues {
		if _, err := q.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(qu.URL)}); err != nil {
			errs = append(errs, err)
		}
	}
	for _, t := range res.Topics {
		if _, err := SNS(aws.ToString(q.Options().BaseEndpoint), q).DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(t.ARN)}); err != nil {
			errs = append(errs, err)
		}
		if _, err := q.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(t.Inbox.URL)}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
