package metrics

import (
	"context"
	"log/slog"
	"time"
)

// Sink writes metric records to a function's log, one JSON line each. A nil Sink, or one without a
// Log, writes nothing, so code that emits metrics runs without one (tests, the command line).
type Sink struct {
	Log *slog.Logger
	// Namespace is the metrics' namespace (METRICS_NAMESPACE); empty writes the same lines without
	// the _aws member, so CloudWatch extracts nothing from them.
	Namespace string
	// Now stamps the records; nil means time.Now.
	Now func() time.Time
}

// NewSink returns a sink on log in namespace.
func NewSink(log *slog.Logger, namespace string) *Sink {
	return &Sink{Log: log, Namespace: namespace}
}

func (s *Sink) on() bool { return s != nil && s.Log != nil }

func (s *Sink) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// metric is one metric of a record: its name and unit.
type metric struct{ Name, Unit string }

// write logs msg with attrs and, with a namespace, the directive that makes CloudWatch extract the
// metrics from it: each metric's value and each dimension's value are top-level members of the line.
func (s *Sink) write(ctx context.Context, msg string, dims [][]string, ms []metric, attrs []any) {
	if s.Namespace != "" {
		list := make([]map[string]string, len(ms))
		for i, m := range ms {
			list[i] = map[string]string{"Name": m.Name, "Unit": m.Unit}
		}
		attrs = append(attrs, "_aws", map[string]any{
			"Timestamp": s.now().UnixMilli(),
			"CloudWatchMetrics": []map[string]any{{
				"Namespace":  s.Namespace,
				"Dimensions": dims,
				"Metrics":    list,
			}},
		})
	}
	s.Log.InfoContext(ctx, msg, attrs...)
}
