package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/operator"
	"github.com/orderhub/orderhub/shared/order"
)

// selectionFlags choose orders that need a person, for failed and replay.
type selectionFlags struct {
	states *string
	source *string
	reason *string
	since  *time.Duration
}

func addSelectionFlags(fs *flag.FlagSet) selectionFlags {
	return selectionFlags{
		states: fs.String("state", "", "only these states, comma-separated (REJECTED, IMPORT_FAILED, CANCEL_REFUSED, or a track's, e.g. FAILED)"),
		source: fs.String("source", "", "only this source: mkt, plenty or dealer"),
		reason: fs.String("reason", "", "only orders whose reason contains this text"),
		since:  fs.Duration("since", 0, "only orders in need for at most this long (e.g. 24h)"),
	}
}

func (f selectionFlags) selection(ids []string) operator.Selection {
	s := operator.Selection{IDs: ids, Source: order.Source(*f.source), Reason: *f.reason, Since: *f.since}
	if *f.states != "" {
		s.States = strings.Split(*f.states, ",")
	}
	return s
}

// runFailed lists the orders that need a person (shared/operator.Failed).
func runFailed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("failed", flag.ContinueOnError)
	where := addTargetFlags(fs)
	sel := addSelectionFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON, one object per order")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, store, err := where.open(ctx, "failed")
	if err != nil {
		return err
	}
	needs, err := operator.Failed(ctx, store, sel.selection(fs.Args()), time.Now())
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		for _, n := range needs {
			if err := enc.Encode(n); err != nil {
				return err
			}
		}
		return nil
	}
	operator.PrintFailed(os.Stdout, needs, time.Now())
	return nil
}

// runReplay moves the chosen orders on again after a fix (shared/operator.Replay).
func runReplay(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	where := addTargetFlags(fs)
	sel := addSelectionFlags(fs)
	mappingFile := fs.String("mapping", "", "mapping file (default: mapping.yaml in the repository)")
	dry := fs.Bool("dry-run", false, "show what would happen to each order; change nothing")
	yes := fs.Bool("yes", false, "do not ask before replaying more than one order")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := sel.selection(fs.Args())
	if len(s.IDs) == 0 && len(s.States) == 0 && s.Source == "" && s.Reason == "" && s.Since == 0 {
		return errors.New("replay: give order ids, or choose with --state, --source, --reason or --since")
	}
	m, err := loadMapping(mappingFile)
	if err != nil {
		return err
	}
	t, store, err := where.open(ctx, "replay")
	if err != nil {
		return err
	}
	needs, err := operator.Failed(ctx, store, s, time.Now())
	if err != nil {
		return err
	}
	if len(needs) > 1 && !*dry && !*yes {
		fmt.Fprintf(os.Stderr, "replay %d orders in %s? [y/N] ", len(needs), t)
		answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if !strings.EqualFold(strings.TrimSpace(answer), "y") {
			return errors.New("replay: not confirmed")
		}
	}
	_, err = operator.Replay(ctx, os.Stdout, &intake.Service{Orders: store, Mapping: m}, needs,
		operator.ReplayOptions{DryRun: *dry, Who: whoAmI()}, nil)
	return err
}

// whoAmI names the person running a command, for the orders' history.
func whoAmI() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// runStatus prints the one screen: what waits where, what needs a person, the dead letters
// (shared/operator.ReadStatus).
func runStatus(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	where := addTargetFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	t, store, err := where.open(ctx, "status")
	if err != nil {
		return err
	}
	dl, err := operator.OpenDeadLetters(ctx, t)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	fmt.Printf("orderhub status: %s\n\n", t)
	s, err := operator.ReadStatus(ctx, store, store, dl, time.Now())
	if err != nil {
		return err
	}
	if rates, err := operator.OpenCallRates(ctx, t); err != nil {
		s.CallsErr = err
	} else if rates != nil {
		s.Calls, s.CallsErr = rates.LastHour(ctx, time.Now())
	}
	operator.PrintStatus(os.Stdout, s, time.Now())
	return nil
}

// runDLQ lists the import jobs parked in the dead-letter queue, or sends them back to the import
// queue (shared/operator.Jobs).
func runDLQ(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "redrive") {
		return errors.New("dlq: list or redrive")
	}
	fs := flag.NewFlagSet("dlq "+args[0], flag.ContinueOnError)
	where := addTargetFlags(fs)
	dry := fs.Bool("dry-run", false, "redrive: list what would go back; move nothing")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	t, err := where.target("dlq")
	if err != nil {
		return err
	}
	jobs, err := operator.OpenJobs(ctx, t)
	if err != nil {
		return fmt.Errorf("dlq: %w", err)
	}
	if args[0] == "redrive" {
		_, err = jobs.Redrive(ctx, os.Stdout, *dry)
		return err
	}
	parked, err := jobs.List(ctx, operator.MaxListed)
	for _, p := range parked {
		fmt.Printf("%s  received %d times\n", p.OrderID, p.Receives)
	}
	fmt.Printf("%d import jobs parked\n", len(parked))
	return err
}
