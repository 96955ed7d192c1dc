package poller

import (
	"fmt"

	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/plenty"
	"github.com/orderhub/orderhub/shared/plentysync"
	"github.com/orderhub/orderhub/shared/reconcile"
	"github.com/orderhub/orderhub/shared/runs"
	"time"

	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/plenigo"
)

// The poller's own environment; template.yaml sets the same names. The Orders table's is in
// lambdafn, plenigo's in plenigo.Settings.
const (
	EnvOverlap     = "IMPORT_LOG_OVERLAP"
	EnvFirstLook   = "IMPORT_LOG_FIRST_LOOK"
	EnvStaleAfter  = "IMPORT_STALE_AFTER"
	EnvGiveUpAfter = "IMPORT_GIVE_UP_AFTER"
	EnvLeaseTTL    = "POLL_LEASE_TTL"
	// EnvMappingFile is the mapping file the plentymarkets half maps pulled orders with.
	EnvMappingFile = "MAPPING_FILE"
	// EnvMaxLookups bounds the BonifiQ lookups of one reconciliation.
	EnvMaxLookups = "RECONCILE_MAX_LOOKUPS"
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
	// Plenty reaches the merchant's plentymarkets; an empty BaseURL switches the half off.
	Plenty plenty.Settings
	// MappingFile is read at start-up when the plentymarkets half is on; Mapping, when set, is used
	// instead (tests, the local pipeline).
	MappingFile string
	Mapping     *mapping.Config
	// Retention is how long orders taken from plentymarkets are kept (ORDER_RETENTION_DAYS).
	Retention time.Duration
	// BonifiQ is what the reconciliation compares loyalty tracks with; without credentials it is
	// left out.
	BonifiQ bonifiq.Settings
	// MaxLookups bounds a reconciliation's BonifiQ lookups (RECONCILE_MAX_LOOKUPS).
	MaxLookups int
}

// ReadConfig reads the configuration from the environment.
func ReadConfig(env *envconfig.Reader) Config {
	cfg := Config{
		OrdersTable: env.Require(lambdafn.EnvOrdersTable),
		Plenigo:     plenigo.ReadSettings(env),
		Overlap:     env.Duration(EnvOverlap, 2*time.Minute),
		FirstLook:   env.Duration(EnvFirstLook, 24*time.Hour),
		StaleAfter:  env.Duration(EnvStaleAfter, 15*time.Minute),
		GiveUpAfter: env.Duration(EnvGiveUpAfter, 24*time.Hour),
		LeaseTTL:    env.Duration(EnvLeaseTTL, 5*time.Minute),
		PageSize:    100,
		MappingFile: env.Or(EnvMappingFile, "mapping.yaml"),
		Retention:   lambdafn.ReadRetention(env),
	}
	if env.Or(plenty.EnvBaseURL, "") != "" {
		cfg.Plenty = plenty.ReadSettings(env)
	}
	if env.Or(bonifiq.EnvCredentialsSecretARN, "")+env.Or(bonifiq.EnvCredentials, "") != "" {
		cfg.BonifiQ = bonifiq.ReadSettings(env)
	}
	cfg.MaxLookups = env.Int(EnvMaxLookups, 500)
	return cfg
}

// New builds the poller on its dependencies. bootstrap/main.go and the local pipeline both call it.
func New(cfg Config, d lambdafn.Deps) (*Handler, error) {
	if cfg.OrdersTable == "" || cfg.Plenigo.BaseURL == "" {
		return nil, fmt.Errorf("poller: the Orders table and plenigo's URL are required")
	}
	store := d.Orders(cfg.OrdersTable)
	pl := cfg.Plenigo.Client(d.Secrets, d.HTTP, d.Log)
	pl.Metrics = d.Metrics
	h := &Handler{
		Confirmer: &importing.Confirmer{Orders: store, Records: store, Plenigo: pl,
			Now: time.Now, Log: d.Log, Overlap: cfg.Overlap, FirstLook: cfg.FirstLook, StaleAfter: cfg.StaleAfter,
			GiveUpAfter: cfg.GiveUpAfter, LeaseTTL: cfg.LeaseTTL, PageSize: cfg.PageSize},
		Function: d.Function,
		Log:      d.Log,
	}
	h.Runs = &runs.Recorder{Records: store, Log: d.Log}
	h.Reconcile = &Reconciler{Orders: store, Partners: reconcile.Partners{Plenigo: pl}, Metrics: d.Metrics, MaxLookups: cfg.MaxLookups, Now: time.Now}
	if cfg.BonifiQ.BaseURL != "" {
		bc := cfg.BonifiQ.Client(d.Secrets, d.HTTP, d.Log)
		bc.Metrics = d.Metrics
		h.Reconcile.Partners.Bonifiq = bc
	}
	if cfg.Plenty.BaseURL == "" {
		return h, nil
	}
	m := cfg.Mapping
	if m == nil {
		var err error
		if m, err = mapping.Load(cfg.MappingFile); err != nil {
			return nil, err
		}
	}
	pc := cfg.Plenty.Client(d.Secrets, store, d.HTTP, d.Log)
	pc.Metrics = d.Metrics
	h.Reconcile.Partners.Plenty = pc
	h.Plenty = &plentysync.Sync{Orders: store, Records: store, Plenty: pc,
		Intake: &intake.Service{Orders: store, Mapping: m, Retention: cfg.Retention}, Config: m.Plenty, Now: time.Now, Log: d.Log}
	return h, nil
}
