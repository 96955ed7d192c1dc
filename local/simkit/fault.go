// Package simkit is what orderhub's partner simulators (plenigo, plentymarkets, BonifiQ) are built on:
// routing by method-and-path pattern, call counting, scripted and random faults, and a clock tests move.
package simkit

import (
	"fmt"
	"math/rand/v2"
	"sync"
)

// Fault is an injected failure.
type Fault int

// The faults. FaultTimeout holds the request (for the server's timeout hold, or until the client goes
// away) and then answers 504. Fault504AfterApply handles the request fully, then answers 504 as a
// gateway would: the client cannot tell it from a timeout, but the effect has happened.
const (
	FaultNone Fault = iota
	Fault429
	Fault500
	Fault502
	Fault503
	FaultTimeout
	Fault504AfterApply
)

// AllFaults returns every fault kind but FaultNone, the default set for random faults.
func AllFaults() []Fault {
	return []Fault{Fault429, Fault500, Fault502, Fault503, FaultTimeout, Fault504AfterApply}
}

var faultNames = [...]string{"none", "429", "500", "502", "503", "timeout", "504 after apply"}

// String names a fault for reports.
func (f Fault) String() string {
	if f < 0 || int(f) >= len(faultNames) {
		return fmt.Sprintf("Fault(%d)", int(f))
	}
	return faultNames[f]
}

// Status is the HTTP status the fault answers with; 0 for FaultNone.
func (f Fault) Status() int {
	switch f {
	case Fault429:
		return 429
	case Fault500:
		return 500
	case Fault502:
		return 502
	case Fault503:
		return 503
	case FaultTimeout, Fault504AfterApply:
		return 504
	}
	return 0
}

// Faults decides which call gets which fault: first the faults scripted for its endpoint, in order,
// then, with the configured rate, a random kind. The random draws come from a fixed seed, so a
// sequential test sees the same faults on every run. Safe for concurrent use.
type Faults struct {
	mu     sync.Mutex
	script map[string][]Fault
	rate   float64
	kinds  []Fault
	filter func(endpoint string) bool
	rnd    *rand.Rand
}

// NewFaults returns a script with no faults; random faults, once a rate is set, are drawn from all kinds.
func NewFaults() *Faults {
	return &Faults{script: map[string][]Fault{}, kinds: AllFaults(), rnd: rand.New(rand.NewPCG(1, 2))}
}

// FailNext makes the next calls of an endpoint (e.g. "POST /imports/orders") fail with faults, in
// order, after any faults already scripted for it. Scripted faults ignore the rate and the filter.
func (f *Faults) FailNext(endpoint string, faults ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[endpoint] = append(f.script[endpoint], faults...)
}

// SetRate sets the share of calls (0 to 1) that get a random fault; 0 turns random faults off.
// Kinds, when given, replace the set the fault is drawn from.
func (f *Faults) SetRate(rate float64, kinds ...Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate = rate
	if len(kinds) > 0 {
		f.kinds = append([]Fault(nil), kinds...)
	}
}

// SetFilter limits random faults to the endpoints filter accepts; nil means all endpoints.
func (f *Faults) SetFilter(filter func(endpoint string) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filter = filter
}

// Scripted returns how many scripted faults are still waiting for an endpoint.
func (f *Faults) Scripted(endpoint string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.script[endpoint])
}

// Next takes the fault for one call of an endpoint: FaultNone for most.
func (f *Faults) Next(endpoint string) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	if q := f.script[endpoint]; len(q) > 0 {
		if len(q) == 1 {
			delete(f.script, endpoint)
		} else {
			f.script[endpoint] = q[1:]
		}
		return q[0]
	}
	// The draw order (one Float64, then one IntN) is what plenigosim always did; keeping it keeps
	// seeded runs comparable.
	if f.rate > 0 && len(f.kinds) > 0 && (f.filter == nil || f.filter(endpoint)) && f.rnd.Float64() < f.rate {
		return f.kinds[f.rnd.IntN(len(f.kinds))]
	}
	return FaultNone
}
