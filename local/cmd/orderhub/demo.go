package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/orderhub/orderhub/shared/dealerkeys"
	"io"
	"maps"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderhub/orderhub/local/bonifiqsim"
	"github.com/orderhub/orderhub/local/pipeline"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/local/stack"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/operator"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/reconcile"
	"github.com/orderhub/orderhub/shared/signature"
)

func runDemo(ctx context.Context, args []string) (int, error) {
	var f stackFlags
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	f.register(fs, 0, 60, 0.03)
	n := fs.Int("orders", 200, "orders in the scenario")
	wait := fs.Duration("wait", 3*time.Minute, "how long to wait for every order to settle")
	allPaths := fs.Bool("all-paths", false, "print every order's path, not a sample")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	began := time.Now()
	logs := io.Discard
	if f.logs {
		logs = os.Stdout
	}
	s, err := up(ctx, f, logs)
	if err != nil {
		return 1, err
	}
	defer s.Down()
	ready := time.Since(began)

	plan := scenario.Demo(*n, time.Now())
	fmt.Fprintf(os.Stderr, "orderhub: sending %d deliveries for %d orders (%d repeated, %d unmapped) with %.0f%% plenigo faults\n",
		len(plan.Deliveries), len(plan.Orders), countDup(plan), len(plan.Unmapped), f.faults*100)
	sent := time.Now()
	plenty := plentyScenario(s, 12)
	accepted, failures := deliver(ctx, s.APIURL, plan)
	for _, e := range failures {
		fmt.Fprintln(os.Stderr, "orderhub: delivery failed:", e)
	}

	fmt.Fprintln(os.Stderr, "orderhub: waiting for every order to settle")
	waitCtx, cancel := context.WithTimeout(ctx, *wait)
	orders, err := pipeline.WaitSettled(waitCtx, s.Orders, plan.Orders)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "orderhub:", err)
	}
	if orders == nil { // settling failed early: the orders are read one by one below
		orders = map[string]*order.Order{}
	}
	took := time.Since(sent)

	// The customers' second thoughts: every 20th delivered marketplace order comes back.
	afterthoughts(ctx, s, plan, orders)
	plentyCtx, cancelPlenty := context.WithTimeout(ctx, *wait)
	waitPlenty(plentyCtx, s, plenty)
	plentyAfterthoughts(s, plenty)
	waitPlenty(plentyCtx, s, plenty)
	cancelPlenty()
	loyaltyCtx, cancel := context.WithTimeout(ctx, *wait)
	if err := pipeline.WaitLoyalty(loyaltyCtx, s.Orders, plan.Orders); err != nil {
		fmt.Fprintln(os.Stderr, "orderhub:", err)
	}
	cancel()
	for _, id := range plan.Orders {
		if o, err := s.Orders.Get(ctx, id); err == nil {
			orders[id] = o
		}
	}

	lost, dup, unsettled, wrong := 0, 0, 0, 0
	totals := map[order.State]int{}
	for _, id := range plan.Orders {
		o := orders[id]
		switch {
		case o == nil:
			if accepted[id] {
				lost++
			}
			unsettled++
		case !o.State.Settled():
			unsettled++
		}
		if o != nil {
			totals[o.State]++
			if plan.Unmapped[id] != (o.State == order.Rejected) {
				wrong++
			}
		}
		if s.Sim != nil && s.Sim.OrdersFor(id) > 1 {
			dup++
		}
	}
	dupCustomers := 0
	if s.Sim != nil {
		for _, e := range plan.Emails {
			if s.Sim.CustomersByEmail(e) > 1 {
				dupCustomers++
			}
		}
	}
	fmt.Println()
	var parts []string
	for st, c := range totals {
		parts = append(parts, fmt.Sprintf("%s %d", st, c))
	}
	sort.Strings(parts)
	fmt.Println()
	fmt.Printf("orders %d: %s\n", len(plan.Orders), strings.Join(parts, ", "))
	fmt.Printf("lost %d, duplicated in plenigo %d, duplicate plenigo customers %d, unsettled %d, unexpected state %d, failed deliveries %d\n",
		lost, dup, dupCustomers, unsettled, wrong, len(failures))
	if s.Sim != nil {
		faults := 0
		for _, c := range s.Sim.FaultsByKind() {
			faults += c
		}
		all := len(plan.Orders) + len(plenty)
		fmt.Printf("plenigo calls %d (%.2f per order, for %d orders with the plentymarkets ones), faults injected %d %v\n",
			s.Sim.TotalCalls(), float64(s.Sim.TotalCalls())/float64(all), all, faults, s.Sim.FaultsByKind())
	}
	everyOrder := maps.Clone(orders)
	for _, c := range plenty {
		if o, err := s.Orders.Get(ctx, "plenty-"+strconv.Itoa(c.id)); err == nil {
			everyOrder[o.ID] = o
		}
	}
	pointsWrong := printLoyalty(s, plan, orders, everyOrder)
	pointsWrong += printPlenty(ctx, s, plenty)
	fmt.Printf("stack ready in %.1fs; from the first delivery to every order settled: %.1fs; whole demo %.1fs\n", ready.Seconds(), took.Seconds(), time.Since(began).Seconds())
	printOrders(plan, orders, sent, *allPaths)
	printFunctions(s)
	fmt.Println("\norderhub status")
	dead := map[string]string{}
	for id, q := range s.Resources.Queues {
		dead[id] = q.URL
	}
	target := operator.Target{Kind: operator.Local, Table: s.Resources.Tables["OrdersTable"],
		Endpoint: s.DynamoDB.Endpoint, SQSEndpoint: s.SQS.Endpoint, QueueURLs: dead, PartnerEnv: s.PartnerEnv}
	dl, _ := operator.OpenDeadLetters(ctx, target)
	if st, err := operator.ReadStatus(ctx, s.Orders, s.Orders, dl, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "orderhub:", err)
	} else {
		operator.PrintStatus(os.Stdout, st, time.Now())
	}
	fmt.Println("\norderhub failed: what needs a person")
	if needs, err := operator.Failed(ctx, s.Orders, operator.Selection{}, time.Now()); err != nil {
		fmt.Fprintln(os.Stderr, "orderhub:", err)
	} else {
		operator.PrintFailed(os.Stdout, needs, time.Now())
	}
	fmt.Println("\norderhub reconcile: the demo's orders against what plenigo, plentymarkets and BonifiQ hold")
	disagree := 0
	window := reconcile.Options{From: began.Add(-time.Minute), To: time.Now().Add(time.Minute)}
	if partners, err := operator.OpenPartners(ctx, target, s.Orders); err != nil {
		fmt.Fprintln(os.Stderr, "orderhub:", err)
	} else if rep, err := reconcile.Run(ctx, s.Orders, partners, window); err != nil {
		fmt.Fprintln(os.Stderr, "orderhub:", err)
	} else {
		operator.PrintReconciliation(os.Stdout, rep, window)
		disagree = len(rep.Findings)
	}
	if lost+dup+dupCustomers+unsettled+wrong+len(failures)+pointsWrong+disagree > 0 {
		return 1, errors.New("the demo found lost, duplicated or unsettled orders, points that are not what they should be, or orders a partner disagrees on")
	}
	return 0, nil
}

// deliver sends every delivery over HTTP, eight at a time, and returns the orders the API accepted
// (a 2xx) and what failed.
func deliver(ctx context.Context, api string, plan scenario.Plan) (map[string]bool, []string) {
	accepted := map[string]bool{}
	var failures []string
	var mu sync.Mutex
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for i, d := range plan.Deliveries {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ids, err := post(ctx, client, api, d, i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failures = append(failures, err.Error())
			}
			for _, id := range ids {
				accepted[id] = true
			}
		}()
	}
	wg.Wait()
	return accepted, failures
}

func post(ctx context.Context, client *http.Client, api string, d scenario.Delivery, i int) ([]string, error) {
	url := api + "/webhooks/marketplace/" + scenario.MarketplaceToken
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(d.Body))
	if err != nil {
		return nil, err
	}
	if d.Kind == scenario.Dealer {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, api+"/dealer-purchases", strings.NewReader(d.Body))
		if err != nil {
			return nil, err
		}
		id, now := "msg_demo_"+strconv.Itoa(i), time.Now()
		sig, err := signature.Sign(scenario.DealerSecret, id, now, []byte(d.Body))
		if err != nil {
			return nil, err
		}
		req.Header.Set(dealerkeys.HeaderKeyID, scenario.DealerKeyID)
		req.Header.Set(signature.HeaderID, id)
		req.Header.Set(signature.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		req.Header.Set(signature.HeaderSignature, sig)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		OrderID string `json:"orderId"`
		Results []struct {
			OrderID string `json:"orderId"`
			Status  string `json:"status"`
		} `json:"results"`
	}
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &body)
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("delivery %d answered %d: %.200s", i, resp.StatusCode, b)
	}
	ids := []string{}
	if body.OrderID != "" {
		ids = append(ids, body.OrderID)
	}
	for _, r := range body.Results {
		if r.Status == "accepted" || r.Status == "duplicate" {
			ids = append(ids, r.OrderID)
		}
	}
	return ids, nil
}

// printOrders prints one line per order: its path with the time of each step since the first
// delivery, and its plenigo ids.
func printOrders(plan scenario.Plan, orders map[string]*order.Order, start time.Time, all bool) {
	step := max(len(plan.Orders)/12, 1)
	if all {
		step = 1
	} else {
		fmt.Printf("\na sample of the orders' paths (every order's with --all-paths; orderhub trace ORDER_ID for one):\n")
	}
	fmt.Printf("%-24s  %-92s  %-18s  %-14s  %s\n", "order", "path (seconds after the first delivery)", "plenigo customer", "plenigo order", "loyalty")
	for i, id := range plan.Orders {
		o := orders[id]
		if i%step != 0 && o != nil && o.State != order.Rejected && o.State != order.Returned {
			continue
		}
		if o == nil {
			fmt.Printf("%-24s  %-92s\n", id, "NOT STORED")
			continue
		}
		var steps []string
		for _, e := range o.History {
			if e.From == e.To && e.Seq > 1 {
				if e.Call != nil && e.Call.Outcome != "known" && !strings.HasPrefix(e.Call.Outcome, "created") {
					steps = append(steps, fmt.Sprintf("(%s %s)", e.Call.Operation, e.Call.Outcome))
				}
				continue
			}
			steps = append(steps, fmt.Sprintf("%s@%.1f", short(e.To), e.At.Sub(start).Seconds()))
		}
		path := strings.Join(steps, " → ")
		if o.State == order.Rejected || o.State == order.ImportFailed {
			path += "  [" + firstWords(o.StateReason, 8) + "]"
		}
		fmt.Printf("%-24s  %-92s  %-18s  %-14s  %s\n", id, path, dash(o.Customer.PlenigoCustomerID), dash(o.Subscription.PlenigoOrderID), loyaltyOf(o))
	}
}

func printFunctions(s *stack.Stack) {
	fmt.Println("\nfunction            invocations  errors  cold starts  last cold start  warm invoke (mean)")
	names := make([]string, 0, len(s.Hosts))
	for n := range s.Hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st := s.Hosts[n].Stats()
		warm := "-"
		if st.WarmInvocations > 0 {
			warm = (st.WarmTime / time.Duration(st.WarmInvocations)).Round(10 * time.Microsecond).String()
		}
		fmt.Printf("%-18s  %11d  %6d  %11d  %15s  %s\n", n, st.Invocations, st.Errors, st.ColdStarts, st.LastColdStart.Round(100*time.Microsecond), warm)
	}
}

func short(s order.State) string {
	if s == order.ImportSubmitted {
		return "SUBMITTED"
	}
	return string(s)
}

func firstWords(s string, n int) string {
	w := strings.Fields(s)
	if len(w) > n {
		return strings.Join(w[:n], " ") + " …"
	}
	return s
}

func countDup(p scenario.Plan) int {
	n := 0
	for _, d := range p.Deliveries {
		if d.Duplicate {
			n++
		}
	}
	return n
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// afterthoughts returns every 20th delivered marketplace order, as an operator records it
// (shared/operator).
func afterthoughts(ctx context.Context, s *stack.Stack, plan scenario.Plan, orders map[string]*order.Order) {
	delivered := 0
	for _, id := range plan.Orders {
		o := orders[id]
		switch {
		case o == nil:
		case o.State == order.Fulfilled && o.Source == order.SourceMarketplace:
			if delivered++; delivered%20 == 0 {
				if err := operator.Return(ctx, io.Discard, s.Orders, id, order.Return{ID: "R-" + id}, nil); err != nil {
					fmt.Fprintln(os.Stderr, "orderhub: return:", err)
				}
			}
		}
	}
}

// loyaltyOf is the order's loyalty outcome for the table.
func loyaltyOf(o *order.Order) string {
	t := o.Track(loyalty.Track)
	if t == nil {
		return "-"
	}
	return string(t.State)
}

// printLoyalty compares BonifiQ's ledger with what each order should have earned: the whole part of
// what was paid for the goods (the simulator's one point per 1.00), awarded once, reversed once
// when returned, nothing for orders that earn nothing. It returns how many orders differ.
func printLoyalty(s *stack.Stack, plan scenario.Plan, orders, everyOrder map[string]*order.Order) int {
	if s.Bonifiq == nil {
		return 0
	}
	s.Bonifiq.Flush()
	var want, got bonifiqsim.Points
	wrong := 0
	for _, id := range plan.Orders {
		o := orders[id]
		var should bonifiqsim.Points
		if o != nil && o.Track(loyalty.Track) != nil && o.Track(loyalty.Track).State != loyalty.NotEligible {
			whole, _ := loyalty.Total(o).Whole()
			should.Awarded = whole
		}
		have := s.Bonifiq.Points(id)
		if o != nil && o.State == order.Returned {
			// Returned before its award reached BonifiQ, it never earned; after, it gave all back.
			if have.Awarded == 0 {
				should.Awarded = 0
			}
			should.Reversed = should.Awarded
		}
		if have != should {
			wrong++
			fmt.Fprintf(os.Stderr, "orderhub: %s has %+v points in BonifiQ, should have %+v\n", id, have, should)
		}
		want.Awarded += should.Awarded
		want.Reversed += should.Reversed
		got.Awarded += have.Awarded
		got.Reversed += have.Reversed
	}
	changes := 0 // awards and reversals recorded on every order BonifiQ heard of
	for _, o := range everyOrder {
		for _, e := range o.History {
			if e.Track == loyalty.Track && (e.TrackTo == loyalty.Awarded || e.TrackTo == loyalty.Reversed || e.TrackTo == loyalty.PartlyReversed) {
				changes++
			}
		}
	}
	calls := s.Bonifiq.Counter().TotalCalls()
	fmt.Printf("loyalty points awarded %d (should be %d), reversed %d (should be %d)\n", got.Awarded, want.Awarded, got.Reversed, want.Reversed)
	fmt.Printf("BonifiQ calls %d for %d awards and reversals (%.2f per change) %v\n", calls, changes, float64(calls)/float64(max(changes, 1)), s.Bonifiq.Counter().Calls())
	return wrong
}
