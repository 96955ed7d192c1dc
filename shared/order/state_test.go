package order

import (
	"errors"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func newOrder(t *testing.T) *Order {
	t.Helper()
	o, err := New(SourceMarketplace, "221", t0, Actor{Function: "receiver", RequestID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestNewOrderStartsReceivedWithOneEvent(t *testing.T) {
	o := newOrder(t)
	if o.ID != "mkt-221" || o.State != Received {
		t.Fatalf("got id %q state %s", o.ID, o.State)
	}
	if len(o.History) != 1 || o.History[0].Seq != 1 || o.History[0].To != Received || o.History[0].Actor.RequestID != "r1" {
		t.Fatalf("history = %+v", o.History)
	}
}

func TestNewOrderRefusesIDsPlenigoCannotTake(t *testing.T) {
	long := make([]byte, MaxExternalIDLen)
	for i := range long {
		long[i] = 'x'
	}
	if _, err := New(SourceDealer, string(long), t0, Actor{}); err == nil {
		t.Fatal("accepted an id longer than plenigo's externalSystemId limit")
	}
	if _, err := New(SourceDealer, "", t0, Actor{}); err == nil {
		t.Fatal("accepted an empty source reference")
	}
}

func TestHappyPathAppendsOneEventPerMove(t *testing.T) {
	o := newOrder(t)
	path := []State{Queued, ImportSubmitted, Imported, Fulfilled, Returned}
	for i, s := range path {
		if err := o.MoveTo(s, Change{At: t0.Add(time.Duration(i+1) * time.Minute), By: Actor{Function: "f"}}); err != nil {
			t.Fatalf("move to %s: %v", s, err)
		}
	}
	if len(o.History) != len(path)+1 {
		t.Fatalf("history has %d entries, want %d", len(o.History), len(path)+1)
	}
	for i, e := range o.History {
		if e.Seq != i+1 {
			t.Errorf("entry %d has seq %d", i, e.Seq)
		}
		if i > 0 && (e.From != o.History[i-1].To || !e.At.After(o.History[i-1].At)) {
			t.Errorf("entry %d does not follow its predecessor: %+v", i, e)
		}
	}
	if !o.State.Settled() {
		t.Errorf("%s should be settled", o.State)
	}
}

func TestIllegalTransitionsAreRefusedAndChangeNothing(t *testing.T) {
	cases := []struct{ from, to State }{
		{Received, Imported},
		{Received, Fulfilled},
		{Fulfilled, Cancelled}, // a delivered order is never claimed cancelled
		{Imported, Received},
		{Cancelled, Received},
		{Returned, Fulfilled},
		{ImportSubmitted, Queued},
	}
	for _, c := range cases {
		o := newOrder(t)
		o.State = c.from
		before := len(o.History)
		err := o.MoveTo(c.to, Change{At: t0})
		if !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("%s → %s: err = %v, want ErrIllegalTransition", c.from, c.to, err)
		}
		if o.State != c.from || len(o.History) != before {
			t.Errorf("%s → %s changed the order", c.from, c.to)
		}
	}
}

func TestEveryStateIsInTheMachineAndReachable(t *testing.T) {
	reached := map[State]bool{Received: true}
	queue := []State{Received}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, n := range factsOf[s].next {
			if !n.Valid() {
				t.Errorf("%s leads to unknown state %s", s, n)
			}
			if !reached[n] {
				reached[n] = true
				queue = append(queue, n)
			}
		}
	}
	for _, s := range States() {
		if !reached[s] {
			t.Errorf("state %s cannot be reached from RECEIVED", s)
		}
	}
	if len(States()) != len(factsOf) {
		t.Errorf("States() lists %d states, the machine has %d: a state is listed twice", len(States()), len(factsOf))
	}
}

func TestRejectedOrderCanBeReplayed(t *testing.T) {
	o := newOrder(t)
	if err := o.MoveTo(Rejected, Change{At: t0, Reason: "no offer"}); err != nil {
		t.Fatal(err)
	}
	if o.StateReason != "no offer" || !o.State.NeedsWork() {
		t.Fatalf("rejected order: reason %q, needs work %v", o.StateReason, o.State.NeedsWork())
	}
	if err := o.MoveTo(Received, Change{At: t0.Add(time.Hour), Reason: "mapping fixed"}); err != nil {
		t.Fatal(err)
	}
}

func TestRecordKeepsStateAndResetOnMove(t *testing.T) {
	o := newOrder(t)
	_ = o.MoveTo(Queued, Change{At: t0})
	o.Attempts = 2
	o.Record(Change{At: t0, Call: &PartnerCall{Partner: "plenigo", Operation: "import", Outcome: "transient", Status: 503}})
	if o.State != Queued || o.History[len(o.History)-1].Call.Status != 503 {
		t.Fatalf("record changed state or lost the call: %+v", o.History[len(o.History)-1])
	}
	_ = o.MoveTo(ImportSubmitted, Change{At: t0})
	if o.Attempts != 0 {
		t.Errorf("attempts not reset on a forward move: %d", o.Attempts)
	}
}

func TestValueExcludesShipping(t *testing.T) {
	o := newOrder(t)
	o.Items = []Item{{Quantity: DecimalFromInt(2), Price: Money{Gross: 490000}}, {Quantity: DecimalFromInt(1), Price: Money{Gross: 15000}}}
	o.Shipping = Money{Gross: 49000}
	if got := o.Value(); got != 995000 {
		t.Fatalf("Value() = %s, want 99.5", got)
	}
}

func TestCloneIsDeep(t *testing.T) {
	o := newOrder(t)
	o.Items = []Item{{Product: "1"}}
	o.Dealer = &Dealer{Group: "g"}
	o.SourceDetails = SourceDetails{"k": "v"}
	c := o.Clone()
	c.Items[0].Product = "2"
	c.Dealer.Group = "h"
	c.SourceDetails["k"] = "w"
	c.History[0].Reason = "x"
	if o.Items[0].Product != "1" || o.Dealer.Group != "g" || o.SourceDetails["k"] != "v" || o.History[0].Reason != "" {
		t.Fatal("clone shares memory with the original")
	}
}

func TestImportKeys(t *testing.T) {
	o := newOrder(t)
	o.Items = []Item{{Product: "a"}}
	if o.ImportKey(0) != "mkt-221" {
		t.Fatalf("single item key %q", o.ImportKey(0))
	}
	o.Items = append(o.Items, Item{Product: "b"})
	if o.ImportKey(1) != "mkt-221-2" {
		t.Fatalf("second item key %q", o.ImportKey(1))
	}
	if ids := OrderIDsForImportKey("mkt-221-2"); len(ids) != 2 || ids[1] != "mkt-221" {
		t.Fatalf("ids for key: %v", ids)
	}
	if ids := OrderIDsForImportKey("dealer-ABC"); len(ids) != 1 {
		t.Fatalf("ids for key without position: %v", ids)
	}
	if known, all := o.ConfirmImport("mkt-221-1", "501"); !known || all {
		t.Fatalf("first of two confirmed: known %v all %v", known, all)
	}
	if known, all := o.ConfirmImport("mkt-221-2", "502"); !known || !all || o.Subscription.PlenigoOrderID != "501" {
		t.Fatalf("second of two confirmed: known %v all %v sub %q", known, all, o.Subscription.PlenigoOrderID)
	}
	if known, _ := o.ConfirmImport("mkt-999", "1"); known {
		t.Fatal("a foreign key was confirmed")
	}
}

func TestStateFactsAgree(t *testing.T) {
	for _, s := range States() {
		f := factsOf[s]
		if (f.awaitsSubmission || f.awaitsConfirmation) && (f.settled || !f.needsWork) {
			t.Errorf("%s awaits a step of orderhub, so it must be unsettled and indexed", s)
		}
		if !f.settled && !f.needsWork {
			t.Errorf("%s is moved on by orderhub but not indexed: a sweep could never find it", s)
		}
		if s.Final() && !f.settled {
			t.Errorf("final state %s is not settled", s)
		}
	}
	for _, s := range InFlight() {
		if s.Settled() {
			t.Errorf("in-flight state %s is settled", s)
		}
	}
}

func TestImportQuestions(t *testing.T) {
	o := newOrder(t)
	for s, want := range map[State][2]bool{Received: {false, false}, Queued: {true, true}, Retrying: {true, true},
		ImportSubmitted: {false, true}, Imported: {false, false}, ImportFailed: {false, false}} {
		o.State = s
		if o.AwaitsSubmission() != want[0] || o.AwaitsConfirmation() != want[1] {
			t.Errorf("%s: awaits submission %v, confirmation %v; want %v", s, o.AwaitsSubmission(), o.AwaitsConfirmation(), want)
		}
	}
}

func TestOneClaimOnTheImportStep(t *testing.T) {
	o := newOrder(t)
	if o.Claim("w1", t0, time.Minute) {
		t.Fatal("an order not yet queued was claimed")
	}
	_ = o.MoveTo(Queued, Change{At: t0})
	if !o.Claim("w1", t0, time.Minute) || o.Claim("w2", t0.Add(30*time.Second), time.Minute) {
		t.Fatal("a second worker took a held claim")
	}
	if !o.ClaimedBy("w1", t0.Add(30*time.Second)) || o.ClaimedBy("w1", t0.Add(2*time.Minute)) {
		t.Fatal("ClaimedBy ignores the expiry")
	}
	if !o.Claim("w2", t0.Add(2*time.Minute), time.Minute) {
		t.Fatal("an expired claim was not taken over")
	}
	if !o.Submission.UncertainAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("a claim its holder never gave up leaves the submission's outcome open: %+v", o.Submission)
	}
	o.Release(true, t0.Add(3*time.Minute))
	if o.Submission.Owner != "" || !o.Submission.UncertainAt.Equal(t0.Add(3*time.Minute)) || !o.Claim("w3", t0.Add(3*time.Minute), time.Minute) {
		t.Fatalf("after release: %+v", o.Submission)
	}
	o.Submitted()
	if o.Submission != (Submission{}) {
		t.Fatalf("submitted order keeps %+v", o.Submission)
	}
}
