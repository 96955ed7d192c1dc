package bonifiq_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/bonifiqsim"
	"github.com/orderhub/orderhub/local/simkit"
	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/secrets"
)

// The simulator's endpoint names, as its Counter counts calls.
const (
	epUpsert  = "POST /v1/pvt/Order"
	epCancel  = "POST /v1/pvt/Order/{id}/cancel"
	epPartial = "POST /v1/pvt/Order/{id}/partialcancel"
	epGet     = "GET /v1/pvt/Order/{id}"
)

// waits records the partner layer's waits between attempts instead of sleeping them.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return nil
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// simClient runs a simulator and returns a client of it with the simulator's credentials, whose
// waits between attempts are recorded, not slept.
func simClient(t *testing.T, cfg bonifiqsim.Config) (*bonifiqsim.Sim, *bonifiq.Client, *waits) {
	t.Helper()
	sim, base := bonifiqsim.Serve(t, cfg)
	user, password := cfg.User, cfg.Password
	if user == "" {
		user, password = "APIUSER-demo-0001", "secret"
	}
	c := bonifiq.New(base, secrets.Static{user + ":" + password}, &http.Client{})
	w := &waits{}
	c.Sleep = w.sleep
	c.Backoff = backoff.Policy{Base: time.Millisecond, Cap: 5 * time.Second}
	return sim, c, w
}

func calls(sim *bonifiqsim.Sim, endpoint string) int { return sim.Counter().Calls()[endpoint] }

func kindOf(err error) partner.Kind { return partner.KindOf(err) }

// sale is a completed order of total, bought by maria.
func sale(id string, total json.Number) bonifiq.Order {
	o := completed(id)
	o.OrderTotal = total
	o.Products = []bonifiq.Product{{OriginalID: "P1", Title: "Jeans", ProductPrice: total}}
	return o
}

func TestUpsertTwiceKeepsTheIdAndAwardsOnce(t *testing.T) {
	sim, c, _ := simClient(t, bonifiqsim.Config{CreditDelay: time.Hour})
	ctx := testCtx(t)
	first, err := c.UpsertOrder(ctx, sale("mkt-1", "119.90"))
	if err != nil || first.ID == 0 || first.CustomerID == 0 {
		t.Fatalf("first upsert: %+v %v", first, err)
	}
	again, err := c.UpsertOrder(ctx, sale("mkt-1", "119.90"))
	if err != nil || again != first {
		t.Fatalf("second upsert: %+v %v, want %+v", again, err, first)
	}
	if p := sim.Points("mkt-1"); p.Awarded != 0 {
		t.Fatalf("points credited before BonifiQ's delay: %+v", p)
	}
	sim.Flush()
	if p := sim.Points("mkt-1"); p != (bonifiqsim.Points{Awarded: 119}) {
		t.Fatalf("points %+v, want 119 awarded once", p)
	}
	if b := sim.Balance("maria@example.com"); b != 119 {
		t.Fatalf("balance %d", b)
	}
	o, found := sim.Order("mkt-1")
	if !found || o.ID != first.ID || o.Upserts != 2 || o.OrderTotal != "119.90" || o.CustomerID != "maria@example.com" {
		t.Fatalf("sim order %+v %v", o, found)
	}
	r, err := c.GetOrder(ctx, "mkt-1")
	if err != nil || r.ID != first.ID || r.OriginalID != "mkt-1" || r.State != bonifiq.StateComplete || r.OrderTotal != "119.90" {
		t.Fatalf("get: %+v %v", r, err)
	}
}

func TestLostUpsertAnswerIsRetriedAndAwardsOnce(t *testing.T) {
	sim, c, _ := simClient(t, bonifiqsim.Config{})
	sim.LoseNextAnswer(epUpsert, 1)
	placed, err := c.UpsertOrder(testCtx(t), sale("mkt-2", "50.00"))
	if err != nil || placed.ID == 0 {
		t.Fatalf("upsert after a lost answer: %+v %v", placed, err)
	}
	if n := calls(sim, epUpsert); n != 2 {
		t.Fatalf("%d calls, want the lost one and its retry", n)
	}
	sim.Flush()
	if p := sim.Points("mkt-2"); p != (bonifiqsim.Points{Awarded: 50}) {
		t.Fatalf("points %+v, want 50 awarded once", p)
	}
}

func TestEnvelopeFailuresAreRetriedByKind(t *testing.T) {
	sim, c, _ := simClient(t, bonifiqsim.Config{})
	ctx := testCtx(t)

	// 200 with HasError and no reason: BonifiQ's own failure, retried.
	sim.FailNextWithEnvelope(epUpsert, 1)
	if _, err := c.UpsertOrder(ctx, sale("mkt-3", "10.00")); err != nil {
		t.Fatalf("upsert after one envelope failure: %v", err)
	}
	if n := calls(sim, epUpsert); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}

	// The same every time: the attempts run out and the failure stays transient.
	sim.FailNextWithEnvelope(epUpsert, 3)
	_, err := c.UpsertOrder(ctx, sale("mkt-4", "10.00"))
	var e *bonifiq.Error
	if kindOf(err) != partner.Transient || !errors.As(err, &e) || !e.HasError || e.Status != 200 || !bonifiq.IsUncertain(err) {
		t.Fatalf("upsert after three envelope failures: %v", err)
	}
	if n := calls(sim, epUpsert); n != 5 {
		t.Fatalf("%d calls, want 2 + 3 attempts", n)
	}
	if _, found := sim.Order("mkt-4"); found {
		t.Fatal("an upsert answered with the error envelope was applied")
	}

	// 200 with HasError and validation details: permanent, sent once.
	bad := sale("mkt-5", "10.00")
	bad.OrderCompletedDate = nil
	_, err = c.UpsertOrder(ctx, bad)
	if kindOf(err) != partner.Permanent || !errors.As(err, &e) || len(e.Descriptions) != 1 || e.Descriptions[0] != bonifiq.DescCompletedOrderNeedsCompletedDate {
		t.Fatalf("validation: %v", err)
	}
	if n := calls(sim, epUpsert); n != 6 {
		t.Fatalf("a validation error was retried: %d calls", n-5)
	}

	// The lookup and the cancels are retried the same way.
	sim.FailNextWithEnvelope(epGet, 1)
	sim.FailNextWithEnvelope(epCancel, 1)
	sim.FailNextWithEnvelope(epPartial, 1)
	if _, err := c.GetOrder(ctx, "mkt-3"); err != nil {
		t.Fatal(err)
	}
	if err := c.PartialCancel(ctx, "mkt-3", "1.00", "mkt-3-r1"); err != nil {
		t.Fatal(err)
	}
	if err := c.CancelOrder(ctx, "mkt-3", time.Now(), "cancelled"); err != nil {
		t.Fatal(err)
	}
	sim.Counter().ExpectCalls(t, map[string]int{epGet: 2, epCancel: 2, epPartial: 2})
}

func TestValidationIsPermanentAndNotRetried(t *testing.T) {
	for _, status := range []int{0, 400, 422} {
		t.Run(fmt.Sprintf("answered %d", max(status, 200)), func(t *testing.T) {
			sim, c, _ := simClient(t, bonifiqsim.Config{ValidationStatus: status})
			ctx := testCtx(t)
			for name, tc := range map[string]struct {
				order bonifiq.Order
				want  int
			}{
				"completed without a date": {func() bonifiq.Order { o := sale("v-1", "10"); o.OrderCompletedDate = nil; return o }(), bonifiq.DescCompletedOrderNeedsCompletedDate},
				"no total":                 {sale("v-2", "0"), bonifiq.DescBiggerThanZero},
				"completed before placed": {func() bonifiq.Order {
					o := sale("v-3", "10")
					early := o.OrderPlacementDate.Add(-time.Hour)
					o.OrderCompletedDate = &early
					return o
				}(), bonifiq.DescCompletedDateMustBeAfterPlacementDate},
			} {
				before := calls(sim, epUpsert)
				_, err := c.UpsertOrder(ctx, tc.order)
				var e *bonifiq.Error
				if kindOf(err) != partner.Permanent || !errors.As(err, &e) || len(e.Descriptions) == 0 || e.Descriptions[0] != tc.want {
					t.Errorf("%s: %v, want permanent with description %d", name, err, tc.want)
				}
				if n := calls(sim, epUpsert) - before; n != 1 {
					t.Errorf("%s: %d calls, want 1", name, n)
				}
			}
			if err := c.PartialCancel(ctx, "v-none", "10", "k"); kindOf(err) != partner.NotFound {
				t.Errorf("partial cancel of an unknown order: %v", err)
			}
		})
	}
}

func TestRateLimitedCallsWaitForRetryAfter(t *testing.T) {
	sim, c, w := simClient(t, bonifiqsim.Config{})
	sim.SetRetryAfter(3 * time.Second)
	sim.FailNext(epUpsert, simkit.Fault429)
	if _, err := c.UpsertOrder(testCtx(t), sale("mkt-6", "10.00")); err != nil {
		t.Fatal(err)
	}
	if n := calls(sim, epUpsert); n != 2 {
		t.Fatalf("%d calls", n)
	}
	if got := w.all(); len(got) != 1 || got[0] != 3*time.Second {
		t.Fatalf("waits %v, want the 3s of Retry-After", got)
	}
}

func TestServerFailuresAreRetried(t *testing.T) {
	for _, f := range []simkit.Fault{simkit.Fault500, simkit.Fault502, simkit.Fault503, simkit.FaultTimeout, simkit.Fault504AfterApply} {
		t.Run(f.String(), func(t *testing.T) {
			sim, c, _ := simClient(t, bonifiqsim.Config{})
			sim.SetTimeoutHold(5 * time.Second)
			c.AttemptTimeout = 200 * time.Millisecond
			sim.FailNext(epUpsert, f)
			if _, err := c.UpsertOrder(testCtx(t), sale("mkt-7", "10.00")); err != nil {
				t.Fatal(err)
			}
			if n := calls(sim, epUpsert); n != 2 {
				t.Fatalf("%d calls, want 2", n)
			}
			sim.FailNext(epGet, f, f, f)
			if _, err := c.GetOrder(testCtx(t), "mkt-7"); kindOf(err) != partner.Transient || !bonifiq.IsUncertain(err) {
				t.Fatalf("after 3 failures: %v", err)
			}
			if n := calls(sim, epGet); n != 3 {
				t.Fatalf("%d calls, want 3 attempts", n)
			}
		})
	}
}

func TestWrongCredentialsAreUnauthorized(t *testing.T) {
	for name, answer := range map[string]bonifiqsim.AuthAnswer{"401": bonifiqsim.Auth401, "envelope": bonifiqsim.AuthEnvelope} {
		t.Run(name, func(t *testing.T) {
			sim, c, _ := simClient(t, bonifiqsim.Config{User: "APIUSER-shop-9f3a", Password: "right", AuthAnswer: answer})
			ctx := testCtx(t)
			c.Credentials = secrets.Static{"APIUSER-shop-9f3a:wrong"}
			_, err := c.UpsertOrder(ctx, sale("mkt-8", "10.00"))
			if kindOf(err) != partner.Unauthorized {
				t.Fatalf("upsert: %v, want unauthorized", err)
			}
			if _, err := c.GetOrder(ctx, "mkt-8"); kindOf(err) != partner.Unauthorized {
				t.Fatalf("get: %v", err)
			}
			if err := c.CancelOrder(ctx, "mkt-8", time.Now(), ""); kindOf(err) != partner.Unauthorized {
				t.Fatalf("cancel: %v", err)
			}
			if err := c.PartialCancel(ctx, "mkt-8", "1", "k"); kindOf(err) != partner.Unauthorized {
				t.Fatalf("partial cancel: %v", err)
			}
			sim.Counter().ExpectCalls(t, map[string]int{epUpsert: 1, epGet: 1, epCancel: 1, epPartial: 1})
			if sim.Orders() != 0 {
				t.Fatal("a refused call changed something")
			}
		})
	}
}

func TestCancelReversesThePoints(t *testing.T) {
	sim, c, _ := simClient(t, bonifiqsim.Config{PointsPerUnit: 2})
	ctx := testCtx(t)
	if _, err := c.UpsertOrder(ctx, sale("mkt-9", "40.00")); err != nil {
		t.Fatal(err)
	}
	sim.Flush()
	if p := sim.Points("mkt-9"); p != (bonifiqsim.Points{Awarded: 80}) {
		t.Fatalf("points %+v", p)
	}
	if err := c.CancelOrder(ctx, "mkt-9", time.Now(), "returned"); err != nil {
		t.Fatal(err)
	}
	if p := sim.Points("mkt-9"); p != (bonifiqsim.Points{Awarded: 80, Reversed: 80}) {
		t.Fatalf("points after cancel %+v", p)
	}
	if b := sim.Balance("maria@example.com"); b != 0 {
		t.Fatalf("balance %d", b)
	}
	if r, err := c.GetOrder(ctx, "mkt-9"); err != nil || r.State != bonifiq.StateCancelled {
		t.Fatalf("get: %+v %v", r, err)
	}
	// Cancelling again is refused by BonifiQ's stand-in; it means the cancel holds.
	err := c.CancelOrder(ctx, "mkt-9", time.Now(), "returned")
	var e *bonifiq.Error
	if kindOf(err) != partner.AlreadyDone || !errors.As(err, &e) || !e.AlreadyCancelled {
		t.Fatalf("second cancel: %v, want already done", err)
	}
	if p := sim.Points("mkt-9"); p.Reversed != 80 {
		t.Fatalf("points after the second cancel %+v", p)
	}
}

func TestLostCancelAnswerEndsAlreadyDone(t *testing.T) {
	sim, c, _ := simClient(t, bonifiqsim.Config{})
	ctx := testCtx(t)
	if _, err := c.UpsertOrder(ctx, sale("mkt-10", "30.00")); err != nil {
		t.Fatal(err)
	}
	sim.Flush()
	sim.LoseNextAnswer(epCancel, 1)
	if err := c.CancelOrder(ctx, "mkt-10", time.Now(), "returned"); kindOf(err) != partner.AlreadyDone {
		t.Fatalf("cancel after a lost answer: %v, want already done", err)
	}
	if n := calls(sim, epCancel); n != 2 {
		t.Fatalf("%d calls", n)
	}
	if p := sim.Points("mkt-10"); p != (bonifiqsim.Points{Awarded: 30, Reversed: 30}) {
		t.Fatalf("points %+v", p)
	}
}

func TestRepeatedCancelKeyIsADuplicate(t *testing.T) {
	sim, c, _ := simClient(t, bonifiqsim.Config{})
	ctx := testCtx(t)
	if _, err := c.UpsertOrder(ctx, sale("mkt-11", "100.00")); err != nil {
		t.Fatal(err)
	}
	sim.Flush()
	if err := c.PartialCancel(ctx, "mkt-11", "25.00", "mkt-11-return-1"); err != nil {
		t.Fatal(err)
	}
	err := c.PartialCancel(ctx, "mkt-11", "25.00", "mkt-11-return-1")
	if !bonifiq.IsDuplicateCancelKey(err) || kindOf(err) != partner.AlreadyDone {
		t.Fatalf("repeated key: %v, want a duplicate", err)
	}
	if n := calls(sim, epPartial); n != 2 {
		t.Fatalf("%d calls: a duplicate was retried", n)
	}
	o, _ := sim.Order("mkt-11")
	if o.Refunded != "25.00" {
		t.Fatalf("refunded %s after a repeated key, want 25.00 once", o.Refunded)
	}
	if p := sim.Points("mkt-11"); p != (bonifiqsim.Points{Awarded: 100, Reversed: 25}) {
		t.Fatalf("points %+v", p)
	}

	// The answer of a new return event is lost: the retry carries the same key and ends as a
	// duplicate, and the refund happened once.
	sim.LoseNextAnswer(epPartial, 1)
	err = c.PartialCancel(ctx, "mkt-11", "10.00", "mkt-11-return-2")
	if !bonifiq.IsDuplicateCancelKey(err) {
		t.Fatalf("retry after a lost answer: %v, want a duplicate", err)
	}
	o, _ = sim.Order("mkt-11")
	if o.Refunded != "35.00" {
		t.Fatalf("refunded %s, want 35.00", o.Refunded)
	}

	// More than is left to refund, and a partial cancel of a cancelled order.
	if err := c.PartialCancel(ctx, "mkt-11", "70.00", "mkt-11-return-3"); kindOf(err) != partner.Permanent {
		t.Fatalf("refund above what is left: %v", err)
	}
	if err := c.CancelOrder(ctx, "mkt-11", time.Now(), "returned"); err != nil {
		t.Fatal(err)
	}
	if err := c.PartialCancel(ctx, "mkt-11", "1.00", "mkt-11-return-4"); kindOf(err) != partner.Conflict {
		t.Fatalf("partial cancel of a cancelled order: %v", err)
	}
}

func TestReversingACompletedOrderByUpsert(t *testing.T) {
	sim, c, _ := simClient(t, bonifiqsim.Config{UpsertCancel: bonifiqsim.RefuseUpsertCancel})
	ctx := testCtx(t)
	if _, err := c.UpsertOrder(ctx, sale("mkt-12", "20.00")); err != nil {
		t.Fatal(err)
	}
	o := sale("mkt-12", "20.00")
	at := o.OrderCompletedDate.Add(time.Hour)
	o.IsCancelledOrReturned, o.OrderCancelledDate = true, &at
	_, err := c.UpsertOrder(ctx, o)
	var e *bonifiq.Error
	if kindOf(err) != partner.Conflict || !errors.As(err, &e) || e.Descriptions[0] != bonifiq.DescCompletedOrderCannotBeCancelled {
		t.Fatalf("upsert-cancel of a completed order: %v, want conflict (13)", err)
	}
	if n := calls(sim, epUpsert); n != 2 {
		t.Fatalf("%d calls", n)
	}
}

func TestUnknownOrders(t *testing.T) {
	sim, c, _ := simClient(t, bonifiqsim.Config{})
	ctx := testCtx(t)
	if _, err := c.GetOrder(ctx, "nobody"); kindOf(err) != partner.NotFound || partner.StatusOf(err) != 404 {
		t.Fatalf("get: %v", err)
	}
	if err := c.CancelOrder(ctx, "nobody", time.Now(), ""); kindOf(err) != partner.NotFound {
		t.Fatalf("cancel: %v", err)
	}
	sim.Counter().ExpectCalls(t, map[string]int{epGet: 1, epCancel: 1})
}

// TestFaultsNeverAwardOrRefundTwice sends orders and returns through random HTTP and envelope
// faults, repeating each call as a caller would until it is done, and checks the ledger.
func TestFaultsNeverAwardOrRefundTwice(t *testing.T) {
	sim, c, _ := simClient(t, bonifiqsim.Config{})
	sim.SetRetryAfter(simkit.RetryAfterZero)
	sim.SetFaults(0.3, simkit.Fault429, simkit.Fault500, simkit.Fault502, simkit.Fault503, simkit.Fault504AfterApply)
	sim.SetEnvelopeFaults(0.15)
	ctx := testCtx(t)
	until := func(what string, call func() error) {
		t.Helper()
		for range 50 {
			err := call()
			if err == nil || kindOf(err) == partner.AlreadyDone {
				return
			}
			if kindOf(err) != partner.Transient {
				t.Fatalf("%s: %v", what, err)
			}
		}
		t.Fatalf("%s: still failing after 50 calls", what)
	}
	const orders = 20
	for i := range orders {
		id := fmt.Sprintf("soak-%d", i)
		until("upsert "+id, func() error { _, err := c.UpsertOrder(ctx, sale(id, "10.00")); return err })
		until("partial "+id, func() error { return c.PartialCancel(ctx, id, "3.00", id+"-r1") })
		if i%2 == 0 {
			until("cancel "+id, func() error { return c.CancelOrder(ctx, id, time.Now(), "returned") })
		}
	}
	sim.SetFaults(0)
	sim.SetEnvelopeFaults(0)
	sim.Flush()
	var awarded, reversed int64
	for i := range orders {
		id := fmt.Sprintf("soak-%d", i)
		o, _ := sim.Order(id)
		p := sim.Points(id)
		awarded += p.Awarded
		reversed += p.Reversed
		if o.Refunded != "3.00" {
			t.Errorf("%s refunded %s, want 3.00 once", id, o.Refunded)
		}
		wantState := bonifiq.StateComplete
		if i%2 == 0 {
			wantState = bonifiq.StateCancelled
		}
		if o.State != wantState {
			t.Errorf("%s state %d, want %d", id, o.State, wantState)
		}
	}
	// Without a credit delay every order earns its 10 at once; a return takes back 3, a cancel
	// everything.
	if wantReversed := int64(orders/2*10 + orders/2*3); awarded != orders*10 || reversed != wantReversed {
		t.Fatalf("awarded %d reversed %d, want %d and %d", awarded, reversed, orders*10, wantReversed)
	}
	if sim.Counter().TotalCalls() <= 3*orders {
		t.Fatalf("only %d calls: the faults did not fire", sim.Counter().TotalCalls())
	}
}
