package simkit

import (
	"slices"
	"testing"
)

func TestFaults(t *testing.T) {
	const a, b = "POST /a", "GET /b"
	repeat := func(ep string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = ep
		}
		return out
	}
	tests := []struct {
		name  string
		setup func(f *Faults)
		calls []string
		want  []Fault                         // exact answers, when set
		check func(t *testing.T, got []Fault) // otherwise
	}{
		{
			name:  "no script, no rate",
			calls: []string{a, b, a},
			want:  []Fault{FaultNone, FaultNone, FaultNone},
		},
		{
			name: "script in order per endpoint",
			setup: func(f *Faults) {
				f.FailNext(a, Fault429, Fault500)
				f.FailNext(b, Fault503)
				f.FailNext(a, FaultTimeout) // appended after the two above
			},
			calls: []string{a, b, a, b, a, a},
			want:  []Fault{Fault429, Fault503, Fault500, FaultNone, FaultTimeout, FaultNone},
		},
		{
			name: "script first, then random",
			setup: func(f *Faults) {
				f.SetRate(1, Fault502)
				f.FailNext(a, Fault429, Fault504AfterApply)
			},
			calls: []string{a, a, a, b},
			want:  []Fault{Fault429, Fault504AfterApply, Fault502, Fault502},
		},
		{
			name:  "rate 0 never faults",
			setup: func(f *Faults) { f.SetRate(0, Fault429) },
			calls: repeat(a, 1000),
			check: func(t *testing.T, got []Fault) {
				for i, f := range got {
					if f != FaultNone {
						t.Fatalf("call %d got %s", i, f)
					}
				}
			},
		},
		{
			name:  "rate 1 always faults with kinds from the set",
			setup: func(f *Faults) { f.SetRate(1, Fault429, FaultTimeout) },
			calls: repeat(a, 1000),
			check: func(t *testing.T, got []Fault) {
				seen := map[Fault]int{}
				for i, f := range got {
					if f != Fault429 && f != FaultTimeout {
						t.Fatalf("call %d got %s", i, f)
					}
					seen[f]++
				}
				if len(seen) != 2 {
					t.Fatalf("kinds drawn: %v", seen)
				}
			},
		},
		{
			name:  "default kinds are all of them",
			setup: func(f *Faults) { f.SetRate(1) },
			calls: repeat(a, 1000),
			check: func(t *testing.T, got []Fault) {
				for _, k := range AllFaults() {
					if !slices.Contains(got, k) {
						t.Fatalf("%s never drawn", k)
					}
				}
				if slices.Contains(got, FaultNone) {
					t.Fatal("a call went through at rate 1")
				}
			},
		},
		{
			name: "filter limits random faults, not scripted ones",
			setup: func(f *Faults) {
				f.SetRate(1, Fault500)
				f.SetFilter(func(ep string) bool { return ep == a })
				f.FailNext(b, Fault503)
			},
			calls: []string{a, b, b, a},
			want:  []Fault{Fault500, Fault503, FaultNone, Fault500},
		},
		{
			name:  "rate in between",
			setup: func(f *Faults) { f.SetRate(0.2) },
			calls: repeat(a, 5000),
			check: func(t *testing.T, got []Fault) {
				n := len(got) - countOf(got, FaultNone)
				if n < 800 || n > 1200 {
					t.Fatalf("%d of %d faulted at rate 0.2", n, len(got))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFaults()
			if tt.setup != nil {
				tt.setup(f)
			}
			var got []Fault
			for _, ep := range tt.calls {
				got = append(got, f.Next(ep))
			}
			if tt.want != nil && !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

func countOf(fs []Fault, k Fault) int {
	n := 0
	for _, f := range fs {
		if f == k {
			n++
		}
	}
	return n
}

func TestFaultsAreDeterministic(t *testing.T) {
	draw := func() []Fault {
		f := NewFaults()
		f.SetRate(0.3)
		var out []Fault
		for range 200 {
			out = append(out, f.Next("GET /x"))
		}
		return out
	}
	if first, second := draw(), draw(); !slices.Equal(first, second) {
		t.Fatalf("two scripts with the same seed differ:\n%v\n%v", first, second)
	}
}

func TestFaultsScripted(t *testing.T) {
	f := NewFaults()
	f.FailNext("GET /x", Fault429, Fault500)
	if n := f.Scripted("GET /x"); n != 2 {
		t.Fatalf("%d scripted", n)
	}
	f.Next("GET /x")
	f.Next("GET /x")
	if n := f.Scripted("GET /x"); n != 0 {
		t.Fatalf("%d scripted after both were used", n)
	}
}

func TestFaultNamesAndStatuses(t *testing.T) {
	tests := []struct {
		f      Fault
		name   string
		status int
	}{
		{FaultNone, "none", 0},
		{Fault429, "429", 429},
		{Fault500, "500", 500},
		{Fault502, "502", 502},
		{Fault503, "503", 503},
		{FaultTimeout, "timeout", 504},
		{Fault504AfterApply, "504 after apply", 504},
		{Fault(42), "Fault(42)", 0},
	}
	for _, tt := range tests {
		if tt.f.String() != tt.name || tt.f.Status() != tt.status {
			t.Errorf("%d: %q %d, want %q %d", int(tt.f), tt.f.String(), tt.f.Status(), tt.name, tt.status)
		}
	}
}
