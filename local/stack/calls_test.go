package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/operator"
)

// TestTheTallyCountsPartnerCallRecordsOfTheLastHour: records split across writes are counted, other
// lines pass through untouched, failed outcomes are counted apart, an hour-old minute is forgotten,
// and status reads the file the stack keeps.
func TestTheTallyCountsPartnerCallRecordsOfTheLastHour(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)
	tally := newCallTally()
	tally.now = func() time.Time { return now }
	var out bytes.Buffer
	w := tally.writer(&out)
	lines := `{"time":"x","level":"INFO","msg":"partner call","Partner":"plenigo","Endpoint":"import orders","Outcome":"ok","PartnerCalls":1}
{"msg":"sweep","enqueued":3}
{"msg":"partner call","Partner":"plenigo","Outcome":"throttled"}
{"msg":"partner call","Partner":"bonifiq","Outcome":"ok"}
`
	for _, part := range []string{lines[:50], lines[50:130], lines[130:]} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if out.String() != lines {
		t.Fatalf("the output changed:\n%s", out.String())
	}
	now = now.Add(61 * time.Minute)
	_, _ = w.Write([]byte(`{"msg":"partner call","Partner":"plenty","Outcome":"server"}` + "\n"))
	got := tally.lastHour()
	if b, _ := json.Marshal(got.Calls); string(b) != `[{"partner":"plenty","calls":1,"failed":1}]` {
		t.Fatalf("after an hour: %s", b)
	}

	now = now.Add(-61 * time.Minute)
	tally = newCallTally()
	tally.now = func() time.Time { return now }
	_, _ = tally.writer(&out).Write([]byte(lines))
	path := filepath.Join(t.TempDir(), "calls.json")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tally.keep(ctx, path)
	calls, err := operator.CallsFile{Path: path}.LastHour(context.Background(), now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(calls); string(b) != `[{"partner":"bonifiq","calls":1,"failed":0},{"partner":"plenigo","calls":2,"failed":1}]` {
		t.Fatalf("read back: %s", b)
	}
	if _, err := (operator.CallsFile{Path: path}).LastHour(context.Background(), now.Add(10*time.Minute)); err == nil {
		t.Error("a count from ten minutes ago was taken as current")
	}
	if _, err := (operator.CallsFile{Path: filepath.Join(t.TempDir(), "none")}).LastHour(context.Background(), now); err == nil {
		t.Error("a missing file was read")
	}
	_ = os.Remove(path)
}
