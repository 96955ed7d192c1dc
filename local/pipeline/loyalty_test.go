package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/bonifiqsim"
	"github.com/orderhub/orderhub/local/pipeline"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/local/simkit"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/operator"
	"github.com/orderhub/orderhub/shared/order"
)

// The scenario's marketplace purchases pay 41.1765 net for the goods: 41.18, so 41 points.
const pointsPerPurchase = 41

func waitLoyalty(t *testing.T, p *pipeline.Pipeline, ids []string, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := p.WaitLoyalty(ctx, ids); err != nil {
		t.Fatal(err)
	}
	p.Bonifiq.Flush()
}

func loyaltyState(t *testing.T, p *pipeline.Pipeline, id string) order.TrackState {
	t.Helper()
	o, err := p.Orders.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if tr := o.Track(loyalty.Track); tr != nil {
		return tr.State
	}
	return ""
}

// TestLoyaltyFollowsEachOrdersLife: a marketplace purchase earns its points once; one cancelled
// before it completed earns none; one returned after its award loses them once; a dealer purchase
// follows the mapping's rule (no points) without a BonifiQ call.
func TestLoyaltyFollowsEachOrdersLife(t *testing.T) {
	p := start(t, pipeline.Options{})
	ctx := context.Background()
	// The cancellation must land before plenigo has the order: hold the import by refusing the token.
	p.Sim.SetToken(scenario.PlenigoToken, true, false)
	receive(t, p, scenario.MarketplacePurchase(9301, "cancel@example.com", "1338", "1", time.Now()))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := operator.Cancel(ctx, io.Discard, p.Orders, "mkt-9301", "the customer withdrew", nil); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("cancel: %v", err)
		}
	}
	p.Sim.SetToken(scenario.PlenigoToken, true, true)

	receive(t, p, scenario.MarketplacePurchase(9302, "keep@example.com", "1338", "1", time.Now()))
	receive(t, p, scenario.MarketplacePurchase(9303, "return@example.com", "1338", "1", time.Now()))
	if s := dealer(t, p, fixtureBody(t, "dealer-batch.json")); s != 202 {
		t.Fatalf("dealer batch: %d", s)
	}
	ids := []string{"mkt-9301", "mkt-9302", "mkt-9303", "dealer-WBZ-2026-000101"}
	got := settle(t, p, ids, 30*time.Second)
	waitLoyalty(t, p, ids, 20*time.Second)
	if err := operator.Return(ctx, io.Discard, p.Orders, "mkt-9303", order.Return{ID: "R-9303"}, nil); err != nil {
		t.Fatal(err)
	}
	waitLoyalty(t, p, ids, 20*time.Second)

	if o := got["mkt-9301"]; o.State != order.Cancelled || p.Sim.OrdersFor("mkt-9301") != 0 {
		t.Errorf("cancelled: %s with %d plenigo orders", o.State, p.Sim.OrdersFor("mkt-9301"))
	}
	want := map[string]struct {
		track  order.TrackState
		points bonifiqsim.Points
	}{
		"mkt-9301":               {"", bonifiqsim.Points{}},
		"mkt-9302":               {loyalty.Awarded, bonifiqsim.Points{Awarded: pointsPerPurchase}},
		"mkt-9303":               {loyalty.Reversed, bonifiqsim.Points{Awarded: pointsPerPurchase, Reversed: pointsPerPurchase}},
		"dealer-WBZ-2026-000101": {loyalty.NotEligible, bonifiqsim.Points{}},
	}
	for id, w := range want {
		if st := loyaltyState(t, p, id); st != w.track {
			t.Errorf("%s: loyalty %q, want %q", id, st, w.track)
		}
		if pts := p.Bonifiq.Points(id); pts != w.points {
			t.Errorf("%s: points %+v, want %+v", id, pts, w.points)
		}
	}
	if _, ok := p.Bonifiq.Order("dealer-WBZ-2026-000101"); ok {
		t.Error("a dealer purchase that earns nothing reached BonifiQ")
	}
	// Exactly one call per state change: two awards, one reversal.
	p.Bonifiq.Counter().ExpectCalls(t, map[string]int{"POST /v1/pvt/Order": 2, "POST /v1/pvt/Order/{id}/cancel": 1})
}

// TestLoyaltyUnderDuplicatesAndFaults: every webhook delivered three times at once, every stream
// record delivered twice, and a fifth of BonifiQ's answers failing (429, 5xx, timeouts, transient
// HasError envelopes): every order is awarded exactly once, and each return reversed once.
func TestLoyaltyUnderDuplicatesAndFaults(t *testing.T) {
	p := start(t, pipeline.Options{RedeliverStream: true})
	p.Bonifiq.SetTimeoutHold(500 * time.Millisecond)
	p.Bonifiq.SetRetryAfter(0)
	p.Bonifiq.SetFaults(0.1, simkit.Fault429, simkit.Fault500, simkit.Fault502, simkit.Fault503, simkit.FaultTimeout)
	p.Bonifiq.SetEnvelopeFaults(0.12) // on the calls the HTTP faults spared: about a fifth in all
	p.Bonifiq.LoseNextAnswer("POST /v1/pvt/Order", 2)
	var ids []string
	var wg sync.WaitGroup
	for i := range 30 {
		body := scenario.MarketplacePurchase(9400+i, fmt.Sprintf("loyal%d@example.com", i%10), "1338", "1", time.Now())
		ids = append(ids, fmt.Sprintf("mkt-%d", 9400+i))
		for range 3 {
			wg.Go(func() { receive(t, p, body) })
		}
	}
	wg.Wait()
	settle(t, p, ids, 60*time.Second)
	waitLoyalty(t, p, ids, 60*time.Second)
	ctx := context.Background()
	for _, id := range ids[:10] {
		for range 2 { // the same return recorded twice
			if err := operator.Return(ctx, io.Discard, p.Orders, id, order.Return{ID: "R-" + id}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitLoyalty(t, p, ids, 60*time.Second)
	for i, id := range ids {
		want := bonifiqsim.Points{Awarded: pointsPerPurchase}
		if i < 10 {
			want.Reversed = pointsPerPurchase
		}
		if got := p.Bonifiq.Points(id); got != want {
			t.Errorf("%s: points %+v, want %+v (loyalty %s)", id, got, want, loyaltyState(t, p, id))
		}
	}
	tot := p.Bonifiq.TotalPoints()
	if tot.Awarded != 30*pointsPerPurchase || tot.Reversed != 10*pointsPerPurchase {
		t.Errorf("ledger %+v", tot)
	}
	faulted := 0
	for _, n := range p.Bonifiq.Counter().FaultsByKind() {
		faulted += n
	}
	for _, n := range p.Bonifiq.EnvelopeFaults() {
		faulted += n
	}
	t.Logf("BonifiQ calls %v; %d of %d failed: %v, transient HasError %v", p.Bonifiq.Counter().Calls(), faulted,
		p.Bonifiq.Counter().TotalCalls(), p.Bonifiq.Counter().FaultsByKind(), p.Bonifiq.EnvelopeFaults())
}
