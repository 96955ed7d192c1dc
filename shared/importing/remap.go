package importing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/records"
)

// Remapper re-evaluates the REJECTED orders once after each change of the mapping file: the sweep
// runs it, so a deploy with a fixed mapping moves the orders it now maps back to RECEIVED without
// an operator's `orderhub reevaluate`. The mapping in force is known by its fingerprint; the last
// one applied is a record, so each change is applied once however many sweeps run.
type Remapper struct {
	Intake  *intake.Service
	Orders  order.Repository
	Records records.Store
	// Fingerprint identifies the mapping the function was deployed with (mapping.Fingerprint).
	Fingerprint string
	// Limit bounds the orders one sweep re-evaluates; more are left to `orderhub reevaluate --all`.
	Limit int
	Now   func() time.Time
	Log   *slog.Logger
}

// The record of the mapping last applied to the REJECTED orders.
const (
	recordKind = "mapping"
	recordKey  = "applied"
)

type applied struct {
	Fingerprint string    `json:"fingerprint"`
	At          time.Time `json:"at"`
	Moved       int       `json:"moved"`
}

// RemapGrace is how long after a mapping change orders REJECTED since are re-evaluated too: during a
// deploy, receivers and pollers still on the old mapping may reject orders the new one maps.
const RemapGrace = 15 * time.Minute

// Run re-evaluates the REJECTED orders if the mapping changed since the last run that did (and, for
// RemapGrace after that, the orders rejected since), and reports how many moved back to RECEIVED.
// An order that cannot be re-evaluated is logged and left for the next sweep: the change is recorded
// only once every listed order was re-evaluated. Two sweeps at once both re-evaluate, harmlessly
// (each order moves once).
func (r *Remapper) Run(ctx context.Context, by order.Actor) (int, error) {
	last, version, err := records.Get[applied](ctx, r.Records, recordKind, recordKey)
	if err != nil && !errors.Is(err, records.ErrNotFound) {
		return 0, fmt.Errorf("mapping record: %w", err)
	}
	now := r.Now()
	changed := err != nil || last.Fingerprint != r.Fingerprint
	var since time.Time // orders rejected from then on; zero: all
	if !changed {
		if now.Sub(last.At) >= RemapGrace {
			return 0, nil
		}
		since = last.At.Add(-time.Minute)
	}
	rejected, err := r.Orders.NeedingWork(ctx, order.Rejected, now.Add(time.Minute), r.Limit)
	if err != nil {
		return 0, err
	}
	moved, listed, failed := 0, 0, 0
	for _, o := range rejected {
		if o.UpdatedAt.Before(since) {
			continue
		}
		listed++
		ok, err := r.Intake.Reevaluate(ctx, o.ID, now, by)
		if err != nil {
			failed++
			r.Log.ErrorContext(ctx, "a REJECTED order could not be re-evaluated; the next sweep tries again", "orderId", o.ID, "error", err.Error())
			continue
		}
		if ok {
			moved++
		}
	}
	if len(rejected) == r.Limit {
		r.Log.WarnContext(ctx, "more REJECTED orders than one sweep re-evaluates; run orderhub reevaluate --all", "reevaluated", listed)
	}
	if listed > 0 || changed {
		r.Log.InfoContext(ctx, "REJECTED orders re-evaluated with the mapping", "fingerprint", r.Fingerprint, "changed", changed,
			"reevaluated", listed, "moved", moved, "failed", failed)
	}
	if failed > 0 {
		return moved, fmt.Errorf("%d of %d REJECTED orders could not be re-evaluated", failed, listed)
	}
	if !changed {
		return moved, nil
	}
	err = r.Records.Save(ctx, recordKind, recordKey, applied{Fingerprint: r.Fingerprint, At: now.UTC(), Moved: moved}, version)
	if err != nil && !errors.Is(err, records.ErrStale) {
		return moved, fmt.Errorf("mapping record: %w", err)
	}
	return moved, nil
}
