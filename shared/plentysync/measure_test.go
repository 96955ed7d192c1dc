package plentysync_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/plentysim"
	"github.com/orderhub/orderhub/local/simkit"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/plenty"
	"github.com/orderhub/orderhub/shared/plentysync"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

// count429 counts the answers plentymarkets throttled.
type count429 struct {
	next http.RoundTripper
	n    atomic.Int64
}

func (c *count429) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		c.n.Add(1)
	}
	return resp, err
}

// TestThroughputAgainstTheBasicWriteLimit takes 1,000 orders through the plentymarkets half on the
// Basic tier (40 writes a minute), on a simulator clock the client's waits advance: it measures the
// share of the write limit used, the 429s met and the calls per order, for docs/performance.md.
func TestThroughputAgainstTheBasicWriteLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 orders")
	}
	m, err := mapping.Load("../../mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	clock := simkit.NewClock(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
	sim, url := plentysim.Serve(t, plentysim.Config{Clock: clock})
	repo := memstore.New()
	rt := &count429{next: http.DefaultTransport}
	c := plenty.New(url, secrets.Static{plentysim.DefaultUser + ":" + plentysim.DefaultPassword}, repo, &http.Client{Transport: rt})
	c.Now, c.Pacer.Now = clock.Now, clock.Now
	sleep := func(_ context.Context, d time.Duration) error { clock.Advance(d); return nil }
	c.Sleep, c.Pacer.Sleep = sleep, sleep
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := &plentysync.Sync{Orders: repo, Records: repo, Intake: &intake.Service{Orders: repo, Mapping: m},
		Plenty: c, Config: m.Plenty, Now: clock.Now, Log: log}
	r := &rig{sim: sim, sync: s, repo: repo}

	const n = 1000
	var ids []string
	for i := range n {
		_, id := r.add(1012, "shop"+strconv.Itoa(i)+"@example.com")
		ids = append(ids, id)
	}
	start := clock.Now()
	writes := func() int {
		calls := sim.Counter().Calls()
		return calls["PUT /rest/orders/{orderId}"] + calls["POST /rest/orders/{orderId}/shipping/packages"]
	}
	for r.run(t).Stored > 0 {
	}
	for i, id := range ids {
		r.imported(t, id, strconv.Itoa(700000+i))
	}
	for st := r.run(t); st.Written > 0; st = r.run(t) {
	}
	elapsed := clock.Now().Sub(start)
	w := writes()
	calls := sim.Counter().TotalCalls() - sim.Counter().Calls()["POST /rest/login"]
	share := float64(w) / (elapsed.Minutes() * plentysim.BasicWritePerMinute)
	t.Logf("%d orders: %d writes in %s of plentymarkets time: %.1f%% of the Basic write limit; %d answers 429; %.2f calls per order %v",
		n, w, elapsed.Round(time.Second), share*100, rt.n.Load(), float64(calls)/n, sim.Counter().Calls())
	if w != 3*n {
		t.Errorf("%d writes for %d orders, want exactly 3 each", w, n)
	}
	for _, id := range ids[:5] {
		if o := r.get(t, id); o.Track(plentysync.Track).State != plentysync.Written {
			t.Errorf("%s: plentymarkets track %s", id, o.Track(plentysync.Track).State)
		}
	}
}
