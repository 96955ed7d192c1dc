// Package stack runs the whole bundle on one machine as template.yaml declares it: the emulators,
// the tables and queues, the partner simulators, each function's real binary behind the Runtime API,
// and every event source of every function (HTTP API, SQS, DynamoDB streams, schedules).
package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orderhub/orderhub/functions/enqueuer"
	"github.com/orderhub/orderhub/functions/receiver"
	"github.com/orderhub/orderhub/functions/worker"
	"github.com/orderhub/orderhub/local/bonifiqsim"
	"github.com/orderhub/orderhub/local/emulator"
	"github.com/orderhub/orderhub/local/eventsource"
	"github.com/orderhub/orderhub/local/httpapi"
	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/local/plenigosim"
	"github.com/orderhub/orderhub/local/plentysim"
	"github.com/orderhub/orderhub/local/runtime"
	"github.com/orderhub/orderhub/local/samtemplate"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/local/schedule"
	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/plenty"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// Options configure a local stack.
type Options struct {
	Root     string // the repository
	CacheDir string // downloads and builds
	// HTTPPort is the HTTP API's port and SimPort plenigo's (0: a free port).
	HTTPPort, SimPort int
	// Speedup runs schedules faster than real time (1: as in AWS).
	Speedup float64
	// FaultRate injects random partner faults.
	FaultRate float64
	// PlenigoURL uses the real plenigo (with ORDERHUB_PLENIGO_TOKEN) instead of the simulator.
	PlenigoURL string
	// Progress reports what is starting; FunctionOutput receives the functions' logs.
	Progress       func(format string, args ...any)
	FunctionOutput io.Writer
	Log            *slog.Logger
}

// Stack is a running local orderhub.
type Stack struct {
	DynamoDB, SQS *emulator.Process
	Resources     *localaws.Resources
	Sim           *plenigosim.Sim
	SimURL        string
	Bonifiq       *bonifiqsim.Sim
	BonifiqURL    string
	Plenty        *plentysim.Sim
	PlentyURL     string
	// PartnerEnv are the partner settings the functions run with (State.PartnerEnv).
	PartnerEnv map[string]string
	APIURL     string
	Hosts      map[string]*runtime.Host
	Orders     *dynamostore.Store
	Template   *samtemplate.Template

	sqs     *sqs.Client
	servers []*http.Server
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	state   string
	calls   string // CallsFile
}

// State is what `orderhub trace` reads to find a running local stack.
type State struct {
	DynamoDB    string `json:"dynamodb"`
	SQS         string `json:"sqs"`
	OrdersTable string `json:"ordersTable"`
	API         string `json:"api"`
	Plenigo     string `json:"plenigo"`
	Bonifiq     string `json:"bonifiq"`
	// Queues are the import queue and the dead-letter queues, by logical id: URL.
	Queues map[string]string `json:"queues"`
	// PartnerEnv are the partner settings the functions run with (base URLs and local credentials,
	// by environment variable), for the commands that ask the partners themselves.
	PartnerEnv map[string]string `json:"partnerEnv"`
	// Calls is the file where the stack counts the partner calls of the last hour (CallsFile).
	Calls string `json:"calls"`
}

// partnerVar: a partner's setting (PLENIGO_BASE_URL, ORDERHUB_BONIFIQ_CREDENTIALS, …).
func partnerVar(k string) bool {
	k = strings.TrimPrefix(k, "ORDERHUB_")
	return strings.HasPrefix(k, "PLENIGO_") || strings.HasPrefix(k, "PLENTY_") || strings.HasPrefix(k, "BONIFIQ_")
}

// StateFile is where a running stack describes itself.
func StateFile(cacheDir string) string { return filepath.Join(cacheDir, "local-stack.json") }

// Up starts everything. On error, whatever started is stopped again.
func Up(ctx context.Context, o Options) (s *Stack, err error) {
	if o.Progress == nil {
		o.Progress = func(string, ...any) {}
	}
	if o.FunctionOutput == nil {
		o.FunctionOutput = io.Discard
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Speedup <= 0 {
		o.Speedup = 1
	}
	s = &Stack{Hosts: map[string]*runtime.Host{}}
	defer func() {
		if err != nil {
			s.Down()
		}
	}()
	// Claim the HTTP port first: failing on it must not cost an emulator start.
	apiLn, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", o.HTTPPort))
	if err != nil {
		return s, fmt.Errorf("port %d for the HTTP API is in use: stop what listens there or choose another with --port", o.HTTPPort)
	}
	s.servers = append(s.servers, &http.Server{ReadHeaderTimeout: 10 * time.Second})
	s.APIURL = "http://" + apiLn.Addr().String()

	s.Template, err = samtemplate.Load(filepath.Join(o.Root, "template.yaml"))
	if err != nil {
		apiLn.Close()
		return s, err
	}
	m, err := mapping.Load(filepath.Join(o.Root, "mapping.yaml"))
	if err != nil {
		apiLn.Close()
		return s, err
	}

	o.Progress("starting DynamoDB Local and the SQS emulator (the first run downloads them)")
	began := time.Now()
	type started struct {
		p   *emulator.Process
		err error
	}
	ddbc, sqsc := make(chan started, 1), make(chan started, 1)
	go func() { p, err := emulator.StartDynamoDB(ctx, o.CacheDir, 0); ddbc <- started{p, err} }()
	go func() { p, err := emulator.StartSQS(ctx, o.CacheDir, 0); sqsc <- started{p, err} }()
	d, q := <-ddbc, <-sqsc
	s.DynamoDB, s.SQS = d.p, q.p
	if err := errors.Join(d.err, q.err); err != nil {
		apiLn.Close()
		return s, err
	}
	o.Progress("emulators ready in %.1fs: DynamoDB %s, SQS %s", time.Since(began).Seconds(), s.DynamoDB.Endpoint, s.SQS.Endpoint)

	type built struct{ err error }
	buildc := make(chan built, 1)
	functions := s.Template.ResourcesOfType("AWS::Serverless::Function")
	buildDir := filepath.Join(o.CacheDir, "local-functions")
	_, statErr := os.Stat(buildDir)
	if statErr != nil {
		o.Progress("building the %d functions for this machine in the background (the first time, about 1.5 minutes on 2 cores; later runs reuse Go's build cache)", len(functions))
	}
	go func() { buildc <- built{Build(ctx, o.Root, buildDir, functions)} }()

	db := localaws.DynamoDB(s.DynamoDB.Endpoint, nil)
	s.sqs = localaws.SQS(s.SQS.Endpoint, nil)
	s.Resources, err = localaws.CreateResources(ctx, s.Template, db, s.sqs, "")
	if err != nil {
		apiLn.Close()
		return s, err
	}
	s.Orders = dynamostore.New(db, s.Resources.Tables["OrdersTable"])
	o.Progress("created %d tables and %d queues from template.yaml", len(s.Resources.Tables), len(s.Resources.Queues))

	if o.PlenigoURL == "" {
		if err := s.startSim(o, m); err != nil {
			apiLn.Close()
			return s, err
		}
		o.Progress("plenigo simulator on %s (fault rate %.0f%%)", s.SimURL, o.FaultRate*100)
	} else {
		s.SimURL = o.PlenigoURL
	}
	if err := s.startBonifiq(o); err != nil {
		apiLn.Close()
		return s, err
	}
	o.Progress("BonifiQ simulator on %s (fault rate %.0f%%)", s.BonifiqURL, o.FaultRate*100)
	if err := s.startPlenty(o); err != nil {
		apiLn.Close()
		return s, err
	}
	o.Progress("plentymarkets simulator on %s (fault rate %.0f%%)", s.PlentyURL, o.FaultRate*100)

	if len(buildc) == 0 {
		o.Progress("waiting for the functions' build")
	}
	if b := <-buildc; b.err != nil {
		apiLn.Close()
		return s, b.err
	}
	o.Progress("built %d functions for this machine", len(functions))

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	calls := newCallTally()
	s.calls = CallsFile(o.CacheDir)
	s.run(runCtx, func(ctx context.Context) error { calls.keep(ctx, s.calls); return nil })
	for id, t := range s.Resources.Topics {
		s.run(runCtx, func(ctx context.Context) error {
			s.forward(ctx, t.Inbox.URL, prefixed(o.FunctionOutput, id))
			return nil
		})
	}
	var routes []httpapi.Route
	clock := schedule.NewClock(o.Speedup)
	for _, fn := range functions {
		env, err := s.environment(fn, o)
		if err != nil {
			apiLn.Close()
			return s, err
		}
		h, err := runtime.Start(runtime.Function{
			Name: fn, Binary: filepath.Join(buildDir, fn, "bootstrap"), Dir: filepath.Join(buildDir, fn), Env: env,
			Timeout:        time.Duration(samtemplate.Int(s.Template.FunctionProperty(fn, "Timeout"), 3)) * time.Second,
			MemoryMB:       samtemplate.Int(s.Template.FunctionProperty(fn, "MemorySize"), 128),
			Output:         calls.writer(prefixed(o.FunctionOutput, fn)),
			Region:         localaws.Region,
			MaxConcurrency: s.concurrency(fn),
		})
		if err != nil {
			apiLn.Close()
			return s, err
		}
		s.Hosts[fn] = h
		r, err := s.wireEvents(runCtx, fn, h, clock, o)
		if err != nil {
			apiLn.Close()
			return s, err
		}
		routes = append(routes, r...)
	}
	s.servers[0].Handler = &httpapi.Server{Routes: routes, Log: o.Log}
	go func() { _ = s.servers[0].Serve(apiLn) }()
	o.Progress("HTTP API on %s with %d routes", s.APIURL, len(routes))

	s.state = StateFile(o.CacheDir)
	dead := map[string]string{}
	for _, id := range []string{"ImportQueue", "ImportDLQ", "StreamFailureDLQ", "LoyaltyFailureDLQ", "ScheduleDLQ"} {
		if q, ok := s.Resources.Queues[id]; ok {
			dead[id] = q.URL
		}
	}
	partners := map[string]string{}
	for _, fn := range []string{"PollerFunction", "PusherFunction"} {
		env, err := s.environment(fn, o)
		if err != nil {
			return s, err
		}
		for _, kv := range env {
			k, v, _ := strings.Cut(kv, "=")
			if partnerVar(k) {
				partners[k] = v
			}
		}
	}
	s.PartnerEnv = partners
	b, _ := json.MarshalIndent(State{DynamoDB: s.DynamoDB.Endpoint, SQS: s.SQS.Endpoint, OrdersTable: s.Resources.Tables["OrdersTable"],
		API: s.APIURL, Plenigo: s.SimURL, Bonifiq: s.BonifiqURL, Queues: dead, PartnerEnv: partners, Calls: s.calls}, "", "  ")
	// Only the user reads it: with a real plenigo (PlenigoURL) it holds that token.
	if err := os.WriteFile(s.state, b, 0o600); err != nil {
		return s, err
	}
	return s, nil
}

func (s *Stack) startSim(o Options, m *mapping.Config) error {
	offers := map[string]plenigosim.Offer{}
	for src, byProduct := range m.Offers {
		for _, id := range byProduct {
			offers[id] = plenigosim.Offer{WBZ: src == order.SourceDealer}
		}
	}
	s.Sim = plenigosim.New(plenigosim.Config{Tokens: map[string]bool{scenario.PlenigoToken: true}, Offers: offers,
		LogDelay: 500 * time.Millisecond, FaultRate: o.FaultRate, TimeoutHold: 3 * time.Second})
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", o.SimPort))
	if err != nil {
		return fmt.Errorf("port %d for the plenigo simulator is in use: choose another", o.SimPort)
	}
	srv := &http.Server{Handler: s.Sim, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	s.SimURL = "http://" + ln.Addr().String() + plenigosim.Prefix
	return nil
}

// startBonifiq starts the BonifiQ simulator on a free port, with the stack's fault rate.
func (s *Stack) startBonifiq(o Options) error {
	s.Bonifiq = bonifiqsim.New(bonifiqsim.Config{CreditDelay: time.Second})
	s.Bonifiq.SetTimeoutHold(3 * time.Second)
	if o.FaultRate > 0 {
		s.Bonifiq.SetFaults(o.FaultRate)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("no port for the BonifiQ simulator: %w", err)
	}
	srv := &http.Server{Handler: s.Bonifiq, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	s.BonifiqURL = "http://" + ln.Addr().String()
	return nil
}

// startPlenty starts the plentymarkets simulator on a free port, with the stack's fault rate. Its
// limits are the Basic tier's scaled by the speed-up, so a sped-up poller meets them as often as a
// real one meets the real limits.
func (s *Stack) startPlenty(o Options) error {
	scale := func(n int) int { return int(float64(n) * o.Speedup) }
	s.Plenty = plentysim.New(plentysim.Config{ReadPerMinute: scale(plentysim.BasicReadPerMinute), WritePerMinute: scale(plentysim.BasicWritePerMinute),
		ReadPerDay: scale(plentysim.BasicReadPerDay), WritePerDay: scale(plentysim.BasicWritePerDay)})
	s.Plenty.SetTimeoutHold(3 * time.Second)
	if o.FaultRate > 0 {
		s.Plenty.SetFaults(o.FaultRate)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("no port for the plentymarkets simulator: %w", err)
	}
	srv := &http.Server{Handler: s.Plenty, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go func() { _ = srv.Serve(ln) }()
	s.PlentyURL = "http://" + ln.Addr().String()
	return nil
}

// environment is the function's environment as the template declares it, with references resolved
// to the local resources, secrets given as local values instead of ARNs, and the local endpoints.
func (s *Stack) environment(fn string, o Options) ([]string, error) {
	r := &samtemplate.Resolver{T: s.Template, Params: map[string]string{"Environment": "dev", "PlenigoBaseUrl": s.SimURL, "PlenigoTokenSecretArn": "",
		"BonifiqBaseUrl": s.BonifiqURL, "BonifiqCredentialsSecretArn": "", "PlentyBaseUrl": s.PlentyURL, "PlentyCredentialsSecretArn": "", "PlentyId": "0"},
		Pseudo: map[string]string{"AWS::Region": localaws.Region, "AWS::AccountId": "000000000000", "AWS::StackName": "orderhub-local", "AWS::URLSuffix": "amazonaws.com"},
		Ref: func(id string) (string, bool) {
			if s.Template.Resources[id].Type == "AWS::SecretsManager::Secret" {
				return "", true // locally the values come from the environment below
			}
			return s.Resources.Ref(id)
		},
		GetAtt: s.Resources.GetAtt}
	vars := map[string]any{}
	for k, v := range samtemplate.Map(samtemplate.Map(samtemplate.Map(s.Template.Globals["Function"])["Environment"])["Variables"]) {
		vars[k] = v
	}
	for k, v := range samtemplate.Map(samtemplate.Map(s.Template.Resources[fn].Properties["Environment"])["Variables"]) {
		vars[k] = v
	}
	env := []string{
		lambdafn.EnvDynamoDBEndpoint + "=" + s.DynamoDB.Endpoint,
		lambdafn.EnvSQSEndpoint + "=" + s.SQS.Endpoint,
		receiver.EnvMarketplaceTokens + "=" + scenario.MarketplaceToken,
		receiver.EnvDealerKeys + "=" + scenario.DealerKeys,
		plenigo.EnvToken + "=" + envOr(plenigo.EnvToken, scenario.PlenigoToken),
		bonifiq.EnvCredentials + "=" + scenario.BonifiqCredentials,
		plenty.EnvCredentials + "=" + plentysim.DefaultUser + ":" + plentysim.DefaultPassword,
		// Retry delays shrink with the schedules, so a sped-up demo is sped up throughout.
		worker.EnvRetryBase + "=" + time.Duration(float64(importing.RetryBase)/o.Speedup).String(),
		worker.EnvRetryCap + "=" + time.Duration(float64(importing.RetryCap)/o.Speedup).String(),
		worker.EnvUncertainAfter + "=" + time.Duration(float64(importing.DefaultUncertainAfter)/o.Speedup).String(),
		enqueuer.EnvSNSEndpoint + "=" + s.SQS.Endpoint, // the SQS emulator speaks SNS too
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_LAMBDA_LOG_LEVEL=" + envOr("ORDERHUB_LOG_LEVEL", "INFO"),
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := r.String(vars[k])
		if err != nil {
			return nil, fmt.Errorf("%s environment %s: %w", fn, k, err)
		}
		if v == "" {
			continue
		}
		env = append(env, k+"="+v)
	}
	return env, nil
}

// wireEvents connects a function's Events and returns its HTTP routes.
func (s *Stack) wireEvents(ctx context.Context, fn string, h *runtime.Host, clock *schedule.Clock, o Options) ([]httpapi.Route, error) {
	var routes []httpapi.Route
	r := &samtemplate.Resolver{T: s.Template, Ref: s.Resources.Ref, GetAtt: s.Resources.GetAtt, Params: map[string]string{"Environment": "dev"}}
	if v := os.Getenv(EnvDigestSchedule); v != "" {
		r.Params["DigestSchedule"] = v
	}
	evs := samtemplate.Map(s.Template.Resources[fn].Properties["Events"])
	names := make([]string, 0, len(evs))
	for n := range evs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		ev := samtemplate.Map(evs[name])
		p := samtemplate.Map(ev["Properties"])
		switch ev["Type"] {
		case "HttpApi":
			routes = append(routes, httpapi.Route{Method: samtemplate.Str(p["Method"]), Path: samtemplate.Str(p["Path"]), Function: fn, Invoke: h.Invoke})
		case "SQS":
			arn, err := r.String(p["Queue"])
			if err != nil {
				return nil, fmt.Errorf("%s.%s queue: %w", fn, name, err)
			}
			q, ok := s.queueByARN(arn)
			if !ok {
				return nil, fmt.Errorf("%s.%s: no local queue %s", fn, name, arn)
			}
			src := &eventsource.Queue{Client: s.sqs, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: samtemplate.Int(p["BatchSize"], 10),
				Window: time.Duration(samtemplate.Int(p["MaximumBatchingWindowInSeconds"], 0)) * time.Second, Invoke: h.Invoke,
				Log: o.Log.With("source", fn+"."+name), Region: localaws.Region}
			for range s.sqsPollers(p) {
				s.run(ctx, src.Run) // Lambda polls a queue with as many pollers as the function may run
			}
		case "DynamoDB":
			arn, err := r.String(p["Stream"])
			if err != nil {
				return nil, fmt.Errorf("%s.%s stream: %w", fn, name, err)
			}
			var patterns []string
			filters, _ := samtemplate.Map(p["FilterCriteria"])["Filters"].([]any)
			for _, f := range filters {
				patterns = append(patterns, samtemplate.Str(samtemplate.Map(f)["Pattern"]))
			}
			filter, err := eventsource.ParseFilter(patterns...)
			if err != nil {
				return nil, err
			}
			src := &eventsource.Stream{Client: localaws.Streams(s.DynamoDB.Endpoint, nil), StreamARN: arn, Filter: filter,
				BatchSize: samtemplate.Int(p["BatchSize"], 100), MaxRetries: samtemplate.Int(p["MaximumRetryAttempts"], 10), Invoke: h.Invoke,
				Log: o.Log.With("source", fn+"."+name), Region: localaws.Region, Poll: 100 * time.Millisecond}
			if dest := samtemplate.Map(samtemplate.Map(p["DestinationConfig"])["OnFailure"])["Destination"]; dest != nil {
				arn, err := r.String(dest)
				if err != nil {
					return nil, err
				}
				if q, ok := s.queueByARN(arn); ok {
					src.OnFailure = s.sendFailure(ctx, q.URL, fn)
				}
			}
			s.run(ctx, src.Run)
		case "Schedule", "ScheduleV2":
			expr, err := r.String(p["ScheduleExpression"]) // a parameter's default, or a literal
			if err != nil {
				return nil, fmt.Errorf("%s.%s schedule: %w", fn, name, err)
			}
			spec, err := schedule.Parse(expr)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", fn, name, err)
			}
			payload := []byte(samtemplate.Str(p["Input"]))
			if len(payload) == 0 {
				payload = scheduledEvent(fn)
			}
			s.run(ctx, func(ctx context.Context) error {
				schedule.Run(ctx, spec, clock, func(ctx context.Context) {
					if _, err := h.Invoke(ctx, payload); err != nil {
						o.Log.WarnContext(ctx, "scheduled invocation failed", "function", fn, "error", err.Error())
					}
				})
				return nil
			})
		default:
			return nil, fmt.Errorf("%s.%s: event type %v is not emulated locally", fn, name, ev["Type"])
		}
	}
	return routes, nil
}

// EnvDigestSchedule overrides the template's DigestSchedule for a local stack, to see the failure
// digest without waiting for the next 07:00 UTC: ORDERHUB_DIGEST_SCHEDULE="rate(2 minutes)".
const EnvDigestSchedule = "ORDERHUB_DIGEST_SCHEDULE"

// forward writes what arrives in a topic's inbox to w, as a subscriber would receive it, and
// removes it from the inbox.
func (s *Stack) forward(ctx context.Context, url string, w io.Writer) {
	for ctx.Err() == nil {
		out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5, MaxNumberOfMessages: 10})
		if err != nil {
			if ctx.Err() == nil {
				time.Sleep(time.Second)
			}
			continue
		}
		for _, m := range out.Messages {
			fmt.Fprintf(w, "%s\n", strings.TrimRight(aws.ToString(m.Body), "\n"))
			_, _ = s.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
		}
	}
}

// concurrency is how many environments a function may run at once locally: what its event sources
// can drive in parallel (an HTTP API: 8; an SQS source: its MaximumConcurrency; a stream shard or a
// schedule: 1 each).
func (s *Stack) concurrency(fn string) int {
	n := 0
	for _, ev := range samtemplate.Map(s.Template.Resources[fn].Properties["Events"]) {
		switch samtemplate.Map(ev)["Type"] {
		case "HttpApi":
			n += 8
		case "SQS":
			n += s.sqsPollers(samtemplate.Map(samtemplate.Map(ev)["Properties"]))
		default:
			n++
		}
	}
	return max(n, 1)
}

func (s *Stack) sqsPollers(props map[string]any) int {
	r := &samtemplate.Resolver{T: s.Template}
	v, err := r.String(samtemplate.Map(props["ScalingConfig"])["MaximumConcurrency"])
	if err != nil {
		return 2
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 2
	}
	return n
}

func (s *Stack) queueByARN(arn string) (localaws.Queue, bool) {
	for _, q := range s.Resources.Queues {
		if q.ARN == arn {
			return q, true
		}
	}
	return localaws.Queue{}, false
}

// sendFailure sends what Lambda sends to a stream's OnFailure destination: the batch's metadata.
func (s *Stack) sendFailure(ctx context.Context, url, fn string) func([]events.DynamoDBEventRecord) {
	return func(recs []events.DynamoDBEventRecord) {
		first, last := recs[0].Change.SequenceNumber, recs[len(recs)-1].Change.SequenceNumber
		body, _ := json.Marshal(map[string]any{"requestContext": map[string]any{"functionArn": fn, "condition": "RetryAttemptsExhausted"},
			"DDBStreamBatchInfo": map[string]any{"streamArn": recs[0].EventSourceArn, "startSequenceNumber": first, "endSequenceNumber": last, "batchSize": len(recs)}})
		_, _ = s.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(string(body))})
	}
}

func scheduledEvent(fn string) []byte {
	b, _ := json.Marshal(map[string]any{"version": "0", "id": eventsource.RequestID(), "detail-type": "Scheduled Event", "source": "aws.scheduler",
		"account": "000000000000", "time": time.Now().UTC().Format(time.RFC3339), "region": localaws.Region, "resources": []string{fn}, "detail": map[string]any{}})
	return b
}

func (s *Stack) run(ctx context.Context, fn func(context.Context) error) {
	s.wg.Add(1)
	go func() { defer s.wg.Done(); _ = fn(ctx) }()
}

// Down stops everything Up started and removes the state file. It is safe to call more than once.
func (s *Stack) Down() {
	if s.cancel != nil {
		s.cancel()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		_ = srv.Shutdown(ctx)
	}
	s.wg.Wait()
	for _, h := range s.Hosts {
		h.Stop()
	}
	if s.Bonifiq != nil {
		s.Bonifiq.Close()
	}
	if s.Plenty != nil {
		s.Plenty.Close()
	}
	if s.Sim != nil {
		s.Sim.Close()
	}
	if s.DynamoDB != nil {
		s.DynamoDB.Stop()
	}
	if s.SQS != nil {
		s.SQS.Stop()
	}
	if s.state != "" {
		_ = os.Remove(s.state)
		_ = os.Remove(s.calls)
	}
}

// Build compiles each function's bootstrap for this machine into dir/<LogicalId>/, beside the
// mapping files, as sam build does for Lambda; two at a time.
func Build(ctx context.Context, root, dir string, functions []string) error {
	mappings, _ := filepath.Glob(filepath.Join(root, "mapping*.yaml"))
	errs := make([]error, len(functions))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, fn := range functions {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = build(ctx, root, filepath.Join(dir, fn), fn, mappings)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func build(ctx context.Context, root, out, fn string, mappings []string) error {
	pkg := "./functions/" + strings.ToLower(strings.TrimSuffix(fn, "Function")) + "/bootstrap"
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", filepath.Join(out, "bootstrap"), pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s (%s): %w\n%s", fn, pkg, err, b)
	}
	for _, mf := range mappings {
		b, err := os.ReadFile(mf)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, filepath.Base(mf)), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// prefixed writes each line with the function's name in front.
func prefixed(w io.Writer, name string) io.Writer {
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, 0, 4096)
		tmp := make([]byte, 4096)
		for {
			n, err := pr.Read(tmp)
			buf = append(buf, tmp[:n]...)
			for {
				i := bytes.IndexByte(buf, '\n')
				if i < 0 {
					break
				}
				fmt.Fprintf(w, "%-18s %s\n", name, buf[:i])
				buf = buf[i+1:]
			}
			if err != nil {
				return
			}
		}
	}()
	return pw
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
