package simkit

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Counter counts a simulator's calls by endpoint ("POST /customers"), the faulted ones among them,
// and the faults by kind. The zero Counter is ready to use and safe for concurrent use.
type Counter struct {
	mu      sync.Mutex
	calls   map[string]int
	faulted map[string]int
	kinds   map[Fault]int
}

// Record counts one call of an endpoint and the fault it got (FaultNone for none).
func (c *Counter) Record(endpoint string, f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls, c.faulted, c.kinds = map[string]int{}, map[string]int{}, map[Fault]int{}
	}
	c.calls[endpoint]++
	if f != FaultNone {
		c.faulted[endpoint]++
		c.kinds[f]++
	}
}

// Calls returns the number of calls per endpoint, faulted ones included.
func (c *Counter) Calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return copyMap(c.calls)
}

// TotalCalls returns the number of calls to every endpoint.
func (c *Counter) TotalCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.calls {
		n += v
	}
	return n
}

// Faulted returns how many calls per endpoint got an injected fault.
func (c *Counter) Faulted() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return copyMap(c.faulted)
}

// FaultsByKind returns how many faults of each kind were injected.
func (c *Counter) FaultsByKind() map[Fault]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return copyMap(c.kinds)
}

// Reset zeroes the counters.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.faulted, c.kinds = nil, nil, nil
}

func copyMap[K comparable](m map[K]int) map[K]int {
	out := make(map[K]int, len(m))
	maps.Copy(out, m)
	return out
}

// ExpectCalls fails t unless each endpoint named in want was called exactly that often (0 means not
// at all); endpoints not named are not checked. One failure lists every difference. It reports
// whether the counts matched.
func (c *Counter) ExpectCalls(t testing.TB, want map[string]int) bool {
	t.Helper()
	got := c.Calls()
	var diffs []string
	for _, ep := range slices.Sorted(maps.Keys(want)) {
		if got[ep] != want[ep] {
			diffs = append(diffs, fmt.Sprintf("  %s: %d calls, want %d", ep, got[ep], want[ep]))
		}
	}
	if len(diffs) == 0 {
		return true
	}
	t.Errorf("simulator calls differ:\n%s\nall calls: %s", strings.Join(diffs, "\n"), formatCalls(got))
	return false
}

// ExpectAtMost fails t if an endpoint was called more than n times, and reports whether it was not.
func (c *Counter) ExpectAtMost(t testing.TB, endpoint string, n int) bool {
	t.Helper()
	got := c.Calls()
	if got[endpoint] <= n {
		return true
	}
	t.Errorf("simulator calls: %s: %d calls, want at most %d\nall calls: %s", endpoint, got[endpoint], n, formatCalls(got))
	return false
}

func formatCalls(calls map[string]int) string {
	if len(calls) == 0 {
		return "none"
	}
	var parts []string
	for _, ep := range slices.Sorted(maps.Keys(calls)) {
		parts = append(parts, fmt.Sprintf("%s=%d", ep, calls[ep]))
	}
	return strings.Join(parts, ", ")
}
