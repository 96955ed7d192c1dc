package pusher_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/functions/pusher"
	"github.com/orderhub/orderhub/local/bonifiqsim"
	"github.com/orderhub/orderhub/local/simkit"
	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/lambdafn/lambdatest"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

const requestID = "3a9e1c44-psh-4b2d-8e1f-0a2b3c4d5e6f"

// The sequence number of mkt-221's first record in events/pusher-loyalty-stream.json.
const seq221 = "51200000000000022345678901"

var t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

type rig struct {
	h      *pusher.Handler
	sim    *bonifiqsim.Sim
	orders *memstore.Store
}

// newRig builds the handler as bootstrap/main.go does, on the BonifiQ simulator and an in-memory
// store holding the fixtures' orders: mkt-221 complete, mkt-222 complete, awarded and returned.
func newRig(t *testing.T) *rig {
	t.Helper()
	sim, url := bonifiqsim.Serve(t, bonifiqsim.Config{Clock: simkit.NewClock(t0)})
	sim.SetRetryAfter(0)
	c := bonifiq.New(url, secrets.Static{bonifiqsim.DefaultUser + ":" + bonifiqsim.DefaultPassword}, nil)
	c.Backoff.Base, c.Backoff.Cap = time.Millisecond, 5*time.Millisecond
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := &rig{sim: sim, orders: memstore.New()}
	r.h = &pusher.Handler{Pusher: &loyalty.Pusher{Orders: r.orders, BonifiQ: c, Now: time.Now, Log: log}, Function: "pusher", Log: log}
	for _, ref := range []string{"221", "222"} {
		o, err := order.New(order.SourceMarketplace, ref, t0, order.Actor{Function: "receiver"})
		if err != nil {
			t.Fatal(err)
		}
		o.Customer.Email = "john@account.com"
		o.PlacedAt = t0
		o.Items = []order.Item{{Product: "1338", Quantity: order.DecimalScale, Price: order.Money{Gross: 490000, Net: 411765}}}
		o.Completion = order.Completion{When: order.CompleteOnImport, EarnsPoints: true}
		for _, s := range []order.State{order.Queued, order.ImportSubmitted, order.Imported} {
			if err := o.MoveTo(s, order.Change{At: t0.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := loyalty.CompleteOnImport(o, order.Change{At: t0.Add(2 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := r.orders.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.h.Pusher.Push(context.Background(), "mkt-222", order.Actor{Function: "pusher"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.orders.Update(context.Background(), "mkt-222", func(o *order.Order) error {
		return loyalty.Return(o, order.Return{ID: "R-1"}, order.Change{At: t0.Add(time.Hour)})
	}); err != nil {
		t.Fatal(err)
	}
	sim.Flush()
	sim.Counter().Reset()
	return r
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func invoke(t *testing.T, h *pusher.Handler, payload []byte) ([]byte, error) {
	t.Helper()
	return lambdatest.Invoke(t, h.Handle, payload, 60*time.Second, requestID) // the function's Timeout
}

func (r *rig) state(t *testing.T, id string) order.TrackState {
	t.Helper()
	o, err := r.orders.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o.Track(loyalty.Track).State
}

func TestStreamFixtureAwardsAndReversesOnce(t *testing.T) {
	r := newRig(t)
	out, err := invoke(t, r.h, fixture(t, "pusher-loyalty-stream.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("answer %s: %v", out, err)
	}
	r.sim.Flush()
	if got := r.state(t, "mkt-221"); got != loyalty.Awarded {
		t.Errorf("mkt-221: %s", got)
	}
	if got := r.state(t, "mkt-222"); got != loyalty.Reversed {
		t.Errorf("mkt-222: %s", got)
	}
	if p := r.sim.Points("mkt-221"); p.Awarded != 41 {
		t.Errorf("mkt-221 points %+v, want 41 (41.18 paid)", p)
	}
	if p := r.sim.Points("mkt-222"); p.Awarded != 41 || p.Reversed != 41 {
		t.Errorf("mkt-222 points %+v", p)
	}
	r.sim.Counter().ExpectCalls(t, map[string]int{"POST /v1/pvt/Order": 1, "POST /v1/pvt/Order/{id}/cancel": 1})
	// The history names the function and the request.
	o, _ := r.orders.Get(context.Background(), "mkt-221")
	if last := o.History[len(o.History)-1]; last.Actor.RequestID != requestID || last.Call == nil || last.Call.Partner != "bonifiq" {
		t.Errorf("last entry %+v", last)
	}
}

func TestAFailedPushIsReportedByItsRecord(t *testing.T) {
	r := newRig(t)
	r.sim.FailNext("POST /v1/pvt/Order", simkit.Fault503, simkit.Fault503, simkit.Fault503)
	out, err := invoke(t, r.h, fixture(t, "pusher-loyalty-stream.json"))
	if err != nil {
		t.Fatal(err)
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != seq221 {
		t.Fatalf("failures %+v, want mkt-221's record %s", resp.BatchItemFailures, seq221)
	}
	if got := r.state(t, "mkt-222"); got != loyalty.ReversalDue {
		t.Errorf("mkt-222 was pushed past a failed record: %s", got)
	}
}

func TestSweepFixtureAndUnknownEvents(t *testing.T) {
	r := newRig(t)
	out, err := invoke(t, r.h, fixture(t, "pusher-sweep.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res loyalty.SweepResult
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	if res.Found != 2 || res.Pushed != 2 { // the fixtures' orders waited since 2026-11-02
		t.Fatalf("sweep %+v", res)
	}
	if _, err := invoke(t, r.h, []byte(`{"action":"sweep-all"}`)); err == nil {
		t.Fatal("an unknown event was taken")
	}
}
