package schedule

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for expr, want := range map[string]time.Duration{"rate(1 minute)": time.Minute, "rate(5 minutes)": 5 * time.Minute, "rate(2 hours)": 2 * time.Hour, "rate(1 day)": 24 * time.Hour} {
		s, err := Parse(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		if got := s.Next(t0).Sub(t0); got != want {
			t.Errorf("%s fires every %v, want %v", expr, got, want)
		}
	}
	for _, bad := range []string{"rate(0 minutes)", "rate(5 seconds)", "rate(1 minutes)", "rate(5 minute)", "every 5 minutes", "cron(* * * * *)", "cron(0 12 * * * *)", "cron(0 12 L * ? *)"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestCronNext(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	cases := []struct{ expr, after, want string }{
		{"cron(0 12 * * ? *)", "2026-11-22T10:00:00Z", "2026-11-22T12:00:00Z"},
		{"cron(0 12 * * ? *)", "2026-11-22T12:00:00Z", "2026-11-23T12:00:00Z"},
		{"cron(0/15 * * * ? *)", "2026-11-22T10:07:00Z", "2026-11-22T10:15:00Z"},
		{"cron(0 8 ? * MON-FRI *)", "2026-11-21T09:00:00Z", "2026-11-23T08:00:00Z"}, // Saturday → Monday
		{"cron(30 6 1 JAN,JUL ? *)", "2026-02-01T00:00:00Z", "2026-07-01T06:30:00Z"},
		{"cron(0 0 29 2 ? 2028)", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
	}
	for _, c := range cases {
		s, err := Parse(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := s.Next(at(c.after)); !got.Equal(at(c.want)) {
			t.Errorf("%s after %s = %s, want %s", c.expr, c.after, got.Format(time.RFC3339), c.want)
		}
	}
}

func TestRunFiresOnASpedUpClock(t *testing.T) {
	spec, _ := Parse("rate(1 minute)")
	clock := NewClock(600) // a minute every 100 ms
	var fired atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 550*time.Millisecond)
	defer cancel()
	Run(ctx, spec, clock, func(context.Context) { fired.Add(1) })
	if n := fired.Load(); n < 4 || n > 6 {
		t.Fatalf("fired %d times in 550 ms at 600×, want about 5", n)
	}
}
