package simkit

import (
	"sync"
	"time"
)

// Clock is a simulator's notion of now, which tests can move. The zero Clock, and a nil *Clock, run
// with real time. Advance shifts a running clock and keeps it running; Set stops it at a moment, and
// from then on only Set and Advance move it. Only "now" is affected: timers and timeouts run in real
// time. Now works on a nil *Clock; Advance and Set need a Clock. Safe for concurrent use.
type Clock struct {
	mu      sync.Mutex
	offset  time.Duration // added to real time while running
	stopped bool
	at      time.Time // the time while stopped
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock {
	return &Clock{stopped: true, at: t}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	if c == nil {
		return time.Now()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return c.at
	}
	return time.Now().Add(c.offset)
}

// Advance moves the clock by d (backwards when negative).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		c.at = c.at.Add(d)
	} else {
		c.offset += d
	}
}

// Set stops the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped, c.at = true, t
}
