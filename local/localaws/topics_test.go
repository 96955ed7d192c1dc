package localaws_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/local/samtemplate"
)

// TestTopicsAreCreatedWithAnInbox: a template's SNS topic is created in the SQS emulator, !Ref gives
// its ARN, and what is published to it arrives in its inbox queue as sent.
func TestTopicsAreCreatedWithAnInbox(t *testing.T) {
	ep := localaws.Endpoint(t, localaws.EnvSQS)
	tmpl, err := samtemplate.Parse([]byte(`
Resources:
  AlarmTopic:
    Type: AWS::SNS::Topic
    Properties:
      DisplayName: alarms
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q := localaws.SQS(ep, nil)
	res, err := localaws.CreateResources(ctx, tmpl, nil, q, fmt.Sprintf("tp%d-", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = localaws.DeleteResources(context.Background(), res, nil, q) })
	arn, ok := res.Ref("AlarmTopic")
	if !ok || arn != res.Topics["AlarmTopic"].ARN || arn == "" {
		t.Fatalf("Ref AlarmTopic = %q, %v", arn, ok)
	}
	if _, err := localaws.SNS(ep, q).Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Subject: aws.String("s"), Message: aws.String("the digest")}); err != nil {
		t.Fatal(err)
	}
	got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(res.Topics["AlarmTopic"].Inbox.URL), WaitTimeSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "the digest" {
		t.Fatalf("inbox: %+v", got.Messages)
	}
}
