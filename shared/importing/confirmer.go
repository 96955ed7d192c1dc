package importing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/records"
)

// CheckpointImportLog names the import log reader's checkpoint and lease.
const CheckpointImportLog = "plenigo-import-log"

// Confirmer reads plenigo's import log and moves submitted orders to IMPORTED or IMPORT_FAILED. It
// pages through the log since its checkpoint (a page holds up to 100 entries, so a thousand imports
// cost about ten calls), and checks orders that got no entry one by one, as a fallback.
type Confirmer struct {
	Orders  order.Repository
	Records records.Store // the log checkpoint and the run's lease
	Plenigo *plenigo.Client
	Now     func() time.Time
	Log     *slog.Logger
	// Owner identifies this run for the lease (the request id).
	// Overlap re-reads this much of the log before the checkpoint, for entries written late.
	Overlap time.Duration
	// FirstLook is how far back a reader without a checkpoint starts (at most the log's 7 days).
	FirstLook time.Duration
	// StaleAfter is when an IMPORT_SUBMITTED order without a log entry is checked directly;
	// GiveUpAfter is when such an order is failed for an operator to look at.
	StaleAfter, GiveUpAfter time.Duration
	// LeaseTTL bounds how long a crashed run blocks the next.
	LeaseTTL time.Duration
	// PageSize is the log page size (plenigo allows 5..100).
	PageSize int
	// Budget is the least time before the invocation's deadline in which another page is read; a
	// run that reaches it saves where it stopped and the next run goes on from there. Zero means
	// DefaultBudget.
	Budget time.Duration
}

// maxApplied bounds the entries a checkpoint remembers as applied in the window read again, so it
// stays a small record however busy the log; an entry forgotten early is only applied again, which
// changes nothing.
const maxApplied = 2000

// Stats says what one run did.
type Stats struct {
	Skipped  bool `json:"skipped,omitempty"` // another run held the lease
	Pages    int  `json:"pages"`
	Entries  int  `json:"entries"`
	Imported int  `json:"imported"`
	Failed   int  `json:"failed"`
	Checked  int  `json:"checked"` // stale orders checked with GET /orders
	GaveUp   int  `json:"gaveUp"`
	// Unfinished says the run stopped before the end of the log (its time ran out, or an entry
	// could not be applied); the checkpoint holds where the next run goes on.
	Unfinished bool `json:"unfinished,omitempty"`
}

// Run reads the log since the checkpoint, applies every entry, saves the new checkpoint, and checks
// stale orders. Applying is idempotent (an order already IMPORTED ignores its entry again), so an
// overlapping or repeated run cannot double-apply anything; the lease only saves their calls.
func (c *Confirmer) Run(ctx context.Context, by order.Actor) (Stats, error) {
	var st Stats
	owner := by.RequestID
	if owner == "" {
		owner = strconv.FormatInt(c.Now().UnixNano(), 10)
	}
	ok, err := c.Records.AcquireLease(ctx, CheckpointImportLog, owner, c.Now(), c.LeaseTTL)
	if err != nil {
		return st, fmt.Errorf("acquire lease: %w", err)
	}
	if !ok {
		st.Skipped = true
		return st, nil
	}
	defer func() {
		if err := c.Records.ReleaseLease(context.WithoutCancel(ctx), CheckpointImportLog, owner); err != nil {
			c.Log.WarnContext(ctx, "release lease", "error", err.Error())
		}
	}()

	cp, version, err := records.Get[Checkpoint](ctx, c.Records, kindCheckpoint, CheckpointImportLog)
	if err != nil && !errors.Is(err, records.ErrNotFound) {
		return st, fmt.Errorf("load checkpoint: %w", err)
	}
	scan := cp
	if scan.ScanFrom.IsZero() { // a new scan of the window since the last one, with its overlap
		scan.ScanFrom, scan.After, scan.Newest = cp.Since.Add(-c.Overlap), 0, cp.Since
		if cp.Since.IsZero() {
			scan.ScanFrom = c.Now().Add(-c.FirstLook)
		}
	}
	applied := make(map[int64]time.Time, len(cp.Applied))
	for id, changed := range cp.Applied {
		if !changed.Before(scan.ScanFrom) {
			applied[id] = changed // still inside the window read again
		}
	}
	save := func(next Checkpoint) error {
		next.Applied = trimApplied(applied, next.Newest.Add(-c.Overlap))
		next.MovedAt = c.Now().UTC()
		// Saved even when the invocation's time ran out: it is what the next run goes on from.
		err := c.Records.Save(context.WithoutCancel(ctx), kindCheckpoint, CheckpointImportLog, next, version)
		if err == nil {
			version++
		}
		return err
	}
	for {
		if !c.timeLeft(ctx) {
			st.Unfinished = true
			break
		}
		page, err := c.Plenigo.ImportLogPage(ctx, plenigo.LogQuery{Since: scan.ScanFrom, StartingAfter: scan.After, Size: c.PageSize})
		if err != nil && (ctx.Err() != nil || !c.timeLeft(ctx)) {
			st.Unfinished = true // the invocation's time ran out during the read: go on next run
			break
		}
		if err != nil {
			return st, fmt.Errorf("read import log: %w", err)
		}
		st.Pages++
		fresh := page[:0:0]
		for _, e := range page {
			if done, ok := applied[e.ID]; !ok || !done.Equal(e.ChangedDate) {
				fresh = append(fresh, e)
			}
		}
		st.Entries += len(fresh)
		reached, ok := c.applyPage(ctx, fresh, by)
		failedAt := int64(-1) // the first entry that could not be applied: the run goes no further
		for i, e := range fresh {
			if ok[i] {
				applied[e.ID] = e.ChangedDate
			} else if failedAt < 0 || e.ID < failedAt {
				failedAt = e.ID
			}
			switch reached[i] {
			case order.Imported:
				st.Imported++
			case order.ImportFailed:
				st.Failed++
			}
		}
		for _, e := range page {
			if failedAt >= 0 && e.ID >= failedAt {
				break
			}
			scan.After = e.ID
			if e.ChangedDate.After(scan.Newest) {
				scan.Newest = e.ChangedDate
			}
		}
		if failedAt >= 0 {
			st.Unfinished = true
			c.Log.WarnContext(ctx, "import log entry not applied; the next run starts from it", "entry", failedAt)
			break
		}
		if len(page) < min(max(c.PageSize, 5), 100) {
			// The end of the log: the next scan reads from the newest change seen, with its overlap.
			if st.Entries > 0 || !scan.Newest.Equal(cp.Since) || !cp.ScanFrom.IsZero() {
				if err := save(Checkpoint{Since: scan.Newest, Newest: scan.Newest}); err != nil && !errors.Is(err, records.ErrStale) {
					return st, fmt.Errorf("save checkpoint: %w", err)
				}
			}
			break
		}
		// Progress is saved page by page, so a run cut off by its deadline loses nothing. A page
		// with nothing new (the overlap read again after a burst) is not: a run cut off after it
		// reads it again and skips its entries, where saving it would rewrite the checkpoint,
		// with every import of the window, at every poll until the log moves on.
		if len(fresh) == 0 {
			continue
		}
		if err := save(scan); err != nil {
			if errors.Is(err, records.ErrStale) {
				return st, nil // another run moved the checkpoint on: it goes on from there
			}
			return st, fmt.Errorf("save checkpoint: %w", err)
		}
	}
	if st.Unfinished {
		if err := save(scan); err != nil && !errors.Is(err, records.ErrStale) {
			return st, fmt.Errorf("save checkpoint: %w", err)
		}
		if !c.timeLeft(ctx) {
			return st, nil
		}
	}
	if err := c.checkStale(ctx, by, &st); err != nil {
		return st, err
	}
	return st, nil
}

// timeLeft reports whether another page can be read and applied before the invocation's deadline.
func (c *Confirmer) timeLeft(ctx context.Context) bool { return timeLeft(ctx, c.Budget) }

// trimApplied keeps the applied entries changed at or after from, at most maxApplied of the newest.
func trimApplied(applied map[int64]time.Time, from time.Time) map[int64]time.Time {
	keep := make([]int64, 0, len(applied))
	for id, changed := range applied {
		if !changed.Before(from) {
			keep = append(keep, id)
		}
	}
	if len(keep) > maxApplied {
		slices.Sort(keep)
		keep = keep[len(keep)-maxApplied:]
	}
	out := make(map[int64]time.Time, len(keep))
	for _, id := range keep {
		out[id] = applied[id]
	}
	return out
}

// applyPage applies a page's entries, entries of different orders side by side and entries of one
// order in log order, and returns the state each reached and whether it was applied (or needed
// nothing) rather than failed.
func (c *Confirmer) applyPage(ctx context.Context, page []plenigo.LogEntry, by order.Actor) ([]order.State, []bool) {
	groups := map[string][]int{}
	var keys []string
	for i, e := range page {
		k := order.OrderIDsForImportKey(e.ExternalSystemID)
		key := k[len(k)-1] // the shortest candidate: entries of one multi-item order share it
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], i)
	}
	reached := make([]order.State, len(page))
	ok := make([]bool, len(page))
	var g errgroup.Group
	g.SetLimit(parallelWrites)
	for _, key := range keys {
		g.Go(func() error {
			for _, i := range groups[key] {
				reached[i], ok[i] = c.apply(ctx, page[i], by)
			}
			return nil // each entry's outcome is in reached and ok
		})
	}
	_ = g.Wait()
	return reached, ok
}

// apply moves the order an entry belongs to and returns the state it reached (empty if unchanged),
// and false when it could not be applied now.
func (c *Confirmer) apply(ctx context.Context, e plenigo.LogEntry, by order.Actor) (order.State, bool) {
	if !e.Success {
		if pendingEntry(e) {
			// Not an outcome yet: plenigo completes the entry later, and its new changedDate brings
			// it back into a later read.
			return "", true
		}
		// No order is failed from the log before plenigo is asked directly: a refused duplicate of
		// an import plenigo has, or an entry completed later, must not fail an imported order.
		reached, ok := c.confirmDirectly(ctx, e.ExternalSystemID, by)
		if !ok {
			// The order is left as it is, and the reader goes on: the stale check asks plenigo
			// about it again later, and fails it only with plenigo's answer.
			c.Log.ErrorContext(ctx, "plenigo could not be asked about a failed import log entry; the order waits", "entry", e.ID, "key", e.ExternalSystemID)
			return "", true
		}
		if reached == order.Imported {
			return reached, true
		}
	}
	var reached order.State
	for _, id := range order.OrderIDsForImportKey(e.ExternalSystemID) {
		_, err := c.Orders.Update(ctx, id, func(o *order.Order) error {
			reached = ""
			if !o.AwaitsConfirmation() {
				return order.ErrNoChange
			}
			call := &order.PartnerCall{Partner: "plenigo", Operation: "import log", Detail: fmt.Sprintf("entry %d", e.ID)}
			if e.Success {
				known, all := o.ConfirmImport(e.ExternalSystemID, strconv.FormatInt(e.OrderID, 10))
				if !known {
					return order.ErrNoChange
				}
				call.Outcome = "imported as plenigo order " + strconv.FormatInt(e.OrderID, 10)
				if !all {
					o.Record(order.Change{At: c.Now(), By: by, Call: call})
					return nil
				}
				reached = order.Imported
				o.Submitted()
				return Imported(o, order.Change{At: c.Now(), By: by, Call: call})
			}
			if !importKeyOf(o, e.ExternalSystemID) {
				return order.ErrNoChange
			}
			call.Outcome = "failed"
			reason := describeFailure(e)
			reached = order.ImportFailed
			o.Submitted()
			return o.MoveTo(order.ImportFailed, order.Change{At: c.Now(), By: by, Reason: "plenigo's import failed: " + reason, Call: call})
		})
		switch {
		case err == nil:
			return reached, true
		case errors.Is(err, order.ErrNotFound):
			continue // an import of somebody else's, or a multi-item key: try the next candidate
		default:
			c.Log.ErrorContext(ctx, "apply import log entry", "entry", e.ID, "error", err.Error())
			return "", false
		}
	}
	return "", true
}

// checkStale looks up orders submitted long ago without a log entry.
func (c *Confirmer) checkStale(ctx context.Context, by order.Actor, st *Stats) error {
	stale, err := c.Orders.NeedingWork(ctx, order.ImportSubmitted, c.Now().Add(-c.StaleAfter), 50)
	if err != nil {
		return fmt.Errorf("list stale imports: %w", err)
	}
	for _, o := range stale {
		st.Checked++
		reached, ok := c.confirmDirectly(ctx, o.ID, by)
		if reached == order.Imported {
			st.Imported++
			continue
		}
		if !ok {
			continue // plenigo could not be asked: never fail an order without its answer
		}
		if c.Now().Sub(o.UpdatedAt) < c.GiveUpAfter {
			continue
		}
		_, err := c.Orders.Update(ctx, o.ID, func(cur *order.Order) error {
			if cur.State != order.ImportSubmitted {
				return order.ErrNoChange
			}
			return cur.MoveTo(order.ImportFailed, order.Change{At: c.Now(), By: by,
				Reason: fmt.Sprintf("no import log entry and no plenigo order %s after submission; replay the order to import it again", c.GiveUpAfter)})
		})
		if err != nil {
			return err
		}
		st.GaveUp++
	}
	return nil
}

// confirmDirectly asks plenigo for the orders of every item of the order behind key and moves it to
// IMPORTED when all exist. It reports false when it could not find out.
func (c *Confirmer) confirmDirectly(ctx context.Context, key string, by order.Actor) (order.State, bool) {
	for _, id := range order.OrderIDsForImportKey(key) {
		o, err := c.Orders.Get(ctx, id)
		if errors.Is(err, order.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", false
		}
		if !o.AwaitsConfirmation() {
			return "", true
		}
		found, complete, err := lookupImport(ctx, c.Plenigo, o)
		if err != nil {
			c.Log.WarnContext(ctx, "check plenigo order", "order", o.ID, "error", err.Error())
			return "", false
		}
		if !complete {
			return "", true
		}
		var reached order.State
		_, err = c.Orders.Update(ctx, o.ID, func(cur *order.Order) error {
			reached = ""
			if !cur.AwaitsConfirmation() {
				return order.ErrNoChange
			}
			cur.Submitted()
			reached = order.Imported
			return confirmFound(cur, found, c.Now(), by)
		})
		if err != nil {
			c.Log.ErrorContext(ctx, "confirm import", "order", o.ID, "error", err.Error())
			return "", false
		}
		return reached, true
	}
	return "", true
}

func importKeyOf(o *order.Order, key string) bool {
	for i := range o.Items {
		if o.ImportKey(i) == key {
			return true
		}
	}
	return false
}

// pendingEntry recognises an entry that carries no outcome yet: failed, with nothing said why.
func pendingEntry(e plenigo.LogEntry) bool {
	d := strings.TrimSpace(string(e.ErrorDetail))
	return strings.TrimSpace(e.ErrorReason) == "" && (d == "" || d == "null" || d == "{}" || d == `""`)
}

func describeFailure(e plenigo.LogEntry) string {
	reason := e.ErrorReason
	if len(e.ErrorDetail) > 0 && string(e.ErrorDetail) != "null" {
		reason += " " + string(e.ErrorDetail)
	}
	if reason == "" {
		reason = "no reason given"
	}
	return strings.TrimSpace(reason)
}
