// Package schedule fires functions on EventBridge schedule expressions, rate(...) and cron(...), on a
// clock that can run faster than real time for demos.
package schedule

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Spec is a parsed schedule expression.
type Spec interface {
	// Next returns the first firing time strictly after t.
	Next(t time.Time) time.Time
}

// Parse reads "rate(5 minutes)" or "cron(0/15 8-18 ? * MON-FRI *)".
func Parse(expr string) (Spec, error) {
	expr = strings.TrimSpace(expr)
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return parseRate(expr[5 : len(expr)-1])
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		return parseCron(expr[5 : len(expr)-1])
	}
	return nil, fmt.Errorf("schedule %q: want rate(...) or cron(...)", expr)
}

type rate struct{ every time.Duration }

func (r rate) Next(t time.Time) time.Time { return t.Add(r.every) }

func parseRate(s string) (Spec, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return nil, fmt.Errorf("rate(%s): want a value and a unit", s)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("rate(%s): value must be a positive integer", s)
	}
	unit := map[string]time.Duration{"minute": time.Minute, "minutes": time.Minute, "hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}[f[1]]
	if unit == 0 {
		return nil, fmt.Errorf("rate(%s): unit must be minute(s), hour(s) or day(s)", s)
	}
	if plural := strings.HasSuffix(f[1], "s"); (n == 1) == plural {
		return nil, fmt.Errorf("rate(%s): use the singular unit for 1 and the plural otherwise", s)
	}
	return rate{every: time.Duration(n) * unit}, nil
}

// cron is AWS's six-field cron: minutes hours day-of-month month day-of-week year, in UTC.
type cron struct {
	min, hour, dom, month, dow, year set
	domAny, dowAny                   bool
}

type set map[int]bool

func (c *cron) Next(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	for i := 0; i < 5*366*24*60; i++ {
		if c.year[t.Year()] && c.month[int(t.Month())] && c.dayMatches(t) && c.hour[t.Hour()] && c.min[t.Minute()] {
			return t
		}
		t = t.Add(time.Minute)
	}
	return time.Time{}
}

func (c *cron) dayMatches(t time.Time) bool {
	dom, dow := c.dom[t.Day()], c.dow[int(t.Weekday())+1]
	switch {
	case c.domAny:
		return dow
	case c.dowAny:
		return dom
	}
	return dom && dow
}

func parseCron(s string) (Spec, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron(%s): want 6 fields: minutes hours day-of-month month day-of-week year", s)
	}
	months := map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	days := map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
	c := &cron{domAny: f[2] == "?", dowAny: f[4] == "?"}
	if c.domAny == c.dowAny {
		return nil, fmt.Errorf("cron(%s): exactly one of day-of-month and day-of-week must be ?", s)
	}
	var err error
	fields := []struct {
		dst      *set
		text     string
		lo, hi   int
		names    map[string]int
		fieldFor string
	}{{&c.min, f[0], 0, 59, nil, "minutes"}, {&c.hour, f[1], 0, 23, nil, "hours"}, {&c.dom, f[2], 1, 31, nil, "day-of-month"},
		{&c.month, f[3], 1, 12, months, "month"}, {&c.dow, f[4], 1, 7, days, "day-of-week"}, {&c.year, f[5], 1970, 2199, nil, "year"}}
	for _, fl := range fields {
		if *fl.dst, err = parseField(fl.text, fl.lo, fl.hi, fl.names); err != nil {
			return nil, fmt.Errorf("cron(%s): %s: %w", s, fl.fieldFor, err)
		}
	}
	return c, nil
}

func parseField(s string, lo, hi int, names map[string]int) (set, error) {
	out := set{}
	if s == "?" {
		s = "*"
	}
	for _, part := range strings.Split(s, ",") {
		rangePart, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("bad step %q", stepText)
			}
			step = n
		}
		from, to := lo, hi
		if rangePart != "*" {
			a, b, isRange := strings.Cut(rangePart, "-")
			var err error
			if from, err = value(a, names); err != nil {
				return nil, err
			}
			to = from
			if isRange {
				if to, err = value(b, names); err != nil {
					return nil, err
				}
			} else if hasStep {
				to = hi
			}
		}
		if from < lo || to > hi || from > to {
			return nil, fmt.Errorf("%q is outside %d-%d", part, lo, hi)
		}
		for v := from; v <= to; v += step {
			out[v] = true
		}
	}
	return out, nil
}

func value(s string, names map[string]int) (int, error) {
	if n, ok := names[strings.ToUpper(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number (L, W and # are not supported locally)", s)
	}
	return n, nil
}

// Clock runs Speedup times faster than real time from its start.
type Clock struct {
	start   time.Time
	Speedup float64
}

// NewClock starts a clock now.
func NewClock(speedup float64) *Clock {
	if speedup <= 0 {
		speedup = 1
	}
	return &Clock{start: time.Now(), Speedup: speedup}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	return c.start.Add(time.Duration(float64(time.Since(c.start)) * c.Speedup))
}

// Run calls fire at every time spec gives on clock, until ctx ends. A firing that is still running
// when the next is due delays it, as a single scheduled target would.
func Run(ctx context.Context, spec Spec, clock *Clock, fire func(context.Context)) {
	next := spec.Next(clock.Now())
	for {
		if next.IsZero() {
			return
		}
		wait := time.Duration(float64(next.Sub(clock.Now())) / clock.Speedup)
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(wait, 0)):
		}
		fire(ctx)
		next = spec.Next(next)
		if now := clock.Now(); next.Before(now) {
			next = spec.Next(now) // skip firings missed while the last one ran
		}
	}
}
