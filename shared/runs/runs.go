// Package runs keeps when each schedule last ran to the end, so `orderhub status` can say whether
// the sweeps, polls, the reconciliation and the digest still run: one small record per schedule,
// overwritten by each successful run.
package runs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/orderhub/orderhub/shared/records"
)

// The schedules of template.yaml, by the name status shows.
const (
	EnqueuerSweep   = "enqueuer sweep"
	EnqueuerDigest  = "enqueuer digest"
	PollerPoll      = "poller poll"
	PollerReconcile = "poller reconcile"
	PusherSweep     = "pusher sweep"
)

// Schedules lists them in the order status shows them.
var Schedules = []string{EnqueuerSweep, EnqueuerDigest, PollerPoll, PollerReconcile, PusherSweep}

const kind = "run"

type run struct {
	At time.Time `json:"at"`
}

// Recorder records successful runs. A nil Recorder records nothing.
type Recorder struct {
	Records records.Store
	Log     *slog.Logger
	Now     func() time.Time
}

// Done records that the schedule name ran to the end now. A failure to record is logged, not
// returned: the run itself succeeded.
func (r *Recorder) Done(ctx context.Context, name string) {
	if r == nil || r.Records == nil {
		return
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	if err := r.Records.Save(ctx, kind, name, run{At: now().UTC()}, records.Any); err != nil && r.Log != nil {
		r.Log.WarnContext(ctx, "the run could not be recorded", "schedule", name, "error", err.Error())
	}
}

// Run is when a schedule last ran to the end; At is zero when it never did.
type Run struct {
	Schedule string    `json:"schedule"`
	At       time.Time `json:"at"`
}

// Last reads every schedule's last successful run.
func Last(ctx context.Context, recs records.Store) ([]Run, error) {
	out := make([]Run, 0, len(Schedules))
	for _, name := range Schedules {
		r, _, err := records.Get[run](ctx, recs, kind, name)
		if err != nil && !errors.Is(err, records.ErrNotFound) {
			return nil, err
		}
		out = append(out, Run{Schedule: name, At: r.At})
	}
	return out, nil
}
