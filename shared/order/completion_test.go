package order

import (
	"errors"
	"testing"
	"time"
)

func deliveredOrder(t *testing.T) *Order {
	t.Helper()
	o := newOrder(t)
	o.Items = []Item{{Product: "a", Quantity: 2 * DecimalScale}, {Product: "b", Quantity: 1 * DecimalScale}}
	for i, s := range []State{Queued, ImportSubmitted, Imported, Fulfilled} {
		if err := o.MoveTo(s, Change{At: t0.Add(time.Duration(i+1) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	return o
}

func TestReturnsAreCheckedAgainstWhatIsLeft(t *testing.T) {
	o := deliveredOrder(t)
	at := Change{At: t0.Add(time.Hour)}
	if err := o.RecordReturn(Return{ID: "r1", Items: []ReturnedItem{{Product: "a", Quantity: DecimalScale}}}, at); err != nil {
		t.Fatal(err)
	}
	if o.State != Returned || o.FullyReturned() || o.NotReturned()["a"] != DecimalScale {
		t.Fatalf("after a partial return: %s, left %v", o.State, o.NotReturned())
	}
	before := o.Clone()
	for name, r := range map[string]Return{
		"same id":        {ID: "r1"},
		"no id":          {Items: []ReturnedItem{{Product: "b", Quantity: DecimalScale}}},
		"unknown item":   {ID: "r2", Items: []ReturnedItem{{Product: "zz", Quantity: DecimalScale}}},
		"more than left": {ID: "r3", Items: []ReturnedItem{{Product: "a", Quantity: 2 * DecimalScale}}},
		"zero":           {ID: "r4", Items: []ReturnedItem{{Product: "b"}}},
	} {
		if err := o.RecordReturn(r, at); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if len(o.Returns) != len(before.Returns) || len(o.History) != len(before.History) {
			t.Fatalf("%s: a refused return changed the order", name)
		}
	}
	if err := o.RecordReturn(Return{ID: "r1"}, at); !errors.Is(err, ErrAlreadyRecorded) {
		t.Fatalf("repeat of r1: %v", err)
	}
	if err := o.RecordReturn(Return{ID: "rest"}, at); err != nil {
		t.Fatal(err)
	}
	if !o.FullyReturned() || len(o.Returns[1].Items) != 2 {
		t.Fatalf("the rest: %+v", o.Returns)
	}
	if err := o.RecordReturn(Return{ID: "more"}, at); !errors.Is(err, ErrReturn) {
		t.Fatalf("a return after everything came back: %v", err)
	}
}

func TestReturnNeedsDelivery(t *testing.T) {
	o := newOrder(t)
	if err := o.RecordReturn(Return{ID: "r1"}, Change{At: t0}); !errors.Is(err, ErrReturn) {
		t.Fatalf("return of a RECEIVED order: %v", err)
	}
}

func TestCancelTellsTheTruth(t *testing.T) {
	o := newOrder(t)
	if to, err := o.Cancel(Change{At: t0.Add(time.Minute)}); err != nil || to != Cancelled {
		t.Fatalf("cancel before delivery: %s %v", to, err)
	}
	d := deliveredOrder(t)
	if to, err := d.Cancel(Change{At: t0.Add(time.Hour)}); err != nil || to != CancelRefused {
		t.Fatalf("cancel after delivery: %s %v", to, err)
	}
	if _, err := d.Cancel(Change{At: t0.Add(2 * time.Hour)}); !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("second cancel: %v", err)
	}
}

func TestCancelRefusesWhatPlenigoMayHave(t *testing.T) {
	now := t0.Add(time.Minute)
	for name, prep := range map[string]func(o *Order){
		"submitted": func(o *Order) { _ = o.MoveTo(Queued, Change{At: t0}); _ = o.MoveTo(ImportSubmitted, Change{At: t0}) },
		"claimed":   func(o *Order) { _ = o.MoveTo(Queued, Change{At: t0}); o.Claim("w1", t0, time.Hour) },
		"uncertain": func(o *Order) { _ = o.MoveTo(Queued, Change{At: t0}); o.Release(true, t0) },
	} {
		o := newOrder(t)
		prep(o)
		before := o.State
		if _, err := o.Cancel(Change{At: now}); !errors.Is(err, ErrMayBeInPlenigo) || o.State != before {
			t.Errorf("%s: %v, state %s", name, err, o.State)
		}
	}
	o := newOrder(t)
	_ = o.MoveTo(Queued, Change{At: t0})
	o.Claim("w1", t0, time.Second) // expired by now, never released: the worker may have posted
	if _, err := o.Cancel(Change{At: now}); !errors.Is(err, ErrMayBeInPlenigo) {
		t.Errorf("an expired claim: %v", err)
	}
	o = newOrder(t)
	_ = o.MoveTo(Queued, Change{At: t0})
	if to, err := o.Cancel(Change{At: now}); err != nil || to != Cancelled || o.Claim("w2", now, time.Hour) {
		t.Fatalf("a queued order: %s %v; a worker can still claim it afterwards", to, err)
	}
}

func TestAnOrderWithOneItemInPlenigoIsNotCancelled(t *testing.T) {
	o := newOrder(t)
	o.Items = []Item{{Product: "a", Quantity: DecimalScale}, {Product: "b", Quantity: DecimalScale}}
	_ = o.MoveTo(Queued, Change{At: t0})
	_ = o.MoveTo(ImportSubmitted, Change{At: t0})
	o.ConfirmImport(o.ImportKey(0), "500001") // item a imported …
	o.Submitted()
	_ = o.MoveTo(ImportFailed, Change{At: t0, Reason: "item b refused"}) // … item b refused
	if _, err := o.Cancel(Change{At: t0.Add(time.Minute)}); !errors.Is(err, ErrMayBeInPlenigo) {
		t.Fatalf("cancel of an order with one item in plenigo: %v", err)
	}
}
