package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/backlog"
	"github.com/orderhub/orderhub/shared/metrics"
)

// TestBacklogIsEmbeddedMetricFormat checks each line against what CloudWatch needs to extract a
// metric: a top-level _aws with the namespace, a dimension set whose keys are top-level members,
// and each metric a top-level number.
func TestBacklogIsEmbeddedMetricFormat(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	at := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	metrics.Backlog(context.Background(), log, "orderhub/dev", []backlog.Waiting{
		{State: "REJECTED", Count: 2, Oldest: 90 * time.Second, NeedsPerson: true},
		{State: "loyalty#FAILED"},
	}, at)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	var rec struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		State                string
		OrdersWaiting        *float64
		OldestWaitingSeconds *float64
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	cw := rec.AWS.CloudWatchMetrics
	if rec.AWS.Timestamp != at.UnixMilli() || len(cw) != 1 || cw[0].Namespace != "orderhub/dev" || cw[0].Dimensions[0][0] != "State" {
		t.Fatalf("_aws %+v", rec.AWS)
	}
	if rec.State != "REJECTED" || rec.OrdersWaiting == nil || *rec.OrdersWaiting != 2 || rec.OldestWaitingSeconds == nil || *rec.OldestWaitingSeconds != 90 {
		t.Fatalf("members %s %v %v", rec.State, rec.OrdersWaiting, rec.OldestWaitingSeconds)
	}
	for _, m := range cw[0].Metrics {
		if m.Name != metrics.OrdersWaiting && m.Name != metrics.OldestWaitingSeconds {
			t.Errorf("unknown metric %s", m.Name)
		}
	}
}
