package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/local/emulator"
	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/local/pipeline"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/local/stack"
)

func root(t *testing.T) string {
	t.Helper()
	return localaws.RepoRoot()
}

// TestPortInUseFailsAtOnce: a taken port is one clear line, before anything is started.
func TestPortInUseFailsAtOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	began := time.Now()
	_, err = stack.Up(context.Background(), stack.Options{Root: root(t), CacheDir: t.TempDir(), HTTPPort: port})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("port %d", port)) || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(began) > 2*time.Second {
		t.Fatalf("failing on a taken port took %s", time.Since(began))
	}
}

// TestMeasureFunctions measures each function's cold start (process start to first answer) and warm
// invoke time in the runtime host, for docs/performance.md. Run with ORDERHUB_MEASURE=1.
func TestMeasureFunctions(t *testing.T) {
	if os.Getenv("ORDERHUB_MEASURE") == "" {
		t.Skip("a measurement: set ORDERHUB_MEASURE=1")
	}
	r := root(t)
	s, err := stack.Up(context.Background(), stack.Options{Root: r, CacheDir: emulator.DefaultCacheDir(r), Speedup: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Down()
	const warm = 50
	payloads := map[string]func(i int) []byte{
		"ReceiverFunction": func(i int) []byte {
			b, _ := json.Marshal(pipeline.MarketplaceRequest(scenario.MarketplacePurchase(600000+i, fmt.Sprintf("m%d@example.com", i), "1338", "1", time.Now())))
			return b
		},
		"EnqueuerFunction": func(int) []byte { return []byte(`{"action":"sweep"}`) },
		"WorkerFunction": func(i int) []byte {
			b, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: fmt.Sprint(i), Body: fmt.Sprintf(`{"orderId":"mkt-%d"}`, 600000+i), ReceiptHandle: "x"}}})
			return b
		},
		"PollerFunction": func(int) []byte { return []byte(`{}`) },
	}
	rows := []string{"| function | cold start, median of 5 (process start to first answer) | warm invoke, median | warm invoke, p95 | what the invocation did |", "|---|---|---|---|---|"}
	what := map[string]string{"ReceiverFunction": "store one marketplace purchase", "EnqueuerFunction": "sweep (nothing stale)",
		"WorkerFunction": "one job for an order that does not exist", "PollerFunction": "read an empty import log, check stale orders"}
	names := make([]string, 0, len(payloads))
	for n := range payloads {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		h := s.Hosts[name]
		var colds []time.Duration
		for i := range 5 { // five fresh processes: a single cold start is a noisy sample
			h.Stop()
			if _, err := h.Invoke(context.Background(), payloads[name](1000+i)); err != nil {
				t.Fatalf("%s cold: %v", name, err)
			}
			colds = append(colds, h.Stats().LastColdStart)
		}
		sort.Slice(colds, func(i, j int) bool { return colds[i] < colds[j] })
		cold := colds[len(colds)/2]
		var times []time.Duration
		for i := 1; i <= warm; i++ {
			began := time.Now()
			if _, err := h.Invoke(context.Background(), payloads[name](i)); err != nil {
				t.Fatalf("%s warm: %v", name, err)
			}
			times = append(times, time.Since(began))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s |", name, cold.Round(100*time.Microsecond), times[len(times)/2].Round(10*time.Microsecond),
			times[len(times)*95/100].Round(10*time.Microsecond), what[name]))
	}
	sizes := []string{"| function | bootstrap for this machine (linux/amd64, not stripped) |", "|---|---|"}
	for _, name := range names {
		if fi, err := os.Stat(filepath.Join(emulator.DefaultCacheDir(r), "local-functions", name, "bootstrap")); err == nil {
			sizes = append(sizes, fmt.Sprintf("| %s | %d |", name, fi.Size()))
		}
	}
	t.Log("\n" + strings.Join(rows, "\n") + "\n\n" + strings.Join(sizes, "\n"))
}
