package backoff

import (
	"context"
	"testing"
	"time"
)

func TestDelayStaysWithinTheCappedWindow(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Cap: time.Second, Min: 10 * time.Millisecond}
	for attempt, ceiling := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 80: time.Second} {
		for range 200 {
			if d := p.Delay(attempt); d < p.Min || d > ceiling {
				t.Fatalf("attempt %d: delay %s outside [%s, %s]", attempt, d, p.Min, ceiling)
			}
		}
	}
}

func TestDelayIsJittered(t *testing.T) {
	p := Policy{Base: time.Second, Cap: time.Minute}
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[p.Delay(3)] = true
	}
	if len(seen) < 10 {
		t.Fatalf("50 delays took only %d values: not jittered", len(seen))
	}
}

func TestKeepMakesTheWaitsGrow(t *testing.T) {
	p := Policy{Base: 30 * time.Second, Cap: 15 * time.Minute, Keep: 0.5}
	for attempt, ceiling := range map[int]time.Duration{1: 30 * time.Second, 3: 2 * time.Minute, 7: 15 * time.Minute} {
		for range 200 {
			if d := p.Delay(attempt); d < ceiling/2 || d > ceiling {
				t.Fatalf("attempt %d: delay %s outside [%s, %s]", attempt, d, ceiling/2, ceiling)
			}
		}
	}
}

func TestMinAboveCeilingWins(t *testing.T) {
	p := Policy{Base: time.Millisecond, Cap: time.Millisecond, Min: time.Second}
	if d := p.Delay(1); d != time.Second {
		t.Fatalf("delay %s, want the floor", d)
	}
}

func TestSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); err == nil {
		t.Fatal("Sleep on a cancelled context returned nil")
	}
	if err := Sleep(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
}
