package worker

import (
	"fmt"
	"time"

	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/queue"
)

// The worker's own environment; template.yaml sets the same names (the Orders table's is in lambdafn, the
// queue's in queue, plenigo's in plenigo.Settings).
const (
	EnvMaxItemsPerImport = "PLENIGO_MAX_ITEMS_PER_IMPORT"
	EnvRetryBase         = "IMPORT_RETRY_BASE"
	EnvRetryCap          = "IMPORT_RETRY_CAP"
	EnvClaimTTL          = "IMPORT_CLAIM_TTL"
	EnvUncertainAfter    = "IMPORT_UNCERTAIN_AFTER"
)

// Config is everything the worker is told.
type Config struct {
	OrdersTable    string
	ImportQueueURL string
	Plenigo        plenigo.Settings
	// MaxItemsPerImport bounds the items of one plenigo import call.
	MaxItemsPerImport int
	// RetryBase and RetryCap shape the delays of retried jobs.
	RetryBase, RetryCap time.Duration
	// ClaimTTL is how long a worker's claim on an order's import holds; UncertainAfter how long
	// after an uncertain import plenigo may still be processing it (importing.Importer).
	ClaimTTL, UncertainAfter time.Duration
	// Retention is how long a customer record (an email and its plenigo id) is kept after the
	// customer's last order (ORDER_RETENTION_DAYS); zero keeps it.
	Retention time.Duration
}

// ReadConfig reads the configuration from the environment.
func ReadConfig(env *envconfig.Reader) Config {
	return Config{
		OrdersTable:       env.Require(lambdafn.EnvOrdersTable),
		ImportQueueURL:    env.Require(queue.EnvURL),
		Plenigo:           plenigo.ReadSettings(env),
		MaxItemsPerImport: env.Int(EnvMaxItemsPerImport, 50),
		RetryBase:         env.Duration(EnvRetryBase, importing.RetryBase),
		RetryCap:          env.Duration(EnvRetryCap, importing.RetryCap),
		ClaimTTL:          env.Duration(EnvClaimTTL, importing.DefaultClaimTTL),
		UncertainAfter:    env.Duration(EnvUncertainAfter, importing.DefaultUncertainAfter),
		Retention:         lambdafn.ReadRetention(env),
	}
}

// New builds the worker on its dependencies. bootstrap/main.go and the local pipeline both call it.
func New(cfg Config, d lambdafn.Deps) (*Handler, error) {
	if cfg.OrdersTable == "" || cfg.ImportQueueURL == "" || cfg.Plenigo.BaseURL == "" {
		return nil, fmt.Errorf("worker: the Orders table, the import queue and plenigo's URL are required")
	}
	store := d.Orders(cfg.OrdersTable)
	pl := cfg.Plenigo.Client(d.Secrets, d.HTTP, d.Log)
	pl.Metrics = d.Metrics
	return &Handler{
		Importer: &importing.Importer{Orders: store, Customers: &importing.CachedCustomers{Next: importing.StoredCustomers{Records: store, Retention: cfg.Retention}},
			Plenigo: pl, Now: time.Now, Log: d.Log,
			MaxItemsPerCall: cfg.MaxItemsPerImport, RetryBase: cfg.RetryBase, RetryCap: cfg.RetryCap,
			ClaimTTL: cfg.ClaimTTL, UncertainAfter: cfg.UncertainAfter},
		Queue:    &queue.SQS{Client: d.SQS, URL: cfg.ImportQueueURL},
		Function: d.Function,
		Log:      d.Log,
	}, nil
}
