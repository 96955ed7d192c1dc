// Package operator is what an operator runs against the Orders table (trace an order, re-map REJECTED
// orders), one implementation for the local stack and for AWS; local/cmd/orderhub is its command line.
package operator

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderhub/orderhub/shared/awsenv"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// Kind says where a Target's Orders table lives. The zero value is no kind: a caller always says
// which one it means.
type Kind string

const (
	// Local is the Orders table of a running `orderhub local` stack in DynamoDB Local. The caller
	// reads its endpoint and table name from the state file the stack writes (local/stack).
	Local Kind = "local"
	// AWS is an Orders table in DynamoDB in AWS, with the credentials and region of the environment.
	AWS Kind = "aws"
)

// Target is where the Orders table is.
type Target struct {
	Kind Kind
	// Table is the Orders table's name. Required for both kinds.
	Table string
	// Endpoint is the DynamoDB endpoint: required for Local (the emulator's URL); for AWS an optional
	// override of the regional endpoint (e.g. a VPC endpoint), empty for the default.
	Endpoint string
	// SQSEndpoint and QueueURLs (logical id → URL: ImportQueue, ImportDLQ, …) are the local stack's
	// queues; in AWS they are found by the names the template gives them (QueueNames).
	SQSEndpoint string
	QueueURLs   map[string]string
	// PartnerEnv are the partner settings, by variable (see OpenPartners): the local stack's, or a
	// deployed environment's as samconfig.toml and the template give them.
	PartnerEnv map[string]string
	// Region is the AWS region, when the environment's own is not the one (samconfig.toml's).
	Region string
	// CallsFile is where the local stack counts its partner calls (CallsFile); local only.
	CallsFile string
}

// awsConfig is the SDK configuration of the environment, in t's region when t names one.
func (t Target) awsConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := awsenv.Load(ctx)
	if err == nil && t.Region != "" {
		cfg.Region = t.Region
	}
	return cfg, err
}

// Validate reports what is missing or contradictory in t.
func (t Target) Validate() error {
	switch t.Kind {
	case Local:
		if t.Endpoint == "" {
			return errors.New("local target: no DynamoDB endpoint")
		}
	case AWS:
	case "":
		return errors.New("target: no kind (local or aws)")
	default:
		return fmt.Errorf("target: unknown kind %q (local or aws)", string(t.Kind))
	}
	if t.Table == "" {
		return fmt.Errorf("%s target: no Orders table name", t.Kind)
	}
	return nil
}

// String describes t for messages, e.g. "table orderhub-Orders in AWS".
func (t Target) String() string {
	switch t.Kind {
	case Local:
		return fmt.Sprintf("table %s in the local stack (%s)", t.Table, t.Endpoint)
	case AWS:
		if t.Endpoint != "" {
			return fmt.Sprintf("table %s in AWS (%s)", t.Table, t.Endpoint)
		}
		return fmt.Sprintf("table %s in AWS", t.Table)
	}
	return fmt.Sprintf("table %s (kind %q)", t.Table, string(t.Kind))
}

// Open returns the store for t's Orders table. It does no network I/O: a wrong table or endpoint
// shows on the first call. For AWS it reads the SDK configuration from the environment and fails
// when that names no region.
func Open(ctx context.Context, t Target) (*dynamostore.Store, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if t.Kind == Local {
		return dynamostore.New(awsenv.DynamoDB(awsenv.Local(), t.Endpoint), t.Table), nil
	}
	cfg, err := t.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, errors.New("AWS target: no region in the environment (set AWS_REGION, or AWS_PROFILE with a region)")
	}
	return dynamostore.New(awsenv.DynamoDB(cfg, t.Endpoint), t.Table), nil
}

// deadLetterIDs are the template's dead-letter queues.
var deadLetterIDs = []string{"ImportDLQ", "StreamFailureDLQ", "LoyaltyFailureDLQ", "ScheduleDLQ"}

// OpenDeadLetters returns the dead-letter queues of t's stack, or nil when t does not say where they
// are (a local target without the queues, an AWS table not named as the template names it).
func OpenDeadLetters(ctx context.Context, t Target) (DeadLetters, error) {
	client, urls, err := openQueues(ctx, t, deadLetterIDs...)
	if client == nil || err != nil {
		return nil, err
	}
	return &SQSDeadLetters{Client: client, URLs: urls}, nil
}

// OpenJobs returns t's import queue and its dead-letter queue.
func OpenJobs(ctx context.Context, t Target) (Jobs, error) {
	client, urls, err := openQueues(ctx, t, "ImportQueue", "ImportDLQ")
	if err != nil {
		return Jobs{}, err
	}
	if client == nil || urls["ImportQueue"] == "" || urls["ImportDLQ"] == "" {
		return Jobs{}, fmt.Errorf("%s: the import queues are not known (a local stack started before they were recorded, or a table not named orderhub-<env>-orders)", t)
	}
	return Jobs{Client: client, QueueURL: urls["ImportQueue"], DeadURL: urls["ImportDLQ"]}, nil
}

// openQueues finds the queues ids of t's stack: in the local stack's state, or in AWS by the names
// the template gives them.
func openQueues(ctx context.Context, t Target, ids ...string) (*sqs.Client, map[string]string, error) {
	urls := map[string]string{}
	if t.Kind == Local {
		if t.SQSEndpoint == "" {
			return nil, nil, nil
		}
		for _, id := range ids {
			if u := t.QueueURLs[id]; u != "" {
				urls[id] = u
			}
		}
		return awsenv.SQS(awsenv.Local(), t.SQSEndpoint), urls, nil
	}
	names := QueueNames(t.Table)
	if names == nil {
		return nil, nil, nil
	}
	cfg, err := t.awsConfig(ctx)
	if err != nil {
		return nil, nil, err
	}
	client := awsenv.SQS(cfg, "")
	for _, id := range ids {
		out, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(names[id])})
		if err != nil {
			return nil, nil, fmt.Errorf("queue %s: %w", names[id], err)
		}
		urls[id] = aws.ToString(out.QueueUrl)
	}
	return client, urls, nil
}

// environment is the environment an Orders table named as the template names it belongs to.
func environment(table string) (string, bool) {
	env, prefixed := strings.CutPrefix(table, "orderhub-")
	env, suffixed := strings.CutSuffix(env, "-orders")
	return env, prefixed && suffixed && env != ""
}

// QueueNames are a deployed stack's queues by logical id, named as template.yaml names them, for the
// environment the Orders table's name (orderhub-<env>-orders) gives; nil for another name.
func QueueNames(table string) map[string]string {
	env, ok := environment(table)
	if !ok {
		return nil
	}
	p := "orderhub-" + env + "-"
	return map[string]string{"ImportQueue": p + "import", "ImportDLQ": p + "import-dlq", "StreamFailureDLQ": p + "stream-failures",
		"LoyaltyFailureDLQ": p + "loyalty-failures", "ScheduleDLQ": p + "schedule-failures"}
}
