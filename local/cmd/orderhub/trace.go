package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/orderhub/orderhub/local/emulator"
	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/local/stack"
	"github.com/orderhub/orderhub/shared/awsenv"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

func runTrace(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("trace", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "DynamoDB endpoint (default: the running local stack, else AWS)")
	table := fs.String("table", "", "Orders table name (default: the running local stack's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("trace: give one order id, e.g. orderhub trace mkt-221")
	}
	if *table == "" {
		st, err := runningStack()
		if err != nil {
			return fmt.Errorf("trace: %w, or pass --table (and --endpoint) for DynamoDB", err)
		}
		*table, *endpoint = st.OrdersTable, st.DynamoDB
	}
	store, err := openStore(ctx, *endpoint, *table)
	if err != nil {
		return err
	}
	o, err := store.Get(ctx, fs.Arg(0))
	if err != nil {
		return fmt.Errorf("trace %s: %w", fs.Arg(0), err)
	}
	printTrace(os.Stdout, o)
	return nil
}

func printTrace(w *os.File, o *order.Order) {
	fmt.Fprintf(w, "order %s  (%s, %s)  state %s", o.ID, o.Source, o.SourceRef, o.State)
	if o.StateReason != "" {
		fmt.Fprintf(w, ": %s", o.StateReason)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  plenigo customer %s  order %s  promise %s\n", dash(o.Customer.PlenigoCustomerID), dash(o.Subscription.PlenigoOrderID), dash(o.Subscription.PromiseID))
	for _, e := range o.History {
		move := string(e.To)
		if e.From != "" && e.From != e.To {
			move = string(e.From) + " → " + string(e.To)
		}
		line := fmt.Sprintf("  %3d  %s  %-9s  %-36s", e.Seq, e.At.UTC().Format("2006-01-02 15:04:05.000"), e.Actor.Function, move)
		if e.Call != nil {
			line += fmt.Sprintf("  %s %s: %s", e.Call.Partner, e.Call.Operation, e.Call.Outcome)
			if e.Call.Detail != "" {
				line += " (" + e.Call.Detail + ")"
			}
		}
		if e.Reason != "" {
			line += "  — " + e.Reason
		}
		fmt.Fprintln(w, line)
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runningStack reads what a running `orderhub local` wrote about itself.
func runningStack() (stack.State, error) {
	var st stack.State
	root, err := repoRoot()
	if err != nil {
		return st, err
	}
	b, err := os.ReadFile(stack.StateFile(emulator.DefaultCacheDir(root)))
	if err != nil {
		return st, errors.New("no local stack is running (start `make local`)")
	}
	err = json.Unmarshal(b, &st)
	return st, err
}

// openStore opens the Orders table: in the local emulator when the endpoint is on this machine,
// else in AWS with the credentials of the environment.
func openStore(ctx context.Context, endpoint, table string) (*dynamostore.Store, error) {
	if strings.Contains(endpoint, "127.0.0.1") {
		return dynamostore.New(localaws.DynamoDB(endpoint, nil), table), nil
	}
	cfg, err := awsenv.Load(ctx)
	if err != nil {
		return nil, err
	}
	return dynamostore.New(awsenv.DynamoDB(cfg, endpoint), table), nil
}
