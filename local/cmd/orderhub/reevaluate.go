package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
)

// runReevaluate applies the current mapping file to REJECTED orders: those that now map move back to
// RECEIVED, and the stream hands them to the import like new ones.
func runReevaluate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reevaluate", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "DynamoDB endpoint (default: the running local stack, else AWS)")
	table := fs.String("table", "", "Orders table name (default: the running local stack's)")
	mappingFile := fs.String("mapping", "", "mapping file (default: mapping.yaml in the repository)")
	all := fs.Bool("all", false, "every REJECTED order")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*all && fs.NArg() == 0 {
		return errors.New("reevaluate: give order ids, or --all for every REJECTED order")
	}
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if *mappingFile == "" {
		*mappingFile = filepath.Join(root, "mapping.yaml")
	}
	m, err := mapping.Load(*mappingFile)
	if err != nil {
		return err
	}
	if *table == "" {
		st, err := runningStack()
		if err != nil {
			return fmt.Errorf("reevaluate: %w, or pass --table (and --endpoint) for DynamoDB", err)
		}
		*table, *endpoint = st.OrdersTable, st.DynamoDB
	}
	store, err := openStore(ctx, *endpoint, *table)
	if err != nil {
		return err
	}
	return reevaluate(ctx, os.Stdout, &intake.Service{Orders: store, Mapping: m}, store, fs.Args(), *all)
}

func reevaluate(ctx context.Context, w io.Writer, svc *intake.Service, orders order.Repository, ids []string, all bool) error {
	if all {
		rejected, err := orders.NeedingWork(ctx, order.Rejected, time.Now().Add(time.Minute), 0)
		if err != nil {
			return err
		}
		for _, o := range rejected {
			ids = append(ids, o.ID)
		}
	}
	by := order.Actor{Function: "orderhub reevaluate"}
	moved := 0
	for _, id := range ids {
		ok, err := svc.Reevaluate(ctx, id, time.Now(), by)
		if err != nil {
			return err
		}
		if ok {
			moved++
			fmt.Fprintf(w, "%s: mapped now, back to RECEIVED\n", id)
			continue
		}
		o, err := orders.Get(ctx, id)
		if err != nil {
			return err
		}
		if o.State == order.Rejected {
			fmt.Fprintf(w, "%s: still REJECTED: %s\n", id, o.StateReason)
		} else {
			fmt.Fprintf(w, "%s: %s, nothing to do\n", id, o.State)
		}
	}
	fmt.Fprintf(w, "%d of %d orders moved back to RECEIVED\n", moved, len(ids))
	return nil
}
