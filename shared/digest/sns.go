package digest

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// SNSPublishAPI is the part of the SNS client a topic needs.
type SNSPublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Topic publishes digests to an SNS topic (the template's AlarmTopic).
type Topic struct {
	Client SNSPublishAPI
	ARN    string
}

// Publish implements Publisher.
func (t *Topic) Publish(ctx context.Context, subject, message string) error {
	_, err := t.Client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(t.ARN), Subject: aws.String(subject), Message: aws.String(message)})
	return err
}

// NewSNS returns an SNS client, pointed at endpoint when one is given (a local emulator).
func NewSNS(cfg aws.Config, endpoint string) *sns.Client {
	return sns.NewFromConfig(cfg, func(o *sns.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}
