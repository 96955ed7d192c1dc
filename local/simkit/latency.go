package simkit

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Latency holds answers back: every answer by a set delay, or the next ones of an endpoint by a
// scripted one. It waits in real time, and gives up when the client goes away or it is closed.
type Latency struct {
	mu     sync.Mutex
	all    time.Duration
	script map[string][]time.Duration
	closed chan struct{}
	once   sync.Once
}

// NewLatency returns a Latency that holds nothing back.
func NewLatency() *Latency {
	return &Latency{script: map[string][]time.Duration{}, closed: make(chan struct{})}
}

// Set delays every answer by d; 0 turns it off.
func (l *Latency) Set(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = d
}

// SlowNext delays the next n answers of an endpoint by d, instead of the set delay.
func (l *Latency) SlowNext(endpoint string, n int, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.script[endpoint] = append(l.script[endpoint], slices.Repeat([]time.Duration{d}, n)...)
}

// Hold waits as long as the next answer of endpoint is to be held back.
func (l *Latency) Hold(ctx context.Context, endpoint string) {
	l.mu.Lock()
	d := l.all
	if q := l.script[endpoint]; len(q) > 0 {
		l.script[endpoint], d = q[1:], q[0]
	}
	l.mu.Unlock()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-l.closed:
	}
}

// Close lets every held answer go.
func (l *Latency) Close() { l.once.Do(func() { close(l.closed) }) }
