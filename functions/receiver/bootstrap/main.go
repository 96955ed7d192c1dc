// Command receiver is the webhook receiver Lambda: plentyMarketplace purchase webhooks and signed
// dealer batches in, one stored order per purchase out.
package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/orderhub/orderhub/functions/receiver"
	"github.com/orderhub/orderhub/shared/awsenv"
	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/lambdamain"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

func main() {
	lambdamain.Start("receiver", setup, func(h *receiver.Handler) any { return h.Handle })
}

// setup reads the configuration once and wires the handler.
func setup(ctx context.Context, log *slog.Logger) (*receiver.Handler, error) {
	var env envconfig.Reader
	table := env.Require("ORDERS_TABLE")
	mappingFile := env.Or("MAPPING_FILE", "mapping.yaml")
	if err := env.Err(); err != nil {
		return nil, err
	}
	m, err := mapping.Load(mappingFile)
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	db := awsenv.DynamoDB(cfg, env.Or("ORDERHUB_DYNAMODB_ENDPOINT", ""))
	h := &receiver.Handler{
		Intake:   &intake.Service{Orders: dynamostore.New(db, table), Mapping: m},
		Function: env.Or("AWS_LAMBDA_FUNCTION_NAME", "receiver"),
		Log:      log,
		Now:      time.Now,
	}
	// In AWS the secrets live in Secrets Manager and only their ARNs are in the environment;
	// locally the values come from the environment.
	sm := awsenv.SecretsManager(cfg) // building a client does no I/O
	h.MarketplaceTokens = secrets.FromARNOrList(sm, env.Or("MARKETPLACE_TOKEN_SECRET_ARN", ""), env.Or("ORDERHUB_MARKETPLACE_TOKENS", ""), log)
	h.DealerSecrets = secrets.FromARNOrList(sm, env.Or("DEALER_SECRET_ARN", ""), env.Or("ORDERHUB_DEALER_SECRETS", ""), log)
	return h, nil
}
