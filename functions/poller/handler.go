package poller

import (
	"context"
	"log/slog"

	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/lambdafn"
)

// Handler is the status poller. Its plenigo half confirms imports from plenigo's import log.
type Handler struct {
	Confirmer *importing.Confirmer
	Function  string
	Log       *slog.Logger
}

// Handle runs one scheduled poll. The scheduler's payload carries nothing the poll needs.
func (h *Handler) Handle(ctx context.Context) (importing.Stats, error) {
	st, err := h.Confirmer.Run(ctx, lambdafn.Actor(ctx, h.Function))
	if err != nil {
		h.Log.ErrorContext(ctx, "plenigo import log poll failed", "error", err.Error(), "pages", st.Pages, "entries", st.Entries)
		return st, err
	}
	h.Log.InfoContext(ctx, "plenigo import log poll", "skipped", st.Skipped, "pages", st.Pages, "entries", st.Entries,
		"imported", st.Imported, "failed", st.Failed, "checked", st.Checked, "gaveUp", st.GaveUp)
	return st, nil
}
