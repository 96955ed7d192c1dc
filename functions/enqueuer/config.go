package enqueuer

import (
	"fmt"
	"time"

	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/metrics"
	"github.com/orderhub/orderhub/shared/queue"
)

// The enqueuer's own environment; template.yaml sets the same names
// (the Orders table's is in lambdafn).
const (
	EnvReceivedAge = "SWEEP_RECEIVED_AGE"
	EnvQueuedAge   = "SWEEP_QUEUED_AGE"
	EnvRetryingAge = "SWEEP_RETRYING_AGE"
)

// Config is everything the enqueuer is told.
type Config struct {
	OrdersTable    string
	ImportQueueURL string
	// ReceivedAge, QueuedAge and RetryingAge are how long an order may sit in each state without
	// progress before the sweep enqueues it (again).
	ReceivedAge, QueuedAge, RetryingAge time.Duration
	// SweepLimit bounds the orders one sweep handles per state.
	SweepLimit int
	// MetricsNamespace is where the backlog is published (METRICS_NAMESPACE); empty: plain logs.
	MetricsNamespace string
}

// ReadConfig reads the configuration from the environment.
func ReadConfig(env *envconfig.Reader) Config {
	return Config{
		OrdersTable:      env.Require(lambdafn.EnvOrdersTable),
		ImportQueueURL:   env.Require(queue.EnvURL),
		ReceivedAge:      env.Duration(EnvReceivedAge, 2*time.Minute),
		QueuedAge:        env.Duration(EnvQueuedAge, 15*time.Minute),
		RetryingAge:      env.Duration(EnvRetryingAge, time.Hour),
		SweepLimit:       500,
		MetricsNamespace: env.Or(metrics.EnvNamespace, ""),
	}
}

// New builds the enqueuer on its dependencies. bootstrap/main.go and the local pipeline both call it.
func New(cfg Config, d lambdafn.Deps) (*Handler, error) {
	if cfg.OrdersTable == "" || cfg.ImportQueueURL == "" {
		return nil, fmt.Errorf("enqueuer: the Orders table and the import queue are required")
	}
	return &Handler{
		Enqueuer: &importing.Enqueuer{Orders: d.Orders(cfg.OrdersTable),
			Queue: &queue.SQS{Client: d.SQS, URL: cfg.ImportQueueURL}, Now: time.Now, Log: d.Log,
			ReceivedAge: cfg.ReceivedAge, QueuedAge: cfg.QueuedAge, RetryingAge: cfg.RetryingAge, SweepLimit: cfg.SweepLimit},
		Function:         d.Function,
		Log:              d.Log,
		MetricsNamespace: cfg.MetricsNamespace,
	}, nil
}
