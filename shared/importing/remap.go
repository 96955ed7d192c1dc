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

// Run re-evaluates the REJECTED orders if the mapping changed since the last run that did, and
// reports how many moved back to RECEIVED. Two sweeps at once both re-evaluate, harmlessly (each
// order moves once); one of them records the mapping as applied.
func (r *Remapper) Run(ctx context.Context, by order.Actor) (int, error) {
	last, version, err := records.Get[applied](ctx, r.Records, recordKind, recordKey)
	if err != nil && !errors.Is(err, records.ErrNotFound) {
		return 0, fmt.Errorf("mapping record: %w", err)
	}
	if err == nil && last.Fingerprint == r.Fingerprint {
		return 0, nil
	}
	rejected, err := r.Orders.NeedingWork(ctx, order.Rejected, r.Now().Add(time.Minute), r.Limit)
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, o := range rejected {
		ok, err := r.Intake.Reevaluate(ctx, o.ID, r.Now(), by)
		if err != nil {
			return moved, err
		}
		if ok {
			moved++
		}
	}
	if len(rejected) == r.Limit {
		r.Log.WarnContext(ctx, "more REJECTED orders than one sweep re-evaluates; run orderhub reevaluate --all", "reevaluated", len(rejected))
	}
	r.Log.InfoContext(ctx, "mapping changed: REJECTED orders re-evaluated", "fingerprint", r.Fingerprint, "reevaluated", len(rejected), "moved", moved)
	err = r.Records.Save(ctx, recordKind, recordKey, applied{Fingerprint: r.Fingerprint, At: r.Now().UTC(), Moved: moved}, version)
	if err != nil && !errors.Is(err, records.ErrStale) {
		return moved, fmt.Errorf("mapping record: %w", err)
	}
	return moved, nil
}
