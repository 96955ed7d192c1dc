package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/metrics"
	"github.com/orderhub/orderhub/shared/order"
)

// emf is what CloudWatch reads of a line in the embedded metric format.
type emf struct {
	AWS struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
	members map[string]any
}

// lines decodes every line of buf, and checks what CloudWatch needs to extract a metric from each:
// one directive in the namespace, every dimension and every metric a top-level member, each metric
// a number and each dimension a string.
func lines(t *testing.T, buf *bytes.Buffer, namespace string, at time.Time) []emf {
	t.Helper()
	var out []emf
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var e emf
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(l), &e.members); err != nil {
			t.Fatal(err)
		}
		cw := e.AWS.CloudWatchMetrics
		if e.AWS.Timestamp != at.UnixMilli() || len(cw) != 1 || cw[0].Namespace != namespace || len(cw[0].Dimensions) == 0 {
			t.Fatalf("_aws %+v", e.AWS)
		}
		for _, set := range cw[0].Dimensions {
			for _, d := range set {
				if _, ok := e.members[d].(string); !ok {
					t.Errorf("dimension %s is not a top-level string: %v", d, e.members[d])
				}
			}
		}
		for _, m := range cw[0].Metrics {
			if _, ok := e.members[m.Name].(float64); !ok {
				t.Errorf("metric %s is not a top-level number: %v", m.Name, e.members[m.Name])
			}
		}
		out = append(out, e)
	}
	return out
}

// TestTransitionsAreEmbeddedMetricFormat: one OrderTransitions record per state change of the
// order or a track, by Track and To; recorded calls and repeated states count nothing; the order's
// id is in the line but never a dimension.
func TestTransitionsAreEmbeddedMetricFormat(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	sink := &metrics.Sink{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Namespace: "orderhub/dev", Now: func() time.Time { return at }}
	sink.Transitions(context.Background(), "mkt-221", []order.Event{
		{Seq: 1, To: order.Received},
		{Seq: 2, From: order.Received, To: order.Queued},
		{Seq: 3, From: order.Queued, To: order.Queued, Call: &order.PartnerCall{Partner: "plenigo"}}, // a call, no change
		{Seq: 4, From: order.Imported, To: order.Imported, Track: "loyalty", TrackTo: "AWARD_DUE"},
		{Seq: 5, From: order.Imported, To: order.Imported, Track: "loyalty", TrackFrom: "AWARD_DUE", TrackTo: "AWARD_DUE"},
	})
	recs := lines(t, &buf, "orderhub/dev", at)
	var got []string
	for _, r := range recs {
		cw := r.AWS.CloudWatchMetrics[0]
		if !slices.Equal(cw.Dimensions[0], []string{metrics.DimTrack, metrics.DimTo}) || len(cw.Dimensions) != 1 {
			t.Errorf("dimensions %v", cw.Dimensions)
		}
		if len(cw.Metrics) != 1 || cw.Metrics[0].Name != metrics.OrderTransitions || cw.Metrics[0].Unit != "Count" || r.members[metrics.OrderTransitions] != 1.0 {
			t.Errorf("metrics %v = %v", cw.Metrics, r.members[metrics.OrderTransitions])
		}
		if r.members["orderId"] != "mkt-221" {
			t.Errorf("orderId %v", r.members["orderId"])
		}
		got = append(got, r.members["Track"].(string)+":"+r.members["From"].(string)+"→"+r.members["To"].(string))
	}
	want := []string{"order:→RECEIVED", "order:RECEIVED→QUEUED", "loyalty:→AWARD_DUE"}
	if !slices.Equal(got, want) {
		t.Errorf("transitions %v, want %v", got, want)
	}
}

// TestPartnerCallIsEmbeddedMetricFormat: one record per attempt with a count and the latency in
// milliseconds, by Partner, Endpoint and Outcome, and by Partner and Outcome.
func TestPartnerCallIsEmbeddedMetricFormat(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	sink := &metrics.Sink{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Namespace: "orderhub/prod", Now: func() time.Time { return at }}
	sink.PartnerCall(context.Background(), metrics.PartnerCall{Partner: "plenigo", Endpoint: "import orders", Outcome: metrics.OutcomeThrottled,
		Status: 429, Attempt: 2, Latency: 1500 * time.Microsecond})
	recs := lines(t, &buf, "orderhub/prod", at)
	if len(recs) != 1 {
		t.Fatalf("%d lines", len(recs))
	}
	r := recs[0]
	cw := r.AWS.CloudWatchMetrics[0]
	if len(cw.Dimensions) != 2 || !slices.Equal(cw.Dimensions[0], []string{"Partner", "Endpoint", "Outcome"}) || !slices.Equal(cw.Dimensions[1], []string{"Partner", "Outcome"}) {
		t.Errorf("dimensions %v", cw.Dimensions)
	}
	units := map[string]string{}
	for _, m := range cw.Metrics {
		units[m.Name] = m.Unit
	}
	if len(units) != 2 || units[metrics.PartnerCalls] != "Count" || units[metrics.PartnerCallMilliseconds] != "Milliseconds" {
		t.Errorf("metrics %v", cw.Metrics)
	}
	if r.members["Partner"] != "plenigo" || r.members["Endpoint"] != "import orders" || r.members["Outcome"] != "throttled" ||
		r.members[metrics.PartnerCalls] != 1.0 || r.members[metrics.PartnerCallMilliseconds] != 1.5 || r.members["status"] != 429.0 || r.members["attempt"] != 2.0 {
		t.Errorf("members %v", r.members)
	}
}

// TestSinkWithoutNamespaceOrLog: without a namespace the lines carry no directive (nothing is
// extracted); a nil sink writes nothing.
func TestSinkWithoutNamespaceOrLog(t *testing.T) {
	var buf bytes.Buffer
	sink := metrics.NewSink(slog.New(slog.NewJSONHandler(&buf, nil)), "")
	sink.PartnerCall(context.Background(), metrics.PartnerCall{Partner: "bonifiq", Endpoint: "upsert order", Outcome: metrics.OutcomeOK})
	if !strings.Contains(buf.String(), `"Outcome":"ok"`) || strings.Contains(buf.String(), "_aws") {
		t.Errorf("line without namespace: %s", buf.String())
	}
	var none *metrics.Sink
	none.PartnerCall(context.Background(), metrics.PartnerCall{})
	none.Transitions(context.Background(), "x", []order.Event{{To: order.Received}})
}
