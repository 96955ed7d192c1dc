package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderhub/orderhub/functions/poller"
	"github.com/orderhub/orderhub/local/eventsource"
	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/local/pipeline"
	"github.com/orderhub/orderhub/local/samtemplate"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/operator"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// Prices are AWS's list prices in eu-central-1 (samconfig.toml deploys there), in USD, without
// free tiers: inputs to check against AWS's pricing pages. docs/performance.md ("What it costs")
// has the same table.
var prices = struct {
	HTTPAPIPerMillion             float64 // API Gateway HTTP API, first 300 million a month
	LambdaRequestPerMillion       float64
	LambdaArmGBSecond             float64 // arm64, as the template's Architectures
	DynamoWriteUnitPerMillion     float64 // on-demand, Standard table class
	DynamoReadUnitPerMillion      float64
	DynamoStorageGBMonth          float64
	DynamoPITRGBMonth             float64 // continuous backups, PointInTimeRecoveryEnabled
	SQSPerMillion                 float64 // standard queue, per request (64 KB chunk)
	SchedulerPerMillion           float64 // EventBridge Scheduler invocations
	SNSPublishPerMillion          float64
	LogsIngestGB                  float64 // CloudWatch Logs, Standard log class
	LogsStorageGBMonth            float64
	MetricMonth                   float64 // custom metric, first 10,000
	AlarmMonth                    float64 // standard-resolution alarm
	DashboardMonth                float64
	SecretMonth, SecretPer10kCall float64
}{
	HTTPAPIPerMillion:         1.20,
	LambdaRequestPerMillion:   0.20,
	LambdaArmGBSecond:         0.0000133334,
	DynamoWriteUnitPerMillion: 0.7625,
	DynamoReadUnitPerMillion:  0.1525,
	DynamoStorageGBMonth:      0.306,
	DynamoPITRGBMonth:         0.2448,
	SQSPerMillion:             0.40,
	SchedulerPerMillion:       1.00,
	SNSPublishPerMillion:      0.50,
	LogsIngestGB:              0.63,
	LogsStorageGBMonth:        0.0324,
	MetricMonth:               0.30,
	AlarmMonth:                0.10,
	DashboardMonth:            3.00,
	SecretMonth:               0.40,
	SecretPer10kCall:          0.05,
}

// The volume the fixed monthly costs are spread over, and what the template schedules in a month
// (730 hours).
const (
	ordersPerMonth  = 1_000_000
	minutesPerMonth = 730 * 60
	pollsPerMonth   = minutesPerMonth     // PollPlenigo: rate(1 minute)
	sweepsPerMonth  = minutesPerMonth / 5 // the enqueuer's and the pusher's Sweep: rate(5 minutes)
	dailyPerMonth   = 730.0 / 24          // Digest and Reconcile: once a day
	// Lambda's SQS event source keeps long-polling an empty queue: 5 pollers (its documented
	// starting number), each a ReceiveMessage with a 20-second wait. An estimate, not measured.
	idleReceivesPerMonth = 5 * 3 * minutesPerMonth
	gib                  = 1 << 30
)

// functions maps the names the functions are invoked under to their template resources.
var functions = map[string]string{"receiver": "ReceiverFunction", "enqueuer": "EnqueuerFunction", "worker": "WorkerFunction",
	"poller": "PollerFunction", "pusher": "PusherFunction", "reconcile": "PollerFunction", "digest": "EnqueuerFunction"}

// TestCostPerOrder measures what an order costs in AWS: a realistic mix of orders runs through the
// whole pipeline until everything settled, with faults off, and every AWS request, every unit of
// DynamoDB capacity (localaws.Capacity), every invocation's time and every log line is recorded by
// who made it. Then the poller runs idle, and the sweeps, the digest and the daily reconciliation
// are invoked on their own, to tell the work of orders from the work of schedules. It prints the
// inputs per order, the prices and the dollars per million orders by component
// (docs/performance.md, "What it costs").
//
// It runs only when asked: ORDERHUB_MEASURE_COST=1 (make measure). Its assertions are invariants,
// never times: each delivered purchase is one conditional write by the receiver, a repeat one read
// more, and the received index is written once per order.
func TestCostPerOrder(t *testing.T) {
	if os.Getenv("ORDERHUB_MEASURE_COST") == "" {
		t.Skip("set ORDERHUB_MEASURE_COST=1 (make measure) to measure what an order costs")
	}
	const (
		marketplaceOrders = 480 // from 160 customers; one in ten delivered twice
		customers         = 160
		dealerBatches     = 3 // of 30 purchases each; the first sent twice
		dealerPerBatch    = 30
		plentyOrders      = 20 // cleared for shipping in plentymarkets, pulled by the poller
		returnEvery       = 20 // every 20th marketplace order is returned after its award
	)
	cps := &itemWrites{}
	capa := localaws.NewCapacity(cps)
	logs := &logMeter{bytes: map[string]int{}, lines: map[string]int{}, metrics: map[string]map[string]bool{}, msgs: map[string]int{}, msgN: map[string]int{}}
	inv := &invocations{n: map[string]int{}, billedMS: map[string]float64{}}
	p := start(t, pipeline.Options{Transport: capa, MetricsNamespace: "orderhub/prod", Invoked: inv.add,
		Log: slog.New(&meterHandler{m: logs}), PollEvery: time.Second, SweepEvery: time.Hour})
	snap := func() measured { return measure(capa, inv, logs, cps, p) }
	tmpl := localaws.Template(t)
	endpoint := localaws.Endpoint(t, localaws.EnvDynamoDB)
	table := p.Resources.Tables["OrdersTable"]
	// The test's own reads go through a client of their own, so they are not counted.
	watch := dynamostore.New(localaws.DynamoDB(endpoint, nil), table)
	ctx := context.Background()
	setup := snap() // creating the tables and queues

	// The deliveries: marketplace purchases eight at a time, as the marketplace sends them, with a
	// tenth delivered twice; dealer batches; plentymarkets orders the poller pulls.
	began := time.Now()
	var ids, mkt, plentyIDs []string
	var plentyNumbers []int
	for i := range plentyOrders {
		n := plentyOrder(p, 1000+i)
		plentyNumbers = append(plentyNumbers, n)
		plentyIDs = append(plentyIDs, "plenty-"+strconv.Itoa(n))
	}
	type delivery struct{ body string }
	var deliveries []delivery
	for i := range marketplaceOrders {
		n := 200000 + i
		body := scenario.MarketplacePurchase(n, fmt.Sprintf("kunde%d@example.com", i%customers), []string{"1338", "1339"}[i%2], "1", time.Now())
		deliveries = append(deliveries, delivery{body})
		if i%10 == 3 {
			deliveries = append(deliveries, delivery{body})
		}
		mkt = append(mkt, fmt.Sprintf("mkt-%d", n))
	}
	var batches []string
	for b := range dealerBatches {
		var purchases []string
		for i := range dealerPerBatch {
			ext := fmt.Sprintf("WBZ-COST-%d%03d", b, i)
			offer := []string{"WBZ-PRINT-12M", "WBZ-DIGITAL-12M"}[i%2]
			purchases = append(purchases, scenario.DealerPurchase(ext, fmt.Sprintf("vertrieb%d@presse-%d.example", i%10, b), "Nord", fmt.Sprintf("47%02d", i%10), offer, 5+i%20))
			ids = append(ids, "dealer-"+ext)
		}
		batches = append(batches, scenario.DealerBatch(purchases...))
	}
	batches = append(batches, batches[0])
	purchasesDelivered := len(deliveries) + len(batches)*dealerPerBatch
	repeats := len(deliveries) - marketplaceOrders + dealerPerBatch
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, d := range deliveries {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if s := receive(t, p, d.body); s >= 300 {
				t.Errorf("marketplace delivery answered %d", s)
			}
		})
	}
	wg.Wait()
	for _, b := range batches {
		if s := dealer(t, p, b); s >= 300 {
			t.Fatalf("dealer batch answered %d: the store did not answer within the receiver's budget; the machine is too busy to measure", s)
		}
	}
	ids = append(ids, mkt...)
	ids = append(ids, plentyIDs...)
	wait(t, "every order settled", func(ctx context.Context) error {
		_, err := pipeline.WaitSettled(ctx, watch, ids)
		return err
	})
	wait(t, "every award pushed", func(ctx context.Context) error { return pipeline.WaitLoyalty(ctx, watch, ids) })
	var returned []string
	for i := 0; i < len(mkt); i += returnEvery {
		id := mkt[i]
		if err := operator.Return(localaws.WithLabel(ctx, "operator"), io.Discard, p.Orders, id, order.Return{ID: "R-" + id}, nil); err != nil {
			t.Fatalf("return %s: %v", id, err)
		}
		returned = append(returned, id)
	}
	wait(t, "every reversal pushed", func(ctx context.Context) error { return pipeline.WaitLoyalty(ctx, watch, ids) })
	waitPlenty(t, p, plentyNumbers, "7", 2*time.Minute)
	settledAt := time.Now()
	settledIn := settledAt.Sub(began)

	// What is true of every order; a purchase's writes are known.
	for _, id := range ids {
		o, err := watch.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		wantState := order.Fulfilled
		if slices.Contains(returned, id) {
			wantState = order.Returned
			if tr := o.Track(loyalty.Track); tr == nil || tr.State != loyalty.Reversed {
				t.Errorf("%s: returned, loyalty %v", id, tr)
			}
		}
		if o.State != wantState || p.Sim.OrdersFor(id) != 1 {
			t.Fatalf("%s: %s with %d plenigo orders, want %s with 1", id, o.State, p.Sim.OrdersFor(id), wantState)
		}
	}

	// The flow ends here. The poller keeps running on its schedule; first as the flow left it, its
	// checkpoint carrying the imports of the log's overlap window (a minute here).
	time.Sleep(3 * time.Second)
	flow := snap().minus(setup)
	time.Sleep(10 * time.Second)
	afterBurst := snap().minus(flow).minus(setup)

	// The sweeps, the digest and the reconciliation, invoked on their own under their own names.
	invoke := func(name string, handler any, payload string, times int) measured {
		before := snap()
		call := eventsource.InProcess(name, handler, time.Minute)
		for range times {
			began := time.Now()
			if _, err := call(ctx, []byte(payload)); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			inv.add(name, time.Since(began))
		}
		return snap().minus(before).scale(1 / float64(times))
	}
	var r runs
	r.sweep = invoke("enqueuer", p.Enqueuer.Handle, `{"action":"sweep"}`, 3)
	r.loyaltySweep = invoke("pusher", p.Pusher.Handle, `{"action":"sweep"}`, 3)
	r.digest = invoke("digest", p.Enqueuer.Handle, `{"action":"digest"}`, 1)
	in, _ := json.Marshal(poller.Input{Reconcile: &poller.ReconcileInput{Window: "1h", Lag: "1ms"}})
	reconcile := invoke("reconcile", p.Poller.Handle, string(in), 1)

	// One more order once the overlap has passed, so the log's newest change moves on and the
	// checkpoint forgets the flow's imports; then the poller idle, as it runs between orders.
	time.Sleep(time.Until(settledAt.Add(65 * time.Second)))
	if s := receive(t, p, scenario.MarketplacePurchase(299999, "tail@example.com", "1338", "1", time.Now())); s >= 300 {
		t.Fatalf("the last order answered %d", s)
	}
	wait(t, "the last order settled", func(ctx context.Context) error {
		_, err := pipeline.WaitSettled(ctx, watch, []string{"mkt-299999"})
		return err
	})
	time.Sleep(3 * time.Second)
	before := snap()
	time.Sleep(15 * time.Second)
	idle := snap().minus(before)
	polls := idle.get("poller").invocations
	if polls == 0 {
		t.Fatal("the poller did not run while idle")
	}
	r.poll = idle.only("poller").scale(1 / polls)
	r.checkpoint = flow.checkpoint
	r.afterBurst = afterBurst.checkpoint.scale(1 / afterBurst.get("poller").invocations)

	// Per order: the flow, less what the polls in it would have cost idle, and the reconciliation,
	// which reads each day's orders once.
	orders := float64(len(ids))
	// The checkpoint's rewrites are taken out of the poller's share: how often and how large they
	// are depends on the schedule, not the orders (the fixed costs count them at the deployed one).
	perOrder := flow.without("poller", idle).plus(reconcile.without("poller", idle).only("reconcile"))
	pu := perOrder.get("poller")
	pu.requests["DynamoDB.PutItem"] -= flow.checkpoint.saves
	pu.units[unitKey{true, "PutItem", "table"}] -= flow.checkpoint.units
	pu.floor()
	perOrder = perOrder.scale(1 / orders)
	t.Logf("%.0f orders (%d marketplace, %d dealer, %d plentymarkets; %d purchases delivered, %d of them repeats; %d returned) settled in %.1f s; %.0f polls in the flow, %.0f idle polls measured",
		orders, len(mkt), dealerBatches*dealerPerBatch, plentyOrders, purchasesDelivered, repeats, len(returned), settledIn.Seconds(), flow.get("poller").invocations, polls)

	// Invariants: one conditional PutItem per delivered purchase and one read per repeat, by the
	// receiver; the received index written once per order (keys only, keyed at create).
	recv := flow.get("receiver")
	if n, tx := recv.requests["DynamoDB.PutItem"], recv.requests["DynamoDB.TransactWriteItems"]; n != float64(purchasesDelivered) || tx != 0 {
		t.Errorf("receiver: %.0f PutItem and %.0f TransactWriteItems for %d purchases delivered", n, tx, purchasesDelivered)
	}
	if n := recv.requests["DynamoDB.Query"]; n != float64(repeats) {
		t.Errorf("receiver: %.0f reads for %d repeated purchases", n, repeats)
	}
	received := 0.0
	for _, u := range flow.fns {
		received += u.writes()["received"]
	}
	if received != orders {
		t.Errorf("received index: %v write units for %v orders, want one each", received, orders)
	}

	report := costReport(tmpl, perOrder, r, logs, orders)
	report = append(report, storageReport(t, endpoint, table, orders+1)...) // with the last order
	t.Log("\n" + strings.Join(report, "\n"))
}

// wait runs one of pipeline's waits with a deadline.
func wait(t *testing.T, what string, fn func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := fn(ctx); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// use is what one function did in a stretch of the run.
type use struct {
	requests      map[string]float64  // AWS requests by "Service.Operation"
	units         map[unitKey]float64 // DynamoDB units as DynamoDB bills them
	computed      float64             // of the write units: refused writes, computed from item sizes
	localTx       float64             // DynamoDB Local's report of the transactions, for comparison
	emptyReceives float64             // SQS ReceiveMessage answered without a message
	invocations   float64
	billedMS      float64 // the invocations' times, each rounded up to the millisecond
	logBytes      float64 // bytes of its log lines, as CloudWatch Logs ingests them
	logLines      float64
}

func newUse() *use {
	return &use{requests: map[string]float64{}, units: map[unitKey]float64{}}
}

// unitKey is what DynamoDB units were spent on: writes or reads, by operation, on the table or an
// index.
type unitKey struct {
	write     bool
	op, where string // where: "table" or the index
}

// writes and reads are the units by "table" or index; opWrites the write units by operation.
func (u *use) writes() map[string]float64 {
	return u.by(true, func(k unitKey) string { return k.where })
}
func (u *use) reads() map[string]float64 {
	return u.by(false, func(k unitKey) string { return k.where })
}
func (u *use) opWrites() map[string]float64 {
	return u.by(true, func(k unitKey) string { return k.op })
}

func (u *use) by(write bool, key func(unitKey) string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range u.units {
		if k.write == write && k.op != "keys" {
			out[key(k)] += v
		}
	}
	return out
}

// add adds f times b to u.
func (u *use) add(b *use, f float64) {
	for k, v := range b.requests {
		u.requests[k] += f * v
	}
	for k, v := range b.units {
		u.units[k] += f * v
	}
	u.computed += f * b.computed
	u.localTx += f * b.localTx
	u.emptyReceives += f * b.emptyReceives
	u.invocations += f * b.invocations
	u.billedMS += f * b.billedMS
	u.logBytes += f * b.logBytes
	u.logLines += f * b.logLines
}

func (u *use) floor() {
	for k, v := range u.requests {
		u.requests[k] = max(0, v)
	}
	for k, v := range u.units {
		u.units[k] = max(0, v)
	}
	u.computed, u.emptyReceives, u.invocations, u.localTx = max(0, u.computed), max(0, u.emptyReceives), max(0, u.invocations), max(0, u.localTx)
	u.billedMS, u.logBytes, u.logLines = max(0, u.billedMS), max(0, u.logBytes), max(0, u.logLines)
}

func sum(m map[string]float64) float64 {
	s := 0.0
	for _, v := range m {
		s += v
	}
	return s
}

// sqs is the SQS requests u made.
func (u *use) sqs() float64 {
	s := 0.0
	for k, v := range u.requests {
		if strings.HasPrefix(k, "SQS.") {
			s += v
		}
	}
	return s
}

// measured is what every function did in a stretch of the run ("" for Lambda's event sources,
// "operator" for a person's commands), and the partner calls made.
type measured struct {
	fns        map[string]*use
	partner    map[string]float64
	checkpoint checkpointSaves
	tx         txWrites
}

func newMeasured() measured { return measured{fns: map[string]*use{}, partner: map[string]float64{}} }

func (m measured) get(fn string) *use {
	if m.fns[fn] == nil {
		m.fns[fn] = newUse()
	}
	return m.fns[fn]
}

// combine returns m plus f times o.
func (m measured) combine(o measured, f float64) measured {
	out := newMeasured()
	for fn, u := range m.fns {
		out.get(fn).add(u, 1)
	}
	for fn, u := range o.fns {
		out.get(fn).add(u, f)
	}
	for k, v := range m.partner {
		out.partner[k] += v
	}
	for k, v := range o.partner {
		out.partner[k] += f * v
	}
	out.checkpoint = m.checkpoint.plus(o.checkpoint.scale(f))
	out.tx = m.tx.plus(o.tx, f)
	return out
}

func (m measured) minus(o measured) measured { return m.combine(o, -1) }
func (m measured) plus(o measured) measured  { return m.combine(o, 1) }
func (m measured) scale(f float64) measured  { return newMeasured().combine(m, f) }

// only is fn's share, with the partner calls made meanwhile.
func (m measured) only(fn string) measured {
	out := newMeasured()
	out.get(fn).add(m.get(fn), 1)
	for k, v := range m.partner {
		out.partner[k] = v
	}
	out.checkpoint, out.tx = m.checkpoint, m.tx
	return out
}

// without takes out of m what fn's runs in it would have made idle, by the idle runs measured
// (idle, over its own runs of fn), partner calls included: what is left is the work of the
// orders. fn's invocations are the schedule's whatever they found, so none is left.
func (m measured) without(fn string, idle measured) measured {
	runs := idle.get(fn).invocations
	f := m.get(fn).invocations / runs
	out := m.combine(idle.only(fn), -f)
	out.get(fn).invocations = 0
	out.get(fn).floor()
	for k, v := range out.partner {
		out.partner[k] = max(0, v)
	}
	return out
}

func measure(c *localaws.Capacity, inv *invocations, logs *logMeter, cps *itemWrites, p *pipeline.Pipeline) measured {
	m := newMeasured()
	cps.mu.Lock()
	m.checkpoint, m.tx = cps.checkpoint, cps.tx
	for fn, u := range cps.byFn {
		x := m.get(fn)
		x.units[unitKey{true, "TransactWriteItems", "table"}] += u.table
		x.units[unitKey{true, "TransactWriteItems", "work"}] += u.work
		x.units[unitKey{true, "TransactWriteItems", "received"}] += u.received
		x.units[unitKey{true, "keys", "work"}] += u.workKeys
	}
	cps.mu.Unlock()
	m.partner["plenigo"] = float64(p.Sim.TotalCalls())
	m.partner["BonifiQ"] = float64(p.Bonifiq.Counter().TotalCalls())
	m.partner["plentymarkets"] = float64(p.Plenty.Counter().TotalCalls())
	for label, u := range c.Snapshot() {
		x := m.get(fnName(label))
		for k, n := range u.Requests {
			x.requests[k] += float64(n)
		}
		x.emptyReceives += float64(u.EmptyReceives)
		for k, v := range u.Units {
			where := k.Index
			if where == "" {
				where = "table"
			}
			if !k.Write {
				x.units[unitKey{false, k.Op, where}] += v
				continue
			}
			if k.Op == "TransactWriteItems" && !k.Computed {
				x.localTx += v // replaced by the units computed from the items (itemWrites)
				continue
			}
			x.units[unitKey{true, k.Op, where}] += v
			if k.Computed {
				x.computed += v
			}
		}
	}
	inv.mu.Lock()
	for fn, n := range inv.n {
		m.get(fn).invocations = float64(n)
		m.get(fn).billedMS = inv.billedMS[fn]
	}
	inv.mu.Unlock()
	logs.mu.Lock()
	for fn, b := range logs.bytes {
		m.get(fn).logBytes = float64(b)
		m.get(fn).logLines = float64(logs.lines[fn])
	}
	logs.mu.Unlock()
	return m
}

// fnName is the function an invocation name or a request's label stands for: the stream
// consumers are invoked under their template names (EnqueuerFunction), the rest under short ones.
func fnName(label string) string {
	return strings.ToLower(strings.TrimSuffix(label, "Function"))
}

// invocations counts each function's invocations and their times.
type invocations struct {
	mu       sync.Mutex
	n        map[string]int
	billedMS map[string]float64
}

func (v *invocations) add(name string, took time.Duration) {
	fn := fnName(name)
	v.mu.Lock()
	v.n[fn]++
	v.billedMS[fn] += math.Ceil(float64(took) / float64(time.Millisecond))
	v.mu.Unlock()
}

// logMeter counts the bytes of every function's log lines, written as a function writes them in
// Lambda (lambdacontext's JSON handler: "timestamp", "message", the invocation's "requestId"), and
// collects the metrics the embedded-metric-format lines define.
type logMeter struct {
	mu      sync.Mutex
	bytes   map[string]int
	lines   map[string]int
	msgs    map[string]int             // bytes by function and message
	msgN    map[string]int             // lines by function and message
	metrics map[string]map[string]bool // namespace, metric and dimension values: the functions that wrote it
}

func (m *logMeter) write(fn string, line []byte) {
	line = bytes.TrimSuffix(line, []byte("\n")) // Lambda sends each line as one event, without it
	var rec map[string]any
	_ = json.Unmarshal(line, &rec)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bytes[fn] += len(line)
	m.lines[fn]++
	msg, _ := rec["message"].(string)
	m.msgs[fn+"\t"+msg] += len(line)
	m.msgN[fn+"\t"+msg]++
	directive, _ := rec["_aws"].(map[string]any)
	list, _ := directive["CloudWatchMetrics"].([]any)
	for _, d := range list {
		d, _ := d.(map[string]any)
		sets, _ := d["Dimensions"].([]any)
		ms, _ := d["Metrics"].([]any)
		for _, set := range sets {
			names, _ := set.([]any)
			var dims []string
			for _, n := range names {
				dims = append(dims, fmt.Sprintf("%v=%v", n, rec[fmt.Sprint(n)]))
			}
			for _, mt := range ms {
				name, _ := mt.(map[string]any)["Name"].(string)
				key := fmt.Sprintf("%v %s {%s}", d["Namespace"], name, strings.Join(dims, ","))
				if m.metrics[key] == nil {
					m.metrics[key] = map[string]bool{}
				}
				m.metrics[key][fn] = true
			}
		}
	}
}

// meterHandler is the slog handler of the run's logger. The function a line belongs to is the
// Lambda invocation in its context, or else the "function" the logger was made with; neither is
// written, since the functions' own loggers in Lambda do not write it. Lines of the event sources
// (Lambda's own work) are kept apart under "".
type meterHandler struct {
	m     *logMeter
	fn    string
	attrs []slog.Attr
	group string
}

func (h *meterHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo } // LogLevel INFO

func (h *meterHandler) Handle(ctx context.Context, r slog.Record) error {
	fn := h.fn
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		fn = fnName(localaws.LabelOf(ctx))
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	var buf bytes.Buffer
	var jh slog.Handler = slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr})
	jh = jh.WithAttrs(h.attrs)
	if h.group != "" {
		jh = jh.WithGroup(h.group)
	}
	if err := jh.Handle(ctx, r); err != nil {
		return err
	}
	h.m.write(fn, buf.Bytes())
	return nil
}

func (h *meterHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := *h
	out.attrs = slices.Clone(h.attrs)
	for _, a := range attrs {
		switch a.Key {
		case "function":
			out.fn = fnName(a.Value.String())
		case "source":
			out.fn = ""
		default:
			out.attrs = append(out.attrs, a)
		}
	}
	return &out
}

func (h *meterHandler) WithGroup(name string) slog.Handler {
	out := *h
	out.group = name
	return &out
}

// runs are the scheduled invocations measured on their own, each per run.
type runs struct {
	poll, sweep, loyaltySweep, digest measured
	checkpoint                        checkpointSaves // in the flow
	afterBurst                        checkpointSaves // per poll, after the flow
}

// costReport prints what was measured per order and per scheduled run, the prices, and the
// dollars per million orders by component.
func costReport(tmpl *samtemplate.Template, perOrder measured, r runs, logs *logMeter, orders float64) []string {
	gbOf := func(fn string) float64 {
		return float64(samtemplate.Int(tmpl.FunctionProperty(functions[fn], "MemorySize"), 128)) / 1024
	}
	f2 := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	f3 := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	ops := func(u *use, prefix string) string {
		var parts []string
		for k, v := range u.requests {
			if strings.HasPrefix(k, prefix) && v >= 0.0005 {
				parts = append(parts, fmt.Sprintf("%s %s", strings.TrimPrefix(k, prefix), f3(v)))
			}
		}
		sort.Strings(parts)
		return strings.Join(parts, ", ")
	}
	byOp := func(m map[string]float64) string {
		var parts []string
		for k, v := range m {
			if v >= 0.005 {
				parts = append(parts, k+" "+f2(v))
			}
		}
		sort.Strings(parts)
		return strings.Join(parts, ", ")
	}
	units := func(m map[string]float64) string {
		return fmt.Sprintf("%s (table %s, work %s, received %s)", f2(sum(m)), f2(m["table"]), f2(m["work"]), f2(m["received"]))
	}
	out := []string{"", "Per order (the flow less the idle polls in it, plus the daily reconciliation):", "",
		"| function | invocations | billed ms per invocation | GB-s | DynamoDB requests | write units | write units by operation | read units | SQS requests | log bytes (lines) |",
		"|---|---|---|---|---|---|---|---|---|---|"}
	order := []string{"receiver", "enqueuer", "worker", "poller", "reconcile", "pusher", "operator", ""}
	for _, fn := range order {
		u, ok := perOrder.fns[fn]
		if !ok {
			continue
		}
		perInv := "–"
		if u.invocations > 0 {
			perInv = strconv.FormatFloat(u.billedMS/u.invocations, 'f', 1, 64)
		}
		name := fn
		switch fn {
		case "":
			name = "Lambda's event sources"
		case "reconcile":
			name = "poller, daily reconciliation"
		case "poller":
			name = "poller, beyond idle polls"
		case "operator":
			name = "operator (orderhub return)"
		}
		out = append(out, fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f (%s) |", name, f3(u.invocations), perInv,
			strconv.FormatFloat(u.billedMS/1000*gbOf(fn), 'f', 4, 64), ops(u, "DynamoDB."), units(u.writes()), byOp(u.opWrites()), units(u.reads()), ops(u, "SQS."), u.logBytes, f2(u.logLines)))
	}
	out = append(out, "", "Per scheduled run (measured on its own):", "",
		"| run | runs a month | billed ms | DynamoDB requests | write units | write units by operation | read units | log bytes |", "|---|---|---|---|---|---|---|---|")
	sched := []struct {
		name   string
		fn     string
		m      measured
		perMon float64
	}{{"poll (idle)", "poller", r.poll, pollsPerMonth}, {"enqueuer sweep", "enqueuer", r.sweep, sweepsPerMonth},
		{"pusher sweep", "pusher", r.loyaltySweep, sweepsPerMonth}, {"failure digest", "digest", r.digest, dailyPerMonth}}
	for _, s := range sched {
		u := s.m.get(s.fn)
		out = append(out, fmt.Sprintf("| %s | %.0f | %.1f | %s | %s | %s | %s | %.0f |", s.name, s.perMon, u.billedMS, ops(u, "DynamoDB."), units(u.writes()), byOp(u.opWrites()), units(u.reads()), u.logBytes))
	}

	// Inputs per order, all functions.
	var invocations, gbs, writes, reads, computed, sqsReq, nonEmpty, logBytes float64
	for fn, u := range perOrder.fns {
		writes += sum(u.writes())
		reads += sum(u.reads())
		computed += u.computed
		sqsReq += u.sqs()
		if fn == "" {
			sqsReq -= u.emptyReceives // replaced by the estimate of Lambda's idle long polls
			nonEmpty = u.requests["SQS.ReceiveMessage"] - u.emptyReceives
			continue
		}
		if fn == "operator" {
			continue
		}
		if fn != "reconcile" {
			invocations += u.invocations
		}
		gbs += u.billedMS / 1000 * gbOf(fn)
		logBytes += u.logBytes
	}
	apiRequests := perOrder.get("receiver").invocations
	access := accessLogBytes(tmpl)
	// Fixed a month, at the template's schedules.
	var fInv, fGBs, fWrites, fReads, fLog float64
	for _, s := range sched {
		u := s.m.get(s.fn)
		fInv += s.perMon
		fGBs += s.perMon * u.billedMS / 1000 * gbOf(s.fn)
		fWrites += s.perMon * sum(u.writes())
		fReads += s.perMon * sum(u.reads())
		fLog += s.perMon * u.logBytes
	}
	fInv += dailyPerMonth // the reconciliation's invocations; its work is counted per order
	// At the deployed schedule and a steady flow every poll finds news and saves the checkpoint
	// once, carrying the imports of the overlap window (IMPORT_LOG_OVERLAP, 2 minutes).
	windowImports := float64(ordersPerMonth) / minutesPerMonth * 2
	checkpointUnits := r.checkpoint.steadyUnits(windowImports)
	fWrites += pollsPerMonth * checkpointUnits
	schedulerRuns := pollsPerMonth + 2*sweepsPerMonth + 2*dailyPerMonth
	// A custom metric is billed by the hour it receives data. At the volume assumed, the metrics of
	// orders, partner calls, the backlog (every sweep) and the metric filters (every batch of log
	// lines) receive data every hour; the reconciliation's once a day.
	metricFilters := templateMetricFilters(tmpl)
	logs.mu.Lock()
	emf, daily := len(logs.metrics), 0
	for _, by := range logs.metrics {
		if len(by) == 1 && by["reconcile"] {
			daily++
		}
	}
	logs.mu.Unlock()
	customMetrics := float64(emf-daily+len(metricFilters)) + float64(daily)*dailyPerMonth/730

	type component struct {
		name, input         string
		perOrder, perMonth  float64 // dollars
		perOrderIn, fixedIn string
	}
	comps := []component{
		{"API Gateway (HTTP API)", "requests", apiRequests * prices.HTTPAPIPerMillion / 1e6, 0,
			f3(apiRequests) + " requests", "–"},
		{"Lambda requests", "invocations", invocations * prices.LambdaRequestPerMillion / 1e6, fInv * prices.LambdaRequestPerMillion / 1e6,
			f3(invocations) + " invocations", fmt.Sprintf("%.0f invocations", fInv)},
		{"Lambda duration (arm64, 256 MB)", "GB-s", gbs * prices.LambdaArmGBSecond, fGBs * prices.LambdaArmGBSecond,
			strconv.FormatFloat(gbs, 'f', 4, 64) + " GB-s", fmt.Sprintf("%.0f GB-s", fGBs)},
		{"DynamoDB writes", "WRU", writes * prices.DynamoWriteUnitPerMillion / 1e6, fWrites * prices.DynamoWriteUnitPerMillion / 1e6,
			fmt.Sprintf("%s WRU (%s computed)", f2(writes), f2(computed)), fmt.Sprintf("%.0f WRU", fWrites)},
		{"DynamoDB reads", "RRU", reads * prices.DynamoReadUnitPerMillion / 1e6, fReads * prices.DynamoReadUnitPerMillion / 1e6,
			f2(reads) + " RRU", fmt.Sprintf("%.0f RRU", fReads)},
		{"SQS", "requests", sqsReq * prices.SQSPerMillion / 1e6, idleReceivesPerMonth * prices.SQSPerMillion / 1e6,
			fmt.Sprintf("%s requests (%s receives with messages)", f3(sqsReq), f3(nonEmpty)), fmt.Sprintf("%.0f idle receives (estimate)", float64(idleReceivesPerMonth))},
		{"EventBridge Scheduler", "invocations", 0, schedulerRuns * prices.SchedulerPerMillion / 1e6,
			"–", fmt.Sprintf("%.0f invocations", schedulerRuns)},
		{"SNS (failure digest)", "publishes", 0, dailyPerMonth * prices.SNSPublishPerMillion / 1e6, "–", fmt.Sprintf("%.0f publishes", dailyPerMonth)},
		{"CloudWatch Logs ingestion", "bytes", (logBytes + apiRequests*access) / gib * prices.LogsIngestGB, fLog / gib * prices.LogsIngestGB,
			fmt.Sprintf("%.0f B functions + %.0f B access log", logBytes, apiRequests*access), fmt.Sprintf("%.2f GB", fLog/gib)},
		{"CloudWatch custom metrics", "metrics", 0, customMetrics * prices.MetricMonth,
			"–", fmt.Sprintf("%d from EMF (%d of them daily, billed for an hour a day) + %d metric filters: %.1f metric-months", emf, daily, len(metricFilters), customMetrics)},
	}
	out = append(out, "", fmt.Sprintf("Cost per million orders, at %d orders a month (fixed monthly costs spread over them), list prices eu-central-1:", ordersPerMonth), "",
		"| component | per order | fixed a month | $ per million orders: per order | fixed | total |", "|---|---|---|---|---|---|")
	var tPer, tFix float64
	for _, c := range comps {
		fix := c.perMonth * 1e6 / ordersPerMonth
		tPer += c.perOrder * 1e6
		tFix += fix
		out = append(out, fmt.Sprintf("| %s | %s | %s | %s | %s | **%s** |", c.name, c.perOrderIn, c.fixedIn, f3(c.perOrder*1e6), f3(fix), f2(c.perOrder*1e6+fix)))
	}
	out = append(out, fmt.Sprintf("| **total** | | | %s | %s | **%s** |", f2(tPer), f2(tFix), f2(tPer+tFix)))

	var partners []string
	calls := 0.0
	for k, v := range perOrder.partner {
		partners = append(partners, fmt.Sprintf("%s %s", k, f3(v)))
		calls += v
	}
	sort.Strings(partners)
	out = append(out, "", fmt.Sprintf("Partner calls per order (simulators' counters, idle polls' calls taken out): %s. Each 100 ms a partner takes to answer adds %s $ per million orders of Lambda duration (256 MB).",
		strings.Join(partners, ", "), f2(calls*0.1*0.25*prices.LambdaArmGBSecond*1e6)))
	out = append(out, fmt.Sprintf("HTTP API access log line: %.0f bytes (computed from the template's format with sample values).", access))
	tx := perOrder.tx
	var keysWork, localTx, txTable, txIndex float64
	for _, u := range perOrder.fns {
		keysWork += u.units[unitKey{true, "keys", "work"}]
		txTable += u.units[unitKey{true, "TransactWriteItems", "table"}]
		txIndex += u.units[unitKey{true, "TransactWriteItems", "work"}] + u.units[unitKey{true, "TransactWriteItems", "received"}]
		localTx += u.localTx
	}
	work := 0.0
	for _, u := range perOrder.fns {
		work += u.writes()["work"]
	}
	out = append(out, fmt.Sprintf("Order item puts per order: %s (%s write units on the table by the published rule: 1 per KB of the larger of the old and the new item). "+
		"Transactions per order, computed from the items: table %s units (the order item %s writes, %s units; track items %s, %s units; history chunks %s, %s units; %s deletes, %s units), indexes %s units; DynamoDB Local reported %s for them. "+
		"If the indexes were written at the transactional rate too: %s units more.",
		f2(tx.puts), f2(tx.putUnits), f2(txTable), f2(tx.orders), f2(tx.orderUnits), f2(tx.tracks), f2(tx.trackUnits), f2(tx.chunks), f2(tx.chunkUnits), f2(tx.deletes), f2(tx.deleteUnits), f2(txIndex), f2(localTx),
		f2(txIndex)))
	out = append(out, fmt.Sprintf("The work index's writes: %s units per order. KEYS_ONLY instead of ALL, they would be %s (%s less, %s $ per million orders), and every reader of the index would fetch the items it lists.",
		f2(work), f2(keysWork), f2(work-keysWork), f2((work-keysWork)*prices.DynamoWriteUnitPerMillion)))
	cp := r.checkpoint
	if cp.saves > 0 {
		out = append(out, fmt.Sprintf("Import log checkpoint: in the flow %.0f saves, %.0f bytes on average, %.0f bytes per import remembered, %s write units per order (not counted per order); after the flow, %s saves per poll of %.0f bytes until the next import; at %d orders a month, %.0f imports in the 2-minute overlap: %.0f write units per poll, counted in the fixed writes.",
			cp.saves, cp.bytes/cp.saves, cp.entryBytes/max(1, cp.entries), f2(cp.units/orders), f2(r.afterBurst.saves), r.afterBurst.bytes/max(1, r.afterBurst.saves), ordersPerMonth, windowImports, checkpointUnits))
	}

	// What the log bytes are made of, and the metrics.
	logs.mu.Lock()
	type msgBytes struct {
		key string
		b   int
	}
	var msgs []msgBytes
	total := 0
	for k, b := range logs.msgs {
		if !strings.HasPrefix(k, "\t") {
			msgs = append(msgs, msgBytes{k, b})
			total += b
		}
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].b > msgs[j].b })
	var top []string
	for _, m := range msgs[:min(8, len(msgs))] {
		top = append(top, fmt.Sprintf("%s %.0f %% (%d bytes a line)", strings.ReplaceAll(m.key, "\t", " «")+"»", 100*float64(m.b)/float64(total), m.b/max(1, logs.msgN[m.key])))
	}
	byMetric := map[string]int{} // by name and dimension names
	for k := range logs.metrics {
		name := strings.Fields(k)[1]
		dims := k[strings.IndexByte(k, '{')+1 : len(k)-1]
		var names []string
		for _, d := range strings.Split(dims, ",") {
			names = append(names, strings.SplitN(d, "=", 2)[0])
		}
		byMetric[name+" {"+strings.Join(names, ",")+"}"]++
	}
	logs.mu.Unlock()
	var mparts []string
	for k, n := range byMetric {
		mparts = append(mparts, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(mparts)
	out = append(out, "Log bytes by function and message, whole run: "+strings.Join(top, ", ")+".",
		fmt.Sprintf("Custom metrics seen in the run's EMF lines (name and dimension values): %d: %s; metric filters: %s.", emf, strings.Join(mparts, ", "), strings.Join(metricFilters, ", ")))
	return out
}

// accessLogBytes is the length of one HTTP API access log line in the template's format, with
// sample values: a 16-character request id, an IPv4 address, a 40-character user agent, the
// marketplace route, 202, a latency of 25 ms, no integration error.
func accessLogBytes(tmpl *samtemplate.Template) float64 {
	settings := samtemplate.Map(tmpl.Resources["HttpApi"].Properties["AccessLogSettings"])
	format, _ := settings["Format"].(string)
	r := strings.NewReplacer("$context.requestId", "JrBz8gGGFiAEJeA=", "$context.identity.sourceIp", "203.0.113.17",
		"$context.identity.userAgent", strings.Repeat("u", 40), "$context.routeKey", "POST /webhooks/marketplace/{token}",
		"$context.status", "202", "$context.responseLatency", "25", "$context.integrationErrorMessage", "-")
	return float64(len(r.Replace(format)))
}

// templateMetricFilters are the metrics the template's metric filters publish; with a DefaultValue
// they publish whenever their log group receives lines, so each is a metric every hour.
func templateMetricFilters(tmpl *samtemplate.Template) []string {
	seen := map[string]bool{}
	for _, id := range tmpl.ResourcesOfType("AWS::Logs::MetricFilter") {
		list, _ := tmpl.Resources[id].Properties["MetricTransformations"].([]any)
		for _, mt := range list {
			if name, ok := samtemplate.Map(mt)["MetricName"].(string); ok {
				seen[name] = true
			}
		}
	}
	var names []string
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// storageReport reads the whole table after the run (with a client of its own) and sizes what
// each order keeps by DynamoDB's rules: every item's size and 100 bytes, in the table and in each
// index it is in.
func storageReport(t *testing.T, endpoint, table string, orders float64) []string {
	t.Helper()
	pages := &scanPages{}
	db := localaws.DynamoDB(endpoint, &http.Client{Transport: pages})
	pg := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table})
	for pg.HasMorePages() {
		if _, err := pg.NextPage(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var tableBytes, workBytes, receivedBytes, docs, docBytes, orderItemBytes, itemUnits float64
	kinds := map[string][2]float64{} // items and bytes by kind
	for _, body := range pages.bodies {
		var out struct{ Items []map[string]json.RawMessage }
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			size := float64(localaws.ItemSize(it))
			tableBytes += size + 100
			if _, ok := it["workState"]; ok {
				workBytes += size + 100
			}
			if _, ok := it["receivedDay"]; ok {
				keys := map[string]json.RawMessage{"pk": it["pk"], "sk": it["sk"], "receivedDay": it["receivedDay"], "receivedAt": it["receivedAt"]}
				receivedBytes += float64(localaws.ItemSize(keys)) + 100
			}
			var sk struct{ S string }
			_ = json.Unmarshal(it["sk"], &sk)
			kind := "other records (customers, checkpoints, leases)"
			switch {
			case sk.S == dynamostore.SKOrder:
				kind = "order items"
				var doc struct {
					B []byte // packed: JSON carries it in base64
				}
				_ = json.Unmarshal(it["doc"], &doc)
				docs++
				orderItemBytes += size
				docBytes += float64(len(doc.B))
				itemUnits += localaws.WriteUnits(int(size))
			case strings.HasPrefix(sk.S, dynamostore.ChunkPrefix):
				kind = "history chunks"
			case strings.HasPrefix(sk.S, dynamostore.HistoryPrefix):
				kind = "history entries"
			case strings.HasPrefix(sk.S, dynamostore.TrackPrefix):
				kind = "track index items"
			}
			k := kinds[kind]
			kinds[kind] = [2]float64{k[0] + 1, k[1] + size}
		}
	}
	perOrder := (tableBytes + workBytes + receivedBytes) / orders
	var parts []string
	for k, v := range kinds {
		parts = append(parts, fmt.Sprintf("%s: %.2f per order, %.0f bytes each", k, v[0]/orders, v[1]/v[0]))
	}
	sort.Strings(parts)
	perMillionMonth := perOrder * 1e6 / gib * (prices.DynamoStorageGBMonth + prices.DynamoPITRGBMonth)
	parts = append(parts, fmt.Sprintf("the order item's document and history, packed: %.0f bytes (the item %.0f bytes, %s write units a write on average)",
		docBytes/docs, orderItemBytes/docs, strconv.FormatFloat(itemUnits/docs, 'f', 2, 64)))
	return []string{"", fmt.Sprintf("Storage kept per order: %.0f bytes (table %.0f, work index %.0f, received index %.0f); %s.",
		perOrder, tableBytes/orders, workBytes/orders, receivedBytes/orders, strings.Join(parts, "; ")),
		fmt.Sprintf("Each million orders kept costs %.2f $ a month (storage %.3f and point-in-time recovery %.4f $ per GB-month); with the default RetentionDays 730, at %d orders a month, 24 million orders are kept: %.2f $ a month.",
			perMillionMonth, prices.DynamoStorageGBMonth, prices.DynamoPITRGBMonth, ordersPerMonth, 24*perMillionMonth)}
}

// scanPages keeps the raw answers of the requests it carries.
type scanPages struct{ bodies [][]byte }

func (s *scanPages) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err == nil && r.Header.Get("X-Amz-Target") == "DynamoDB_20120810.Scan" {
		s.bodies = append(s.bodies, b)
	}
	return resp, nil
}

// checkpointSaves are writes of the import log's checkpoint: a record the poller rewrites as it
// reads plenigo's import log, remembering the imports of the log's overlap window.
type checkpointSaves struct {
	saves, units        float64 // writes, and their write units by the item's size
	bytes               float64 // the items' sizes
	entries, entryBytes float64 // imports remembered in them, and the bytes they take
}

func (c checkpointSaves) plus(o checkpointSaves) checkpointSaves {
	return checkpointSaves{c.saves + o.saves, c.units + o.units, c.bytes + o.bytes, c.entries + o.entries, c.entryBytes + o.entryBytes}
}

func (c checkpointSaves) scale(f float64) checkpointSaves {
	return checkpointSaves{f * c.saves, f * c.units, f * c.bytes, f * c.entries, f * c.entryBytes}
}

// steadyUnits are the write units of a save of the checkpoint carrying n imports, by the sizes
// measured: the item without its imports, and the bytes each import takes.
func (c checkpointSaves) steadyUnits(n float64) float64 {
	if c.saves == 0 || c.entries == 0 {
		return 0
	}
	perEntry := c.entryBytes / c.entries
	base := c.bytes/c.saves - c.entries/c.saves*perEntry
	return localaws.WriteUnits(int(math.Ceil(base + n*perEntry)))
}

// txWrites are the table's share of the successful transactions' writes, by item, computed from
// the items' sizes at the transactional rate (2 units per KB begun), and the order items' puts
// (their units are DynamoDB Local's report).
type txWrites struct {
	orders, orderUnits   float64
	tracks, trackUnits   float64
	deletes, deleteUnits float64
	puts, putUnits       float64 // successful PutItems of order items, and their units on the table by the published rule
	chunks, chunkUnits   float64 // history chunks (long histories only)
}

func (w txWrites) plus(o txWrites, f float64) txWrites {
	return txWrites{w.orders + f*o.orders, w.orderUnits + f*o.orderUnits, w.tracks + f*o.tracks, w.trackUnits + f*o.trackUnits,
		w.deletes + f*o.deletes, w.deleteUnits + f*o.deleteUnits, w.puts + f*o.puts, w.putUnits + f*o.putUnits,
		w.chunks + f*o.chunks, w.chunkUnits + f*o.chunkUnits}
}

// txUnits are a function's transactions' write units computed by DynamoDB's published rules, on
// the table and on each index, and what its writes of orders' items would cost the work index
// were it KEYS_ONLY.
type txUnits struct{ table, work, received, workKeys float64 }

// shadow is what the table holds of an item, as far as the cost of writing it again goes.
type shadow struct {
	size          int
	work          string // workState and workSince: the work index's key; empty outside it
	received      string // receivedDay and receivedAt: the received index's key
	receivedBytes int    // the received index's item: the table's and the index's keys
	workKeyBytes  int    // the work index's item were it KEYS_ONLY
}

func shadowOf(item map[string]json.RawMessage) shadow {
	sh := shadow{size: localaws.ItemSize(item)}
	if ws, ok := item["workState"]; ok {
		sh.work = string(ws) + string(item["workSince"])
		sh.workKeyBytes = localaws.ItemSize(map[string]json.RawMessage{"pk": item["pk"], "sk": item["sk"], "workState": ws, "workSince": item["workSince"]})
	}
	if rd, ok := item["receivedDay"]; ok {
		sh.received = string(rd) + string(item["receivedAt"])
		sh.receivedBytes = localaws.ItemSize(map[string]json.RawMessage{"pk": item["pk"], "sk": item["sk"], "receivedDay": rd, "receivedAt": item["receivedAt"]})
	}
	return sh
}

// indexUnits is what an index is written when an item goes from old to new (nil: absent), by the
// published rules: a put when the item comes in, a delete when it goes, both when its key changes,
// and an update of the projected item otherwise (KEYS_ONLY: nothing, the keys being the same).
func indexUnits(old, new *shadow, key func(*shadow) string, size func(*shadow) int, keysOnly bool) float64 {
	in := func(s *shadow) bool { return s != nil && key(s) != "" }
	wu := func(s *shadow) float64 { return localaws.WriteUnits(size(s)) }
	switch {
	case in(old) && in(new) && key(old) != key(new):
		return wu(old) + wu(new)
	case in(old) && in(new):
		if keysOnly {
			return 0
		}
		return max(wu(old), wu(new))
	case in(old):
		return wu(old)
	case in(new):
		return wu(new)
	}
	return 0
}

// itemWrites watches the writes on their way to DynamoDB: the import log's checkpoint (its record
// key is "CHECKPOINT#" and the checkpoint's name), and the orders' items, put alone or in a
// transaction, from the empty table on. The units of each transaction that succeeds it computes by
// DynamoDB's published rules from what it saw of each item before: 2 units per KB of the larger of
// the old and the new item, and of a deleted item, on the table; on the indexes, which DynamoDB
// updates after the commit, 1 unit per KB as for any write. Puts are reported by DynamoDB Local;
// of them it computes the work index's units were it KEYS_ONLY, and the table's by the rule, to
// compare.
type itemWrites struct {
	mu         sync.Mutex
	checkpoint checkpointSaves
	tx         txWrites
	byFn       map[string]*txUnits
	items      map[string]shadow
}

func (c *itemWrites) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	target := r.Header.Get("X-Amz-Target")
	if (target == "DynamoDB_20120810.PutItem" || target == "DynamoDB_20120810.TransactWriteItems") && r.GetBody != nil {
		if rc, err := r.GetBody(); err == nil {
			body, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if body == nil {
		return resp, err
	}
	ok := err == nil && resp.StatusCode == http.StatusOK
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items, c.byFn = map[string]shadow{}, map[string]*txUnits{}
	}
	fn := fnName(localaws.LabelOf(r.Context()))
	u := c.byFn[fn]
	if u == nil {
		u = &txUnits{}
		c.byFn[fn] = u
	}
	workKey := func(s *shadow) string { return s.work }
	recvKey := func(s *shadow) string { return s.received }
	size := func(s *shadow) int { return s.size }
	recvSize := func(s *shadow) int { return s.receivedBytes }
	keysOnly := func(s *shadow) int { return s.workKeyBytes }
	// seen records an item's write, returning what it was before (nil: absent) and after.
	seen := func(key map[string]json.RawMessage, item map[string]json.RawMessage) (prev, next *shadow) {
		k := attrS(key["pk"]) + "\x00" + attrS(key["sk"])
		if old, ok := c.items[k]; ok {
			prev = &old
		}
		if item == nil {
			delete(c.items, k)
			return prev, nil
		}
		sh := shadowOf(item)
		c.items[k] = sh
		return prev, &sh
	}
	larger := func(prev, next *shadow) int {
		n := 0
		for _, s := range []*shadow{prev, next} {
			if s != nil {
				n = max(n, s.size)
			}
		}
		return n
	}
	switch target {
	case "DynamoDB_20120810.PutItem":
		var in struct{ Item map[string]json.RawMessage }
		_ = json.Unmarshal(body, &in)
		if attrS(in.Item["pk"]) == "CHECKPOINT#"+importing.CheckpointImportLog {
			var cp struct {
				Applied map[string]json.RawMessage `json:"applied"`
			}
			_ = json.Unmarshal([]byte(attrS(in.Item["doc"])), &cp)
			raw, _ := json.Marshal(cp.Applied)
			size := localaws.ItemSize(in.Item)
			c.checkpoint = c.checkpoint.plus(checkpointSaves{1, localaws.WriteUnits(size), float64(size), float64(len(cp.Applied)), float64(len(raw))})
		}
		if !ok || attrS(in.Item["sk"]) != dynamostore.SKOrder {
			break
		}
		prev, next := seen(in.Item, in.Item)
		c.tx.puts++
		c.tx.putUnits += localaws.WriteUnits(larger(prev, next))
		u.workKeys += indexUnits(prev, next, workKey, keysOnly, true)
	case "DynamoDB_20120810.TransactWriteItems":
		if !ok {
			break
		}
		var in struct {
			TransactItems []struct {
				Put    *struct{ Item map[string]json.RawMessage }
				Delete *struct{ Key map[string]json.RawMessage }
			}
		}
		_ = json.Unmarshal(body, &in)
		for _, it := range in.TransactItems {
			var prev, next *shadow
			var sk string
			switch {
			case it.Put != nil:
				prev, next = seen(it.Put.Item, it.Put.Item)
				sk = attrS(it.Put.Item["sk"])
			case it.Delete != nil:
				prev, next = seen(it.Delete.Key, nil)
				sk = attrS(it.Delete.Key["sk"])
			default:
				continue
			}
			table := 2 * localaws.WriteUnits(larger(prev, next))
			u.table += table
			u.work += indexUnits(prev, next, workKey, size, false)
			u.workKeys += indexUnits(prev, next, workKey, keysOnly, true)
			u.received += indexUnits(prev, next, recvKey, recvSize, true)
			switch {
			case next == nil:
				c.tx.deletes++
				c.tx.deleteUnits += table
			case sk == dynamostore.SKOrder:
				c.tx.orders++
				c.tx.orderUnits += table
			case strings.HasPrefix(sk, dynamostore.TrackPrefix):
				c.tx.tracks++
				c.tx.trackUnits += table
			case strings.HasPrefix(sk, dynamostore.ChunkPrefix):
				c.tx.chunks++
				c.tx.chunkUnits += table
			}
		}
	}
	return resp, err
}

func attrS(raw json.RawMessage) string {
	var v struct{ S string }
	_ = json.Unmarshal(raw, &v)
	return v.S
}
