package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/orderhub/orderhub/shared/operator"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/reconcile"
)

// inFlight is how far before now the window ends by default: an order received later may still be
// on its way to plenigo (the poller looks an import up after 15 minutes without news).
const inFlight = 15 * time.Minute

// runReconcile compares the orders received in a window with what the partners hold.
func runReconcile(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reconcile", flag.ContinueOnError)
	where := addTargetFlags(fs)
	since := fs.Duration("since", 24*time.Hour, "the orders received in this span, before the last quarter hour")
	from := fs.String("from", "", "the window's start instead, RFC 3339 (with --to)")
	to := fs.String("to", "", "the window's end, RFC 3339 (default a quarter of an hour ago: orders still on their way are left out)")
	repair := fs.Bool("repair", false, "apply the safe repairs (an order plenigo has while orderhub waits for it or gave up on it)")
	dry := fs.Bool("dry-run", false, "with --repair: say what would be repaired, change nothing")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("reconcile: unexpected %q", fs.Arg(0))
	}
	opt := reconcile.Options{To: time.Now().Add(-inFlight), Repair: *repair, DryRun: *dry, By: order.Actor{Function: "orderhub reconcile", RequestID: whoAmI()}}
	var err error
	if *to != "" {
		if opt.To, err = time.Parse(time.RFC3339, *to); err != nil {
			return fmt.Errorf("reconcile: --to: %w", err)
		}
	}
	opt.From = opt.To.Add(-*since)
	if *from != "" {
		if opt.From, err = time.Parse(time.RFC3339, *from); err != nil {
			return fmt.Errorf("reconcile: --from: %w", err)
		}
	}
	if !opt.From.Before(opt.To) {
		return errors.New("reconcile: the window's start is not before its end")
	}
	t, store, err := where.open(ctx, "reconcile")
	if err != nil {
		return err
	}
	partners, err := operator.OpenPartners(ctx, t, store)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	rep, err := reconcile.Run(ctx, store, partners, opt)
	if err != nil {
		return fmt.Errorf("reconcile (%s): %w", t, err)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	operator.PrintReconciliation(os.Stdout, rep, opt)
	return nil
}
