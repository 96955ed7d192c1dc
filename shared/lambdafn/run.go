// Package lambdafn is what every function shares around its handler: the start of a Lambda (JSON
// logger, configuration read once, AWS clients built once), the dependencies a handler is built on,
// and the actor an invocation records in history.
package lambdafn

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderhub/orderhub/shared/awsenv"
	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/metrics"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// Environment variables every function reads; each function's own are in its config.go.
const (
	EnvFunctionName     = "AWS_LAMBDA_FUNCTION_NAME"
	EnvOrdersTable      = "ORDERS_TABLE"               // the template's Globals give it to every function
	EnvDynamoDBEndpoint = "ORDERHUB_DYNAMODB_ENDPOINT" // local runs only
	EnvSQSEndpoint      = "ORDERHUB_SQS_ENDPOINT"      // local runs only
	// EnvRetentionDays is how many days orders, and the personal data kept for them, are kept
	// (0: without end); the template's Globals give it to every function.
	EnvRetentionDays = "ORDER_RETENTION_DAYS"
)

// DefaultRetentionDays is the retention unless ORDER_RETENTION_DAYS says otherwise.
const DefaultRetentionDays = 730

// ReadRetention reads ORDER_RETENTION_DAYS.
func ReadRetention(env *envconfig.Reader) time.Duration {
	return env.Days(EnvRetentionDays, DefaultRetentionDays)
}

// Deps are the clients a handler is built on. In AWS, Run builds them once per execution
// environment; the local pipeline builds them on the emulators and simulators.
type Deps struct {
	Function string // the function's name, recorded in history
	Log      *slog.Logger
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
	Secrets  secrets.GetSecretValueAPI
	// HTTP calls partners; it keeps connections open between invocations of a warm function.
	HTTP *http.Client
	// Metrics writes the function's metric records to its log (METRICS_NAMESPACE); nil writes none.
	Metrics *metrics.Sink
	// AWS is the SDK configuration, for a client only one function needs (the enqueuer's SNS).
	AWS aws.Config
}

// Orders returns the Orders table's store, which counts the transitions of what it writes in
// Metrics (metrics.OrderTransitions).
func (d Deps) Orders(table string) *dynamostore.Store {
	s := dynamostore.New(d.DynamoDB, table)
	if d.Metrics != nil {
		s.Committed = d.Metrics.Transitions
	}
	return s
}

// Run reads the function's configuration with read, builds the AWS clients, builds the handler with
// build and serves invocations with what handler returns. Init does no network I/O. A configuration
// or build error is logged with every problem at once and ends the process. Run never returns.
func Run[C, H any](name string, read func(*envconfig.Reader) C, build func(C, Deps) (H, error), handler func(H) any) {
	log := lambdacontext.NewLogger()
	slog.SetDefault(log)
	h, err := setup(name, log, read, build)
	if err != nil {
		log.Error(name+" cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(handler(h))
}

func setup[C, H any](name string, log *slog.Logger, read func(*envconfig.Reader) C, build func(C, Deps) (H, error)) (H, error) {
	var zero H
	var env envconfig.Reader
	cfg := read(&env)
	d := Deps{Function: env.Or(EnvFunctionName, name), Log: log, Metrics: metrics.NewSink(log, env.Or(metrics.EnvNamespace, ""))}
	dynamoEndpoint, sqsEndpoint := env.Or(EnvDynamoDBEndpoint, ""), env.Or(EnvSQSEndpoint, "")
	if err := env.Err(); err != nil {
		return zero, err
	}
	ac, err := awsenv.Load(context.Background())
	if err != nil {
		return zero, err
	}
	d.AWS = ac
	d.DynamoDB = awsenv.DynamoDB(ac, dynamoEndpoint)
	d.SQS = awsenv.SQS(ac, sqsEndpoint)
	d.Secrets = awsenv.SecretsManager(ac) // building a client does no I/O
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	d.HTTP = &http.Client{Transport: t}
	return build(cfg, d)
}

// Actor is who an invocation is in history: the function and the request it serves.
func Actor(ctx context.Context, function string) order.Actor {
	a := order.Actor{Function: function}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		a.RequestID = lc.AwsRequestID
	}
	return a
}
