package simkit

import (
	"context"
	"testing"
	"time"
)

func TestLatencyHoldsScriptedAnswersThenTheSetDelay(t *testing.T) {
	l := NewLatency()
	l.SlowNext("GET /x", 1, 80*time.Millisecond)
	began := time.Now()
	l.Hold(context.Background(), "GET /x")
	if time.Since(began) < 80*time.Millisecond {
		t.Fatal("a scripted delay was not held")
	}
	began = time.Now()
	l.Hold(context.Background(), "GET /x") // the script is used up, no delay is set
	if time.Since(began) > 50*time.Millisecond {
		t.Fatal("held without a delay")
	}
	l.Set(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	l.Hold(ctx, "GET /y") // a client that goes away is let go
	done := make(chan struct{})
	go func() { l.Hold(context.Background(), "GET /z"); close(done) }()
	l.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not let a held answer go")
	}
}
