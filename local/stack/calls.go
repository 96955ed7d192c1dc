package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orderhub/orderhub/shared/metrics"
	"github.com/orderhub/orderhub/shared/operator"
)

// CallsFile is where a running stack keeps the partner calls of the last hour, for status.
func CallsFile(cacheDir string) string { return filepath.Join(cacheDir, "local-partner-calls.json") }

// callTally counts the partner-call records the functions log (metrics.Sink.PartnerCall), by minute,
// and writes the last hour's sums to a file: locally, what CloudWatch would hold.
type callTally struct {
	mu      sync.Mutex
	minutes map[time.Time]map[string][2]int // minute → partner → calls, failed
	now     func() time.Time
}

func newCallTally() *callTally {
	return &callTally{minutes: map[time.Time]map[string][2]int{}, now: time.Now}
}

// writer returns a writer for one function's output; it passes every byte on to next.
func (t *callTally) writer(next io.Writer) io.Writer {
	return &tallyWriter{t: t, next: next}
}

// tallyWriter serves every process of one function, whose outputs are copied concurrently: mu
// keeps their bytes apart.
type tallyWriter struct {
	t    *callTally
	next io.Writer
	mu   sync.Mutex
	buf  []byte
}

func (w *tallyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.t.line(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	return w.next.Write(p)
}

// line counts one log line if it is a partner-call record.
func (t *callTally) line(b []byte) {
	if !bytes.Contains(b, []byte(`"partner call"`)) {
		return
	}
	var rec struct {
		Msg     string `json:"msg"`
		Partner string
		Outcome string
	}
	if json.Unmarshal(b, &rec) != nil || rec.Msg != "partner call" || rec.Partner == "" {
		return
	}
	minute := t.now().Truncate(time.Minute)
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.minutes[minute]
	if m == nil {
		m = map[string][2]int{}
		t.minutes[minute] = m
	}
	c := m[rec.Partner]
	c[0]++
	if rec.Outcome != metrics.OutcomeOK {
		c[1]++
	}
	m[rec.Partner] = c
}

// lastHour sums the last hour and forgets what is older.
func (t *callTally) lastHour() operator.CallsDocument {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	by := map[string]*operator.PartnerCalls{}
	for minute, m := range t.minutes {
		if now.Sub(minute) > time.Hour {
			delete(t.minutes, minute)
			continue
		}
		for p, c := range m {
			pc := by[p]
			if pc == nil {
				pc = &operator.PartnerCalls{Partner: p}
				by[p] = pc
			}
			pc.Calls += c[0]
			pc.Failed += c[1]
		}
	}
	d := operator.CallsDocument{At: now.UTC(), Calls: []operator.PartnerCalls{}}
	for _, pc := range by {
		d.Calls = append(d.Calls, *pc)
	}
	slices.SortFunc(d.Calls, func(a, b operator.PartnerCalls) int { return strings.Compare(a.Partner, b.Partner) })
	return d
}

// keep writes the last hour to path every few seconds until ctx ends.
func (t *callTally) keep(ctx context.Context, path string) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		b, _ := json.Marshal(t.lastHour())
		_ = os.WriteFile(path, b, 0o644)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
