// Package pipeline assembles orderhub on one machine, in one process: the template's tables and
// queues in the emulators, the plenigo simulator, every function's real handler, and the event
// sources that connect them, configured from template.yaml. End-to-end tests run on it.
package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderhub/orderhub/functions/enqueuer"
	"github.com/orderhub/orderhub/functions/poller"
	"github.com/orderhub/orderhub/functions/pusher"
	"github.com/orderhub/orderhub/functions/receiver"
	"github.com/orderhub/orderhub/functions/worker"
	"github.com/orderhub/orderhub/local/bonifiqsim"
	"github.com/orderhub/orderhub/local/eventsource"
	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/local/plenigosim"
	"github.com/orderhub/orderhub/local/plentysim"
	"github.com/orderhub/orderhub/local/samtemplate"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/metrics"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/plenty"
	"github.com/orderhub/orderhub/shared/reconcile"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// Options configure a pipeline.
type Options struct {
	DynamoDBEndpoint, SQSEndpoint string
	Template                      *samtemplate.Template
	Mapping                       *mapping.Config
	// Prefix names this pipeline's tables and queues, so pipelines can share emulators.
	Prefix string
	Log    *slog.Logger
	// Sim configures the plenigo simulator; its offers are filled from the mapping. Bonifiq
	// configures the BonifiQ simulator.
	Sim     plenigosim.Config
	Bonifiq bonifiqsim.Config
	// Plenty configures the plentymarkets simulator, whose orders the poller's plentymarkets half
	// takes in.
	Plenty plentysim.Config
	// LoyaltySweepAge (0: 5 s) is how long a loyalty track waits before the pusher's sweep takes it.
	LoyaltySweepAge time.Duration
	// PollEvery stands in for the poller's schedule; SweepEvery for the enqueuer's. RetryingAge (0:
	// 2 min) is how long the sweep leaves a RETRYING order without an attempt.
	PollEvery, SweepEvery, RetryingAge time.Duration
	// RetryBase and RetryCap shorten the worker's retry delays for a local run; UncertainAfter (0: 2 s)
	// how long it waits for plenigo after an import with an uncertain outcome.
	RetryBase, RetryCap, UncertainAfter time.Duration
	// MaxItemsPerImport (0: 50) and NoCustomerCache exist to measure what batching and the customer
	// cache save.
	MaxItemsPerImport int
	NoCustomerCache   bool
	// RedeliverStream invokes the stream consumers with every batch twice, as Lambda may.
	RedeliverStream bool
	// Transport, when set, carries the AWS requests beneath the Counter, for a measurement
	// (localaws.Capacity).
	Transport http.RoundTripper
	// MetricsNamespace, when set, gives every function a metrics sink in it, as METRICS_NAMESPACE
	// does in AWS: their logs then carry the metric records.
	MetricsNamespace string
	// Invoked, when set, is told of every invocation of a function: its name and how long it took.
	Invoked func(function string, took time.Duration)
}

// Pipeline is a running local orderhub.
type Pipeline struct {
	Resources *localaws.Resources
	Sim       *plenigosim.Sim
	Bonifiq   *bonifiqsim.Sim
	Plenty    *plentysim.Sim
	Orders    *dynamostore.Store
	DB        *dynamodb.Client
	SQS       *sqs.Client
	Calls     *localaws.Counter // every AWS request the functions make

	Receiver *receiver.Handler
	Enqueuer *enqueuer.Handler
	Worker   *worker.Handler
	Poller   *poller.Handler
	Pusher   *pusher.Handler

	settings struct {
		plenigo plenigo.Settings
		plenty  plenty.Settings
		bonifiq bonifiq.Settings
	}
	receive  eventsource.Invoker
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	srv      *httptest.Server
	bsrv     *httptest.Server
	psrv     *httptest.Server
	stopOnce sync.Once
}

// Start creates the resources and starts the event sources.
func Start(ctx context.Context, o Options) (*Pipeline, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	counter := localaws.NewCounter(o.Transport)
	hc := &http.Client{Transport: counter, Timeout: 30 * time.Second}
	p := &Pipeline{DB: localaws.DynamoDB(o.DynamoDBEndpoint, hc), SQS: localaws.SQS(o.SQSEndpoint, hc), Calls: counter}
	res, err := localaws.CreateResources(ctx, o.Template, p.DB, p.SQS, o.Prefix)
	if err != nil {
		return nil, err
	}
	p.Resources = res

	simCfg := o.Sim
	simCfg.Tokens = map[string]bool{scenario.PlenigoToken: true}
	simCfg.Offers = map[string]plenigosim.Offer{}
	for src, offers := range o.Mapping.Offers {
		for _, id := range offers {
			simCfg.Offers[id] = plenigosim.Offer{WBZ: src == order.SourceDealer}
		}
	}
	p.Sim = plenigosim.New(simCfg)
	p.srv = httptest.NewServer(p.Sim)
	p.Bonifiq = bonifiqsim.New(o.Bonifiq)
	p.bsrv = httptest.NewServer(p.Bonifiq)
	p.Plenty = plentysim.New(o.Plenty)
	p.psrv = httptest.NewServer(p.Plenty)
	closeSims := func() { p.srv.Close(); p.bsrv.Close(); p.psrv.Close() }
	p.Orders = dynamostore.New(p.DB, res.Tables["OrdersTable"])
	if err := p.build(o, res); err != nil {
		closeSims()
		return nil, err
	}

	p.receive = o.invoker("receiver", p.Receiver.Handle, timeout(o.Template, "ReceiverFunction"))
	streams := localaws.Streams(o.DynamoDBEndpoint, hc)
	importStream, err := p.streamSource(o, streams, "EnqueuerFunction", "OrdersStream", p.Enqueuer.Handle, 50*time.Millisecond)
	if err != nil {
		closeSims()
		return nil, err
	}
	loyaltyStream, err := p.streamSource(o, streams, "PusherFunction", "LoyaltyStream", p.Pusher.Handle, 200*time.Millisecond)
	if err != nil {
		closeSims()
		return nil, err
	}
	jobsSource := p.queueSource(o)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.cancel = cancel
	p.run(runCtx, importStream.Run)
	p.run(runCtx, loyaltyStream.Run)
	p.run(runCtx, jobsSource.Run)
	pollInvoke := o.invoker("poller", p.Poller.Handle, timeout(o.Template, "PollerFunction"))
	sweepInvoke := o.invoker("enqueuer", p.Enqueuer.Handle, timeout(o.Template, "EnqueuerFunction"))
	loyaltySweep := o.invoker("pusher", p.Pusher.Handle, timeout(o.Template, "PusherFunction"))
	p.run(runCtx, every(o.PollEvery, func(ctx context.Context) { _, _ = pollInvoke(ctx, []byte(`{}`)) }))
	p.run(runCtx, every(o.SweepEvery, func(ctx context.Context) { _, _ = sweepInvoke(ctx, []byte(`{"action":"sweep"}`)) }))
	p.run(runCtx, every(o.SweepEvery, func(ctx context.Context) { _, _ = loyaltySweep(ctx, []byte(`{"action":"sweep"}`)) }))
	return p, nil
}

// build makes every handler with its function's own constructor, on the emulators and the
// simulator, with the local values of what AWS would hold in Secrets Manager.
func (p *Pipeline) build(o Options, res *localaws.Resources) error {
	table, jobs := res.Tables["OrdersTable"], res.Queues["ImportQueue"].URL
	deps := func(fn string) lambdafn.Deps {
		d := lambdafn.Deps{Function: fn, Log: o.Log.With("function", fn), DynamoDB: p.DB, SQS: p.SQS, HTTP: p.srv.Client()}
		if o.MetricsNamespace != "" {
			d.Metrics = metrics.NewSink(d.Log, o.MetricsNamespace)
		}
		return d
	}
	pl := plenigo.Settings{BaseURL: p.srv.URL + plenigosim.Prefix, Token: secrets.Ref{Local: scenario.PlenigoToken}, AttemptTimeout: time.Second}
	var err error
	if p.Receiver, err = receiver.New(receiver.Config{OrdersTable: table, Mapping: o.Mapping,
		MarketplaceTokens: secrets.Ref{Local: scenario.MarketplaceToken}, DealerKeys: secrets.Ref{Local: scenario.DealerKeys, Whole: true}}, deps("receiver")); err != nil {
		return err
	}
	if p.Enqueuer, err = enqueuer.New(enqueuer.Config{OrdersTable: table, ImportQueueURL: jobs,
		ReceivedAge: 20 * time.Second, QueuedAge: 2 * time.Minute, RetryingAge: cmp.Or(o.RetryingAge, 2*time.Minute), SweepLimit: 500,
		Mapping: o.Mapping, MetricsNamespace: o.MetricsNamespace}, deps("enqueuer")); err != nil {
		return err
	}
	maxItems := o.MaxItemsPerImport
	if maxItems == 0 {
		maxItems = 50
	}
	if p.Worker, err = worker.New(worker.Config{OrdersTable: table, ImportQueueURL: jobs, Plenigo: pl,
		MaxItemsPerImport: maxItems, RetryBase: o.RetryBase, RetryCap: o.RetryCap,
		ClaimTTL: time.Minute, UncertainAfter: cmp.Or(o.UncertainAfter, 2*time.Second)}, deps("worker")); err != nil {
		return err
	}
	if o.NoCustomerCache {
		p.Worker.Importer.Customers = forgetful{importing.StoredCustomers{Records: p.Orders}}
	}
	bq := bonifiq.Settings{BaseURL: p.bsrv.URL, Credentials: secrets.Ref{Local: scenario.BonifiqCredentials}, AttemptTimeout: time.Second}
	plenty := plenty.Settings{BaseURL: p.psrv.URL, Credentials: secrets.Ref{Local: plentysim.DefaultUser + ":" + plentysim.DefaultPassword}, AttemptTimeout: time.Second}
	if p.Poller, err = poller.New(poller.Config{OrdersTable: table, Plenigo: pl, Overlap: time.Minute, FirstLook: time.Hour,
		StaleAfter: time.Minute, GiveUpAfter: time.Hour, LeaseTTL: time.Minute, PageSize: 100, Plenty: plenty, Mapping: o.Mapping, BonifiQ: bq, MaxLookups: 500}, deps("poller")); err != nil {
		return err
	}
	p.settings.plenigo, p.settings.plenty, p.settings.bonifiq = pl, plenty, bq
	p.Pusher, err = pusher.New(pusher.Config{OrdersTable: table, BonifiQ: bq, SweepAge: cmp.Or(o.LoyaltySweepAge, 5*time.Second)}, deps("pusher"))
	return err
}

// Partners returns clients of the three simulators, configured as the functions' are, for what an
// operator asks the partners (reconciliation, a live trace).
func (p *Pipeline) Partners() reconcile.Partners {
	log := slog.New(slog.DiscardHandler)
	return reconcile.Partners{
		Plenigo: p.settings.plenigo.Client(nil, p.srv.Client(), log),
		Plenty:  p.settings.plenty.Client(nil, p.Orders, p.psrv.Client(), log),
		Bonifiq: p.settings.bonifiq.Client(nil, p.bsrv.Client(), log),
	}
}

// streamSource reads a function's DynamoDB event from the template: filter, batch size, retries.
func (p *Pipeline) streamSource(o Options, streams *dynamodbstreams.Client, fn, event string, handle any, poll time.Duration) (*eventsource.Stream, error) {
	ev := o.Template.EventProperties(fn, event)
	var patterns []string
	filters, _ := samtemplate.Map(ev["FilterCriteria"])["Filters"].([]any)
	for _, f := range filters {
		if s, ok := samtemplate.Map(f)["Pattern"].(string); ok {
			patterns = append(patterns, s)
		}
	}
	filter, err := eventsource.ParseFilter(patterns...)
	if err != nil {
		return nil, err
	}
	invoke := o.invoker(fn, handle, timeout(o.Template, fn))
	if o.RedeliverStream {
		once := invoke
		invoke = func(ctx context.Context, payload []byte) ([]byte, error) {
			if _, err := once(ctx, payload); err != nil {
				return nil, err
			}
			return once(ctx, payload)
		}
	}
	return &eventsource.Stream{Client: streams, StreamARN: p.Resources.Streams["OrdersTable"], Filter: filter,
		BatchSize: samtemplate.Int(ev["BatchSize"], 100), MaxRetries: samtemplate.Int(ev["MaximumRetryAttempts"], 10),
		Invoke: invoke,
		Log:    o.Log.With("source", fn+"."+event), Region: localaws.Region, Poll: poll}, nil
}

func (p *Pipeline) queueSource(o Options) *eventsource.Queue {
	ev := o.Template.EventProperties("WorkerFunction", "ImportJobs")
	q := p.Resources.Queues["ImportQueue"]
	return &eventsource.Queue{Client: p.SQS, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: samtemplate.Int(ev["BatchSize"], 10),
		Window: time.Duration(samtemplate.Int(ev["MaximumBatchingWindowInSeconds"], 0)) * time.Second,
		Invoke: o.invoker("worker", p.Worker.Handle, timeout(o.Template, "WorkerFunction")),
		Log:    o.Log.With("source", "sqs"), Region: localaws.Region}
}

// Receive invokes the receiver with an API Gateway request, through the Lambda JSON path.
func (p *Pipeline) Receive(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	var resp events.APIGatewayV2HTTPResponse
	payload, err := json.Marshal(req)
	if err != nil {
		return resp, err
	}
	out, err := p.receive(ctx, payload)
	if err != nil {
		return resp, err
	}
	err = json.Unmarshal(out, &resp)
	return resp, err
}

// WaitSettled waits until every order is settled, or until ctx ends, and returns the orders.
func (p *Pipeline) WaitSettled(ctx context.Context, ids []string) (map[string]*order.Order, error) {
	return WaitSettled(ctx, p.Orders, ids)
}

// WaitSettled waits until none of the orders is in flight, then reads each once. While waiting it
// asks the work index for the in-flight states only (a few queries a round, whatever the number of
// orders), so waiting does not load the store it waits on.
func WaitSettled(ctx context.Context, orders order.Repository, ids []string) (map[string]*order.Order, error) {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	for {
		busy := 0
		for _, st := range order.InFlight() {
			list, err := orders.NeedingWork(ctx, st, time.Now().Add(time.Hour), 0)
			if err != nil {
				return nil, err
			}
			for _, o := range list {
				if want[o.ID] {
					busy++
				}
			}
		}
		if busy == 0 {
			out := make(map[string]*order.Order, len(ids))
			missing := ""
			for _, id := range ids {
				o, err := orders.Get(ctx, id)
				switch {
				case errors.Is(err, order.ErrNotFound):
					missing = id
				case err != nil:
					return out, err
				default:
					out[id] = o
				}
			}
			if missing == "" {
				return out, nil
			}
			if ctx.Err() != nil {
				return out, fmt.Errorf("order %s was never stored: %w", missing, ctx.Err())
			}
		}
		select {
		case <-ctx.Done():
			out := make(map[string]*order.Order, len(ids))
			for _, id := range ids {
				if o, err := orders.Get(context.WithoutCancel(ctx), id); err == nil {
					out[id] = o
				}
			}
			return out, fmt.Errorf("%d orders still in flight: %w", busy, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// WaitLoyalty waits until no loyalty track of the orders waits for BonifiQ, or until ctx ends.
func (p *Pipeline) WaitLoyalty(ctx context.Context, ids []string) error {
	return WaitLoyalty(ctx, p.Orders, ids)
}

// WaitLoyalty waits until no loyalty track of the orders waits for BonifiQ, or until ctx ends; it
// asks the work index, a query per due state a round.
func WaitLoyalty(ctx context.Context, orders order.Repository, ids []string) error {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	for {
		busy := 0
		for _, st := range loyalty.Due {
			list, err := orders.TracksNeedingWork(ctx, loyalty.Track, st, time.Now().Add(time.Hour), 0)
			if err != nil {
				return err
			}
			for _, w := range list {
				if want[w.OrderID] {
					busy++
				}
			}
		}
		if busy == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d loyalty tracks still wait: %w", busy, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Stop ends the event sources and the simulator, and deletes the pipeline's tables and queues.
func (p *Pipeline) Stop() {
	p.stopOnce.Do(func() {
		p.cancel()
		p.wg.Wait()
		p.srv.Close()
		p.bsrv.Close()
		p.psrv.Close()
		p.Sim.Close()
		p.Bonifiq.Close()
		p.Plenty.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = localaws.DeleteResources(ctx, p.Resources, p.DB, p.SQS)
	})
}

func (p *Pipeline) run(ctx context.Context, fn func(context.Context) error) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = fn(ctx)
	}()
}

func every(d time.Duration, fn func(context.Context)) func(context.Context) error {
	return func(ctx context.Context) error {
		if d <= 0 {
			return nil
		}
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
				fn(ctx)
			}
		}
	}
}

// invoker invokes a handler in this process (eventsource.InProcess), timed for Invoked.
func (o Options) invoker(name string, handler any, timeout time.Duration) eventsource.Invoker {
	invoke := eventsource.InProcess(name, handler, timeout)
	if o.Invoked == nil {
		return invoke
	}
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		began := time.Now()
		out, err := invoke(ctx, payload)
		o.Invoked(name, time.Since(began))
		return out, err
	}
}

// forgetful is a customer store that remembers nothing, to measure what the cache saves.
type forgetful struct{ importing.Customers }

func (forgetful) GetCustomer(context.Context, string) (importing.CustomerRecord, error) {
	return importing.CustomerRecord{}, importing.ErrUnknownCustomer
}
func (forgetful) PutCustomer(context.Context, importing.CustomerRecord) error { return nil }

func timeout(t *samtemplate.Template, fn string) time.Duration {
	return time.Duration(samtemplate.Int(t.FunctionProperty(fn, "Timeout"), 3)) * time.Second
}
