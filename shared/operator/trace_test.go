package operator

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/order"
)

func TestTraceShowsEveryHop(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	o, err := order.New(order.SourceMarketplace, "221", at, order.Actor{Function: "receiver", RequestID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.MoveTo(order.Queued, order.Change{At: at.Add(time.Second), By: order.Actor{Function: "enqueuer"}}); err != nil {
		t.Fatal(err)
	}
	o.Record(order.Change{At: at.Add(2 * time.Second), By: order.Actor{Function: "worker"}, Call: &order.PartnerCall{Partner: "plenigo", Operation: "ensure customer", Outcome: "created", Detail: "plenigo customer 9123"}})
	if err := o.MoveTo(order.ImportSubmitted, order.Change{At: at.Add(3 * time.Second), By: order.Actor{Function: "worker"}, Reason: "import accepted"}); err != nil {
		t.Fatal(err)
	}
	o.Customer.PlenigoCustomerID = "9123"

	var b bytes.Buffer
	Trace(&b, o)
	out := b.String()
	for _, want := range []string{
		"order mkt-221  (mkt, 221)  state IMPORT_SUBMITTED",
		"plenigo customer 9123  order -  promise -",
		"2026-11-22 10:00:00.000  receiver",
		"enqueuer   RECEIVED → QUEUED",
		"plenigo ensure customer: created (plenigo customer 9123)",
		"worker     QUEUED → IMPORT_SUBMITTED",
		"— import accepted",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 2+len(o.History) {
		t.Errorf("trace has %d lines, want a header, the ids and one line per history entry:\n%s", n, out)
	}
}

func TestTraceShowsWhyRejected(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	o, err := order.New(order.SourceMarketplace, "7777", at, order.Actor{Function: "receiver"})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.MoveTo(order.Rejected, order.Change{At: at, By: order.Actor{Function: "receiver"}, Reason: "no offer for product 7777"}); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	Trace(&b, o)
	first, _, _ := strings.Cut(b.String(), "\n")
	if want := "order mkt-7777  (mkt, 7777)  state REJECTED: no offer for product 7777"; first != want {
		t.Errorf("header %q, want %q", first, want)
	}
	if !strings.Contains(b.String(), "RECEIVED → REJECTED") || !strings.Contains(b.String(), "— no offer for product 7777") {
		t.Errorf("trace lacks the rejection:\n%s", b.String())
	}
}

func TestTraceShowsPartnerTracks(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	points := order.NewMachine("points", []order.TrackState{"PENDING"}, map[order.TrackState]order.TrackFacts{
		"PENDING": {Next: []order.TrackState{"AWARDED"}, NeedsWork: true}, "AWARDED": {}})
	o, err := order.New(order.SourceMarketplace, "221", at, order.Actor{Function: "receiver"})
	if err != nil {
		t.Fatal(err)
	}
	_ = o.MoveTrack(points, "PENDING", order.Change{At: at.Add(time.Second), By: order.Actor{Function: "pusher"}})
	_ = o.MoveTrack(points, "AWARDED", order.Change{At: at.Add(2 * time.Second), By: order.Actor{Function: "pusher"},
		Call: &order.PartnerCall{Partner: "points", Operation: "push", Outcome: "awarded"}})
	var b bytes.Buffer
	Trace(&b, o)
	out := b.String()
	for _, want := range []string{"points AWARDED  since 2026-11-22 10:00:02.000", "points: (start) → PENDING", "points: PENDING → AWARDED", "points push: awarded"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
}
