package pusher

import (
	"fmt"
	"time"

	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/runs"
)

// EnvSweepAge is how long a loyalty track waits before the sweep pushes it.
const EnvSweepAge = "LOYALTY_SWEEP_AGE"

// Config is everything the pusher is told.
type Config struct {
	OrdersTable string
	BonifiQ     bonifiq.Settings
	SweepAge    time.Duration
}

// ReadConfig reads the configuration from the environment.
func ReadConfig(env *envconfig.Reader) Config {
	return Config{
		OrdersTable: env.Require(lambdafn.EnvOrdersTable),
		BonifiQ:     bonifiq.ReadSettings(env),
		SweepAge:    env.Duration(EnvSweepAge, loyalty.DefaultSweepAge),
	}
}

// New builds the pusher on its dependencies. bootstrap/main.go and the local pipeline both call it.
func New(cfg Config, d lambdafn.Deps) (*Handler, error) {
	if cfg.OrdersTable == "" || cfg.BonifiQ.BaseURL == "" {
		return nil, fmt.Errorf("pusher: the Orders table and BonifiQ's base URL are required")
	}
	bq := cfg.BonifiQ.Client(d.Secrets, d.HTTP, d.Log)
	bq.Metrics = d.Metrics
	orders := d.Orders(cfg.OrdersTable)
	return &Handler{
		Runs: &runs.Recorder{Records: orders, Log: d.Log},
		Pusher: &loyalty.Pusher{Orders: orders,
			BonifiQ: bq, Now: time.Now, Log: d.Log, SweepAge: cfg.SweepAge},
		Function: d.Function,
		Log:      d.Log,
	}, nil
}
