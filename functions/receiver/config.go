package receiver

import (
	"fmt"
	"time"

	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// The receiver's own environment; template.yaml sets the same names
// (the Orders table's is in lambdafn).
const (
	EnvMappingFile            = "MAPPING_FILE"
	EnvMarketplaceTokenARN    = "MARKETPLACE_TOKEN_SECRET_ARN"
	EnvMarketplaceTokens      = "ORDERHUB_MARKETPLACE_TOKENS" // local runs: the tokens themselves
	EnvDealerSigningSecretARN = "DEALER_SECRET_ARN"
	EnvDealerSigningSecrets   = "ORDERHUB_DEALER_SECRETS" // local runs: the secrets themselves
)

// Config is everything the receiver is told.
type Config struct {
	OrdersTable string
	// MappingFile is read at start-up; Mapping, when set, is used instead (tests, the local pipeline).
	MappingFile       string
	Mapping           *mapping.Config
	MarketplaceTokens secrets.Ref
	DealerSecrets     secrets.Ref
}

// ReadConfig reads the configuration from the environment.
func ReadConfig(env *envconfig.Reader) Config {
	return Config{
		OrdersTable:       env.Require(lambdafn.EnvOrdersTable),
		MappingFile:       env.Or(EnvMappingFile, "mapping.yaml"),
		MarketplaceTokens: secrets.Ref{ARN: env.Or(EnvMarketplaceTokenARN, ""), Local: env.Or(EnvMarketplaceTokens, "")},
		DealerSecrets:     secrets.Ref{ARN: env.Or(EnvDealerSigningSecretARN, ""), Local: env.Or(EnvDealerSigningSecrets, "")},
	}
}

// New builds the receiver on its dependencies. bootstrap/main.go and the local pipeline both call
// it. A mapping file that does not load fails the start, not the orders one by one.
func New(cfg Config, d lambdafn.Deps) (*Handler, error) {
	if cfg.OrdersTable == "" {
		return nil, fmt.Errorf("receiver: the Orders table is required")
	}
	m := cfg.Mapping
	if m == nil {
		var err error
		if m, err = mapping.Load(cfg.MappingFile); err != nil {
			return nil, err
		}
	}
	return &Handler{
		Intake:            &intake.Service{Orders: dynamostore.New(d.DynamoDB, cfg.OrdersTable), Mapping: m},
		MarketplaceTokens: cfg.MarketplaceTokens.Source(d.Secrets, d.Log),
		DealerSecrets:     cfg.DealerSecrets.Source(d.Secrets, d.Log),
		Function:          d.Function,
		Log:               d.Log,
		Now:               time.Now,
	}, nil
}
