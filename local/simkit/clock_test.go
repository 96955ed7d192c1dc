package simkit

import (
	"sync"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	near := func(got, want time.Time) bool { d := got.Sub(want); return d > -time.Second && d < time.Second }
	tests := []struct {
		name  string
		clock func() *Clock
		move  func(c *Clock)
		want  func() time.Time // what Now should return
		exact bool             // stopped clocks are exact; running ones near
	}{
		{name: "nil clock is real time", clock: func() *Clock { return nil }, want: time.Now},
		{name: "zero clock is real time", clock: func() *Clock { return &Clock{} }, want: time.Now},
		{
			name:  "advance a running clock",
			clock: func() *Clock { return &Clock{} },
			move:  func(c *Clock) { c.Advance(8 * 24 * time.Hour); c.Advance(time.Hour) },
			want:  func() time.Time { return time.Now().Add(8*24*time.Hour + time.Hour) },
		},
		{
			name:  "advance backwards",
			clock: func() *Clock { return &Clock{} },
			move:  func(c *Clock) { c.Advance(-time.Hour) },
			want:  func() time.Time { return time.Now().Add(-time.Hour) },
		},
		{name: "new clock is stopped", clock: func() *Clock { return NewClock(t0) }, want: func() time.Time { return t0 }, exact: true},
		{
			name:  "set stops a running clock",
			clock: func() *Clock { return &Clock{} },
			move:  func(c *Clock) { c.Advance(time.Hour); c.Set(t0) },
			want:  func() time.Time { return t0 }, exact: true,
		},
		{
			name:  "advance a stopped clock",
			clock: func() *Clock { return NewClock(t0) },
			move:  func(c *Clock) { c.Advance(90 * time.Minute) },
			want:  func() time.Time { return t0.Add(90 * time.Minute) }, exact: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.clock()
			if tt.move != nil {
				tt.move(c)
			}
			got := c.Now()
			if tt.exact {
				time.Sleep(5 * time.Millisecond) // a stopped clock does not run
				if got2 := c.Now(); !got.Equal(tt.want()) || !got2.Equal(got) {
					t.Fatalf("now %v then %v, want %v", got, got2, tt.want())
				}
				return
			}
			if !near(got, tt.want()) {
				t.Fatalf("now %v, want about %v", got, tt.want())
			}
		})
	}
}

func TestClockConcurrentUse(t *testing.T) {
	c := NewClock(time.Unix(0, 0))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(time.Unix(800, 0)) {
		t.Fatalf("now %v after 800 one-second steps", got)
	}
}
