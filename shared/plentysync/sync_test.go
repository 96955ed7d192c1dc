package plentysync_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/plentysim"
	"github.com/orderhub/orderhub/local/simkit"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenty"
	"github.com/orderhub/orderhub/shared/plentysync"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

var by = order.Actor{Function: "poller", RequestID: "r1"}

type rig struct {
	sim  *plentysim.Sim
	sync *plentysync.Sync
	repo *memstore.Store
}

func newRig(t *testing.T) *rig {
	t.Helper()
	m, err := mapping.Load("../../mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sim, url := plentysim.Serve(t, plentysim.Config{ReadPerMinute: 6000, WritePerMinute: 6000, ReadPerDay: 1e6, WritePerDay: 1e6})
	repo := memstore.New()
	c := plenty.New(url, secrets.Static{plentysim.DefaultUser + ":" + plentysim.DefaultPassword}, repo, nil)
	c.Backoff.Base, c.Backoff.Cap = time.Millisecond, 5*time.Millisecond
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &rig{sim: sim, repo: repo, sync: &plentysync.Sync{Orders: repo, Records: repo, Intake: &intake.Service{Orders: repo, Mapping: m},
		Plenty: c, Config: m.Plenty, Now: time.Now, Log: log}}
}

func (r *rig) run(t *testing.T) plentysync.Stats {
	t.Helper()
	st, err := r.sync.Run(context.Background(), by)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (r *rig) add(variation int, email string) (int, string) {
	id := r.sim.AddOrder(plentysim.NewOrder{Email: email, FirstName: "Erika", LastName: "Muster", Street: "Hauptstraße", HouseNumber: "5",
		PostalCode: "34117", Town: "Kassel", Items: []plentysim.Item{{VariationID: variation, Name: "Abo", Quantity: "1", PriceGross: "49", PriceNet: "41.1765"}},
		ShippingGross: "4.95", ShippingNet: "4.1597", CouponCode: "WELCOME5", CouponGross: "5", CouponNet: "4.2017", PaymentMethodID: 6014})
	return id, "plenty-" + strconv.Itoa(id)
}

func (r *rig) plentyStatus(t *testing.T, id int) plentysim.Status {
	t.Helper()
	o, ok := r.sim.Order(id)
	if !ok {
		t.Fatalf("plentymarkets has no order %d", id)
	}
	return o.Status
}

func (r *rig) get(t *testing.T, id string) *order.Order {
	t.Helper()
	o, err := r.repo.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// imported plays the import pipeline's part: plenigo has the order.
func (r *rig) imported(t *testing.T, id, plenigoID string) {
	t.Helper()
	if _, err := r.repo.Update(context.Background(), id, func(o *order.Order) error {
		for _, s := range []order.State{order.Queued, order.ImportSubmitted} {
			if err := o.MoveTo(s, order.Change{At: time.Now(), By: by}); err != nil {
				return err
			}
		}
		o.ConfirmImport(o.ImportKey(0), plenigoID)
		if err := o.MoveTo(order.Imported, order.Change{At: time.Now(), By: by}); err != nil {
			return err
		}
		return loyalty.CompleteOnImport(o, order.Change{At: time.Now(), By: by})
	}); err != nil {
		t.Fatal(err)
	}
}

func TestAnOrderClearedForShippingIsHandedOverImportedAndWrittenBack(t *testing.T) {
	r := newRig(t)
	pid, id := r.add(1012, "erika@example.com")
	if st := r.run(t); st.Stored != 1 || st.Written != 1 {
		t.Fatalf("first run %+v", st)
	}
	o := r.get(t, id)
	if o.State != order.Received || r.plentyStatus(t, pid) != "5.1" || o.Track(plentysync.Track).State != plentysync.Following {
		t.Fatalf("after the pull: %s, plentymarkets %s, track %+v", o.State, r.plentyStatus(t, pid), o.Track(plentysync.Track))
	}
	if loyalty.Total(o).String() != "36.97" || o.Shipping.Gross != 49500 || len(o.Discounts) != 1 || o.Discounts[0].Code != "WELCOME5" {
		t.Errorf("mapped: total %s, shipping %s, discounts %+v", loyalty.Total(o), o.Shipping.Gross, o.Discounts)
	}
	if st := r.run(t); st.Stored != 0 || st.Written != 0 {
		t.Fatalf("a second run changed something: %+v", st)
	}
	r.imported(t, id, "500123")
	r.run(t)
	o = r.get(t, id)
	ps, _ := r.sim.Order(pid)
	if r.plentyStatus(t, pid) != "7" || len(ps.Packages) != 1 || ps.Packages[0].PackageNumber != "500123" {
		t.Fatalf("write-back: status %s, packages %+v", r.plentyStatus(t, pid), ps.Packages)
	}
	if o.State != order.Fulfilled || o.Track(loyalty.Track).State != loyalty.AwardDue {
		t.Fatalf("after the write-back: %s, loyalty %+v", o.State, o.Track(loyalty.Track))
	}
	writes := r.sim.Counter().Calls()["PUT /rest/orders/{orderId}"]
	r.run(t)
	if n := r.sim.Counter().Calls()["PUT /rest/orders/{orderId}"]; n != writes {
		t.Errorf("a settled order was written again: %d writes, then %d", writes, n)
	}
}

func TestRefusalsGetTheirStatus(t *testing.T) {
	r := newRig(t)
	unmapped, unmappedID := r.add(9999, "x@example.com")
	refused, refusedID := r.add(1012, "y@example.com")
	r.run(t)
	if o := r.get(t, unmappedID); o.State != order.Rejected || r.plentyStatus(t, unmapped) != "6.3" {
		t.Fatalf("unmapped: %s, plentymarkets %s", o.State, r.plentyStatus(t, unmapped))
	}
	if _, err := r.repo.Update(context.Background(), refusedID, func(o *order.Order) error {
		_ = o.MoveTo(order.Queued, order.Change{At: time.Now(), By: by})
		return o.MoveTo(order.ImportFailed, order.Change{At: time.Now(), By: by, Reason: "plenigo refused the order: invalid email address (20022)"})
	}); err != nil {
		t.Fatal(err)
	}
	r.run(t)
	if r.plentyStatus(t, refused) != "6.2" {
		t.Fatalf("refused customer data: plentymarkets %s, want 6.2", r.plentyStatus(t, refused))
	}
}

func TestCancellationsAreAnsweredTruthfully(t *testing.T) {
	r := newRig(t)
	early, earlyID := r.add(1012, "early@example.com")
	late, lateID := r.add(1012, "late@example.com")
	r.run(t)
	r.imported(t, lateID, "500777")
	r.run(t) // written back: delivered
	r.sim.MoveOrder(early, "8")
	r.sim.MoveOrder(late, "8")
	r.run(t)
	r.run(t)
	if o := r.get(t, earlyID); o.State != order.Cancelled || r.plentyStatus(t, early) != "8.8" {
		t.Errorf("cancelled before import: %s, plentymarkets %s", o.State, r.plentyStatus(t, early))
	}
	if o := r.get(t, lateID); o.State != order.CancelRefused || r.plentyStatus(t, late) != "8.1" {
		t.Errorf("cancelled after delivery: %s, plentymarkets %s (never 8.8)", o.State, r.plentyStatus(t, late))
	}
}

func TestAReturnReversesAndIsAcknowledged(t *testing.T) {
	r := newRig(t)
	pid, id := r.add(1012, "ret@example.com")
	r.run(t)
	r.imported(t, id, "500999")
	r.run(t)
	ret := r.sim.AddReturn(pid, []plentysim.Item{{VariationID: 1012, Quantity: "1"}}, "9")
	r.run(t)
	r.run(t)
	o := r.get(t, id)
	if o.State != order.Returned || len(o.Returns) != 1 || o.Track(loyalty.Track).State != loyalty.ReversalDue {
		t.Fatalf("after the return: %s %+v loyalty %+v", o.State, o.Returns, o.Track(loyalty.Track))
	}
	if r.plentyStatus(t, ret) != "9.2" {
		t.Fatalf("the return shows %s, want 9.2", r.plentyStatus(t, ret))
	}
}

// TestTheDocumentedOrder630Decodes decodes plentymarkets' own worked example into an order, field by
// field.
func TestTheDocumentedOrder630Decodes(t *testing.T) {
	r := newRig(t)
	var p plenty.Order
	if err := json.Unmarshal(r.sim.WorkedExample630(), &p); err != nil {
		t.Fatal(err)
	}
	o, err := plentysync.FromPlenty(p, map[int]string{1: "DE"}, time.Now(), by)
	if err != nil {
		t.Fatal(err)
	}
	if o.ID != "plenty-630" || o.Source != order.SourcePlenty || o.SourceRef != "630" || len(o.Items) != 1 {
		t.Fatalf("order %s %s %s, %d items", o.ID, o.Source, o.SourceRef, len(o.Items))
	}
	it := o.Items[0]
	if it.Product != "1012" || it.Quantity != order.DecimalFromInt(1) || it.Price.Gross.String() != "149" || it.Price.Net.String() != "125.2101" {
		t.Errorf("item %+v", it)
	}
	if o.SourceDetails["plentyStatus"] != "3" || o.Payment.Method != "4" || !o.PlacedAt.Equal(p.CreatedAt.UTC()) || o.PlacedAt.IsZero() {
		t.Errorf("status %s, payment %q, placed %v", o.SourceDetails["plentyStatus"], o.Payment.Method, o.PlacedAt)
	}
}

// TestAPackageWhoseAnswerWasLostIsNotCreatedTwice: the create reached plentymarkets but its answer
// was lost; the next attempt lists the packages first and finds it.
func TestAPackageWhoseAnswerWasLostIsNotCreatedTwice(t *testing.T) {
	r := newRig(t)
	pid, id := r.add(1012, "lost@example.com")
	r.run(t)
	r.imported(t, id, "500321")
	r.sim.FailNext("POST /rest/orders/{orderId}/shipping/packages", simkit.Fault504AfterApply)
	_, _ = r.sync.Run(context.Background(), by)
	r.run(t)
	ps, _ := r.sim.Order(pid)
	if len(ps.Packages) != 1 || r.plentyStatus(t, pid) != "7" {
		t.Fatalf("packages %+v, status %s", ps.Packages, r.plentyStatus(t, pid))
	}
}

// TestCallsPerOrder counts plentymarkets calls for orders that go the whole way: the hand-over, the
// package and the outgoing status, plus each run's searches.
func TestCallsPerOrder(t *testing.T) {
	r := newRig(t)
	var ids []string
	for i := range 100 {
		_, id := r.add(1012, "calls"+strconv.Itoa(i)+"@example.com")
		ids = append(ids, id)
	}
	r.run(t)
	for i, id := range ids {
		r.imported(t, id, strconv.Itoa(600000+i))
	}
	r.run(t)
	calls := r.sim.Counter().TotalCalls() - r.sim.Counter().Calls()["POST /rest/login"]
	if per := float64(calls) / float64(len(ids)); per > 3.1 {
		t.Errorf("%.2f plentymarkets calls per order, aim ≤ 3.1: %v", per, r.sim.Counter().Calls())
	} else {
		t.Logf("%.2f plentymarkets calls per order: %v", per, r.sim.Counter().Calls())
	}
}

// TestAStatusTheSystemLacksStopsTheSyncByName: a configured status plentymarkets does not have
// stops the half before it writes anything, naming the status.
func TestAStatusTheSystemLacksStopsTheSyncByName(t *testing.T) {
	r := newRig(t)
	r.sync.Config.Statuses.CancellationRefused = "8.7"
	r.add(1012, "a@example.com")
	_, err := r.sync.Run(context.Background(), by)
	if err == nil || !strings.Contains(err.Error(), "8.7") {
		t.Fatalf("run: %v, want an error naming 8.7", err)
	}
	if n := r.sim.Counter().Calls()["PUT /rest/orders/{orderId}"]; n != 0 {
		t.Fatalf("%d writes with a status the system lacks", n)
	}
}

// TestACancellationIsAnsweredBeforeAnyPendingWrite: the merchant's 8 is never overwritten, neither
// by a hand-over that failed before, nor by the write-back of an import that just landed.
func TestACancellationIsAnsweredBeforeAnyPendingWrite(t *testing.T) {
	r := newRig(t)
	pending, pendingID := r.add(1012, "pending@example.com")
	imported, importedID := r.add(1012, "imported@example.com")
	r.sim.FailNext("PUT /rest/orders/{orderId}", simkit.Fault503, simkit.Fault503, simkit.Fault503)
	_, _ = r.sync.Run(context.Background(), by) // the first hand-over fails and stays due
	r.run(t)
	r.imported(t, importedID, "500444") // imported, not yet written back
	r.sim.MoveOrder(pending, "8")
	r.sim.MoveOrder(imported, "8")
	r.run(t)
	r.run(t)
	if o := r.get(t, pendingID); r.plentyStatus(t, pending) != "8.8" || o.State != order.Cancelled {
		t.Errorf("cancelled with its hand-over pending: %s, plentymarkets %s", o.State, r.plentyStatus(t, pending))
	}
	o := r.get(t, importedID)
	ps, _ := r.sim.Order(imported)
	if r.plentyStatus(t, imported) != "8.1" || o.State != order.CancelRefused || len(ps.Packages) != 1 {
		t.Errorf("cancelled once plenigo had it: %s, plentymarkets %s, packages %d (never 7 or 8.8)", o.State, r.plentyStatus(t, imported), len(ps.Packages))
	}
}

// TestAReplayedRefusalIsWrittenBackOnceImported: after 6.2, a replay that imports the order brings
// the package and 7.
func TestAReplayedRefusalIsWrittenBackOnceImported(t *testing.T) {
	r := newRig(t)
	pid, id := r.add(1012, "fixme@example.com")
	r.run(t)
	if _, err := r.repo.Update(context.Background(), id, func(o *order.Order) error {
		_ = o.MoveTo(order.Queued, order.Change{At: time.Now(), By: by})
		return o.MoveTo(order.ImportFailed, order.Change{At: time.Now(), By: by, Reason: "invalid email address"})
	}); err != nil {
		t.Fatal(err)
	}
	r.run(t)
	r.run(t)
	if r.plentyStatus(t, pid) != "6.2" {
		t.Fatalf("refused: plentymarkets %s", r.plentyStatus(t, pid))
	}
	if _, err := r.repo.Update(context.Background(), id, func(o *order.Order) error {
		return o.MoveTo(order.Received, order.Change{At: time.Now(), By: by, Reason: "replayed"})
	}); err != nil {
		t.Fatal(err)
	}
	r.imported(t, id, "500555")
	r.run(t)
	if o := r.get(t, id); r.plentyStatus(t, pid) != "7" || o.State != order.Fulfilled {
		t.Fatalf("after the replay: %s, plentymarkets %s", o.State, r.plentyStatus(t, pid))
	}
}

// TestAReturnIsAcknowledgedOnce: the merchant may move an acknowledged return on within the return
// statuses; orderhub does not write over it.
func TestAReturnIsAcknowledgedOnce(t *testing.T) {
	r := newRig(t)
	pid, id := r.add(1012, "once@example.com")
	r.run(t)
	r.imported(t, id, "500666")
	r.run(t)
	ret := r.sim.AddReturn(pid, []plentysim.Item{{VariationID: 1012, Quantity: "1"}}, "9")
	r.run(t)
	r.run(t)
	if r.plentyStatus(t, ret) != "9.2" {
		t.Fatalf("return %s", r.plentyStatus(t, ret))
	}
	r.sim.MoveOrder(ret, "9.1")
	r.run(t)
	r.run(t)
	if r.plentyStatus(t, ret) != "9.1" {
		t.Fatalf("the merchant's 9.1 was overwritten: %s", r.plentyStatus(t, ret))
	}
	// A return order with no variation line records nothing.
	pid2, id2 := r.add(1012, "shiponly@example.com")
	r.run(t)
	r.imported(t, id2, "500667")
	r.run(t)
	r.sim.AddReturn(pid2, nil, "9")
	r.run(t)
	if o := r.get(t, id2); o.State != order.Fulfilled || len(o.Returns) != 0 {
		t.Fatalf("an empty return: %s %+v", o.State, o.Returns)
	}
}
