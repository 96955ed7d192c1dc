// Command poller is the status poller Lambda, run on a schedule. Its plenigo half reads plenigo's
// order import log and confirms submitted imports.
package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/orderhub/orderhub/functions/poller"
	"github.com/orderhub/orderhub/shared/awsenv"
	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdamain"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

func main() {
	lambdamain.Start("poller", setup, func(h *poller.Handler) any { return h.Handle })
}

func setup(ctx context.Context, log *slog.Logger) (*poller.Handler, error) {
	var env envconfig.Reader
	table := env.Require("ORDERS_TABLE")
	baseURL := env.Or("PLENIGO_BASE_URL", plenigo.ProductionURL)
	c := &importing.Confirmer{
		Now:         time.Now,
		Log:         log,
		Overlap:     env.Duration("IMPORT_LOG_OVERLAP", 2*time.Minute),
		FirstLook:   env.Duration("IMPORT_LOG_FIRST_LOOK", 24*time.Hour),
		StaleAfter:  env.Duration("IMPORT_STALE_AFTER", 15*time.Minute),
		GiveUpAfter: env.Duration("IMPORT_GIVE_UP_AFTER", 24*time.Hour),
		LeaseTTL:    env.Duration("POLL_LEASE_TTL", 5*time.Minute),
		PageSize:    100,
	}
	if err := env.Err(); err != nil {
		return nil, err
	}
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	store := dynamostore.New(awsenv.DynamoDB(cfg, env.Or("ORDERHUB_DYNAMODB_ENDPOINT", "")), table)
	token := secrets.FromARNOrList(awsenv.SecretsManager(cfg), env.Or("PLENIGO_TOKEN_SECRET_ARN", ""), env.Or("ORDERHUB_PLENIGO_TOKEN", ""), log)
	c.Orders, c.Checkpoints = store, store
	c.Plenigo = plenigo.New(baseURL, token, nil)
	return &poller.Handler{Confirmer: c, Function: env.Or("AWS_LAMBDA_FUNCTION_NAME", "poller"), Log: log}, nil
}
