package localaws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Topic is a created SNS topic and the queue subscribed to it, which stands in for its email and
// pager subscriptions: what is published to the topic can be read there.
type Topic struct {
	Name, ARN string
	Inbox     Queue
}

// SNS returns an SNS client for the SQS emulator at endpoint (fauxqs speaks SNS on the same port).
func SNS(endpoint string, q *sqs.Client) *sns.Client {
	cfg := Config(nil)
	if q != nil {
		cfg.HTTPClient = q.Options().HTTPClient
	}
	return sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// createTopic creates topic name and its inbox (name + "-inbox"), subscribed with raw delivery.
func createTopic(ctx context.Context, topics *sns.Client, q *sqs.Client, name string) (Topic, error) {
	out, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		return Topic{}, fmt.Errorf("create topic %s: %w", name, err)
	}
	inbox, err := createQueue(ctx, q, name+"-inbox", nil)
	if err != nil {
		return Topic{}, err
	}
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: out.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(inbox.ARN),
		Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		return Topic{}, fmt.Errorf("subscribe %s to topic %s: %w", inbox.Name, name, err)
	}
	return Topic{Name: name, ARN: aws.ToString(out.TopicArn), Inbox: inbox}, nil
}
