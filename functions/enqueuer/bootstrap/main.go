// Command enqueuer is the import enqueuer Lambda: the relay of the transactional outbox that turns
// RECEIVED orders into import jobs on SQS, from the Orders stream and from a scheduled sweep.
package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/orderhub/orderhub/functions/enqueuer"
	"github.com/orderhub/orderhub/shared/awsenv"
	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdamain"
	"github.com/orderhub/orderhub/shared/queue"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

func main() {
	lambdamain.Start("enqueuer", setup, func(h *enqueuer.Handler) any { return h.Handle })
}

func setup(ctx context.Context, log *slog.Logger) (*enqueuer.Handler, error) {
	var env envconfig.Reader
	table, queueURL := env.Require("ORDERS_TABLE"), env.Require("IMPORT_QUEUE_URL")
	receivedAge := env.Duration("SWEEP_RECEIVED_AGE", 2*time.Minute)
	queuedAge := env.Duration("SWEEP_QUEUED_AGE", 15*time.Minute)
	if err := env.Err(); err != nil {
		return nil, err
	}
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	db := awsenv.DynamoDB(cfg, env.Or("ORDERHUB_DYNAMODB_ENDPOINT", ""))
	q := &queue.SQS{Client: awsenv.SQS(cfg, env.Or("ORDERHUB_SQS_ENDPOINT", "")), URL: queueURL}
	return &enqueuer.Handler{
		Enqueuer: &importing.Enqueuer{Orders: dynamostore.New(db, table), Queue: q, Now: time.Now, Log: log,
			ReceivedAge: receivedAge, QueuedAge: queuedAge, SweepLimit: 500},
		Function: env.Or("AWS_LAMBDA_FUNCTION_NAME", "enqueuer"),
		Log:      log,
	}, nil
}
