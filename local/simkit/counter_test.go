package simkit

import (
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
)

// fakeTB records failures instead of failing the test that uses it.
type fakeTB struct {
	testing.TB
	errors []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func TestCounter(t *testing.T) {
	var c Counter // the zero Counter works
	if c.TotalCalls() != 0 || len(c.Calls()) != 0 {
		t.Fatal("a new counter has calls")
	}
	c.Record("POST /customers", FaultNone)
	c.Record("POST /customers", Fault429)
	c.Record("GET /orders", FaultTimeout)
	c.Record("GET /orders", Fault429)
	c.Record("GET /orders", FaultNone)

	if got, want := c.Calls(), map[string]int{"POST /customers": 2, "GET /orders": 3}; !maps.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	if c.TotalCalls() != 5 {
		t.Fatalf("total %d", c.TotalCalls())
	}
	if got, want := c.Faulted(), map[string]int{"POST /customers": 1, "GET /orders": 2}; !maps.Equal(got, want) {
		t.Fatalf("faulted %v, want %v", got, want)
	}
	if got, want := c.FaultsByKind(), map[Fault]int{Fault429: 2, FaultTimeout: 1}; !maps.Equal(got, want) {
		t.Fatalf("by kind %v, want %v", got, want)
	}
	calls := c.Calls()
	calls["POST /customers"] = 99 // a copy
	if c.Calls()["POST /customers"] != 2 {
		t.Fatal("Calls returned the counter's own map")
	}
	c.Reset()
	if c.TotalCalls() != 0 || len(c.Faulted()) != 0 || len(c.FaultsByKind()) != 0 {
		t.Fatalf("after reset: %v %v %v", c.Calls(), c.Faulted(), c.FaultsByKind())
	}
	c.Record("GET /orders", FaultNone)
	if c.TotalCalls() != 1 {
		t.Fatal("counting after reset")
	}
}

func TestCounterConcurrentUse(t *testing.T) {
	var c Counter
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Record("GET /x", Fault503)
				_ = c.Calls()
			}
		})
	}
	wg.Wait()
	if c.Calls()["GET /x"] != 800 || c.FaultsByKind()[Fault503] != 800 {
		t.Fatalf("%v %v", c.Calls(), c.FaultsByKind())
	}
}

func TestExpectCalls(t *testing.T) {
	var c Counter
	for range 2 {
		c.Record("POST /customers", FaultNone)
	}
	c.Record("POST /imports/orders", FaultNone)
	c.Record("GET /imports/orders/logs", FaultNone)

	tests := []struct {
		name     string
		want     map[string]int
		ok       bool
		mentions []string // in the failure message
	}{
		{name: "exact", want: map[string]int{"POST /customers": 2, "POST /imports/orders": 1, "GET /imports/orders/logs": 1}, ok: true},
		{name: "endpoints not named are not checked", want: map[string]int{"POST /customers": 2}, ok: true},
		{name: "zero for an endpoint never called", want: map[string]int{"GET /orders": 0}, ok: true},
		{name: "nothing named", want: map[string]int{}, ok: true},
		{
			name:     "every difference listed",
			want:     map[string]int{"POST /customers": 1, "POST /imports/orders": 1, "GET /orders": 2, "GET /imports/orders/logs": 0},
			mentions: []string{"POST /customers: 2 calls, want 1", "GET /orders: 0 calls, want 2", "GET /imports/orders/logs: 1 calls, want 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ft := &fakeTB{}
			if ok := c.ExpectCalls(ft, tt.want); ok != tt.ok || (len(ft.errors) == 0) != tt.ok {
				t.Fatalf("ExpectCalls = %v with errors %q, want %v", ok, ft.errors, tt.ok)
			}
			if !tt.ok {
				if len(ft.errors) != 1 {
					t.Fatalf("%d failures, want one listing all differences: %q", len(ft.errors), ft.errors)
				}
				for _, m := range tt.mentions {
					if !strings.Contains(ft.errors[0], m) {
						t.Errorf("failure does not mention %q:\n%s", m, ft.errors[0])
					}
				}
				if strings.Contains(ft.errors[0], "POST /imports/orders: ") {
					t.Errorf("failure lists a matching endpoint as a difference:\n%s", ft.errors[0])
				}
			}
		})
	}
}

func TestExpectAtMost(t *testing.T) {
	var c Counter
	for range 3 {
		c.Record("POST /customers", FaultNone)
	}
	tests := []struct {
		endpoint string
		n        int
		ok       bool
	}{
		{"POST /customers", 4, true},
		{"POST /customers", 3, true},
		{"POST /customers", 2, false},
		{"GET /orders", 0, true},
	}
	for _, tt := range tests {
		ft := &fakeTB{}
		if ok := c.ExpectAtMost(ft, tt.endpoint, tt.n); ok != tt.ok || (len(ft.errors) == 0) != tt.ok {
			t.Errorf("ExpectAtMost(%s, %d) = %v with errors %q", tt.endpoint, tt.n, ok, ft.errors)
		}
	}
}
