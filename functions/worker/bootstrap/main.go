// Command worker is the import worker Lambda: for each import job it ensures the plenigo customer,
// submits the order import, and records the promise.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/orderhub/orderhub/functions/worker"
	"github.com/orderhub/orderhub/shared/awsenv"
	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdamain"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/queue"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

func main() {
	lambdamain.Start("worker", setup, func(h *worker.Handler) any { return h.Handle })
}

func setup(ctx context.Context, log *slog.Logger) (*worker.Handler, error) {
	var env envconfig.Reader
	table, queueURL := env.Require("ORDERS_TABLE"), env.Require("IMPORT_QUEUE_URL")
	baseURL := env.Or("PLENIGO_BASE_URL", plenigo.ProductionURL)
	maxItems := env.Int("PLENIGO_MAX_ITEMS_PER_IMPORT", 50)
	retryBase := env.Duration("IMPORT_RETRY_BASE", importing.RetryBase)
	retryCap := env.Duration("IMPORT_RETRY_CAP", importing.RetryCap)
	if err := env.Err(); err != nil {
		return nil, err
	}
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	db := awsenv.DynamoDB(cfg, env.Or("ORDERHUB_DYNAMODB_ENDPOINT", ""))
	store := dynamostore.New(db, table)
	token := secrets.FromARNOrList(awsenv.SecretsManager(cfg), env.Or("PLENIGO_TOKEN_SECRET_ARN", ""), env.Or("ORDERHUB_PLENIGO_TOKEN", ""), log)
	return &worker.Handler{
		Importer: &importing.Importer{Orders: store, Customers: &importing.CachedCustomers{Next: store}, Plenigo: plenigo.New(baseURL, token, plenigoHTTP()),
			Now: time.Now, Log: log, MaxItemsPerCall: maxItems, RetryBase: retryBase, RetryCap: retryCap},
		Queue:    &queue.SQS{Client: awsenv.SQS(cfg, env.Or("ORDERHUB_SQS_ENDPOINT", "")), URL: queueURL},
		Function: env.Or("AWS_LAMBDA_FUNCTION_NAME", "worker"),
		Log:      log,
	}, nil
}

// plenigoHTTP keeps connections to plenigo open between invocations of a warm function.
func plenigoHTTP() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t}
}
