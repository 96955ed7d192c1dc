// Package backoff is orderhub's one retry schedule: capped exponential delays with full jitter, used
// by the partner clients, the store's optimistic retries and the import worker's job delays.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy shapes the delays: attempt n waits a random time between Min and min(Cap, Base·2^(n-1)).
// Full jitter spreads clients that failed together; Min keeps a floor where an immediate retry would
// only add load (the worker's jobs).
type Policy struct {
	Base, Cap, Min time.Duration
}

// Delay returns the wait after failed attempt n (1 for the first failure).
func (p Policy) Delay(attempt int) time.Duration {
	ceiling := p.Cap
	if attempt < 1 {
		attempt = 1
	}
	if shift := attempt - 1; shift < 62 && p.Base > 0 {
		if d := p.Base << shift; d > 0 && d < ceiling {
			ceiling = d
		}
	}
	if ceiling <= p.Min {
		return max(ceiling, p.Min)
	}
	return p.Min + rand.N(ceiling-p.Min+1)
}

// Sleep waits d or until ctx ends, and returns ctx's error then.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
