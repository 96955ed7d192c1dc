package reconcile

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/plenty"
)

// The partners' reads a reconciliation makes; a nil partner is not configured and not compared.
type (
	PlenigoReader interface {
		OrdersPage(ctx context.Context, q plenigo.OrderQuery) ([]plenigo.Order, error)
		OrdersByExternalSystemID(ctx context.Context, id string) ([]plenigo.Order, error)
	}
	PlentyReader interface {
		SearchOrders(ctx context.Context, q plenty.SearchQuery) (plenty.OrderPage, error)
		GetOrder(ctx context.Context, id int, with ...string) (plenty.Order, error)
		Packages(ctx context.Context, id int) ([]plenty.Package, error)
	}
	BonifiqReader interface {
		GetOrder(ctx context.Context, originalID string) (bonifiq.Remote, error)
	}
)

// Partners are the partners to compare with.
type Partners struct {
	Plenigo PlenigoReader
	Plenty  PlentyReader
	Bonifiq BonifiqReader
}

// Options say which orders to compare and what to do about what disagrees.
type Options struct {
	// From and To bound when the orders were received: [From, To).
	From, To time.Time
	// Repair applies the safe repairs; DryRun with it only says what they would be.
	Repair, DryRun bool
	// By is who runs it, recorded in a repaired order's history.
	By order.Actor
	// MaxOrders bounds the orders compared (default 50,000); MaxLookups the BonifiQ lookups, one per
	// order since BonifiQ has no list call (default 2,000). The lookups also stop ten seconds before
	// the context's deadline; the orders left are counted as not compared.
	MaxOrders, MaxLookups int
}

// Report is what a reconciliation found.
type Report struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Orders is how many orderhub orders were received in the window.
	Orders int `json:"orders"`
	// Compared counts the orders compared with each partner; Calls the calls made to each.
	Compared map[string]int `json:"compared"`
	Calls    map[string]int `json:"calls"`
	// NotCompared counts orders left out by a bound (MaxLookups), by partner.
	NotCompared map[string]int `json:"notCompared,omitempty"`
	// Truncated: the window held more orders than MaxOrders; the latest were not compared.
	Truncated bool      `json:"truncated,omitempty"`
	Findings  []Finding `json:"findings"`
	Repaired  int       `json:"repaired"`
}

// Defaults for Options' bounds.
const (
	DefaultMaxOrders  = 50_000
	DefaultMaxLookups = 2_000
	plenigoPage       = 100
	plentyPage        = 250
)

// Run compares the orders received in the window with every configured partner: plenigo's orders
// changed since the window began (paged, a hundred at a time), plentymarkets' orders changed since
// then (paged), and BonifiQ's order for each settled loyalty track (one lookup each). It reports
// each disagreement and, with Repair, applies the safe repairs: an order plenigo has while orderhub
// still waits for it, or gave up on it, is recorded as imported. Everything else is left to a person.
func Run(ctx context.Context, orders order.Repository, p Partners, opt Options) (Report, error) {
	rep := Report{From: opt.From.UTC(), To: opt.To.UTC(), Compared: map[string]int{}, Calls: map[string]int{}, NotCompared: map[string]int{}}
	maxOrders := cmp.Or(opt.MaxOrders, DefaultMaxOrders)
	list, err := orders.ReceivedBetween(ctx, opt.From, opt.To, maxOrders)
	if err != nil {
		return rep, err
	}
	rep.Orders, rep.Truncated = len(list), len(list) == maxOrders
	if len(list) == 0 {
		return rep, nil
	}
	if p.Plenigo != nil {
		byKey, err := plenigoSince(ctx, p.Plenigo, opt.From, &rep)
		if err != nil {
			return rep, fmt.Errorf("plenigo: %w", err)
		}
		for _, o := range list {
			rep.Compared[Plenigo]++
			rep.Findings = append(rep.Findings, CheckPlenigo(o, byKey)...)
		}
	}
	if p.Plenty != nil {
		byID, err := plentySince(ctx, p.Plenty, opt.From, &rep)
		if err != nil {
			return rep, fmt.Errorf("plentymarkets: %w", err)
		}
		for _, o := range list {
			if id, ok := PlentyRef(o); ok {
				rep.Compared[Plenty]++
				remote, found := byID[id]
				rep.Findings = append(rep.Findings, CheckPlenty(o, remote, found)...)
			}
		}
	}
	if p.Bonifiq != nil {
		limit := cmp.Or(opt.MaxLookups, DefaultMaxLookups)
		for _, o := range list {
			if !bonifiqSettled(o) {
				continue
			}
			if rep.Compared[Bonifiq] == limit || nearDeadline(ctx) {
				rep.NotCompared[Bonifiq]++
				continue
			}
			rep.Calls[Bonifiq]++
			remote, found, err := bonifiqOrder(ctx, p.Bonifiq, o.ID)
			if err != nil {
				return rep, fmt.Errorf("BonifiQ: %w", err)
			}
			rep.Compared[Bonifiq]++
			rep.Findings = append(rep.Findings, CheckBonifiq(o, remote, found)...)
		}
	}
	slices.SortStableFunc(rep.Findings, func(a, b Finding) int { return cmp.Compare(a.OrderID, b.OrderID) })
	if opt.Repair && !opt.DryRun {
		for i := range rep.Findings {
			if err := repair(ctx, orders, &rep.Findings[i], opt.By); err != nil {
				return rep, err
			}
			if rep.Findings[i].Repaired {
				rep.Repaired++
			}
		}
	}
	return rep, nil
}

// lookupReserve is kept free before the caller's deadline: the lookups stop, and the report is made.
const lookupReserve = 10 * time.Second

func nearDeadline(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < lookupReserve
}

// Unrepaired counts the findings no repair settled: what the metric and the alarm count.
func (r Report) Unrepaired() int {
	n := 0
	for _, f := range r.Findings {
		if !f.Repaired {
			n++
		}
	}
	return n
}

// plenigoSince reads every plenigo order changed since from: the orders of the window and any
// changed later, by ascending order id.
func plenigoSince(ctx context.Context, c PlenigoReader, from time.Time, rep *Report) (map[string][]plenigo.Order, error) {
	byKey := map[string][]plenigo.Order{}
	var after int64
	for {
		if nearDeadline(ctx) {
			return nil, fmt.Errorf("plenigo's orders changed since %s did not fit in one run (%d pages read): reconcile a shorter window", from.Format(time.RFC3339), rep.Calls[Plenigo])
		}
		rep.Calls[Plenigo]++
		page, err := c.OrdersPage(ctx, plenigo.OrderQuery{Since: from, StartingAfter: after, Size: plenigoPage})
		if err != nil {
			return nil, err
		}
		for _, o := range page {
			byKey[o.ExternalSystemID] = append(byKey[o.ExternalSystemID], o)
		}
		if len(page) < plenigoPage {
			return byKey, nil
		}
		after = page[len(page)-1].OrderID
	}
}

// plentySince reads every plentymarkets order changed since from.
func plentySince(ctx context.Context, c PlentyReader, from time.Time, rep *Report) (map[int]plenty.Order, error) {
	byID := map[int]plenty.Order{}
	search := func(ctx context.Context, q plenty.SearchQuery) (plenty.OrderPage, error) {
		rep.Calls[Plenty]++
		return c.SearchOrders(ctx, q)
	}
	err := plenty.EachOrder(ctx, search, plenty.SearchQuery{UpdatedSince: from, ItemsPerPage: plentyPage}, func(o plenty.Order) error {
		byID[o.ID] = o
		return nil
	})
	return byID, err
}

// bonifiqOrder looks one order up; found is false when BonifiQ does not have it.
func bonifiqOrder(ctx context.Context, c BonifiqReader, id string) (bonifiq.Remote, bool, error) {
	r, err := c.GetOrder(ctx, id)
	if partner.KindOf(err) == partner.NotFound {
		return bonifiq.Remote{}, false, nil
	}
	return r, err == nil, err
}

// repair applies f's repair, if it has one, and records it in the order's history.
func repair(ctx context.Context, orders order.Repository, f *Finding, by order.Actor) error {
	if f.Repair == "" || len(f.found) == 0 {
		return nil
	}
	changed := false
	_, err := orders.Update(ctx, f.OrderID, func(o *order.Order) error {
		changed = false
		if !confirmable(o) {
			return order.ErrNoChange // moved on since it was read
		}
		ids := make([]string, 0, len(f.found))
		all := false
		for k, id := range f.found {
			var known bool
			known, all = o.ConfirmImport(k, id)
			if known {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return order.ErrNoChange
		}
		slices.Sort(ids)
		c := order.Change{At: time.Now(), By: by, Reason: "reconciliation: " + f.Detail,
			Call: &order.PartnerCall{Partner: Plenigo, Operation: "list orders", Outcome: "has plenigo order " + strings.Join(ids, ", ")}}
		changed = true
		if !all {
			o.Record(c)
			return nil
		}
		o.Submitted()
		return importing.Imported(o, c)
	})
	if err != nil {
		return fmt.Errorf("repair %s: %w", f.OrderID, err)
	}
	f.Repaired = changed
	return nil
}
