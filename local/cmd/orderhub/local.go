package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/orderhub/orderhub/local/scenario"
	"io"
	"os"
	"time"

	"github.com/orderhub/orderhub/local/emulator"
	"github.com/orderhub/orderhub/local/stack"
)

type stackFlags struct {
	port    int
	speedup float64
	faults  float64
	logs    bool
}

func (f *stackFlags) register(fs *flag.FlagSet, port int, speedup, faults float64) {
	fs.IntVar(&f.port, "port", port, "port of the local HTTP API (0: any free port)")
	fs.Float64Var(&f.speedup, "speedup", speedup, "run schedules and retry delays this many times faster than in AWS")
	fs.Float64Var(&f.faults, "faults", faults, "share of plenigo calls that fail (429, 5xx, timeouts, 504 after apply)")
	fs.BoolVar(&f.logs, "logs", false, "print the functions' logs")
}

func up(ctx context.Context, f stackFlags, logs io.Writer) (*stack.Stack, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	began := time.Now()
	s, err := stack.Up(ctx, stack.Options{
		Root: root, CacheDir: emulator.DefaultCacheDir(root), HTTPPort: f.port, Speedup: f.speedup, FaultRate: f.faults,
		PlenigoURL: os.Getenv("ORDERHUB_PLENIGO_URL"), FunctionOutput: logs,
		Progress: func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "orderhub: %6.1fs  %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
		},
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

func runLocal(ctx context.Context, args []string) error {
	var f stackFlags
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	f.register(fs, 3000, 1, 0)
	if err := fs.Parse(args); err != nil {
		return err
	}
	logs := io.Writer(os.Stdout)
	s, err := up(ctx, f, logs)
	if err != nil {
		return err
	}
	defer s.Down()
	fmt.Printf(`
orderhub is running. Post to:
  marketplace webhook  POST %[1]s/webhooks/marketplace/%[2]s
  dealer batches       POST %[1]s/dealer-purchases   (Standard Webhooks signature, key id %[5]s, secret %[3]s)
  plenigo simulator    %[4]s
Try, in another terminal:
  go run ./local/cmd/orderhub send events/marketplace-purchase.json
  go run ./local/cmd/orderhub send events/dealer-batch.json
  go run ./local/cmd/orderhub trace mkt-221
Ctrl-C stops everything.
`, s.APIURL, scenario.MarketplaceToken, scenario.DealerSecret, s.SimURL, scenario.DealerKeyID)
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "\norderhub: stopping")
	return nil
}
