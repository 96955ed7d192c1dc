// Package plentysync is the plentymarkets half of the status poller: it takes the merchant's orders
// cleared for shipping into orderhub, and keeps their status in plentymarkets true in the
// fulfilment-connector convention (hand-over, address error, not fulfillable, outgoing with the
// plenigo reference on a package, cancellation acknowledged or refused, returns acknowledged). What
// it still has to write sits on the order's "plenty" track (track.go), so a write that fails is
// retried by the next run and never done twice.
package plentysync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/plenty"
	"github.com/orderhub/orderhub/shared/records"
)

// Plenty is the part of the plentymarkets client the sync uses (shared/plenty).
type Plenty interface {
	SearchOrders(ctx context.Context, q plenty.SearchQuery) (plenty.OrderPage, error)
	SetStatus(ctx context.Context, id int, to plenty.Status) (plenty.Order, error)
	Packages(ctx context.Context, id int) ([]plenty.Package, error)
	CreatePackage(ctx context.Context, id int, p plenty.PackageCreation) (plenty.Package, error)
	CheckStatuses(ctx context.Context, want ...plenty.Status) error
}

// Sync is one plentymarkets system's half of the poller.
type Sync struct {
	Orders order.Repository
	// Records holds the lease that keeps two runs (two poller invocations) from working at once:
	// creating a package is not idempotent, so two runs must never both decide to create one.
	Records records.Store
	// LeaseTTL bounds how long a run that died holds the lease (0: 5 minutes).
	LeaseTTL time.Duration
	Intake   *intake.Service // stores pulled orders as the receiver does: mapped, deduplicated
	Plenty   Plenty
	Config   mapping.Plenty
	Now      func() time.Time
	Log      *slog.Logger
	PerPage  int // 0: 50

	checked atomic.Bool // the configured statuses exist in the system
}

// Stats count one run's work.
type Stats struct {
	Pulled, Stored, Written, Cancelled, Returned, Failed int
	// Skipped: another run held the lease.
	Skipped bool
}

// leaseName is the lease of the plentymarkets half.
const leaseName = "plenty-sync"

// Run does one round: pull the orders cleared for shipping, take the cancellations and the returns,
// follow the handed-over orders' imports, write what waits to be written. Each step goes on from
// where the last run stopped, so a run cut short loses nothing.
func (s *Sync) Run(ctx context.Context, by order.Actor) (Stats, error) {
	var st Stats
	owner := by.Function + "/" + by.RequestID
	ttl := s.LeaseTTL
	if ttl <= 0 {
		ttl = 5 * time.Minute
	}
	ok, err := s.Records.AcquireLease(ctx, leaseName, owner, s.Now(), ttl)
	if err != nil || !ok {
		st.Skipped = true
		return st, err
	}
	defer func() {
		if err := s.Records.ReleaseLease(context.WithoutCancel(ctx), leaseName, owner); err != nil {
			s.Log.WarnContext(ctx, "release the plentymarkets lease", "error", err.Error())
		}
	}()
	if !s.checked.Load() {
		if err := s.Plenty.CheckStatuses(ctx, s.configured()...); err != nil {
			return st, fmt.Errorf("the statuses of mapping.yaml's plenty section: %w", err)
		}
		s.checked.Store(true)
	}
	// Cancellations and returns come before the writes: a status the merchant set since the last run
	// is answered before orderhub writes anything over it.
	steps := []func(context.Context, order.Actor, *Stats) error{s.pull, s.cancellations, s.returns, s.follow, s.write}
	var errs []error
	for _, step := range steps {
		if ctx.Err() != nil {
			break
		}
		if err := step(ctx, by, &st); err != nil {
			errs = append(errs, err)
		}
	}
	return st, errors.Join(errs...)
}

func (s *Sync) status(v string) plenty.Status { return plenty.Status(v) }

// configured are the statuses orderhub reads or writes; each must exist in the system.
func (s *Sync) configured() []plenty.Status {
	c := s.Config.Statuses
	var out []plenty.Status
	for _, v := range []string{c.Intake, c.HandedOver, c.AddressError, c.NotFulfillable, c.Outgoing, c.Cancellation,
		c.CancellationAcknowledged, c.CancellationRefused, c.ReturnAcknowledged} {
		out = append(out, s.status(v))
	}
	return out
}

// search reads every page of a query.
func (s *Sync) search(ctx context.Context, q plenty.SearchQuery, each func(plenty.Order) error) error {
	q.ItemsPerPage = s.PerPage
	if q.ItemsPerPage == 0 {
		q.ItemsPerPage = 50
	}
	return plenty.EachOrder(ctx, s.Plenty.SearchOrders, q, each)
}

// pull stores every order in the intake status as an order of its own, with its hand-over write
// due in the same write, so an order is never marked handed over and then lost. A second pull of
// an order is a duplicate and changes nothing.
func (s *Sync) pull(ctx context.Context, by order.Actor, st *Stats) error {
	return s.search(ctx, plenty.SearchQuery{Status: s.status(s.Config.Statuses.Intake), OrderType: 1, With: With}, func(p plenty.Order) error {
		st.Pulled++
		o, err := FromPlenty(p, s.Config.Countries, s.Now(), by)
		if err != nil {
			st.Failed++
			s.Log.ErrorContext(ctx, "plentymarkets order cannot be read", "plentyOrder", p.ID, "error", err.Error())
			return nil
		}
		if err := o.MoveTrack(Machine, WriteDue, order.Change{At: s.Now(), By: by, Reason: "hand-over due"}); err != nil {
			return err
		}
		o.Tracks[Track].Facts = map[string]string{factStatus: "handover"}
		out, err := s.Intake.Accept(ctx, o, by)
		if err != nil {
			var ie *intake.InputError
			if errors.As(err, &ie) {
				st.Failed++
				s.Log.ErrorContext(ctx, "plentymarkets order refused", "plentyOrder", p.ID, "error", err.Error())
				return nil
			}
			return err
		}
		if !out.Duplicate {
			st.Stored++
		}
		return nil
	})
}

// write makes every write that waits: the hand-over (or not fulfillable, for an order the mapping
// rejected), the outcome of the import, a cancellation's or a return's answer.
func (s *Sync) write(ctx context.Context, by order.Actor, st *Stats) error {
	due, err := s.Orders.TracksNeedingWork(ctx, Track, WriteDue, s.Now().Add(time.Minute), 500)
	if err != nil {
		return err
	}
	for _, w := range due {
		if err := s.writeOne(ctx, w.OrderID, by, st); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sync) writeOne(ctx context.Context, id string, by order.Actor, st *Stats) error {
	o, err := s.Orders.Get(ctx, id)
	if err != nil {
		return err
	}
	t := o.Track(Track)
	if t == nil || t.State != WriteDue {
		return nil
	}
	target, to, after := s.planWrite(o, t)
	pending := t.Facts[factStatus] + "|" + t.Facts[factTarget] + "|" + t.Facts[factPackage]
	call := &order.PartnerCall{Partner: "plentymarkets", Operation: "set status " + string(to), Outcome: "written", Status: 200,
		Detail: "order " + strconv.Itoa(target)}
	if t.Facts[factPackage] == "yes" {
		// Creating a package is not idempotent. The first attempt is marked on the order before it is
		// made; only an attempt after a marked one (whose answer may have been lost) lists first.
		listFirst := t.Facts[factPackageTried] == "yes"
		if !listFirst {
			if _, err := s.Orders.Update(ctx, id, func(o *order.Order) error {
				cur := o.Track(Track)
				if cur == nil || cur.State != WriteDue {
					return order.ErrNoChange
				}
				cur.SetFact(factPackageTried, "yes")
				return nil
			}); err != nil {
				return err
			}
		}
		if err := s.ensurePackage(ctx, target, o.Subscription.PlenigoOrderID, listFirst); err != nil {
			return s.failed(ctx, id, &order.PartnerCall{Partner: "plentymarkets", Operation: "package " + o.Subscription.PlenigoOrderID}, err, by, st)
		}
		call.Detail += ", package " + o.Subscription.PlenigoOrderID
	}
	if _, err := s.Plenty.SetStatus(ctx, target, to); err != nil {
		return s.failed(ctx, id, call, err, by, st)
	}
	st.Written++
	_, err = s.Orders.Update(ctx, id, func(o *order.Order) error {
		t := o.Track(Track)
		if t == nil || t.State != WriteDue || t.Facts[factStatus]+"|"+t.Facts[factTarget]+"|"+t.Facts[factPackage] != pending {
			return order.ErrNoChange // another write became due meanwhile; the next run makes it
		}
		facts := kept(t.Facts)
		facts[factWritten] = string(to)
		if t.Facts[factTarget] != "" {
			facts[factAcked+t.Facts[factTarget]] = string(to)
			facts[factWritten] = t.Facts[factPrevious] // the order's own status is unchanged
		}
		if err := o.MoveTrack(Machine, after, order.Change{At: s.Now(), By: by, Reason: "plentymarkets shows " + string(to), Call: call}); err != nil {
			return err
		}
		o.Tracks[Track].Facts = facts
		o.Tracks[Track].Ref = strconv.Itoa(target)
		if t.Facts[factPackage] == "yes" && o.State == order.Imported {
			// The fulfilment is written back: for an order that completes on delivery, it is complete.
			return loyalty.Complete(o, order.Change{At: s.Now(), By: by, Reason: "fulfilment written back to plentymarkets"})
		}
		return nil
	})
	return err
}

// planWrite says which plentymarkets order gets which status, and the track's state after.
func (s *Sync) planWrite(o *order.Order, t *order.Track) (target int, to plenty.Status, after order.TrackState) {
	target, _ = strconv.Atoi(o.SourceRef)
	if v := t.Facts[factTarget]; v != "" {
		target, _ = strconv.Atoi(v)
	}
	cfg := s.Config.Statuses
	after = Written
	switch st := t.Facts[factStatus]; st {
	case "handover":
		if o.State == order.Rejected {
			return target, s.status(cfg.NotFulfillable), Following // a mapping fix may still import it
		}
		return target, s.status(cfg.HandedOver), Following
	case cfg.AddressError, cfg.NotFulfillable:
		return target, s.status(st), Following // a replay after the fix may still import it
	default:
		return target, s.status(st), after
	}
}

// ensurePackage makes sure the order has one package with the plenigo order id as its number. When
// an earlier attempt may have made it, the packages are listed first.
func (s *Sync) ensurePackage(ctx context.Context, id int, number string, listFirst bool) error {
	if listFirst {
		pkgs, err := s.Plenty.Packages(ctx, id)
		if err != nil {
			return err
		}
		for _, p := range pkgs {
			if p.PackageNumber == number {
				return nil
			}
		}
	}
	_, err := s.Plenty.CreatePackage(ctx, id, plenty.PackageCreation{PackageID: s.Config.Package.PackageID,
		PackageType: s.Config.Package.PackageType, PackageNumber: number})
	return err
}

// failed records a refused write: FAILED for a refusal retrying cannot fix, else the attempt (the
// next run retries it).
func (s *Sync) failed(ctx context.Context, id string, call *order.PartnerCall, err error, by order.Actor, st *Stats) error {
	kind := partner.KindOf(err)
	call.Outcome, call.Status, call.Detail = kind.String(), partner.StatusOf(err), err.Error()
	permanent := kind == partner.Permanent || kind == partner.NotFound || kind == partner.Conflict
	st.Failed++
	_, uerr := s.Orders.Update(ctx, id, func(o *order.Order) error {
		c := order.Change{At: s.Now(), By: by, Call: call}
		if permanent {
			c.Reason = "plentymarkets refused it: " + err.Error()
			facts := o.Track(Track).Facts
			if err := o.MoveTrack(Machine, Failed, c); err != nil {
				return err
			}
			o.Tracks[Track].Facts = facts
			return nil
		}
		c.Reason = "will retry: " + kind.String() + " failure"
		return o.RecordTrack(Track, c)
	})
	if permanent {
		s.Log.ErrorContext(ctx, "plentymarkets write failed", "order", id, "error", err.Error())
	}
	return uerr
}

// due sets what plentymarkets must show next; the write step writes it.
func due(o *order.Order, status string, pkg bool, target string, at time.Time, by order.Actor, reason string) error {
	var before map[string]string
	if t := o.Track(Track); t != nil {
		before = t.Facts
	}
	if err := o.MoveTrack(Machine, WriteDue, order.Change{At: at, By: by, Reason: reason}); err != nil {
		return err
	}
	facts := kept(before)
	facts[factStatus] = status
	facts[factPrevious] = before[factWritten]
	if pkg {
		facts[factPackage] = "yes"
	}
	if target != "" {
		facts[factTarget] = target
	}
	o.Tracks[Track].Facts = facts
	return nil
}

// follow looks at the handed-over orders and makes the import's outcome due: the outgoing status
// with the plenigo reference once imported, the address-error or not-fulfillable status once
// plenigo refused it, the cancellation's acknowledgement once cancelled.
func (s *Sync) follow(ctx context.Context, by order.Actor, st *Stats) error {
	list, err := s.Orders.TracksNeedingWork(ctx, Track, Following, s.Now().Add(time.Minute), 500)
	if err != nil {
		return err
	}
	cfg := s.Config.Statuses
	for _, w := range list {
		_, err := s.Orders.Update(ctx, w.OrderID, func(o *order.Order) error {
			if t := o.Track(Track); t == nil || t.State != Following {
				return order.ErrNoChange
			}
			at := s.Now()
			written := o.Track(Track).Facts[factWritten]
			switch o.State {
			case order.Imported, order.Fulfilled:
				return due(o, cfg.Outgoing, true, "", at, by, "imported into plenigo as order "+o.Subscription.PlenigoOrderID)
			case order.ImportFailed:
				status := cfg.NotFulfillable
				if addressProblem(o.StateReason) {
					status = cfg.AddressError
				}
				if written == status {
					return order.ErrNoChange // plentymarkets shows it already; a replay may follow
				}
				return due(o, status, false, "", at, by, "plenigo refused it: "+o.StateReason)
			case order.Cancelled:
				return due(o, cfg.CancellationAcknowledged, false, "", at, by, "cancelled")
			case order.Rejected:
				if written == cfg.NotFulfillable {
					return order.ErrNoChange
				}
				return due(o, cfg.NotFulfillable, false, "", at, by, "cannot be mapped: "+o.StateReason)
			}
			return order.ErrNoChange
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// addressProblem reports whether plenigo's refusal is about the customer's data (address, email,
// name), which plentymarkets' users fix in the order's address.
func addressProblem(reason string) bool {
	r := strings.ToLower(reason)
	for _, w := range []string{"address", "email", "postal", "country", "firstname", "lastname", "invalid customer", "customer data"} {
		if strings.Contains(r, w) {
			return true
		}
	}
	return false
}

// cancellations takes the merchant's cancellations: an order plenigo does not have is cancelled
// and acknowledged; a delivered one is answered with the cancellation-refused status, never the
// acknowledgement; one plenigo may be importing right now waits for the next run.
func (s *Sync) cancellations(ctx context.Context, by order.Actor, st *Stats) error {
	cfg := s.Config.Statuses
	return s.search(ctx, plenty.SearchQuery{Status: s.status(cfg.Cancellation), OrderType: 1}, func(p plenty.Order) error {
		id := order.ID(order.SourcePlenty, strconv.Itoa(p.ID))
		cancelled := false
		_, err := s.Orders.Update(ctx, id, func(o *order.Order) error {
			cancelled = false
			if t := o.Track(Track); t == nil || t.State == Failed {
				return order.ErrNoChange // not taken in by this half, or waiting for a person
			}
			c := order.Change{At: s.Now(), By: by, Reason: "cancelled in plentymarkets"}
			pkg := false
			if o.State == order.Imported {
				// plenigo has the subscription: for orderhub it is delivered, and the cancellation is
				// answered as one after delivery (the package names plenigo's order).
				if err := loyalty.Complete(o, order.Change{At: s.Now(), By: by, Reason: "plenigo has the subscription"}); err != nil {
					return err
				}
				pkg = true
			}
			to, err := o.Cancel(c)
			switch {
			case errors.Is(err, order.ErrMayBeInPlenigo), errors.Is(err, order.ErrIllegalTransition):
				return order.ErrNoChange // in flight: the next run answers it
			case err != nil:
				return err
			}
			cancelled = true
			if to == order.CancelRefused {
				return due(o, cfg.CancellationRefused, pkg, "", s.Now(), by, "delivered already: cancellation refused")
			}
			return due(o, cfg.CancellationAcknowledged, false, "", s.Now(), by, "cancelled before plenigo had it")
		})
		if cancelled {
			st.Cancelled++
		}
		if errors.Is(err, order.ErrNotFound) {
			return nil // not an order orderhub took
		}
		return err
	})
}

// returns takes the returns: each return order (type 3) in the return statuses moves its sales
// order to RETURNED with the returned items (reversing loyalty points), then gets the
// return-acknowledged status.
func (s *Sync) returns(ctx context.Context, by order.Actor, st *Stats) error {
	cfg := s.Config.Statuses
	return s.search(ctx, plenty.SearchQuery{StatusFrom: s.status(cfg.ReturnFrom), StatusTo: s.status(cfg.ReturnTo), OrderType: 3, With: With},
		func(p plenty.Order) error {
			if p.Status.Equal(s.status(cfg.ReturnAcknowledged)) {
				return nil
			}
			sales := 0
			for _, r := range p.References {
				if r.ReferenceType == "parent" {
					sales = r.OriginOrderID
				}
			}
			if sales == 0 {
				return nil
			}
			ret := order.Return{ID: strconv.Itoa(p.ID), At: p.CreatedAt}
			for _, it := range p.Items {
				if it.TypeID != plenty.ItemVariation {
					continue
				}
				q, err := order.ParseDecimal(string(it.Quantity))
				if err != nil {
					return fmt.Errorf("return %d: quantity %q: %w", p.ID, it.Quantity, err)
				}
				ret.Items = append(ret.Items, order.ReturnedItem{Product: strconv.Itoa(it.VariationID), Quantity: q})
			}
			if len(ret.Items) == 0 {
				// No variation came back (only shipping, a bundle's header, …): nothing to record, and
				// never "everything", which an empty list means to the domain.
				s.Log.WarnContext(ctx, "return without variation lines is not recorded", "return", p.ID, "salesOrder", sales)
				return nil
			}
			recorded := false
			_, err := s.Orders.Update(ctx, order.ID(order.SourcePlenty, strconv.Itoa(sales)), func(o *order.Order) error {
				recorded = false
				t := o.Track(Track)
				switch {
				case t == nil || t.State == WriteDue || t.State == Failed:
					return order.ErrNoChange // an earlier answer is still to be written, or a person acts
				case t.Facts[factAcked+ret.ID] != "":
					return order.ErrNoChange // acknowledged once; the merchant may have moved it on since
				}
				err := loyalty.Return(o, ret, order.Change{At: s.Now(), By: by, Reason: "returned in plentymarkets (return " + ret.ID + ")"})
				switch {
				case errors.Is(err, order.ErrAlreadyRecorded):
					// recorded before; the acknowledgement is missing (acked said so)
				case err != nil:
					s.Log.WarnContext(ctx, "return not recorded", "return", p.ID, "order", o.ID, "error", err.Error())
					return order.ErrNoChange
				default:
					recorded = true
				}
				return due(o, cfg.ReturnAcknowledged, false, ret.ID, s.Now(), by, "acknowledge return "+ret.ID)
			})
			if recorded {
				st.Returned++
			}
			if errors.Is(err, order.ErrNotFound) {
				return nil
			}
			return err
		})
}

// kept are the facts a track keeps across its writes: which returns it acknowledged.
func kept(f map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range f {
		if strings.HasPrefix(k, factAcked) {
			out[k] = v
		}
	}
	return out
}
