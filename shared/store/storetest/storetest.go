// Package storetest is the contract every order.Repository passes: the in-memory store and the
// DynamoDB store run the same subtests, so the fake cannot drift from the real thing.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/order"
)

// Run runs the contract against the repositories newRepo returns; each call must give an empty one.
func Run(t *testing.T, newRepo func(t *testing.T) order.Repository) {
	tests := map[string]func(*testing.T, order.Repository){
		"CreateThenGetRoundTrips":           createThenGet,
		"DuplicateCreateStoresNothing":      duplicateCreate,
		"ConcurrentCreatesOneWins":          concurrentCreates,
		"GetUnknownIsNotFound":              getUnknown,
		"UpdateAppendsHistoryInOrder":       updateAppendsHistory,
		"UpdateErrorStoresNothing":          updateErrorStoresNothing,
		"UpdateNoChangeStoresNothing":       updateNoChange,
		"UpdateUnknownIsNotFound":           updateUnknown,
		"ConcurrentUpdatesAllLandByRetries": concurrentUpdates,
		"NeedingWorkListsOnlyWaitingOrders": needingWork,
		"LongHistoryRoundTrips":             longHistory,
		"TracksNeedingWorkFollowTheirState": tracksNeedingWork,
		"TooLargeOrdersAreRefused":          tooLarge,
		"ReceivedBetweenSpansDays":          receivedBetween,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, newRepo(t))
		})
	}
}

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

var actor = order.Actor{Function: "storetest", RequestID: "req-1"}

// sample is a fully populated order, so a round trip that drops a field shows.
func sample(t *testing.T, ref string) *order.Order {
	t.Helper()
	o, err := order.New(order.SourceMarketplace, ref, t0, actor)
	if err != nil {
		t.Fatal(err)
	}
	o.EventID = "evt_" + ref
	o.Customer = order.Customer{Email: "john@account.com", Language: "de", Gender: "male", FirstName: "John", LastName: "Doe", SourceID: "1337",
		Address: order.Address{Company: "MyStore", Street: "Main Street", HouseNumber: "123", PostalCode: "34117", Town: "Kassel", Country: "DE", Phone: "123-456-7890"}}
	o.Dealer = &order.Dealer{Group: "G1", Number: "4711"}
	o.Items = []order.Item{{Product: "1338", Name: "SuperService", Quantity: order.DecimalFromInt(1), Price: order.Money{Gross: 490000, Net: 411765}, OfferID: "O_MZA1E7173120881551"}}
	o.Shipping = order.Money{Gross: 49000, Net: 41176}
	o.Payment = order.Payment{Method: "paypal", TransactionID: "1S473067CV761473M", PlenigoMethod: "PAYPAL"}
	o.StartDate = t0
	o.PlacedAt = t0.Add(-time.Hour)
	o.SourceDetails = order.SourceDetails{"addressId": "25"}
	return o
}

func move(o *order.Order, to order.State, minutes int) error {
	return o.MoveTo(to, order.Change{At: t0.Add(time.Duration(minutes) * time.Minute), By: actor, Reason: "to " + string(to),
		Call: &order.PartnerCall{Partner: "plenigo", Operation: "op", Outcome: "ok", Status: 201}})
}

func createThenGet(t *testing.T, r order.Repository) {
	ctx := context.Background()
	o := sample(t, "1")
	if err := move(o, order.Rejected, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	if o.Version != 1 {
		t.Errorf("Create left version %d, want 1", o.Version)
	}
	got, err := r.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, o) {
		t.Fatalf("round trip changed the order:\n got %+v\nwant %+v", got, o)
	}
}

func duplicateCreate(t *testing.T, r order.Repository) {
	ctx := context.Background()
	first := sample(t, "2")
	if err := r.Create(ctx, first); err != nil {
		t.Fatal(err)
	}
	second := sample(t, "2")
	second.Customer.Email = "other@example.com"
	if err := r.Create(ctx, second); !errors.Is(err, order.ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}
	got, err := r.Get(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Customer.Email != "john@account.com" || len(got.History) != 1 {
		t.Fatalf("duplicate Create changed the stored order: %+v", got)
	}
}

func concurrentCreates(t *testing.T, r order.Repository) {
	ctx := context.Background()
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.Create(ctx, sample(t, "3"))
		}()
	}
	wg.Wait()
	created := 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, order.ErrExists):
			t.Errorf("concurrent Create: %v", err)
		}
	}
	if created != 1 {
		t.Fatalf("%d concurrent creates succeeded, want exactly 1", created)
	}
}

func getUnknown(t *testing.T, r order.Repository) {
	if _, err := r.Get(context.Background(), "mkt-404"); !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("Get unknown: %v, want ErrNotFound", err)
	}
}

func updateAppendsHistory(t *testing.T, r order.Repository) {
	ctx := context.Background()
	o := sample(t, "4")
	if err := r.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	path := []order.State{order.Queued, order.ImportSubmitted, order.Imported}
	for i, s := range path {
		updated, err := r.Update(ctx, o.ID, func(o *order.Order) error {
			o.Subscription.PromiseID = "promise-" + string(s)
			return move(o, s, i+1)
		})
		if err != nil {
			t.Fatalf("update to %s: %v", s, err)
		}
		if updated.Version != i+2 || updated.State != s {
			t.Fatalf("update returned version %d state %s", updated.Version, updated.State)
		}
	}
	got, err := r.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != order.Imported || got.Version != 4 || got.Subscription.PromiseID != "promise-IMPORTED" {
		t.Fatalf("stored state %s version %d promise %q", got.State, got.Version, got.Subscription.PromiseID)
	}
	want := []order.State{order.Received, order.Queued, order.ImportSubmitted, order.Imported}
	if len(got.History) != len(want) {
		t.Fatalf("history has %d entries, want %d", len(got.History), len(want))
	}
	for i, e := range got.History {
		if e.Seq != i+1 || e.To != want[i] {
			t.Errorf("history[%d] = seq %d to %s, want seq %d to %s", i, e.Seq, e.To, i+1, want[i])
		}
		if i > 0 && (e.Call == nil || e.Call.Status != 201 || e.Actor != actor) {
			t.Errorf("history[%d] lost its call or actor: %+v", i, e)
		}
	}
}

func updateErrorStoresNothing(t *testing.T, r order.Repository) {
	ctx := context.Background()
	o := sample(t, "5")
	if err := r.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	_, err := r.Update(ctx, o.ID, func(o *order.Order) error {
		return move(o, order.Fulfilled, 1) // illegal from RECEIVED
	})
	if !errors.Is(err, order.ErrIllegalTransition) {
		t.Fatalf("Update: %v, want ErrIllegalTransition", err)
	}
	got, _ := r.Get(ctx, o.ID)
	if got.State != order.Received || got.Version != 1 || len(got.History) != 1 {
		t.Fatalf("failed update stored something: state %s version %d history %d", got.State, got.Version, len(got.History))
	}
}

func updateNoChange(t *testing.T, r order.Repository) {
	ctx := context.Background()
	o := sample(t, "6")
	if err := r.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	got, err := r.Update(ctx, o.ID, func(o *order.Order) error { return order.ErrNoChange })
	if err != nil || got.Version != 1 {
		t.Fatalf("Update with ErrNoChange: %v, version %v", err, got)
	}
}

func updateUnknown(t *testing.T, r order.Repository) {
	_, err := r.Update(context.Background(), "mkt-404", func(*order.Order) error { return nil })
	if !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("Update unknown: %v, want ErrNotFound", err)
	}
}

// concurrentUpdates races writers on one order. Each closure records one attempt; the version check
// must make losers re-run on fresh data, so every increment and every history entry lands once.
func concurrentUpdates(t *testing.T, r order.Repository) {
	ctx := context.Background()
	o := sample(t, "7")
	if err := r.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	runs := 0
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.Update(ctx, o.ID, func(o *order.Order) error {
				mu.Lock()
				runs++
				mu.Unlock()
				o.Attempts++
				o.Record(order.Change{At: t0.Add(time.Duration(i) * time.Second), By: actor, Reason: fmt.Sprintf("writer %d", i)})
				return nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Update: %v", err)
		}
	}
	got, err := r.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attempts != n || got.Version != n+1 || len(got.History) != n+1 {
		t.Fatalf("after %d concurrent updates: attempts %d, version %d, history %d", n, got.Attempts, got.Version, len(got.History))
	}
	writers := map[string]bool{}
	for i, e := range got.History {
		if e.Seq != i+1 {
			t.Errorf("history[%d] has seq %d", i, e.Seq)
		}
		writers[e.Reason] = true
	}
	if len(writers) != n+1 {
		t.Errorf("history holds %d distinct entries, want %d: a writer's entry was lost or doubled", len(writers), n+1)
	}
	t.Logf("%d updates took %d closure runs", n, runs)
}

func needingWork(t *testing.T, r order.Repository) {
	ctx := context.Background()
	mk := func(ref string, minutes int, states ...order.State) {
		o, err := order.New(order.SourceDealer, ref, t0.Add(time.Duration(minutes)*time.Minute), actor)
		if err != nil {
			t.Fatal(err)
		}
		o.Items = []order.Item{{Product: "p", Quantity: order.DecimalFromInt(1)}}
		if err := r.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if _, err := r.Update(ctx, o.ID, func(o *order.Order) error { return move(o, s, minutes) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("w-old", 1)
	mk("w-older", 0)
	mk("w-new", 30)
	mk("w-queued", 2, order.Queued)
	mk("w-done", 3, order.Queued, order.ImportSubmitted, order.Imported)

	got, err := r.NeedingWork(ctx, order.Received, t0.Add(10*time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if ids(got) != "dealer-w-older,dealer-w-old" {
		t.Fatalf("RECEIVED before +10m = %s, want dealer-w-older,dealer-w-old", ids(got))
	}
	if got, _ := r.NeedingWork(ctx, order.Received, t0.Add(time.Hour), 1); ids(got) != "dealer-w-older" {
		t.Fatalf("limit 1 = %s", ids(got))
	}
	if got, _ := r.NeedingWork(ctx, order.Queued, t0.Add(time.Hour), 10); ids(got) != "dealer-w-queued" {
		t.Fatalf("QUEUED = %s", ids(got))
	}
	if got, _ := r.NeedingWork(ctx, order.Imported, t0.Add(time.Hour), 10); len(got) != 0 {
		t.Fatalf("IMPORTED orders listed as needing work: %s", ids(got))
	}
}

func longHistory(t *testing.T, r order.Repository) {
	ctx := context.Background()
	o := sample(t, "8")
	if err := r.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	const n = 120 // more than one DynamoDB transaction or query page would hold at a small size
	for i := range n / 30 {
		if _, err := r.Update(ctx, o.ID, func(o *order.Order) error {
			for j := range 30 {
				o.Record(order.Change{At: t0, By: actor, Reason: fmt.Sprintf("retry %d", i*30+j)})
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != n+1 || got.History[n].Reason != fmt.Sprintf("retry %d", n-1) {
		t.Fatalf("history has %d entries, last %+v", len(got.History), got.History[len(got.History)-1])
	}
}

func ids(os []*order.Order) string {
	s := ""
	for i, o := range os {
		if i > 0 {
			s += ","
		}
		s += o.ID
	}
	return s
}

// shipping is a track of the contract's own: waiting while a write is due, settled once written.
var shipping = order.NewMachine("shipping", []order.TrackState{"DUE"}, map[order.TrackState]order.TrackFacts{
	"DUE":     {Next: []order.TrackState{"WRITTEN"}, NeedsWork: true},
	"WRITTEN": {Next: []order.TrackState{"DUE"}},
})

func tracksNeedingWork(t *testing.T, r order.Repository) {
	ctx := context.Background()
	mk := func(ref string, minutes int, states ...order.TrackState) string {
		o, err := order.New(order.SourceDealer, ref, t0, actor)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			_, err := r.Update(ctx, o.ID, func(o *order.Order) error {
				return o.MoveTrack(shipping, s, order.Change{At: t0.Add(time.Duration(minutes) * time.Minute), By: actor,
					Call: &order.PartnerCall{Partner: "shipping", Operation: "write", Outcome: string(s)}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		return o.ID
	}
	older := mk("t-older", 1, "DUE")
	old := mk("t-old", 2, "DUE")
	mk("t-new", 30, "DUE")
	mk("t-written", 3, "DUE", "WRITTEN")
	mk("t-none", 0)

	list := func(before time.Duration, limit int) string {
		got, err := r.TracksNeedingWork(ctx, "shipping", "DUE", t0.Add(before), limit)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for i, w := range got {
			if w.Track.State != "DUE" || w.Track.LastCall == nil || w.Track.LastCall.Outcome != "DUE" {
				t.Fatalf("listed track %+v", w.Track)
			}
			if i > 0 {
				s += ","
			}
			s += w.OrderID
		}
		return s
	}
	if got := list(10*time.Minute, 10); got != older+","+old {
		t.Fatalf("DUE before +10m = %s, want %s,%s", got, older, old)
	}
	if got := list(time.Hour, 1); got != older {
		t.Fatalf("limit 1 = %s", got)
	}
	if got, _ := r.TracksNeedingWork(ctx, "shipping", "WRITTEN", t0.Add(time.Hour), 10); len(got) != 0 {
		t.Fatalf("a settled track is listed: %+v", got)
	}
	if got, _ := r.NeedingWork(ctx, order.Received, t0.Add(time.Hour), 0); len(got) != 5 {
		t.Fatalf("track index items leak into the order index: %d RECEIVED orders, want 5", len(got))
	}
	// The index follows the track back when it waits again, and the order keeps every move.
	if _, err := r.Update(ctx, "dealer-t-written", func(o *order.Order) error {
		return o.MoveTrack(shipping, "DUE", order.Change{At: t0.Add(4 * time.Minute), By: actor,
			Call: &order.PartnerCall{Partner: "shipping", Operation: "refused", Outcome: "DUE"}})
	}); err != nil {
		t.Fatal(err)
	}
	if got := list(10*time.Minute, 10); got != older+","+old+",dealer-t-written" {
		t.Fatalf("after a track waits again: %s", got)
	}
	o, err := r.Get(ctx, "dealer-t-written")
	if err != nil {
		t.Fatal(err)
	}
	if len(o.History) != 4 || o.History[3].Track != "shipping" || o.History[3].TrackFrom != "WRITTEN" || o.Track("shipping").State != "DUE" {
		t.Fatalf("history %+v, track %+v", o.History, o.Track("shipping"))
	} // An attempt that leaves the track in its state keeps it listed by when it began to wait.
	if _, err := r.Update(ctx, older, func(o *order.Order) error {
		return o.RecordTrack("shipping", order.Change{At: t0.Add(20 * time.Minute), By: actor,
			Call: &order.PartnerCall{Partner: "shipping", Operation: "write", Outcome: "transient"}})
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := r.TracksNeedingWork(ctx, "shipping", "DUE", t0.Add(10*time.Minute), 1); err != nil || len(got) != 1 || got[0].OrderID != older {
		t.Fatalf("after an attempt at +20m, DUE before +10m = %+v %v, want %s first", got, err, older)
	}
}

func tooLarge(t *testing.T, r order.Repository) {
	ctx := context.Background()
	big := sample(t, "big")
	big.SourceDetails = order.SourceDetails{}
	for i := range 400 {
		big.SourceDetails[fmt.Sprintf("k%03d", i)] = strings.Repeat("<&>", 300) // 900 bytes, unescaped
	}
	if err := r.Create(ctx, big); !errors.Is(err, order.ErrTooLarge) {
		t.Fatalf("a %d-key order: %v, want ErrTooLarge", len(big.SourceDetails), err)
	}
	if _, err := r.Get(ctx, big.ID); !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("a refused order was stored: %v", err)
	}
	// HTML characters are stored as they are: 300 of them fit where their escapes would not.
	fitsWell := sample(t, "html")
	fitsWell.SourceDetails = order.SourceDetails{}
	for i := range 110 {
		fitsWell.SourceDetails[fmt.Sprintf("k%03d", i)] = strings.Repeat("<&>", 1000)
	}
	if err := r.Create(ctx, fitsWell); err != nil {
		t.Fatalf("330 KB of HTML characters: %v", err)
	}
	if _, err := r.Update(ctx, fitsWell.ID, func(o *order.Order) error {
		o.SourceDetails["more"] = strings.Repeat("x", 30_000)
		return nil
	}); !errors.Is(err, order.ErrTooLarge) {
		t.Fatalf("an update past the limit: %v", err)
	}
}

// receivedBetween lists a window that spans midnight, with an order that moved after it came.
func receivedBetween(t *testing.T, r order.Repository) {
	ctx := context.Background()
	at := []time.Time{t0.Add(-10*time.Hour - 31*time.Minute), t0.Add(-10*time.Hour + 10*time.Minute), t0, t0.Add(23 * time.Hour)}
	for i, a := range at {
		o, err := order.New(order.SourceMarketplace, fmt.Sprintf("rcv-%d", i), a, actor)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Update(ctx, "mkt-rcv-1", func(o *order.Order) error {
		return o.MoveTo(order.Rejected, order.Change{At: t0, By: actor, Reason: "unmapped"})
	}); err != nil {
		t.Fatal(err)
	}
	got, err := r.ReceivedBetween(ctx, at[0].Add(time.Minute), at[3], 0)
	if err != nil {
		t.Fatal(err)
	}
	if ids(got) != "mkt-rcv-1,mkt-rcv-2" {
		t.Fatalf("received in the window: %s, want mkt-rcv-1,mkt-rcv-2 (the end is not included)", ids(got))
	}
	if got[0].State != order.Rejected || got[0].History != nil || got[0].Version == 0 {
		t.Errorf("listed order: state %s, %d history entries, version %d; want its current state, no history, its version", got[0].State, len(got[0].History), got[0].Version)
	}
	if got, _ := r.ReceivedBetween(ctx, at[0], at[3].Add(time.Second), 3); ids(got) != "mkt-rcv-0,mkt-rcv-1,mkt-rcv-2" {
		t.Errorf("limit 3: %s", ids(got))
	}
	if got, _ := r.ReceivedBetween(ctx, at[3], at[0], 0); len(got) != 0 {
		t.Errorf("an empty window listed %s", ids(got))
	}
}
