package enqueuer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/functions/enqueuer"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn/lambdatest"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

// The sweep ages the template gives the function (SWEEP_RECEIVED_AGE, SWEEP_QUEUED_AGE).
const (
	receivedAge = 2 * time.Minute
	queuedAge   = 15 * time.Minute
)

// The orders events/enqueuer-orders-stream.json carries, and the sequence number of each order's
// first record there. mkt-221's record is delivered twice.
var streamSeq = map[string]string{
	"mkt-221":                "49800000000000012345678901",
	"dealer-WBZ-2026-000101": "49800100000000012345679022",
	"mkt-222":                "49800200000000012345680143",
}

const requestID = "7f0c3a52-enq-4c1e-9d2b-5e6f7a8b9c0d"

// newTestHandler builds the handler under test, wired as bootstrap/main.go wires it.
func newTestHandler(t *testing.T, orders order.Repository, q importing.Queue) *enqueuer.Handler {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &enqueuer.Handler{
		Enqueuer: &importing.Enqueuer{Orders: orders, Queue: q, Now: time.Now, Log: log,
			ReceivedAge: receivedAge, QueuedAge: queuedAge, RetryingAge: time.Hour, SweepLimit: 500},
		Function: "enqueuer",
		Log:      log,
	}
}

// invoke runs payload through the Lambda runtime's path: decode, handle, encode.
func invoke(t *testing.T, h *enqueuer.Handler, payload []byte) ([]byte, error) {
	t.Helper()
	return lambdatest.Invoke(t, h.Handle, payload, 30*time.Second, requestID) // the function's Timeout
}

func invokeStream(t *testing.T, h *enqueuer.Handler, payload []byte) events.DynamoDBEventResponse {
	t.Helper()
	out, err := invoke(t, h, payload)
	if err != nil {
		t.Fatalf("invoke returned a Lambda error: %v", err)
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	return resp
}

// recordingQueue is an importing.Queue that keeps what it was sent and fails the ids in fail.
type recordingQueue struct {
	mu   sync.Mutex
	sent []string
	fail map[string]bool
	err  error // fail the whole send
}

func (q *recordingQueue) Send(_ context.Context, ids []string) ([]string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return nil, q.err
	}
	var failed []string
	for _, id := range ids {
		if q.fail[id] {
			failed = append(failed, id)
			continue
		}
		q.sent = append(q.sent, id)
	}
	return failed, nil
}

func (q *recordingQueue) Sent() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := slices.Clone(q.sent)
	slices.Sort(s)
	return s
}

var receiver = order.Actor{Function: "receiver", RequestID: "rcv-1"}

// store creates an order as the receiver left it, RECEIVED at at, and moves it to st if st is not
// RECEIVED.
func store(t *testing.T, s *memstore.Store, src order.Source, ref, email string, at time.Time, st order.State) {
	t.Helper()
	o, err := order.New(src, ref, at, receiver)
	if err != nil {
		t.Fatal(err)
	}
	o.Customer = order.Customer{Email: email, Language: "de", FirstName: "John", Address: order.Address{Street: "Main Street", Town: "Kassel", Country: "DE"}}
	o.Items = []order.Item{{Product: "1338", Quantity: order.DecimalFromInt(1), OfferID: "O_MZA1E7173120881551"}}
	o.Payment = order.Payment{Method: "paypal", PlenigoMethod: "PAYPAL"}
	o.StartDate, o.PlacedAt = at, at
	if src == order.SourceDealer {
		o.Dealer = &order.Dealer{Group: "Nord", Number: "4711"}
		o.Items[0].Product, o.Items[0].OfferID = "WBZ-PRINT-12M", "O_WBZ7PRINT0012MNTHS"
		o.Payment = order.Payment{Method: "invoice", PlenigoMethod: "BILLING"}
	}
	if st != order.Received {
		if err := o.MoveTo(st, order.Change{At: at, By: receiver}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Create(context.Background(), o); err != nil {
		t.Fatal(err)
	}
}

// streamOrders stores the three orders the stream fixture names, RECEIVED a moment ago.
func streamOrders(t *testing.T) *memstore.Store {
	t.Helper()
	s := memstore.New()
	at := time.Now().Add(-time.Second)
	store(t, s, order.SourceMarketplace, "221", "john@account.com", at, order.Received)
	store(t, s, order.SourceMarketplace, "222", "john@account.com", at, order.Received)
	store(t, s, order.SourceDealer, "WBZ-2026-000101", "vertrieb@presse-nord.example", at, order.Received)
	return s
}

func get(t *testing.T, s *memstore.Store, id string) *order.Order {
	t.Helper()
	o, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func sortedIDs(m map[string]string) []string {
	var ids []string
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func TestStreamFixtureQueuesEachOrderOnce(t *testing.T) {
	s, q := streamOrders(t), &recordingQueue{}
	h := newTestHandler(t, s, q)
	payload := lambdatest.Fixture(t, "enqueuer-orders-stream.json")

	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Records) != 4 || ev.Records[3].EventID != ev.Records[0].EventID {
		t.Fatalf("the fixture should hold 4 records, the last a redelivery of the first")
	}

	resp := invokeStream(t, h, payload)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("batch item failures %+v, want none", resp.BatchItemFailures)
	}
	if got, want := q.Sent(), sortedIDs(streamSeq); !slices.Equal(got, want) {
		t.Fatalf("sent %v, want each order once: %v", got, want)
	}
	for id := range streamSeq {
		o := get(t, s, id)
		last := o.History[len(o.History)-1]
		if o.State != order.Queued || len(o.History) != 2 || o.Version != 2 {
			t.Errorf("%s: %s, %d history entries, version %d; want QUEUED after one write", id, o.State, len(o.History), o.Version)
		}
		if last.From != order.Received || last.To != order.Queued || last.Actor != (order.Actor{Function: "enqueuer", RequestID: requestID}) {
			t.Errorf("%s: last history entry %+v", id, last)
		}
	}

	// The whole batch again, as Lambda delivers it after a timeout: nothing is written twice.
	if resp := invokeStream(t, h, payload); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("second delivery: batch item failures %+v", resp.BatchItemFailures)
	}
	for id := range streamSeq {
		if o := get(t, s, id); o.State != order.Queued || o.Version != 2 {
			t.Errorf("%s after the second delivery: %s version %d", id, o.State, o.Version)
		}
	}
}

func TestStreamReportsTheRecordOfAnOrderThatCouldNotBeQueued(t *testing.T) {
	cases := map[string]struct {
		fail    []string
		sendErr error
		want    string // the sequence number reported
	}{
		"redelivered order fails": {fail: []string{"mkt-221"}, want: streamSeq["mkt-221"]},
		"dealer order fails":      {fail: []string{"dealer-WBZ-2026-000101"}, want: streamSeq["dealer-WBZ-2026-000101"]},
		"modified order fails":    {fail: []string{"mkt-222"}, want: streamSeq["mkt-222"]},
		"two fail: the first is reported": {fail: []string{"mkt-222", "dealer-WBZ-2026-000101"},
			want: streamSeq["dealer-WBZ-2026-000101"]},
		"queue unreachable": {sendErr: errors.New("AWS.SimpleQueueService.NonExistentQueue"), want: streamSeq["mkt-221"]},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := streamOrders(t)
			q := &recordingQueue{fail: map[string]bool{}, err: c.sendErr}
			for _, id := range c.fail {
				q.fail[id] = true
			}
			resp := invokeStream(t, newTestHandler(t, s, q), lambdatest.Fixture(t, "enqueuer-orders-stream.json"))
			want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: c.want}}
			if !slices.Equal(resp.BatchItemFailures, want) {
				t.Fatalf("batch item failures %+v, want %+v", resp.BatchItemFailures, want)
			}
			var sent []string
			for _, id := range sortedIDs(streamSeq) {
				if c.sendErr == nil && !slices.Contains(c.fail, id) {
					sent = append(sent, id)
				}
			}
			if got := q.Sent(); !slices.Equal(got, sent) {
				t.Fatalf("sent %v, want %v", got, sent)
			}
			// The state moves before the send; the retry from the reported record resends the job.
			for id := range streamSeq {
				if o := get(t, s, id); o.State != order.Queued {
					t.Errorf("%s: %s", id, o.State)
				}
			}
		})
	}
}

func TestStreamIgnoresRecordsThatAreNotReceivedOrders(t *testing.T) {
	const ignored = "dealer-WBZ-2026-000101"
	cases := map[string]func(r *events.DynamoDBEventRecord){
		"state QUEUED": func(r *events.DynamoDBEventRecord) {
			r.Change.NewImage["state"] = events.NewStringAttribute("QUEUED")
		},
		"state IMPORTED": func(r *events.DynamoDBEventRecord) {
			r.Change.NewImage["state"] = events.NewStringAttribute("IMPORTED")
		},
		"history item": func(r *events.DynamoDBEventRecord) {
			r.Change.Keys["sk"] = events.NewStringAttribute("H#000001")
			r.Change.NewImage = map[string]events.DynamoDBAttributeValue{
				"pk": r.Change.NewImage["pk"], "sk": events.NewStringAttribute("H#000001"),
				"doc": events.NewStringAttribute(`{"seq":1,"to":"RECEIVED"}`)}
		},
		"REMOVE": func(r *events.DynamoDBEventRecord) {
			r.EventName = "REMOVE"
			r.Change.OldImage, r.Change.NewImage = r.Change.NewImage, nil
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			var ev events.DynamoDBEvent
			if err := json.Unmarshal(lambdatest.Fixture(t, "enqueuer-orders-stream.json"), &ev); err != nil {
				t.Fatal(err)
			}
			for i := range ev.Records {
				if ev.Records[i].Change.Keys["pk"].String() == ignored {
					mutate(&ev.Records[i])
				}
			}
			payload, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			s, q := streamOrders(t), &recordingQueue{}
			if resp := invokeStream(t, newTestHandler(t, s, q), payload); len(resp.BatchItemFailures) != 0 {
				t.Fatalf("batch item failures %+v", resp.BatchItemFailures)
			}
			if got := q.Sent(); !slices.Equal(got, []string{"mkt-221", "mkt-222"}) {
				t.Fatalf("sent %v, want only the two RECEIVED orders", got)
			}
			if o := get(t, s, ignored); o.State != order.Received || o.Version != 1 {
				t.Fatalf("the ignored record's order was touched: %s version %d", o.State, o.Version)
			}
		})
	}
}

func TestStreamOfOnlyIgnoredRecordsSendsNothing(t *testing.T) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(lambdatest.Fixture(t, "enqueuer-orders-stream.json"), &ev); err != nil {
		t.Fatal(err)
	}
	for i := range ev.Records {
		ev.Records[i].Change.NewImage["state"] = events.NewStringAttribute("QUEUED")
	}
	payload, _ := json.Marshal(ev)
	s, q := streamOrders(t), &recordingQueue{}
	out, err := invoke(t, newTestHandler(t, s, q), payload)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) != 0 || len(q.Sent()) != 0 {
		t.Fatalf("answer %s (%v), sent %v", out, err, q.Sent())
	}
}

func TestSweepFixtureIsTheScheduleInput(t *testing.T) {
	tmpl, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	input := strings.TrimSpace(string(lambdatest.Fixture(t, "enqueuer-sweep.json")))
	if !strings.Contains(string(tmpl), "Input: '"+input+"'") {
		t.Fatalf("template.yaml's Sweep schedule does not send %s", input)
	}
}

func TestSweepFixtureEnqueuesWhatTheStreamMissed(t *testing.T) {
	s, q := memstore.New(), &recordingQueue{}
	now := time.Now()
	store(t, s, order.SourceMarketplace, "221", "john@account.com", now.Add(-receivedAge-time.Minute), order.Received)                // missed by the stream
	store(t, s, order.SourceMarketplace, "222", "john@account.com", now.Add(-receivedAge/4), order.Received)                          // the stream is on it
	store(t, s, order.SourceDealer, "WBZ-2026-000101", "vertrieb@presse-nord.example", now.Add(-queuedAge-time.Minute), order.Queued) // job lost after the move
	store(t, s, order.SourceDealer, "WBZ-2026-000102", "abo@kiosk-sued.example", now.Add(-queuedAge/2), order.Queued)                 // job on its way
	h := newTestHandler(t, s, q)

	out, err := invoke(t, h, lambdatest.Fixture(t, "enqueuer-sweep.json"))
	if err != nil {
		t.Fatalf("invoke returned a Lambda error: %v", err)
	}
	var ans map[string]int
	if err := json.Unmarshal(out, &ans); err != nil || len(ans) != 1 || ans["enqueued"] != 2 {
		t.Fatalf("answer %s, want {\"enqueued\":2}", out)
	}
	if got := q.Sent(); !slices.Equal(got, []string{"dealer-WBZ-2026-000101", "mkt-221"}) {
		t.Fatalf("sent %v", got)
	}
	if o := get(t, s, "mkt-221"); o.State != order.Queued || !strings.Contains(o.StateReason, "sweep") ||
		o.History[len(o.History)-1].Actor.RequestID != requestID {
		t.Errorf("stale RECEIVED order: %s %q %+v", o.State, o.StateReason, o.History[len(o.History)-1])
	}
	if o := get(t, s, "mkt-222"); o.State != order.Received || o.Version != 1 {
		t.Errorf("fresh RECEIVED order was swept: %s version %d", o.State, o.Version)
	}
	if o := get(t, s, "dealer-WBZ-2026-000101"); o.State != order.Queued || o.Version != 2 || !o.UpdatedAt.After(now.Add(-time.Minute)) {
		t.Errorf("stuck QUEUED order: %s version %d updated %s; want its resend recorded", o.State, o.Version, o.UpdatedAt)
	}
	if o := get(t, s, "dealer-WBZ-2026-000102"); o.Version != 1 {
		t.Errorf("recently QUEUED order was resent (version %d)", o.Version)
	}

	// The next sweep finds nothing: every resend restarted its order's clock.
	q2 := &recordingQueue{}
	out, err = invoke(t, newTestHandler(t, s, q2), lambdatest.Fixture(t, "enqueuer-sweep.json"))
	if err != nil || string(out) != `{"enqueued":0}` || len(q2.Sent()) != 0 {
		t.Fatalf("second sweep: %s %v, sent %v", out, err, q2.Sent())
	}
}

func TestSweepThatCannotSendFailsTheInvocation(t *testing.T) {
	s := memstore.New()
	store(t, s, order.SourceMarketplace, "221", "john@account.com", time.Now().Add(-receivedAge-time.Minute), order.Received)
	q := &recordingQueue{err: errors.New("throttled")}
	if out, err := invoke(t, newTestHandler(t, s, q), lambdatest.Fixture(t, "enqueuer-sweep.json")); err == nil {
		t.Fatalf("a sweep that sent nothing answered %s; the scheduler should see a failure and retry", out)
	}
}

func TestEventThatIsNeitherTriggerFailsTheInvocation(t *testing.T) {
	for _, payload := range []string{`{}`, `{"action":"sweeep"}`, `[]`} {
		s := memstore.New()
		store(t, s, order.SourceMarketplace, "221", "john@account.com", time.Now().Add(-receivedAge-time.Minute), order.Received)
		q := &recordingQueue{}
		if out, err := invoke(t, newTestHandler(t, s, q), []byte(payload)); err == nil {
			t.Errorf("%s answered %s; want a Lambda error", payload, out)
		}
		if o := get(t, s, "mkt-221"); o.State != order.Received || len(q.Sent()) != 0 {
			t.Errorf("%s: order %s, sent %v; want nothing done", payload, o.State, q.Sent())
		}
	}
}

// TestSweepPublishesTheBacklog: each sweep writes an embedded-metric line per waiting state, which
// the alarms on orders needing a person read.
func TestSweepPublishesTheBacklog(t *testing.T) {
	s, q := memstore.New(), &recordingQueue{}
	now := time.Now()
	store(t, s, order.SourceMarketplace, "301", "a@example.com", now.Add(-time.Hour), order.Rejected)
	store(t, s, order.SourceMarketplace, "302", "b@example.com", now.Add(-2*time.Hour), order.Rejected)
	h := newTestHandler(t, s, q)
	var buf syncBuffer
	h.Log = slog.New(slog.NewJSONHandler(&buf, nil))
	h.MetricsNamespace = "orderhub/test"
	if _, err := invoke(t, h, lambdatest.Fixture(t, "enqueuer-sweep.json")); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, line := range strings.Split(buf.String(), "\n") {
		var rec struct {
			Msg, State                          string
			OrdersWaiting, OldestWaitingSeconds float64
			AWS                                 map[string]any `json:"_aws"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "backlog" || rec.State != "REJECTED" {
			continue
		}
		found = true
		if rec.OrdersWaiting != 2 || rec.OldestWaitingSeconds < 7100 || rec.AWS == nil {
			t.Errorf("REJECTED backlog %+v", rec)
		}
	}
	if !found {
		t.Fatalf("no backlog line for REJECTED in:\n%s", buf.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
