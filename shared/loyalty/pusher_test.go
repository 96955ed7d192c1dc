package loyalty_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/bonifiqsim"
	"github.com/orderhub/orderhub/local/simkit"
	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

var (
	t0 = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	by = order.Actor{Function: "pusher", RequestID: "r1"}
)

const (
	upsert  = "POST /v1/pvt/Order"
	cancel  = "POST /v1/pvt/Order/{id}/cancel"
	partial = "POST /v1/pvt/Order/{id}/partialcancel"
	get     = "GET /v1/pvt/Order/{id}"
)

type rig struct {
	sim    *bonifiqsim.Sim
	orders *memstore.Store
	pusher *loyalty.Pusher
	now    time.Time
}

func newRig(t *testing.T) *rig {
	t.Helper()
	sim, url := bonifiqsim.Serve(t, bonifiqsim.Config{Clock: simkit.NewClock(t0)})
	c := bonifiq.New(url, secrets.Static{bonifiqsim.DefaultUser + ":" + bonifiqsim.DefaultPassword}, nil)
	c.AttemptTimeout = 300 * time.Millisecond
	c.Backoff.Base, c.Backoff.Cap = time.Millisecond, 5*time.Millisecond
	sim.SetRetryAfter(0)
	r := &rig{sim: sim, orders: memstore.New(), now: t0}
	r.pusher = &loyalty.Pusher{Orders: r.orders, BonifiQ: c, Now: func() time.Time { return r.now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return r
}

// complete stores an order of two items (2 × 20.00 net and 1 × 10.00 net: 50.00) made complete.
func (r *rig) complete(t *testing.T, ref string, earns bool) string {
	t.Helper()
	o, err := order.New(order.SourceMarketplace, ref, t0, by)
	if err != nil {
		t.Fatal(err)
	}
	o.Customer = order.Customer{Email: "Ann@Example.com", FirstName: "Ann", LastName: "Lee"}
	o.Items = []order.Item{
		{Product: "a", Quantity: 2 * order.DecimalScale, Price: order.Money{Gross: 238000, Net: 200000}},
		{Product: "b", Quantity: 1 * order.DecimalScale, Price: order.Money{Gross: 119000, Net: 100000}},
	}
	o.PlacedAt = t0
	o.Completion = order.Completion{When: order.CompleteOnImport, EarnsPoints: earns}
	for _, s := range []order.State{order.Queued, order.ImportSubmitted, order.Imported} {
		if err := o.MoveTo(s, order.Change{At: t0.Add(time.Minute), By: by}); err != nil {
			t.Fatal(err)
		}
	}
	if err := loyalty.CompleteOnImport(o, order.Change{At: t0.Add(2 * time.Minute), By: by}); err != nil {
		t.Fatal(err)
	}
	if err := r.orders.Create(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

func (r *rig) push(t *testing.T, id string) error {
	t.Helper()
	return r.pusher.Push(context.Background(), id, by)
}

func (r *rig) track(t *testing.T, id string) *order.Track {
	t.Helper()
	o, err := r.orders.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o.Track(loyalty.Track)
}

func (r *rig) returns(t *testing.T, id string, ret order.Return) {
	t.Helper()
	if _, err := r.orders.Update(context.Background(), id, func(o *order.Order) error {
		return loyalty.Return(o, ret, order.Change{At: r.now, By: order.Actor{Function: "operator"}})
	}); err != nil {
		t.Fatal(err)
	}
}

func TestACompleteOrderIsAwardedOnceHoweverOftenItIsPushed(t *testing.T) {
	r := newRig(t)
	id := r.complete(t, "1", true)
	if tr := r.track(t, id); tr.State != loyalty.AwardDue || !tr.Waiting {
		t.Fatalf("after completion: %+v", tr)
	}
	for range 3 {
		if err := r.push(t, id); err != nil {
			t.Fatal(err)
		}
	}
	r.sim.Flush()
	if tr := r.track(t, id); tr.State != loyalty.Awarded || tr.Ref == "" || tr.Waiting {
		t.Fatalf("after pushes: %+v", tr)
	}
	if p := r.sim.Points(id); p.Awarded != 50 || p.Reversed != 0 {
		t.Fatalf("points %+v, want 50 awarded", p)
	}
	r.sim.Counter().ExpectCalls(t, map[string]int{upsert: 1})
	if b := r.sim.Balance("ann@example.com"); b != 50 {
		t.Fatalf("balance %d", b)
	}
}

func TestAnOrderThatEarnsNothingCostsNoCall(t *testing.T) {
	r := newRig(t)
	id := r.complete(t, "2", false)
	if err := r.push(t, id); err != nil {
		t.Fatal(err)
	}
	if tr := r.track(t, id); tr.State != loyalty.NotEligible {
		t.Fatalf("track %+v", tr)
	}
	r.sim.Counter().ExpectCalls(t, map[string]int{})
}

func TestReturnsReverseOncePerReturnAndTheLastCancels(t *testing.T) {
	r := newRig(t)
	id := r.complete(t, "3", true)
	if err := r.push(t, id); err != nil {
		t.Fatal(err)
	}
	r.sim.Flush()
	r.returns(t, id, order.Return{ID: "ret-1", Items: []order.ReturnedItem{{Product: "a", Quantity: order.DecimalScale}}})
	for range 2 {
		if err := r.push(t, id); err != nil {
			t.Fatal(err)
		}
	}
	if tr := r.track(t, id); tr.State != loyalty.PartlyReversed {
		t.Fatalf("after one return: %+v", tr)
	}
	if p := r.sim.Points(id); p.Awarded != 50 || p.Reversed != 20 {
		t.Fatalf("after one return: %+v, want 20 of 50 reversed", p)
	}
	r.returns(t, id, order.Return{ID: "ret-2"}) // the rest
	if err := r.push(t, id); err != nil {
		t.Fatal(err)
	}
	if tr := r.track(t, id); tr.State != loyalty.Reversed {
		t.Fatalf("after the rest: %+v", tr)
	}
	if p := r.sim.Points(id); p.Reversed != 50 {
		t.Fatalf("after the rest: %+v, want all 50 reversed", p)
	}
	r.sim.Counter().ExpectCalls(t, map[string]int{upsert: 1, partial: 1, cancel: 1})
}

func TestAPartialCancelWhoseAnswerWasLostIsNotRefundedTwice(t *testing.T) {
	r := newRig(t)
	id := r.complete(t, "4", true)
	if err := r.push(t, id); err != nil {
		t.Fatal(err)
	}
	r.sim.Flush()
	r.returns(t, id, order.Return{ID: "ret-1", Items: []order.ReturnedItem{{Product: "b", Quantity: order.DecimalScale}}})
	r.sim.LoseNextAnswer(partial, 1)
	for range 3 {
		_ = r.push(t, id)
	}
	if p := r.sim.Points(id); p.Reversed != 10 {
		t.Fatalf("points %+v, want 10 reversed once", p)
	}
	if tr := r.track(t, id); tr.State != loyalty.PartlyReversed {
		t.Fatalf("track %+v", tr)
	}
}

func TestAReturnBeforeTheAwardWasConfirmedLooksAtBonifiQ(t *testing.T) {
	r := newRig(t)
	// Never pushed: BonifiQ has nothing, so nothing is reversed and nothing is awarded.
	id := r.complete(t, "5", true)
	r.returns(t, id, order.Return{ID: "ret-1"})
	if err := r.push(t, id); err != nil {
		t.Fatal(err)
	}
	if tr := r.track(t, id); tr.State != loyalty.Reversed {
		t.Fatalf("track %+v", tr)
	}
	r.sim.Flush()
	if p := r.sim.Points(id); p.Awarded != 0 {
		t.Fatalf("points %+v", p)
	}
	// The award reached BonifiQ but its answer was lost: the return finds it and cancels it.
	id = r.complete(t, "6", true)
	r.sim.LoseNextAnswer(upsert, 3)
	if err := r.push(t, id); err == nil {
		t.Fatal("a push whose every answer was lost succeeded")
	}
	r.returns(t, id, order.Return{ID: "ret-1"})
	if err := r.push(t, id); err != nil {
		t.Fatal(err)
	}
	r.sim.Flush()
	if p := r.sim.Points(id); p.Awarded != p.Reversed || r.track(t, id).State != loyalty.Reversed {
		t.Fatalf("points %+v, track %+v", p, r.track(t, id))
	}
}

func TestFailuresAreRetriedOrFailVisibly(t *testing.T) {
	r := newRig(t)
	id := r.complete(t, "7", true)
	r.sim.FailNext(upsert, simkit.Fault503, simkit.Fault503, simkit.Fault503)
	if err := r.push(t, id); err == nil {
		t.Fatal("three 503s: no error to retry")
	}
	if tr := r.track(t, id); tr.State != loyalty.AwardDue || tr.Attempts != 1 {
		t.Fatalf("after a transient failure: %+v", tr)
	}
	if err := r.push(t, id); err != nil {
		t.Fatal(err)
	}
	r.sim.Flush()
	if p := r.sim.Points(id); p.Awarded != 50 {
		t.Fatalf("points %+v", p)
	}

	// An order BonifiQ refuses (a total it will not take) fails visibly and is not retried.
	id = r.complete(t, "8", true)
	if _, err := r.orders.Update(context.Background(), id, func(o *order.Order) error {
		o.PlacedAt = t0.Add(48 * time.Hour) // completed before it was placed: error 12
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	before := r.sim.Counter().TotalCalls()
	if err := r.push(t, id); err != nil {
		t.Fatalf("a refusal is recorded, not retried: %v", err)
	}
	tr := r.track(t, id)
	if tr.State != loyalty.Failed || tr.LastCall == nil || tr.LastCall.Outcome != "permanent" {
		t.Fatalf("after a refusal: %+v %+v", tr, tr.LastCall)
	}
	if n := r.sim.Counter().TotalCalls() - before; n != 1 {
		t.Fatalf("a refusal cost %d calls", n)
	}
}

func TestTheSweepPushesWhatTheStreamMissed(t *testing.T) {
	r := newRig(t)
	ids := []string{r.complete(t, "9", true), r.complete(t, "10", true), r.complete(t, "11", false)}
	r.now = t0.Add(time.Minute + loyalty.DefaultSweepAge/2)
	if res, err := r.pusher.Sweep(context.Background(), by); err != nil || res.Found != 0 {
		t.Fatalf("a young track was swept: %+v %v", res, err)
	}
	r.now = t0.Add(2*time.Minute + loyalty.DefaultSweepAge + time.Second)
	var wg sync.WaitGroup
	for range 2 { // two sweeps at once
		wg.Go(func() {
			if _, err := r.pusher.Sweep(context.Background(), by); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	r.sim.Flush()
	for _, id := range ids[:2] {
		if p := r.sim.Points(id); p.Awarded != 50 {
			t.Errorf("%s: %+v", id, p)
		}
	}
	if tot := r.sim.TotalPoints(); tot.Awarded != 100 {
		t.Fatalf("total %+v", tot)
	}
}

// hooked runs a hook during the first partial cancel, as a return recorded meanwhile would.
type hooked struct {
	loyalty.BonifiQ
	once func()
}

func (h *hooked) PartialCancel(ctx context.Context, id string, v json.Number, key string) error {
	err := h.BonifiQ.PartialCancel(ctx, id, v, key)
	if h.once != nil {
		f := h.once
		h.once = nil
		f()
	}
	return err
}

func TestAReturnRecordedDuringAReversalIsReversedToo(t *testing.T) {
	r := newRig(t)
	id := r.complete(t, "12", true)
	if err := r.push(t, id); err != nil {
		t.Fatal(err)
	}
	r.sim.Flush()
	r.returns(t, id, order.Return{ID: "ret-1", Items: []order.ReturnedItem{{Product: "a", Quantity: order.DecimalScale}}})
	r.pusher.BonifiQ = &hooked{BonifiQ: r.pusher.BonifiQ, once: func() {
		r.returns(t, id, order.Return{ID: "ret-2", Items: []order.ReturnedItem{{Product: "b", Quantity: order.DecimalScale}}})
	}}
	if err := r.push(t, id); err == nil {
		t.Fatal("a push that left a return unreversed reported success")
	}
	if err := r.push(t, id); err != nil {
		t.Fatal(err)
	}
	if p := r.sim.Points(id); p.Reversed != 30 {
		t.Fatalf("points %+v, want 20 + 10 reversed", p)
	}
	if tr := r.track(t, id); tr.State != loyalty.PartlyReversed {
		t.Fatalf("track %+v", tr)
	}
}

func TestAPartialReturnBeforeTheAwardAwardsWhatWasKept(t *testing.T) {
	r := newRig(t)
	id := r.complete(t, "13", true) // never pushed: BonifiQ does not know it
	r.returns(t, id, order.Return{ID: "ret-1", Items: []order.ReturnedItem{{Product: "b", Quantity: order.DecimalScale}}})
	if err := r.push(t, id); err != nil {
		t.Fatal(err)
	}
	r.sim.Flush()
	if p := r.sim.Points(id); p.Awarded-p.Reversed != 40 {
		t.Fatalf("points %+v, want 40 kept (50 awarded, 10 reversed)", p)
	}
}
