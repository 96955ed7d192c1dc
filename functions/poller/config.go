package poller

import (
	"fmt"
	"time"

	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// The poller's own environment; template.yaml sets the same names. The Orders table's is in
// lambdafn, plenigo's in plenigo.Settings.
const (
	EnvOverlap     = "IMPORT_LOG_OVERLAP"
	EnvFirstLook   = "IMPORT_LOG_FIRST_LOOK"
	EnvStaleAfter  = "IMPORT_STALE_AFTER"
	EnvGiveUpAfter = "IMPORT_GIVE_UP_AFTER"
	EnvLeaseTTL    = "POLL_LEASE_TTL"
)

// Config is everything the poller is told.
type Config struct {
	OrdersTable string
	Plenigo     plenigo.Settings
	// Overlap re-reads this much of the import log before the checkpoint; FirstLook is how far back
	// a reader without a checkpoint starts.
	Overlap, FirstLook time.Duration
	// StaleAfter is when a submitted order without a log entry is looked up; GiveUpAfter when it is
	// failed for an operator.
	StaleAfter, GiveUpAfter time.Duration
	// LeaseTTL bounds how long a crashed run blocks the next.
	LeaseTTL time.Duration
	// PageSize is the import log's page size (plenigo allows 5..100).
	PageSize int
}

// ReadConfig reads the configuration from the environment.
func ReadConfig(env *envconfig.Reader) Config {
	return Config{
		OrdersTable: env.Require(lambdafn.EnvOrdersTable),
		Plenigo:     plenigo.ReadSettings(env),
		Overlap:     env.Duration(EnvOverlap, 2*time.Minute),
		FirstLook:   env.Duration(EnvFirstLook, 24*time.Hour),
		StaleAfter:  env.Duration(EnvStaleAfter, 15*time.Minute),
		GiveUpAfter: env.Duration(EnvGiveUpAfter, 24*time.Hour),
		LeaseTTL:    env.Duration(EnvLeaseTTL, 5*time.Minute),
		PageSize:    100,
	}
}

// New builds the poller on its dependencies. bootstrap/main.go and the local pipeline both call it.
func New(cfg Config, d lambdafn.Deps) (*Handler, error) {
	if cfg.OrdersTable == "" || cfg.Plenigo.BaseURL == "" {
		return nil, fmt.Errorf("poller: the Orders table and plenigo's URL are required")
	}
	store := dynamostore.New(d.DynamoDB, cfg.OrdersTable)
	return &Handler{
		Confirmer: &importing.Confirmer{Orders: store, Records: store, Plenigo: cfg.Plenigo.Client(d.Secrets, d.HTTP, d.Log),
			Now: time.Now, Log: d.Log, Overlap: cfg.Overlap, FirstLook: cfg.FirstLook, StaleAfter: cfg.StaleAfter,
			GiveUpAfter: cfg.GiveUpAfter, LeaseTTL: cfg.LeaseTTL, PageSize: cfg.PageSize},
		Function: d.Function,
		Log:      d.Log,
	}, nil
}
