// Package backoff is orderhub's one retry schedule: capped exponential delays with full jitter, used
// by the partner clients, the store's optimistic retries and the import worker's job delays.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy shapes the delays. Attempt n has the ceiling c = min(Cap, Base·2^(n-1)) and waits a random
// time between Keep·c and c, and at least Min. Keep 0 is full jitter, which spreads clients that
// failed together best; Keep 0.5 ("equal jitter") makes the waits grow with the attempts, where a
// quick retry would only add load (the worker's jobs).
type Policy struct {
	Base, Cap, Min time.Duration
	Keep           float64 // 0 to 1: the share of the ceiling always waited
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
	floor := time.Duration(float64(ceiling) * min(max(p.Keep, 0), 1))
	d := floor + rand.N(ceiling-floor+1)
	return max(d, p.Min)
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
