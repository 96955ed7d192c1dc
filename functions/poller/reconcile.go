package poller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/metrics"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/reconcile"
	"github.com/orderhub/orderhub/shared/runs"
)

// Reconciler is the daily reconciliation: the orders received in a window, compared with what each
// configured partner holds, the disagreements logged and counted as a metric for the alarm. It
// repairs nothing by itself; `orderhub reconcile --repair` applies the safe repairs.
type Reconciler struct {
	Orders   order.Repository
	Partners reconcile.Partners
	Metrics  *metrics.Sink
	// MaxLookups bounds the BonifiQ lookups of one run (one per order: BonifiQ has no list call).
	MaxLookups int
	Now        func() time.Time
}

// ReconcileInput is the schedule's payload: the window is the Window before Lag ago ("24h", "1h"),
// so orders still on their way are not taken for disagreements.
type ReconcileInput struct {
	Window string `json:"window"`
	Lag    string `json:"lag"`
}

// ReconcileResult is what the invocation answers: the report, and how many of its findings need a
// person (the metric's value).
type ReconcileResult struct {
	reconcile.Report
	Disagreements int `json:"disagreements"`
}

// errNoReconciler: a reconciliation was asked of a poller built without one.
var errNoReconciler = errors.New("poller: reconciliation is not configured")

func (h *Handler) reconcile(ctx context.Context, in ReconcileInput) (Result, error) {
	r := h.Reconcile
	if r == nil {
		return Result{}, errNoReconciler
	}
	window, err := duration(in.Window, 24*time.Hour)
	if err != nil {
		return Result{}, fmt.Errorf("reconcile: window: %w", err)
	}
	lag, err := duration(in.Lag, time.Hour)
	if err != nil {
		return Result{}, fmt.Errorf("reconcile: lag: %w", err)
	}
	to := r.Now().Add(-lag)
	rep, err := reconcile.Run(ctx, r.Orders, r.Partners, reconcile.Options{From: to.Add(-window), To: to, MaxLookups: r.MaxLookups,
		By: lambdafn.Actor(ctx, h.Function)})
	if err != nil {
		h.Log.ErrorContext(ctx, "reconciliation failed", "error", err.Error(), "orders", rep.Orders)
		return Result{}, err
	}
	open := map[string]int{}
	for _, f := range rep.Findings {
		h.Log.WarnContext(ctx, "disagreement", "orderId", f.OrderID, "partner", f.Partner, "kind", string(f.Kind), "detail", f.Detail, "repair", f.Repair)
		open[f.Partner]++
	}
	r.Metrics.Reconciliation(ctx, rep.Compared, open)
	res := &ReconcileResult{Report: rep, Disagreements: rep.Unrepaired()}
	h.Log.InfoContext(ctx, "reconciliation", "from", rep.From, "to", rep.To, "orders", rep.Orders, "disagreements", res.Disagreements,
		"calls", rep.Calls, "notCompared", rep.NotCompared)
	h.Runs.Done(ctx, runs.PollerReconcile)
	return Result{Reconciliation: res}, nil
}

func duration(s string, fallback time.Duration) (time.Duration, error) {
	if s == "" {
		return fallback, nil
	}
	d, err := time.ParseDuration(s)
	if err == nil && d <= 0 {
		err = fmt.Errorf("%q is not positive", s)
	}
	return d, err
}
