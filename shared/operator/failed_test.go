package operator

import (
	"bytes"

	"context"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/runs"
)

// seedNeeds stores one order per kind of need, and orders that need nothing, and returns the ids
// that need a person.
func seedNeeds(t *testing.T, svc *intake.Service, at time.Time) []string {
	t.Helper()
	ctx := context.Background()
	by := order.Actor{Function: "test"}
	mk := func(ref, product string, moves ...order.State) *order.Order {
		o, _ := order.New(order.SourceMarketplace, ref, at, by)
		o.Customer.Email = ref + "@example.com"
		o.Items = []order.Item{{Product: product, Quantity: order.DecimalFromInt(1), Price: order.Money{Gross: 490000, Net: 411765}}}
		o.Payment.Method = "paypal"
		if _, err := svc.Accept(ctx, o, by); err != nil {
			t.Fatal(err)
		}
		if len(moves) == 0 {
			return o
		}
		o2, err := svc.Orders.Update(ctx, o.ID, func(o *order.Order) error {
			o.Completion = order.Completion{When: order.CompleteOnImport, EarnsPoints: true}
			for i, s := range moves {
				c := order.Change{At: at.Add(time.Duration(i+1) * time.Second), By: by, Reason: "plenigo refused the order: offer \"O_X\" unknown (60404)"}
				if s == order.Fulfilled {
					if err := loyalty.Complete(o, c); err != nil {
						return err
					}
					continue
				}
				if err := o.MoveTo(s, c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return o2
	}
	mk("rej-fixable", "7777")
	mk("rej-still", "8888")
	mk("failed-1", "1338", order.Queued, order.ImportFailed)
	mk("failed-2", "1338", order.Queued, order.ImportFailed)
	mk("fine", "1338", order.Queued, order.ImportSubmitted, order.Imported)
	mk("refused-cancel", "1338", order.Queued, order.ImportSubmitted, order.Imported, order.Fulfilled, order.CancelRefused)
	award := mk("loyalty-failed", "1338", order.Queued, order.ImportSubmitted, order.Imported, order.Fulfilled)
	if _, err := svc.Orders.Update(ctx, award.ID, func(o *order.Order) error {
		return o.MoveTrack(loyalty.Machine, loyalty.Failed, order.Change{At: at.Add(time.Minute), By: by,
			Call: &order.PartnerCall{Partner: "bonifiq", Operation: "upsert order", Outcome: "permanent", Detail: "OrderTotal must be above 0"}})
	}); err != nil {
		t.Fatal(err)
	}
	return []string{"mkt-rej-fixable", "mkt-rej-still", "mkt-failed-1", "mkt-failed-2", "mkt-refused-cancel", "mkt-loyalty-failed"}
}

// TestFailedAndReplayOnDynamoDBLocal: failed lists exactly the orders that need a person; a dry run
// changes nothing; a replay moves each on that can move, records who ran it, and a second replay
// finds nothing left to do.
func TestFailedAndReplayOnDynamoDBLocal(t *testing.T) {
	if os.Getenv(localaws.EnvDynamoDB) == "" {
		t.Skipf("%s is not set (make test, or orderhub with-emulators, sets it)", localaws.EnvDynamoDB)
	}
	_, table, calls := localaws.TestTable(t, "OrdersTable")
	ctx := context.Background()
	store, err := Open(ctx, Target{Kind: Local, Endpoint: os.Getenv(localaws.EnvDynamoDB), Table: table})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mapping.Parse([]byte(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	svc := &intake.Service{Orders: store, Mapping: m}
	at := time.Now().Add(-time.Hour).UTC()
	want := seedNeeds(t, svc, at)
	now := time.Now()

	needs, err := Failed(ctx, store, Selection{}, now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, n := range needs {
		got[n.OrderID] = true
	}
	for _, id := range want {
		if !got[id] {
			t.Errorf("%s is not listed", id)
		}
	}
	if len(needs) != len(want) {
		t.Fatalf("listed %d, want %d: %+v", len(needs), len(want), needs)
	}
	for sel, n := range map[string]struct {
		s    Selection
		want int
	}{
		"state":  {Selection{States: []string{"import_failed"}}, 2},
		"track":  {Selection{States: []string{"FAILED"}}, 1},
		"reason": {Selection{Reason: "NO PLENIGO OFFER"}, 2},
		"source": {Selection{Source: order.SourceDealer}, 0},
		"recent": {Selection{Since: time.Minute}, 0},
	} {
		if got, err := Failed(ctx, store, n.s, now); err != nil || len(got) != n.want {
			t.Errorf("%s: %d listed, want %d (%v)", sel, len(got), n.want, err)
		}
	}
	var out bytes.Buffer
	PrintFailed(&out, needs, now)
	if !strings.Contains(out.String(), "2 × IMPORT_FAILED") || !strings.Contains(out.String(), "6 orders need a person") {
		t.Errorf("listing:\n%s", out.String())
	}

	m.Offers[order.SourceMarketplace]["7777"] = "O_K3Q9T2W8PLX4RM7N2B" // the fix
	writes := calls.Count("TransactWriteItems") + calls.Count("PutItem") + calls.Count("UpdateItem")
	out.Reset()
	if n, err := Replay(ctx, &out, svc, needs, ReplayOptions{DryRun: true, Who: "ann@ops"}, nil); err != nil || n != 4 {
		t.Fatalf("dry run: %d %v\n%s", n, err, out.String())
	}
	if w := calls.Count("TransactWriteItems") + calls.Count("PutItem") + calls.Count("UpdateItem"); w != writes {
		t.Fatalf("a dry run wrote %d times", w-writes)
	}
	if _, err := Replay(ctx, &out, svc, needs, ReplayOptions{Cap: 3}, nil); err == nil {
		t.Fatal("a replay over its cap ran")
	}
	out.Reset()
	if n, err := Replay(ctx, &out, svc, needs, ReplayOptions{Who: "ann@ops"}, nil); err != nil || n != 4 {
		t.Fatalf("replay: %d %v\n%s", n, err, out.String())
	}
	for id, st := range map[string]order.State{"mkt-rej-fixable": order.Received, "mkt-rej-still": order.Rejected,
		"mkt-failed-1": order.Received, "mkt-failed-2": order.Received, "mkt-refused-cancel": order.CancelRefused} {
		o, err := store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if o.State != st {
			t.Errorf("%s: %s, want %s", id, o.State, st)
		}
		if last := o.History[len(o.History)-1]; st == order.Received && (last.Actor.Function != replayer || last.Actor.RequestID != "ann@ops") {
			t.Errorf("%s: last entry %+v does not say who replayed it", id, last)
		}
	}
	if o, _ := store.Get(ctx, "mkt-loyalty-failed"); o.Track(loyalty.Track).State != loyalty.AwardDue {
		t.Errorf("loyalty track %s after replay", o.Track(loyalty.Track).State)
	}
	again, err := Failed(ctx, store, Selection{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if n, err := Replay(ctx, &out, svc, again, ReplayOptions{}, nil); err != nil || n != 0 {
		t.Fatalf("second replay moved %d (%v):\n%s", n, err, out.String())
	}
}

// TestStatusOnTheEmulators: the status counts what waits in each state, what needs a person and
// the dead letters.
func TestStatusOnTheEmulators(t *testing.T) {
	if os.Getenv(localaws.EnvDynamoDB) == "" || os.Getenv(localaws.EnvSQS) == "" {
		t.Skip("needs DynamoDB Local and the SQS emulator (make test starts them)")
	}
	_, table, _ := localaws.TestTable(t, "OrdersTable")
	ctx := context.Background()
	sqsURL := os.Getenv(localaws.EnvSQS)
	target := Target{Kind: Local, Endpoint: os.Getenv(localaws.EnvDynamoDB), Table: table, SQSEndpoint: sqsURL}
	store, err := Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := mapping.Parse([]byte(testMapping))
	seedNeeds(t, &intake.Service{Orders: store, Mapping: m}, time.Now().Add(-time.Hour))

	q := localaws.SQS(sqsURL, nil)
	name := "status-dlq-" + strings.ReplaceAll(table, ".", "-")
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: created.QueueUrl}) })
	for _, body := range []string{"mkt-1", "mkt-2"} {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: created.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	target.QueueURLs = map[string]string{"ImportDLQ": aws.ToString(created.QueueUrl)}
	dl, err := OpenDeadLetters(ctx, target)
	if err != nil || dl == nil {
		t.Fatalf("dead letters: %v %v", dl, err)
	}
	polled := time.Now().Add(-90 * time.Second)
	(&runs.Recorder{Records: store, Now: func() time.Time { return polled }}).Done(ctx, runs.PollerPoll)
	s, err := ReadStatus(ctx, store, store, dl, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"REJECTED": 2, "IMPORT_FAILED": 2, "CANCEL_REFUSED": 1, "loyalty#FAILED": 1, "RECEIVED": 0}
	for _, b := range s.Backlog {
		if n, ok := want[b.State]; ok && b.Count != n {
			t.Errorf("%s: %d waiting, want %d", b.State, b.Count, n)
		}
	}
	if len(s.DeadLetters) != 1 || s.DeadLetters[0].Messages != 2 {
		t.Errorf("dead letters %+v (%v)", s.DeadLetters, s.DeadLettersErr)
	}
	var out bytes.Buffer
	PrintStatus(&out, s, polled.Add(90*time.Second))
	if !strings.Contains(out.String(), "6 waiting for a person") || !strings.Contains(out.String(), "ImportDLQ 2") ||
		!strings.Contains(out.String(), "poller poll        1m30s ago") || !strings.Contains(out.String(), "pusher sweep       never") {
		t.Errorf("status:\n%s", out.String())
	}
}
