package receiver

import (
	"fmt"
	"time"

	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/secrets"
)

// The receiver's own environment; template.yaml sets the same names
// (the Orders table's is in lambdafn).
const (
	EnvMappingFile         = "MAPPING_FILE"
	EnvMarketplaceTokenARN = "MARKETPLACE_TOKEN_SECRET_ARN"
	EnvMarketplaceTokens   = "ORDERHUB_MARKETPLACE_TOKENS" // local runs: the tokens themselves
	EnvDealerKeysARN       = "DEALER_KEYS_SECRET_ARN"
	EnvDealerKeys          = "ORDERHUB_DEALER_KEYS" // local runs: the keys document itself (shared/dealerkeys)
	// EnvRotationGrace is how long after a secret's new version is created its previous version is
	// still accepted (a Go duration; 0 revokes the previous version at once).
	EnvRotationGrace = "ROTATION_GRACE"
	// EnvStoreBudget bounds the store calls of one request (a Go duration, well under the timeout).
	EnvStoreBudget = "STORE_BUDGET"
)

// DefaultStoreBudget is the store budget of a request unless STORE_BUDGET says otherwise: DynamoDB
// answers a write in milliseconds, so five seconds means it is unreachable or stalled, and the
// sender is better told to come back than held for the function's 25-second timeout.
const DefaultStoreBudget = 5 * time.Second

// Config is everything the receiver is told.
type Config struct {
	OrdersTable string
	// MappingFile is read at start-up; Mapping, when set, is used instead (tests, the local pipeline).
	MappingFile string
	Mapping     *mapping.Config
	// The secrets' PreviousGrace is how long a rotated-out value stays valid (ROTATION_GRACE).
	MarketplaceTokens secrets.Ref
	DealerKeys        secrets.Ref
	// StoreBudget bounds the store calls of one request; zero means DefaultStoreBudget.
	StoreBudget time.Duration
	// Retention is how long orders are kept after receipt (intake.Service.Retention); zero: no end.
	Retention time.Duration
}

// ReadConfig reads the configuration from the environment.
func ReadConfig(env *envconfig.Reader) Config {
	grace := env.Duration(EnvRotationGrace, secrets.DefaultPreviousGrace)
	return Config{
		OrdersTable:       env.Require(lambdafn.EnvOrdersTable),
		MappingFile:       env.Or(EnvMappingFile, "mapping.yaml"),
		MarketplaceTokens: secrets.Ref{ARN: env.Or(EnvMarketplaceTokenARN, ""), Local: env.Or(EnvMarketplaceTokens, ""), PreviousGrace: grace},
		DealerKeys:        secrets.Ref{ARN: env.Or(EnvDealerKeysARN, ""), Local: env.Or(EnvDealerKeys, ""), PreviousGrace: grace, Whole: true},
		StoreBudget:       env.Duration(EnvStoreBudget, DefaultStoreBudget),
		Retention:         lambdafn.ReadRetention(env),
	}
}

// New builds the receiver on its dependencies. bootstrap/main.go and the local pipeline both call
// it. A mapping file that does not load fails the start, not the orders one by one.
func New(cfg Config, d lambdafn.Deps) (*Handler, error) {
	if cfg.OrdersTable == "" {
		return nil, fmt.Errorf("receiver: the Orders table is required")
	}
	if cfg.Retention < 0 {
		return nil, fmt.Errorf("receiver: the retention %s is negative", cfg.Retention)
	}
	if cfg.StoreBudget < 0 {
		return nil, fmt.Errorf("receiver: the store budget %s is negative", cfg.StoreBudget)
	}
	m := cfg.Mapping
	if m == nil {
		var err error
		if m, err = mapping.Load(cfg.MappingFile); err != nil {
			return nil, err
		}
	}
	return &Handler{
		Intake:            &intake.Service{Orders: d.Orders(cfg.OrdersTable), Mapping: m, Retention: cfg.Retention},
		MarketplaceTokens: cfg.MarketplaceTokens.Source(d.Secrets, d.Log),
		DealerKeys:        cfg.DealerKeys.Source(d.Secrets, d.Log),
		StoreBudget:       cfg.StoreBudget,
		Function:          d.Function,
		Log:               d.Log,
		Now:               time.Now,
	}, nil
}
