package poller

import (
	"context"
	"errors"
	"log/slog"

	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/plentysync"
	"github.com/orderhub/orderhub/shared/runs"
)

// Handler is the status poller. Its plenigo half confirms imports from plenigo's import log; its
// plentymarkets half, when configured, takes the merchant's orders cleared for shipping and keeps
// their status in plentymarkets true. Once a day it reconciles orderhub's orders with the partners.
type Handler struct {
	Confirmer *importing.Confirmer
	// Plenty is nil for a merchant without plentymarkets.
	Plenty *plentysync.Sync
	// Reconcile compares a window's orders with the partners (the daily schedule's input).
	Reconcile *Reconciler
	// Runs records each poll and reconciliation that ran to the end, for `orderhub status`.
	Runs     *runs.Recorder
	Function string
	Log      *slog.Logger
}

// Input is the scheduler's payload: empty (or the scheduler's own event) for a poll, or
// {"reconcile": {…}} for the reconciliation.
type Input struct {
	Reconcile *ReconcileInput `json:"reconcile,omitempty"`
}

// Result is what one poll did: the plenigo half's counts, and the plentymarkets half's; or what a
// reconciliation found.
type Result struct {
	importing.Stats
	Plenty         *plentysync.Stats `json:"plenty,omitempty"`
	Reconciliation *ReconcileResult  `json:"reconciliation,omitempty"`
}

// Handle runs one scheduled poll, or a reconciliation when the payload asks for one. A failed half
// of a poll does not stop the other; the invocation fails when either did, so the schedule's
// retries and the errors alarm see it.
func (h *Handler) Handle(ctx context.Context, in Input) (Result, error) {
	if in.Reconcile != nil {
		return h.reconcile(ctx, *in.Reconcile)
	}
	by := lambdafn.Actor(ctx, h.Function)
	var res Result
	st, err := h.Confirmer.Run(ctx, by)
	res.Stats = st
	if err != nil {
		h.Log.ErrorContext(ctx, "plenigo import log poll failed", "error", err.Error(), "pages", st.Pages, "entries", st.Entries)
	} else {
		h.Log.InfoContext(ctx, "plenigo import log poll", "skipped", st.Skipped, "pages", st.Pages, "entries", st.Entries,
			"imported", st.Imported, "failed", st.Failed, "checked", st.Checked, "gaveUp", st.GaveUp)
	}
	if h.Plenty == nil || ctx.Err() != nil {
		if err == nil && h.Plenty == nil {
			h.Runs.Done(ctx, runs.PollerPoll)
		}
		return res, err
	}
	ps, perr := h.Plenty.Run(ctx, by)
	res.Plenty = &ps
	if perr != nil {
		h.Log.ErrorContext(ctx, "plentymarkets sync failed", "error", perr.Error())
	} else {
		h.Log.InfoContext(ctx, "plentymarkets sync", "skipped", ps.Skipped, "pulled", ps.Pulled, "stored", ps.Stored, "written", ps.Written,
			"cancelled", ps.Cancelled, "returned", ps.Returned, "failed", ps.Failed)
	}
	if err == nil && perr == nil {
		h.Runs.Done(ctx, runs.PollerPoll)
	}
	return res, errors.Join(err, perr)
}
