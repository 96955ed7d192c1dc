// Package metrics writes CloudWatch metrics as structured log lines in CloudWatch's embedded metric
// format: CloudWatch Logs turns them into metrics, so publishing one costs no API call.
package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/orderhub/orderhub/shared/backlog"
)

// EnvNamespace names the metrics' namespace; the template sets it to orderhub/<environment>.
const EnvNamespace = "METRICS_NAMESPACE"

// The backlog's metrics, by the dimension State.
const (
	OrdersWaiting        = "OrdersWaiting"
	OldestWaitingSeconds = "OldestWaitingSeconds"
)

// Backlog writes one record per state: how many wait in it and how long the oldest has waited.
// Without a namespace (local runs without one) it writes the same as plain log lines.
func Backlog(ctx context.Context, log *slog.Logger, namespace string, ws []backlog.Waiting, now time.Time) {
	s := &Sink{Log: log, Namespace: namespace, Now: func() time.Time { return now }}
	for _, w := range ws {
		s.write(ctx, "backlog", [][]string{{"State"}}, []metric{{OrdersWaiting, "Count"}, {OldestWaitingSeconds, "Seconds"}},
			[]any{"State", w.State, OrdersWaiting, w.Count, OldestWaitingSeconds, int64(w.Oldest.Seconds()), "needsPerson", w.NeedsPerson})
	}
}
