package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/orderhub/orderhub/shared/operator"
	"github.com/orderhub/orderhub/shared/reconcile"
)

// runTrace prints one order's history, from the running local stack or, with --aws, from DynamoDB
// in AWS.
func runTrace(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("trace", flag.ContinueOnError)
	where := addTargetFlags(fs)
	live := fs.Bool("live", false, "also ask each partner what it holds for the order now, and flag what disagrees")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("trace: give one order id, e.g. orderhub trace mkt-221")
	}
	t, store, err := where.open(ctx, "trace")
	if err != nil {
		return err
	}
	o, err := store.Get(ctx, fs.Arg(0))
	if err != nil {
		return fmt.Errorf("trace %s (%s): %w", fs.Arg(0), t, err)
	}
	operator.Trace(os.Stdout, o)
	if !*live {
		return nil
	}
	partners, err := operator.OpenPartners(ctx, t, store)
	if err != nil {
		return fmt.Errorf("trace --live: %w", err)
	}
	operator.TraceLive(os.Stdout, reconcile.Live(ctx, o, partners))
	return nil
}
