package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/pipeline"
	"github.com/orderhub/orderhub/local/plenigosim"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/operator"
	"github.com/orderhub/orderhub/shared/order"
)

// TestReplayAfterAFixImportsEachOrderOnce: 100 orders fail at plenigo (an offer it does not know);
// after the offer exists, one replay imports every one of them, and a second finds nothing to do:
// one plenigo order each.
func TestReplayAfterAFixImportsEachOrderOnce(t *testing.T) {
	p := start(t, pipeline.Options{})
	const offer = "O_K3Q9T2W8PLX4RM7N2B" // mapping.yaml's mkt 1339
	p.Sim.RemoveOffer(offer)
	var ids []string
	var wg sync.WaitGroup
	for i := range 100 {
		n := 9500 + i
		ids = append(ids, fmt.Sprintf("mkt-%d", n))
		wg.Go(func() { receive(t, p, scenario.MarketplacePurchase(n, fmt.Sprintf("replay%d@example.com", i%25), "1339", "1", time.Now())) })
	}
	wg.Wait()
	got := settle(t, p, ids, 60*time.Second)
	for _, id := range ids {
		if got[id].State != order.ImportFailed {
			t.Fatalf("%s: %s, want IMPORT_FAILED before the fix", id, got[id].State)
		}
	}
	ctx := context.Background()
	needs, err := operator.Failed(ctx, p.Orders, operator.Selection{States: []string{"IMPORT_FAILED"}}, time.Now())
	if err != nil || len(needs) != 100 {
		t.Fatalf("failed lists %d (%v), want 100", len(needs), err)
	}
	svc := &intake.Service{Orders: p.Orders, Mapping: p.Receiver.Intake.Mapping}
	imports := func() int { return p.Sim.Calls()["POST /imports/orders"] } // the poller reads the log meanwhile
	before := imports()
	if n, err := operator.Replay(ctx, io.Discard, svc, needs, operator.ReplayOptions{DryRun: true}, nil); err != nil || n != 100 {
		t.Fatalf("dry run: %d %v", n, err)
	}
	if again, _ := operator.Failed(ctx, p.Orders, operator.Selection{}, time.Now()); len(again) != 100 || imports() != before {
		t.Fatalf("the dry run changed something: %d still failed, %d imports posted", len(again), imports()-before)
	}

	p.Sim.SetOffer(offer, plenigosim.Offer{}) // the fix
	if n, err := operator.Replay(ctx, io.Discard, svc, needs, operator.ReplayOptions{Who: "test@ci"}, nil); err != nil || n != 100 {
		t.Fatalf("replay: %d %v", n, err)
	}
	got = settle(t, p, ids, 90*time.Second)
	if n, err := operator.Replay(ctx, io.Discard, svc, needs, operator.ReplayOptions{Who: "test@ci"}, nil); err != nil || n != 0 {
		t.Fatalf("second replay moved %d (%v)", n, err)
	}
	for _, id := range ids {
		if got[id].State != order.Fulfilled || p.Sim.OrdersFor(id) != 1 {
			t.Errorf("%s: %s with %d plenigo orders", id, got[id].State, p.Sim.OrdersFor(id))
		}
	}
}
