package digest_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/digest"
)

// TestPublishReachesTheTopicsSubscribers publishes through the real SNS client to the SQS
// emulator, which speaks SNS too: a queue subscribed to the topic receives the digest as sent.
func TestPublishReachesTheTopicsSubscribers(t *testing.T) {
	if os.Getenv(localaws.EnvSQS) == "" {
		t.Skipf("%s is not set (make test, or orderhub with-emulators, sets it)", localaws.EnvSQS)
	}
	ep := os.Getenv(localaws.EnvSQS)
	ctx := t.Context()
	name := fmt.Sprintf("digest-%d", time.Now().UnixNano())
	topics := digest.NewSNS(localaws.Config(nil), ep)
	queues := localaws.SQS(ep, nil)
	topic, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = topics.DeleteTopic(t.Context(), &sns.DeleteTopicInput{TopicArn: topic.TopicArn}) })
	q, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = queues.DeleteQueue(t.Context(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}) })
	attrs, err := queues.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := topics.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		t.Fatal(err)
	}

	message := "2 orders need a person, by what they wait for:\n\n     2 × REJECTED: no plenigo offer for product \"…\"\n" + strings.Repeat("x", 200_000)
	pub := &digest.Topic{Client: topics, ARN: aws.ToString(topic.TopicArn)}
	if err := pub.Publish(ctx, "orderhub: 2 orders need a person (orderhub-dev-orders)", message); err != nil {
		t.Fatal(err)
	}
	got, err := queues.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != message {
		t.Fatalf("received %d messages", len(got.Messages))
	}
	// SNS's limit holds: a message over 256 KiB is refused, not cut.
	if err := pub.Publish(ctx, "too large", strings.Repeat("x", 262_145)); err == nil {
		t.Error("a message over 256 KiB was published")
	}
}
