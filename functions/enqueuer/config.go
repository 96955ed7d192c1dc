package enqueuer

import (
	"fmt"
	"time"

	"github.com/orderhub/orderhub/shared/digest"
	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/metrics"
	"github.com/orderhub/orderhub/shared/queue"
	"github.com/orderhub/orderhub/shared/runs"
)

// The enqueuer's own environment; template.yaml sets the same names
// (the Orders table's is in lambdafn).
const (
	EnvReceivedAge = "SWEEP_RECEIVED_AGE"
	EnvQueuedAge   = "SWEEP_QUEUED_AGE"
	EnvRetryingAge = "SWEEP_RETRYING_AGE"
	// EnvDigestTopic is the topic the failure digest is published to (the template's AlarmTopic).
	EnvDigestTopic = "DIGEST_TOPIC_ARN"
	// EnvSNSEndpoint points the SNS client at a local emulator (local runs only).
	EnvSNSEndpoint = "ORDERHUB_SNS_ENDPOINT"
	// EnvMappingFile is the mapping the function is deployed with (the receiver's MAPPING_FILE).
	EnvMappingFile = "MAPPING_FILE"
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
	// DigestTopicARN is where the failure digest goes; empty: the digest is only logged.
	DigestTopicARN string
	// SNSEndpoint overrides SNS's endpoint (a local emulator); empty for AWS's.
	SNSEndpoint string
	// MappingFile is the mapping the function was deployed with (MAPPING_FILE): when it changes, the
	// sweep re-evaluates the REJECTED orders once. Empty switches that off. Mapping, when set, is
	// used instead (the local pipeline).
	MappingFile string
	Mapping     *mapping.Config
	// Retention is how long re-evaluated orders are kept (ORDER_RETENTION_DAYS), as at intake.
	Retention time.Duration
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
		DigestTopicARN:   env.Or(EnvDigestTopic, ""),
		SNSEndpoint:      env.Or(EnvSNSEndpoint, ""),
		MappingFile:      env.Or(EnvMappingFile, ""),
		Retention:        lambdafn.ReadRetention(env),
	}
}

// New builds the enqueuer on its dependencies. bootstrap/main.go and the local pipeline both call it.
func New(cfg Config, d lambdafn.Deps) (*Handler, error) {
	if cfg.OrdersTable == "" || cfg.ImportQueueURL == "" {
		return nil, fmt.Errorf("enqueuer: the Orders table and the import queue are required")
	}
	orders := d.Orders(cfg.OrdersTable)
	dg := &digest.Digest{Orders: orders, Table: cfg.OrdersTable, Now: time.Now, Log: d.Log}
	if cfg.DigestTopicARN != "" {
		dg.Publisher = &digest.Topic{Client: digest.NewSNS(d.AWS, cfg.SNSEndpoint), ARN: cfg.DigestTopicARN}
	}
	m := cfg.Mapping
	if m == nil && cfg.MappingFile != "" {
		var err error
		if m, err = mapping.Load(cfg.MappingFile); err != nil {
			return nil, err
		}
	}
	var remap *importing.Remapper
	if m != nil {
		remap = &importing.Remapper{Intake: &intake.Service{Orders: orders, Mapping: m, Retention: cfg.Retention}, Orders: orders,
			Records: orders, Fingerprint: m.Fingerprint, Limit: cfg.SweepLimit, Now: time.Now, Log: d.Log}
	}
	return &Handler{
		Runs:  &runs.Recorder{Records: orders, Log: d.Log},
		Remap: remap,
		Enqueuer: &importing.Enqueuer{Orders: orders,
			Queue: &queue.SQS{Client: d.SQS, URL: cfg.ImportQueueURL}, Now: time.Now, Log: d.Log,
			ReceivedAge: cfg.ReceivedAge, QueuedAge: cfg.QueuedAge, RetryingAge: cfg.RetryingAge, SweepLimit: cfg.SweepLimit},
		Function:         d.Function,
		Log:              d.Log,
		MetricsNamespace: cfg.MetricsNamespace,
		Digest:           dg,
	}, nil
}
