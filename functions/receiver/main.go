// Command receiver is the webhook receiver Lambda: plentyMarketplace purchase webhooks and signed
// dealer batches in, one stored order per purchase out.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/orderhub/orderhub/shared/awsenv"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// secretTTL is how long fetched secrets are trusted before they are read again, so a rotation
// reaches warm functions within minutes.
const secretTTL = 5 * time.Minute

func main() {
	log := lambdacontext.NewLogger()
	slog.SetDefault(log)
	h, err := setup(context.Background(), log)
	if err != nil {
		log.Error("receiver cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// setup reads the configuration once and wires the handler.
func setup(ctx context.Context, log *slog.Logger) (*Handler, error) {
	table := os.Getenv("ORDERS_TABLE")
	if table == "" {
		return nil, fmt.Errorf("ORDERS_TABLE is not set")
	}
	m, err := mapping.Load(envOr("MAPPING_FILE", "mapping.yaml"))
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	db := awsenv.DynamoDB(cfg, os.Getenv("ORDERHUB_DYNAMODB_ENDPOINT"))
	h := &Handler{
		Intake:   &intake.Service{Orders: dynamostore.New(db, table), Mapping: m},
		Function: envOr("AWS_LAMBDA_FUNCTION_NAME", "receiver"),
		Log:      log,
		Now:      time.Now,
	}
	// In AWS the secrets live in Secrets Manager and only their ARNs are in the environment;
	// locally the values come from the environment.
	sm := awsenv.SecretsManager(cfg) // building a client does no I/O
	if arn := os.Getenv("MARKETPLACE_TOKEN_SECRET_ARN"); arn != "" {
		h.MarketplaceTokens = &secrets.Manager{API: sm, SecretID: arn, TTL: secretTTL, Log: log, Now: time.Now}
	} else {
		h.MarketplaceTokens = secrets.ParseList(os.Getenv("ORDERHUB_MARKETPLACE_TOKENS"))
	}
	if arn := os.Getenv("DEALER_SECRET_ARN"); arn != "" {
		h.DealerSecrets = &secrets.Manager{API: sm, SecretID: arn, TTL: secretTTL, Log: log, Now: time.Now}
	} else {
		h.DealerSecrets = secrets.ParseList(os.Getenv("ORDERHUB_DEALER_SECRETS"))
	}
	return h, nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
