package plentysim

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// plentymarkets throttles every REST call. Reads (GET) and writes (every other method) are counted
// apart, each over a short period (calls per user and minute) and a long one (calls per system and
// day); some routes carry a limit of their own. Every answer says where the call's buckets stand:
//
//	X-Plenty-Global-Short-Period-Limit, -Calls-Left, -Decay (seconds until the period ends)
//	X-Plenty-Global-Long-Period-…   the same for the day
//	X-Plenty-Route-…                the same for a route with its own limit
//
// A call that finds a bucket empty is answered 429 with Retry-After (seconds) and
// <prefix>-Calls-Reset (the Unix time the period ends), and a body saying "short period read limit
// reached" (or write, or long). The simulator's periods are fixed windows that start with the first
// call after the previous one ended, measured on the simulator's clock; a refused call uses up
// nothing. Login counts as a write.

// The header prefixes.
const (
	prefixShort = "X-Plenty-Global-Short-Period"
	prefixLong  = "X-Plenty-Global-Long-Period"
	prefixRoute = "X-Plenty-Route"
)

// window is one bucket: limit calls per period.
type window struct {
	prefix string
	limit  int
	period time.Duration
	start  time.Time // zero until the first call
	used   int
}

// roll starts a new period when the current one is over.
func (w *window) roll(now time.Time) {
	if w.start.IsZero() || !now.Before(w.start.Add(w.period)) {
		w.start, w.used = now, 0
	}
}

func (w *window) left() int { return max(0, w.limit-w.used) }

// ends is when the current period ends; before the first call, a period starting now.
func (w *window) ends(now time.Time) time.Time {
	if w.start.IsZero() || !now.Before(w.start.Add(w.period)) {
		return now.Add(w.period)
	}
	return w.start.Add(w.period)
}

// decay is the whole seconds until the period ends, rounded up.
func (w *window) decay(now time.Time) int {
	return int((w.ends(now).Sub(now) + time.Second - 1) / time.Second)
}

func (w *window) header(h http.Header, now time.Time) {
	h.Set(w.prefix+"-Limit", strconv.Itoa(w.limit))
	h.Set(w.prefix+"-Calls-Left", strconv.Itoa(w.left()))
	h.Set(w.prefix+"-Decay", strconv.Itoa(w.decay(now)))
}

// throttle holds the buckets.
type throttle struct {
	mu                                         sync.Mutex
	readShort, readLong, writeShort, writeLong *window
	routes                                     map[string]*window // by endpoint
}

func newThrottle(cfg Config) *throttle {
	return &throttle{
		readShort:  &window{prefix: prefixShort, limit: cfg.ReadPerMinute, period: time.Minute},
		readLong:   &window{prefix: prefixLong, limit: cfg.ReadPerDay, period: 24 * time.Hour},
		writeShort: &window{prefix: prefixShort, limit: cfg.WritePerMinute, period: time.Minute},
		writeLong:  &window{prefix: prefixLong, limit: cfg.WritePerDay, period: 24 * time.Hour},
		// The order search carries a route limit of its own, as a route with plentymarkets'
		// THROTTLING badge does; it equals the read limit, so it shows in the headers without
		// biting first unless SetRouteLimit lowers it.
		routes: map[string]*window{
			EndpointSearch: {prefix: prefixRoute, limit: cfg.ReadPerMinute, period: time.Minute},
		},
	}
}

// buckets are the windows a call counts against, the short one first.
func (t *throttle) buckets(write bool, endpoint string) []*window {
	ws := []*window{t.readShort, t.readLong}
	if write {
		ws = []*window{t.writeShort, t.writeLong}
	}
	if rw := t.routes[endpoint]; rw != nil {
		ws = append(ws, rw)
	}
	return ws
}

// take counts a call against its buckets and sets the throttle headers. When a bucket is empty it
// counts nothing and returns the empty window.
func (t *throttle) take(h http.Header, now time.Time, write bool, endpoint string) *window {
	t.mu.Lock()
	defer t.mu.Unlock()
	ws := t.buckets(write, endpoint)
	var empty *window
	for _, w := range ws {
		w.roll(now)
		if empty == nil && w.left() == 0 {
			empty = w
		}
	}
	if empty == nil {
		for _, w := range ws {
			w.used++
		}
	}
	for _, w := range ws {
		w.header(h, now)
	}
	if empty != nil {
		h.Set("Retry-After", strconv.Itoa(empty.decay(now)))
		h.Set(empty.prefix+"-Calls-Reset", strconv.FormatInt(empty.ends(now).Unix(), 10))
	}
	return empty
}

// peek sets the global throttle headers as they stand, counting nothing: for the answers the kit
// gives itself.
func (t *throttle) peek(h http.Header, now time.Time, write bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, w := range t.buckets(write, "") {
		if !w.start.IsZero() && !now.Before(w.start.Add(w.period)) {
			w.start, w.used = time.Time{}, 0
		}
		w.header(h, now)
	}
}

// limitMessage is the 429 body's text for a bucket.
func limitMessage(write bool, period string) string {
	kind := "read"
	if write {
		kind = "write"
	}
	if period == "route" {
		return "route " + kind + " limit reached"
	}
	return period + " period " + kind + " limit reached"
}

// refuseThrottled answers a call that found a bucket empty.
func refuseThrottled(w http.ResponseWriter, write bool, empty *window) {
	period := "short"
	switch empty.prefix {
	case prefixLong:
		period = "long"
	case prefixRoute:
		period = "route"
	}
	fail(w, http.StatusTooManyRequests, limitMessage(write, period))
}

// SetRouteLimit gives a route its own per-minute limit, reported in X-Plenty-Route headers; 0 takes
// the route's limit away. By default EndpointSearch has one equal to the read limit.
func (s *Sim) SetRouteLimit(endpoint string, perMinute int) {
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	if perMinute <= 0 {
		delete(s.throttle.routes, endpoint)
		return
	}
	s.throttle.routes[endpoint] = &window{prefix: prefixRoute, limit: perMinute, period: time.Minute}
}

// SetLimits changes the throttle limits, as the Config fields of the same names (0 keeps a limit as
// it is). Calls already counted stay counted.
func (s *Sim) SetLimits(readPerMinute, writePerMinute, readPerDay, writePerDay int) {
	s.throttle.mu.Lock()
	defer s.throttle.mu.Unlock()
	for _, c := range []struct {
		w *window
		n int
	}{{s.throttle.readShort, readPerMinute}, {s.throttle.writeShort, writePerMinute},
		{s.throttle.readLong, readPerDay}, {s.throttle.writeLong, writePerDay}} {
		if c.n > 0 {
			c.w.limit = c.n
		}
	}
}
