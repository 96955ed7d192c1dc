package order

import (
	"errors"
	"testing"
	"time"
)

// points is a track shaped like a loyalty program's: pushed once final, reversed on a return.
var points = NewMachine("points", []TrackState{"PENDING"}, map[TrackState]TrackFacts{
	"PENDING":   {Next: []TrackState{"AWARDED", "FAILED"}, NeedsWork: true},
	"AWARDED":   {Next: []TrackState{"REVERSING"}},
	"REVERSING": {Next: []TrackState{"REVERSED"}, NeedsWork: true},
	"REVERSED":  {},
	"FAILED":    {Next: []TrackState{"PENDING"}},
})

func TestTrackStartsOnlyInAnInitialState(t *testing.T) {
	o := newOrder(t)
	if err := o.MoveTrack(points, "AWARDED", Change{At: t0}); !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("started in AWARDED: %v", err)
	}
	if o.Track("points") != nil || len(o.History) != 1 {
		t.Fatal("a refused start changed the order")
	}
	if err := o.MoveTrack(points, "PENDING", Change{At: t0, By: Actor{Function: "pusher"}}); err != nil {
		t.Fatal(err)
	}
	tr := o.Track("points")
	if tr == nil || tr.State != "PENDING" || !tr.Waiting {
		t.Fatalf("track %+v", tr)
	}
	e := o.History[len(o.History)-1]
	if e.Track != "points" || e.TrackFrom != "" || e.TrackTo != "PENDING" || e.From != Received || e.To != Received || e.Seq != 2 {
		t.Fatalf("history entry %+v", e)
	}
}

func TestTrackMovesFollowItsMachineAndLeaveTheOrderStateAlone(t *testing.T) {
	o := newOrder(t)
	at := t0
	step := func(to TrackState) error {
		at = at.Add(time.Minute)
		return o.MoveTrack(points, to, Change{At: at, Call: &PartnerCall{Partner: "points", Operation: "push", Outcome: string(to)}})
	}
	for _, s := range []TrackState{"PENDING", "AWARDED", "REVERSING", "REVERSED"} {
		if err := step(s); err != nil {
			t.Fatalf("move to %s: %v", s, err)
		}
	}
	if err := step("PENDING"); !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("REVERSED → PENDING allowed: %v", err)
	}
	tr := o.Track("points")
	if tr.Waiting {
		t.Fatal("a settled track is still marked waiting")
	}
	if tr.State != "REVERSED" || tr.LastCall.Outcome != "REVERSED" || !tr.UpdatedAt.Equal(at.Add(-time.Minute)) || o.State != Received {
		t.Fatalf("track %+v, order state %s", tr, o.State)
	}
	if len(o.History) != 5 {
		t.Fatalf("%d history entries, want one per move", len(o.History))
	}
}

func TestRecordTrackCountsAttemptsAndAMoveResetsThem(t *testing.T) {
	o := newOrder(t)
	if err := o.RecordTrack("points", Change{At: t0}); err == nil {
		t.Fatal("recorded a call on a track that has not started")
	}
	_ = o.MoveTrack(points, "PENDING", Change{At: t0})
	for range 2 {
		if err := o.RecordTrack("points", Change{At: t0, Call: &PartnerCall{Partner: "points", Outcome: "transient", Status: 503}}); err != nil {
			t.Fatal(err)
		}
	}
	if tr := o.Track("points"); tr.Attempts != 2 || tr.State != "PENDING" || tr.LastCall.Status != 503 {
		t.Fatalf("track %+v", tr)
	}
	_ = o.MoveTrack(points, "AWARDED", Change{At: t0})
	if o.Track("points").Attempts != 0 {
		t.Fatal("attempts not reset on a move")
	}
}

func TestTrackChangesDoNotReachAClone(t *testing.T) {
	o := newOrder(t)
	_ = o.MoveTrack(points, "PENDING", Change{At: t0, Call: &PartnerCall{Outcome: "a"}})
	c := o.Clone()
	_ = o.MoveTrack(points, "AWARDED", Change{At: t0})
	c.Tracks["points"].LastCall.Outcome = "b"
	if c.Track("points").State != "PENDING" || o.Track("points").LastCall.Outcome != "a" {
		t.Fatal("a clone shares its tracks with the original")
	}
}

func TestMachineRefusesUndefinedStates(t *testing.T) {
	for name, build := range map[string]func(){
		"initial": func() { NewMachine("x", []TrackState{"NOPE"}, map[TrackState]TrackFacts{"A": {}}) },
		"next":    func() { NewMachine("x", []TrackState{"A"}, map[TrackState]TrackFacts{"A": {Next: []TrackState{"B"}}}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: an undefined state was accepted", name)
				}
			}()
			build()
		}()
	}
}
