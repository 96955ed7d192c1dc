package pipeline_test

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/pipeline"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/shared/order"
)

// TestPlenigoCallsPerOrder counts plenigo calls per imported order from the simulator's counters.
// It always runs small (100 orders, 30 customers) to guard the count. With ORDERHUB_MEASURE set to a
// variant (batched, unbatched, nocache) it runs the size reported in docs/performance.md (1,000 orders,
// 300 customers) for that variant; `make measure` runs each on freshly started emulators, because
// DynamoDB Local slows down as it keeps the streams of tables it has dropped.
func TestPlenigoCallsPerOrder(t *testing.T) {
	type variant struct {
		name string
		opts pipeline.Options
	}
	orders, customers := 100, 30
	variants := []variant{{"batched imports, customer cache", pipeline.Options{}}}
	switch os.Getenv("ORDERHUB_MEASURE") {
	case "batched":
		orders, customers = 1000, 300
	case "unbatched":
		orders, customers = 1000, 300
		variants = []variant{{"one order per import call", pipeline.Options{MaxItemsPerImport: 1}}}
	case "nocache":
		orders, customers = 1000, 300
		variants = []variant{{"no customer cache", pipeline.Options{NoCustomerCache: true}}}
	}
	report := []string{"| variant | orders | plenigo calls | calls per order | by endpoint | time to settle | AWS requests per order |", "|---|---|---|---|---|---|---|"}
	for _, v := range variants {
		v.opts.PollEvery = time.Second // a poll per second, as a busy merchant's schedule would see it
		p := start(t, v.opts)
		began := time.Now()
		ids := make([]string, orders)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8) // as the marketplace's deliveries would arrive: several at once
		for i := range orders {
			n := 100000 + i
			ids[i] = fmt.Sprintf("mkt-%d", n)
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				body := scenario.MarketplacePurchase(n, fmt.Sprintf("c%d@example.com", i%customers), "1338", "1", time.Now())
				if s := receive(t, p, body); s != 202 {
					t.Errorf("purchase %d: %d", i, s)
				}
			}()
		}
		wg.Wait()
		got := settle(t, p, ids, 5*time.Minute)
		took := time.Since(began)
		for _, id := range ids {
			if got[id].State != order.Fulfilled || p.Sim.OrdersFor(id) != 1 {
				t.Fatalf("%s: %s, %d plenigo orders", id, got[id].State, p.Sim.OrdersFor(id))
			}
		}
		calls := p.Sim.Calls()
		total := p.Sim.TotalCalls()
		perOrder := float64(total) / float64(orders)
		var parts []string
		for ep, n := range calls {
			parts = append(parts, fmt.Sprintf("%s %d", ep, n))
		}
		sort.Strings(parts)
		report = append(report, fmt.Sprintf("| %s | %d | %d | %.2f | %s | %.1f s | %.1f |", v.name, orders, total, perOrder, strings.Join(parts, ", "), took.Seconds(), float64(p.Calls.Total())/float64(orders)))
		t.Logf("DynamoDB requests: %d (TransactWriteItems %d, Query %d, GetItem %d, PutItem %d)", p.Calls.Total(), p.Calls.Count("TransactWriteItems"), p.Calls.Count("Query"), p.Calls.Count("GetItem"), p.Calls.Count("PutItem"))
		if !v.opts.NoCustomerCache && v.opts.MaxItemsPerImport == 0 && perOrder > 1.0 {
			t.Errorf("%.2f plenigo calls per order, aim is at most 1.0: %v", perOrder, calls)
		}
		p.Stop()
	}
	t.Log("\n" + strings.Join(report, "\n"))
}
