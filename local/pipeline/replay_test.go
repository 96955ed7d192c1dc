package pipeline_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/localaws"
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
		wg.Go(func() {
			receive(t, p, scenario.MarketplacePurchase(n, fmt.Sprintf("replay%d@example.com", i%25), "1339", "1", time.Now()))
		})
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

// TestRedriveReturnsParkedJobs: with plenigo refusing the token, jobs use up their receives and are
// parked in the dead-letter queue; once the token is fixed, a redrive returns every one and each
// order ends imported, once.
func TestRedriveReturnsParkedJobs(t *testing.T) {
	p := start(t, pipeline.Options{RetryBase: 50 * time.Millisecond, RetryCap: 100 * time.Millisecond, RetryingAge: time.Hour})
	p.Sim.SetToken(scenario.PlenigoToken, true, false)
	ids := []string{"mkt-9601", "mkt-9602", "mkt-9603"}
	for i := range ids {
		receive(t, p, scenario.MarketplacePurchase(9601+i, fmt.Sprintf("parked%d@example.com", i), "1338", "1", time.Now()))
	}
	jobs := operator.Jobs{Client: p.SQS, QueueURL: p.Resources.Queues["ImportQueue"].URL, DeadURL: p.Resources.Queues["ImportDLQ"].URL}
	ctx := context.Background()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		n, err := localaws.Visible(ctx, p.SQS, jobs.DeadURL)
		if err != nil {
			t.Fatal(err)
		}
		if n == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs parked after 60 s", n, len(ids))
		}
	}
	parked, err := jobs.List(ctx, 100)
	if err != nil || len(parked) != len(ids) {
		t.Fatalf("list: %d %v", len(parked), err)
	}
	if n, err := jobs.Redrive(ctx, io.Discard, true); err != nil || n != len(ids) {
		t.Fatalf("dry run: %d %v", n, err)
	}
	if n, _ := localaws.Visible(ctx, p.SQS, jobs.DeadURL); n != len(ids) {
		t.Fatalf("a dry run moved jobs: %d left", n)
	}
	p.Sim.SetToken(scenario.PlenigoToken, true, true)
	if n, err := jobs.Redrive(ctx, io.Discard, false); err != nil || n != len(ids) {
		t.Fatalf("redrive: %d %v", n, err)
	}
	got := settle(t, p, ids, 60*time.Second)
	for _, id := range ids {
		if got[id].State != order.Fulfilled || p.Sim.OrdersFor(id) != 1 {
			t.Errorf("%s: %s with %d plenigo orders", id, got[id].State, p.Sim.OrdersFor(id))
		}
	}
	if n, _ := localaws.Visible(ctx, p.SQS, jobs.DeadURL); n != 0 {
		t.Errorf("%d jobs left in the dead-letter queue", n)
	}
}
