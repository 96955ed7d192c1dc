package partner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/metrics"
)

// records decodes the partner call records a sink wrote.
func records(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// TestEveryAttemptIsMeasured: each HTTP attempt of a call is one record with the partner, the
// request's Op as the endpoint, the attempt's outcome and number, and its latency.
func TestEveryAttemptIsMeasured(t *testing.T) {
	srv, _ := script(t, 503, 429, 409)
	var buf bytes.Buffer
	c := caller(srv, &sleeps{})
	c.MaxAttempts = 4
	c.Metrics = metrics.NewSink(slog.New(slog.NewJSONHandler(&buf, nil)), "orderhub/dev")
	_, err := c.Do(context.Background(), get(srv), byStatus)
	if StatusOf(err) != 409 {
		t.Fatalf("err %v", err)
	}
	recs := records(t, &buf)
	var got []string
	for _, r := range recs {
		if r["Partner"] != "test" || r["Endpoint"] != "get" || r["msg"] != "partner call" {
			t.Errorf("record %v", r)
		}
		if ms, ok := r[metrics.PartnerCallMilliseconds].(float64); !ok || ms < 0 {
			t.Errorf("latency %v", r[metrics.PartnerCallMilliseconds])
		}
		got = append(got, fmt.Sprintf("%v:%v:%v", r["attempt"], r["status"], r["Outcome"]))
	}
	if want := []string{"1:503:server", "2:429:throttled", "3:409:refused"}; !slices.Equal(got, want) {
		t.Errorf("records %v, want %v", got, want)
	}
}

// TestACallerWithoutMetricsIsSilent: the zero Caller, as every test client builds it, records nothing.
func TestACallerWithoutMetricsIsSilent(t *testing.T) {
	srv, n := script(t)
	if _, err := caller(srv, &sleeps{}).Do(context.Background(), get(srv), byStatus); err != nil || n.Load() != 1 {
		t.Fatalf("err %v after %d attempts", err, n.Load())
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// alreadyDone is a partner's "you did this before".
type alreadyDone struct{}

func (alreadyDone) Error() string { return "already done" }
func (alreadyDone) Kind() Kind    { return AlreadyDone }

// TestOutcomes: what each kind of answer counts as.
func TestOutcomes(t *testing.T) {
	for _, c := range []struct {
		status int
		err    error
		want   string
	}{
		{200, nil, metrics.OutcomeOK},
		{409, alreadyDone{}, metrics.OutcomeOK},
		{429, statusError{429}, metrics.OutcomeThrottled},
		{500, statusError{500}, metrics.OutcomeServer},
		{503, statusError{503}, metrics.OutcomeServer},
		{400, statusError{400}, metrics.OutcomeRefused},
		{404, statusError{404}, metrics.OutcomeRefused},
		{401, statusError{401}, metrics.OutcomeRefused},
		{0, &TransportError{Err: context.DeadlineExceeded}, metrics.OutcomeTimeout},
		{0, &TransportError{Err: &net.OpError{Op: "read", Err: timeoutErr{}}}, metrics.OutcomeTimeout},
		{0, &TransportError{Err: errors.New("connection refused")}, metrics.OutcomeTransport},
		{200, &TransportError{Err: errors.New("unexpected EOF")}, metrics.OutcomeTransport},
		{200, errors.New("not JSON"), metrics.OutcomeServer}, // unclassified: transient
		{200, statusError{422}, metrics.OutcomeRefused},      // a 200 whose body refuses
	} {
		if got := Outcome(c.status, c.err); got != c.want {
			t.Errorf("Outcome(%d, %v) = %s, want %s", c.status, c.err, got, c.want)
		}
	}
}

// TestATimedOutAttemptIsATimeout: an attempt the partner does not answer in time counts as a timeout.
func TestATimedOutAttemptIsATimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	var buf bytes.Buffer
	c := caller(srv, &sleeps{})
	c.MaxAttempts, c.AttemptTimeout = 1, 50*time.Millisecond
	c.Metrics = metrics.NewSink(slog.New(slog.NewJSONHandler(&buf, nil)), "")
	if _, err := c.Do(context.Background(), get(srv), byStatus); err == nil {
		t.Fatal("no error")
	}
	recs := records(t, &buf)
	if len(recs) != 1 || recs[0]["Outcome"] != metrics.OutcomeTimeout {
		t.Fatalf("records %v", recs)
	}
}
