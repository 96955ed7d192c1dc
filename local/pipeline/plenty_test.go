package pipeline_test

import (
	"context"
	"fmt"
	"github.com/orderhub/orderhub/functions/poller"
	"github.com/orderhub/orderhub/shared/reconcile"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/pipeline"
	"github.com/orderhub/orderhub/local/plentysim"
	"github.com/orderhub/orderhub/local/simkit"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plentysync"
)

func plentyOrder(p *pipeline.Pipeline, i int) int {
	return p.Plenty.AddOrder(plentysim.NewOrder{Email: fmt.Sprintf("shop%d@example.com", i), FirstName: "Erika", LastName: "Muster",
		Street: "Hauptstraße", HouseNumber: "5", PostalCode: "34117", Town: "Kassel",
		Items:         []plentysim.Item{{VariationID: 1012, Name: "Abo", Quantity: "1", PriceGross: "49", PriceNet: "41.1765"}},
		ShippingGross: "4.95", ShippingNet: "4.1597", PaymentMethodID: 6014})
}

// waitPlenty waits until every plentymarkets order shows the status want.
func waitPlenty(t *testing.T, p *pipeline.Pipeline, ids []int, want plentysim.Status, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		wrong := 0
		var last plentysim.Status
		for _, id := range ids {
			if o, _ := p.Plenty.Order(id); o.Status != want {
				wrong++
				last = o.Status
			}
		}
		if wrong == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d plentymarkets orders are not in %s after %s (one is in %s)", wrong, want, within, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestPlentyOrdersBecomeSubscriptionsAndPlentymarketsShowsIt: orders cleared for shipping become one
// plenigo subscription each; plentymarkets shows the hand-over, then the package with plenigo's order
// id and the outgoing status; each order's history shows every hop with the plentymarkets call. The
// poller runs every 100 ms, so pulls repeat and runs overlap; each order exists once in orderhub,
// once in plenigo, with one package.
func TestPlentyOrdersBecomeSubscriptionsAndPlentymarketsShowsIt(t *testing.T) {
	p := start(t, pipeline.Options{})
	var ids []int
	var orderIDs []string
	for i := range 10 {
		id := plentyOrder(p, i)
		ids = append(ids, id)
		orderIDs = append(orderIDs, "plenty-"+strconv.Itoa(id))
	}
	// A second poller beside the schedule's: overlapping runs.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				_, _ = p.Poller.Handle(context.Background(), poller.Input{})
			}
		}
	}()
	waitPlenty(t, p, ids, "7", 60*time.Second)
	close(stop)
	got := settle(t, p, orderIDs, 30*time.Second)
	for i, id := range orderIDs {
		o := got[id]
		ps, _ := p.Plenty.Order(ids[i])
		if o.State != order.Fulfilled || p.Sim.OrdersFor(id) != 1 || len(ps.Packages) != 1 || ps.Packages[0].PackageNumber != o.Subscription.PlenigoOrderID {
			t.Errorf("%s: %s, %d plenigo orders, packages %+v (plenigo order %s)", id, o.State, p.Sim.OrdersFor(id), ps.Packages, o.Subscription.PlenigoOrderID)
		}
		var hops []string
		for _, e := range o.History {
			if e.Track == plentysync.Track && e.Call != nil {
				hops = append(hops, e.Call.Operation)
			}
		}
		if strings.Join(hops, ",") != "set status 5.1,set status 7" {
			t.Errorf("%s: plentymarkets calls in the history %v", id, hops)
		}
	}

	// Reconciliation agrees with every order; then the merchant's system moves one back to 5 behind
	// orderhub's back, and both the reconciliation and the live trace flag it.
	ctx := context.Background()
	window := reconcile.Options{From: got[orderIDs[0]].ReceivedAt.Add(-time.Minute), To: time.Now().Add(time.Minute)}
	partners := p.Partners()
	rep, err := reconcile.Run(ctx, p.Orders, partners, window)
	if err != nil || len(rep.Findings) != 0 || rep.Compared[reconcile.Plenty] != 10 || rep.Compared[reconcile.Plenigo] != 10 {
		t.Fatalf("reconciliation of agreeing orders: %+v, %v", rep, err)
	}
	p.Plenty.MoveOrder(ids[3], "5")
	rep, err = reconcile.Run(ctx, p.Orders, partners, window)
	if err != nil || len(rep.Findings) != 1 || rep.Findings[0].OrderID != orderIDs[3] || rep.Findings[0].Kind != reconcile.WrongState || rep.Findings[0].Partner != reconcile.Plenty {
		t.Fatalf("after the move back: %+v, %v", rep.Findings, err)
	}
	live := reconcile.Live(ctx, got[orderIDs[3]], partners)
	if len(live.Holdings) != 3 || len(live.Findings) != 1 || live.Findings[0].Partner != reconcile.Plenty {
		t.Fatalf("live trace: %+v", live)
	}
	for _, h := range live.Holdings {
		if h.Err != nil || len(h.Lines) == 0 {
			t.Errorf("%s: %v %v", h.Partner, h.Lines, h.Err)
		}
	}
	if clean := reconcile.Live(ctx, got[orderIDs[4]], partners); len(clean.Findings) != 0 {
		t.Errorf("live trace of an agreeing order: %+v", clean.Findings)
	}
}

// TestPlentyCancellationsAndReturns: a cancellation before the import ends CANCELLED, never imported,
// acknowledged with 8.8; one after delivery ends CANCEL_REFUSED with the refused status, never 8.8;
// a return ends RETURNED with the acknowledged status on the return and the points reversed.
func TestPlentyCancellationsAndReturns(t *testing.T) {
	p := start(t, pipeline.Options{})
	// The import of the early one is held: plenigo refuses the token until the cancellation landed.
	p.Sim.SetToken("local-plenigo-token", true, false)
	early := plentyOrder(p, 100)
	waitPlenty(t, p, []int{early}, "5.1", 30*time.Second)
	p.Plenty.MoveOrder(early, "8")
	waitPlenty(t, p, []int{early}, "8.8", 30*time.Second)
	p.Sim.SetToken("local-plenigo-token", true, true)

	late, kept := plentyOrder(p, 101), plentyOrder(p, 102)
	waitPlenty(t, p, []int{late, kept}, "7", 60*time.Second)
	p.Plenty.MoveOrder(late, "8")
	ret := p.Plenty.AddReturn(kept, []plentysim.Item{{VariationID: 1012, Quantity: "1"}}, "9")
	waitPlenty(t, p, []int{late}, "8.1", 30*time.Second)
	waitPlenty(t, p, []int{ret}, "9.2", 30*time.Second)
	ids := []string{"plenty-" + strconv.Itoa(early), "plenty-" + strconv.Itoa(late), "plenty-" + strconv.Itoa(kept)}
	got := settle(t, p, ids, 30*time.Second)
	waitLoyalty(t, p, ids, 30*time.Second)
	if o := got[ids[0]]; o.State != order.Cancelled || p.Sim.OrdersFor(ids[0]) != 0 {
		t.Errorf("cancelled before import: %s, %d plenigo orders", o.State, p.Sim.OrdersFor(ids[0]))
	}
	if o := got[ids[1]]; o.State != order.CancelRefused {
		t.Errorf("cancelled after delivery: %s", o.State)
	}
	if o := got[ids[2]]; o.State != order.Returned || o.Track(loyalty.Track) == nil {
		t.Errorf("returned: %s", o.State)
	}
	if pts := p.Bonifiq.Points(ids[2]); pts.Awarded != pts.Reversed {
		t.Errorf("returned order's points: %+v", pts)
	}
}

// TestPlentyUnderFaults: a fifth of plentymarkets' answers fail (429s, 503s, HTML bodies, timeouts)
// and every token expires mid-run: every order still ends right, once, and never more sessions
// than the cap are open.
func TestPlentyUnderFaults(t *testing.T) {
	p := start(t, pipeline.Options{})
	p.Plenty.SetFaults(0.12, simkit.Fault429, simkit.Fault503, simkit.FaultTimeout)
	p.Plenty.SetHTMLFaults(0.08)
	p.Plenty.SetTimeoutHold(500 * time.Millisecond)
	var ids []int
	var orderIDs []string
	for i := range 15 {
		id := plentyOrder(p, 200+i)
		ids = append(ids, id)
		orderIDs = append(orderIDs, "plenty-"+strconv.Itoa(id))
		if i == 7 {
			p.Plenty.ExpireTokens()
		}
	}
	time.Sleep(2 * time.Second)
	p.Plenty.ExpireTokens()
	waitPlenty(t, p, ids, "7", 120*time.Second)
	got := settle(t, p, orderIDs, 30*time.Second)
	for i, id := range orderIDs {
		ps, _ := p.Plenty.Order(ids[i])
		if got[id].State != order.Fulfilled || p.Sim.OrdersFor(id) != 1 || len(ps.Packages) != 1 {
			t.Errorf("%s: %s, %d plenigo orders, %d packages", id, got[id].State, p.Sim.OrdersFor(id), len(ps.Packages))
		}
	}
	if n := p.Plenty.PeakSessions(); n > 3 {
		t.Errorf("%d sessions open at once, the cap is 3", n)
	}
	t.Logf("plentymarkets: %d logins, peak sessions %d, calls %v, HTML faults %v", p.Plenty.Logins(), p.Plenty.PeakSessions(),
		p.Plenty.Counter().FaultsByKind(), p.Plenty.HTMLFaults())
}
