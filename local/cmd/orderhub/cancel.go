package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/orderhub/orderhub/shared/operator"
	"github.com/orderhub/orderhub/shared/order"
)

// runCancel records a customer's cancellation of one order (shared/operator.Cancel).
func runCancel(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("cancel", flag.ContinueOnError)
	where := addTargetFlags(fs)
	reason := fs.String("reason", "", "why, as the customer or the merchant said it (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *reason == "" {
		return errors.New("cancel: give one order id and --reason")
	}
	_, store, err := where.open(ctx, "cancel")
	if err != nil {
		return err
	}
	_, err = operator.Cancel(ctx, os.Stdout, store, fs.Arg(0), *reason, nil)
	return err
}

// itemFlags collects --item PRODUCT=QUANTITY.
type itemFlags []order.ReturnedItem

func (f *itemFlags) String() string { return fmt.Sprint(*f) }

func (f *itemFlags) Set(v string) error {
	product, qty, ok := strings.Cut(v, "=")
	if !ok || product == "" {
		return fmt.Errorf("%q is not PRODUCT=QUANTITY", v)
	}
	q, err := order.ParseDecimal(qty)
	if err != nil || q <= 0 {
		return fmt.Errorf("%q: the quantity must be a positive number", v)
	}
	*f = append(*f, order.ReturnedItem{Product: product, Quantity: q})
	return nil
}

// runReturn records a return of a delivered order (shared/operator.Return).
func runReturn(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("return", flag.ContinueOnError)
	where := addTargetFlags(fs)
	id := fs.String("id", "", "the return's own id, e.g. the return order's number (required; a repeat is ignored)")
	var items itemFlags
	fs.Var(&items, "item", "PRODUCT=QUANTITY that came back (repeatable; none: everything not yet returned)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *id == "" {
		return errors.New("return: give one order id and --id")
	}
	_, store, err := where.open(ctx, "return")
	if err != nil {
		return err
	}
	return operator.Return(ctx, os.Stdout, store, fs.Arg(0), order.Return{ID: *id, Items: items}, nil)
}
