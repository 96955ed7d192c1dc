package plenty

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/partner"
)

// Budget is one of plentymarkets' call budgets: reads (GET) and writes (every other method) are
// limited apart, per minute per user and per day per system.
type Budget int

// The budgets.
const (
	Read Budget = iota
	Write
)

func (b Budget) String() string {
	if b == Read {
		return "read"
	}
	return "write"
}

// BudgetOf returns the budget a call of method counts against.
func BudgetOf(method string) Budget {
	if method == http.MethodGet || method == http.MethodHead {
		return Read
	}
	return Write
}

// The prefixes of plentymarkets' throttle headers; each comes with -Limit, -Calls-Left and -Decay
// (seconds until the window resets), and on a 429 with -Calls-Reset.
const (
	prefixShort = "X-Plenty-Global-Short-Period"
	prefixLong  = "X-Plenty-Global-Long-Period"
	prefixRoute = "X-Plenty-Route"
)

// Defaults of the Pacer.
const (
	DefaultReserve     = 2
	DefaultLongReserve = 10
	DefaultMargin      = time.Second
	// default429Wait is waited after a 429 that says nothing of how long: the longer of the waits
	// other clients use for plentymarkets' short-period write refusal.
	default429Wait = 10 * time.Second
	// unknownLeft stands for the calls left of a window nothing is known about.
	unknownLeft = 1 << 30
)

// Pacer spaces a client's calls by what plentymarkets' throttle headers say, so that steady work
// does not run into a 429. It keeps the read and the write budget apart, each with its short (per
// minute) and long (per day) window and the windows of routes with their own limit; every answer
// updates them, every call sent counts against them until its answer arrives. Before a call it
// waits while a window has no more than its reserve left (until the window resets) and otherwise
// spreads the calls left evenly over what remains of the short window. After a 429 the budget waits
// out Retry-After. One Pacer serves all goroutines of a client; it is safe for concurrent use.
//
// Calls of other execution environments are seen only through the headers (Calls-Left counts every
// call of the user), so the reserve also covers their calls in flight.
type Pacer struct {
	// Reserve is how many calls of a short or route window are left unused (0: DefaultReserve; less
	// than 0: none). LongReserve likewise for the daily window (0: DefaultLongReserve).
	Reserve, LongReserve int
	// Margin is waited past a window's end, as Decay counts whole seconds (0: DefaultMargin).
	Margin time.Duration
	// Now and Sleep are the pacer's clock; nil means time.Now and backoff.Sleep. Tests record or
	// compress the waits with them.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Log receives a line for each 429 and each wait of a second or more; nil logs nothing.
	Log *slog.Logger

	mu       sync.Mutex
	windows  map[windowKey]*window
	blocked  [2]time.Time     // after a 429, per budget
	inflight [2]int           // calls sent and not answered, per budget
	answered [2]bool          // a call of the budget has been answered: its limits are known
	probe    [2]chan struct{} // closed when the first call of a budget ends
}

// windowKey names a window: a budget's "short" or "long" window, or a route's.
type windowKey struct {
	budget Budget
	scope  string // "short", "long", or the route pattern
}

// window is what the pacer knows of one limit.
type window struct {
	limit   int
	left    int       // the last Calls-Left, less the calls sent since
	resetAt time.Time // when the window ends, from Decay; zero when unknown
	period  time.Duration
	next    time.Time // the earliest time of the next call, spreading the calls left
	spread  bool      // short and route windows spread their calls; the daily one does not
}

func (p *Pacer) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Pacer) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return backoff.Sleep(ctx, d)
}

func (p *Pacer) margin() time.Duration {
	if p.Margin > 0 {
		return p.Margin
	}
	return DefaultMargin
}

func (p *Pacer) reserve(k windowKey) int {
	r, def := p.Reserve, DefaultReserve
	if k.scope == "long" {
		r, def = p.LongReserve, DefaultLongReserve
	}
	switch {
	case r < 0:
		return 0
	case r == 0:
		return def
	}
	return r
}

// keys returns the windows a call of budget b on route counts against.
func keys(b Budget, route string) [3]windowKey {
	return [3]windowKey{{b, "short"}, {b, "long"}, {b, "route " + route}}
}

// flight is one call's claim on the pacer: taken before each attempt, given back by the attempt's
// answer or when the attempt ends without one.
type flight struct {
	p       *Pacer
	op      string
	budget  Budget
	route   string
	open    bool
	probing bool // the budget's first call: the others wait for its answer
}

func (p *Pacer) flight(op string, b Budget, route string) *flight {
	return &flight{p: p, op: op, budget: b, route: route}
}

// wait waits until the call may be sent and claims its place. It gives up at once, with a
// Throttled error, when the wait would not end keep before ctx's deadline.
func (f *flight) wait(ctx context.Context, keep time.Duration) error {
	p := f.p
	var floor time.Time // a wait that is only recorded (tests) still moves the pacer's now on
	for {
		p.mu.Lock()
		if !p.answered[f.budget] && !f.probing {
			// Nothing is known of the budget's limits yet: one call finds out, the others wait for it
			// rather than burst into a window that may be nearly used up by other environments.
			if ch := p.probe[f.budget]; ch != nil {
				p.mu.Unlock()
				select {
				case <-ch:
					continue
				case <-ctx.Done():
					return &Error{Op: f.op, Route: f.route, Throttled: true, unsent: true, Err: ctx.Err()}
				}
			}
			p.probe[f.budget] = make(chan struct{})
			f.probing = true
		}
		now := p.now()
		if now.Before(floor) {
			now = floor
		}
		at, why := p.earliest(f.budget, f.route, now)
		if !at.After(now) {
			p.claim(f.budget, f.route, now)
			f.open = true
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
		d := at.Sub(now)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl)-keep < d {
			return &Error{Op: f.op, Route: f.route, Throttled: true, unsent: true, RetryAfter: d,
				Message: fmt.Sprintf("%s budget: %s; no call before the deadline", f.budget, why)}
		}
		if d >= time.Second && p.Log != nil {
			p.Log.InfoContext(ctx, "plenty: pacing calls", "budget", f.budget.String(), "route", f.route, "wait", d.String(), "why", why)
		}
		if err := p.sleep(ctx, d); err != nil {
			return &Error{Op: f.op, Route: f.route, Throttled: true, unsent: true, Err: err}
		}
		floor = at
	}
}

// earliest returns when a call of budget b on route may go, and why it must wait. It rolls windows
// over whose end has passed. p.mu is held.
func (p *Pacer) earliest(b Budget, route string, now time.Time) (time.Time, string) {
	at, why := now, ""
	if p.blocked[b].After(at) {
		at, why = p.blocked[b], "429 Retry-After"
	}
	for _, k := range keys(b, route) {
		w := p.windows[k]
		if w == nil {
			continue
		}
		p.roll(w, now)
		if w.left <= p.reserve(k) && !w.resetAt.IsZero() {
			if end := w.resetAt.Add(p.margin()); end.After(at) {
				at, why = end, fmt.Sprintf("%s window has %d calls left, resets in %s", k.scope, max(w.left, 0), w.resetAt.Sub(now).Round(time.Second))
			}
		}
		if w.spread && w.next.After(at) {
			at, why = w.next, fmt.Sprintf("spreading the %s window's %d calls left", k.scope, max(w.left, 0))
		}
	}
	return at, why
}

// roll starts a window's next period once its end (and the margin) has passed. p.mu is held.
func (p *Pacer) roll(w *window, now time.Time) {
	if w.resetAt.IsZero() || now.Before(w.resetAt.Add(p.margin())) {
		return
	}
	w.left, w.next = w.limit, time.Time{}
	if w.limit <= 0 { // no -Limit header: nothing is known of the next period until an answer says
		w.left, w.resetAt = unknownLeft, time.Time{}
		return
	}
	if w.period <= 0 {
		w.resetAt = time.Time{}
		return
	}
	for !now.Before(w.resetAt.Add(p.margin())) {
		w.resetAt = w.resetAt.Add(w.period)
	}
}

// claim counts a call sent now against its windows and sets when the next may follow. p.mu is held.
func (p *Pacer) claim(b Budget, route string, now time.Time) {
	p.inflight[b]++
	for _, k := range keys(b, route) {
		w := p.windows[k]
		if w == nil {
			continue
		}
		w.left--
		if !w.spread || w.resetAt.IsZero() || !w.resetAt.After(now) {
			continue
		}
		if n := w.left - p.reserve(k); n > 0 {
			w.next = now.Add(w.resetAt.Sub(now) / time.Duration(n+1))
		} else {
			w.next = w.resetAt.Add(p.margin())
		}
	}
}

// end gives the claim back when the attempt ended without an answer.
func (f *flight) end() {
	if !f.open && !f.probing {
		return
	}
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	if f.open {
		f.p.inflight[f.budget]--
		f.open = false
	}
	f.endProbe()
}

// endProbe lets the calls waiting for the budget's first answer go on. p.mu is held.
func (f *flight) endProbe() {
	if !f.probing {
		return
	}
	if ch := f.p.probe[f.budget]; ch != nil {
		close(ch)
		f.p.probe[f.budget] = nil
	}
	f.probing = false
}

// observe reads an answer's throttle headers into the windows, and a 429 into the budget's wait.
func (f *flight) observe(ctx context.Context, a partner.Answer) {
	p := f.p
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if f.open {
		p.inflight[f.budget]--
		f.open = false
	}
	p.answered[f.budget] = true
	f.endProbe()
	if p.windows == nil {
		p.windows = map[windowKey]*window{}
	}
	var exhausted time.Duration // the longest Decay of a window the answer says is used up
	for _, k := range keys(f.budget, f.route) {
		prefix := prefixShort
		switch k.scope {
		case "short":
		case "long":
			prefix = prefixLong
		default:
			prefix = prefixRoute
		}
		limit, okLimit := headerInt(a.Header, prefix+"-Limit")
		left, okLeft := headerInt(a.Header, prefix+"-Calls-Left")
		decay, okDecay := headerInt(a.Header, prefix+"-Decay")
		if !okLimit && !okLeft && !okDecay {
			continue
		}
		w := p.windows[k]
		if w == nil {
			w = &window{spread: k.scope != "long", left: left}
			p.windows[k] = w
		}
		if okDecay {
			d := time.Duration(max(decay, 0)) * time.Second
			reset := now.Add(d)
			if !w.resetAt.IsZero() && reset.Before(w.resetAt.Add(-w.period/2)) {
				continue // an answer from the window before, arriving late
			}
			w.resetAt, w.period = reset, max(w.period, d)
			if okLeft && left <= 0 {
				exhausted = max(exhausted, d)
			}
		}
		if okLimit {
			w.limit = limit
		}
		if okLeft {
			w.left = left - p.inflight[f.budget]
		}
	}
	if a.Status != http.StatusTooManyRequests {
		return
	}
	wait, from := partner.RetryAfter(a.Header.Get("Retry-After"), now), "Retry-After"
	if wait <= 0 {
		wait, from = callsReset(a.Header, now), "Calls-Reset"
	}
	if wait <= 0 {
		wait, from = exhausted, "Decay"
	}
	if wait <= 0 {
		wait, from = default429Wait, "default"
	}
	if until := now.Add(wait); until.After(p.blocked[f.budget]) {
		p.blocked[f.budget] = until
	}
	if p.Log != nil {
		p.Log.WarnContext(ctx, "plenty: 429, the budget waits", "budget", f.budget.String(), "route", f.route,
			"wait", wait.String(), "from", from)
	}
}

// headerInt reads a numeric header; a decimal keeps its integer part.
func headerInt(h http.Header, name string) (int, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := intPart(v)
	return n, err == nil
}

// callsReset reads the latest of the -Calls-Reset timestamps (unix seconds, or a date).
func callsReset(h http.Header, now time.Time) time.Duration {
	var wait time.Duration
	for _, prefix := range []string{prefixShort, prefixLong, prefixRoute} {
		v := strings.TrimSpace(h.Get(prefix + "-Calls-Reset"))
		if v == "" {
			continue
		}
		var t time.Time
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			t = time.Unix(s, 0)
		} else {
			for _, layout := range timeLayouts {
				if x, err := time.Parse(layout, v); err == nil {
					t = x
					break
				}
			}
			if x, err := http.ParseTime(v); t.IsZero() && err == nil {
				t = x
			}
		}
		if !t.IsZero() {
			wait = max(wait, t.Sub(now))
		}
	}
	return wait
}
