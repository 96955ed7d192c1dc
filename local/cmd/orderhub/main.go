// Command orderhub runs orderhub on one machine and answers "where is order X?".
//
//	orderhub local [--port 3000] [--speedup 1] [--faults 0]
//	    bring up the whole bundle (emulators, tables and queues, the plenigo simulator, every function's
//	    binary and every event source) until Ctrl-C
//	orderhub demo [--orders 200] [--faults 0.03] [--speedup 60]
//	    bring it up, feed a realistic scenario, wait until every order settled, print each order's
//	    path; exit 1 if any order was lost or duplicated
//	orderhub send FIXTURE
//	    post an API Gateway fixture from events/ to the running local stack (signed requests are
//	    signed again now)
//	orderhub reevaluate [WHERE] [--mapping FILE] (--all | ORDER_ID...)
//	    apply the mapping file (default: mapping.yaml in the repository) to REJECTED orders; those
//	    that map now go back to RECEIVED
//	orderhub trace [WHERE] ORDER_ID [--live]
//	    print one order's history; --live also asks each partner what it holds for the order now
//	    and flags every disagreement
//	orderhub reconcile [WHERE] [--since 24h | --from T [--to T]] [--repair [--dry-run]] [--json]
//	    compare the orders received in the window with what plenigo, plentymarkets and BonifiQ
//	    hold; --repair applies the safe repairs
//	orderhub status [WHERE]
//	    the one screen: orders and partner tracks waiting in each state and for how long, how many
//	    need a person, the dead-letter queues, when plenigo's import log last had news
//	orderhub failed [WHERE] [--state S,…] [--source SRC] [--reason TEXT] [--since DURATION] [--json]
//	    every order that needs a person, grouped by what it waits for, newest first
//	orderhub replay [WHERE] (ORDER_ID... | --state S,… [--source] [--reason] [--since]) [--dry-run] [--yes]
//	    move those orders on again after a fix (re-map and import again, retry a partner's step); at
//	    most 5,000 at once; recorded in each order's history with who ran it
//	orderhub dlq list|redrive [WHERE] [--dry-run]
//	    the import jobs parked in the dead-letter queue; redrive sends them back to the import queue
//	orderhub cancel [WHERE] ORDER_ID --reason TEXT
//	    record a customer's cancellation: CANCELLED before plenigo has the order, CANCEL_REFUSED once
//	    delivered; refused while plenigo may have it
//	orderhub return [WHERE] ORDER_ID --id RETURN_ID [--item PRODUCT=QUANTITY]...
//	    record a return of a delivered order (everything left when no item is named); its loyalty
//	    points are reversed
//	orderhub dealer-key new --id ID --group GROUP... --prefix PREFIX | dealer-key check FILE
//	    make a dealer system's key with a new secret, or check a dealer keys document
//	orderhub with-emulators -- CMD [ARGS...]
//	    start DynamoDB Local and the SQS emulator, run CMD with ORDERHUB_DYNAMODB_ENDPOINT and
//	    ORDERHUB_SQS_ENDPOINT set, stop them, and exit with CMD's status
//
// WHERE says which stack status, failed, replay, dlq, trace, reconcile, reevaluate, cancel and return work on. Without flags it is the running local
// stack's (started by `make local`; found through the state file it writes). With --config-env NAME
// it is the deployed environment NAME of samconfig.toml (its table, queues, region and partners). With
// --aws --table NAME [--endpoint URL] it is the table NAME in DynamoDB in AWS, with the credentials
// and region of the environment; --endpoint overrides the region's endpoint. --table and --endpoint
// are refused without --aws. The commands' logic is package shared/operator.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/orderhub/orderhub/local/emulator"
	"github.com/orderhub/orderhub/local/localaws"
)

const usage = `usage:
  orderhub local [--port 3000] [--speedup 1] [--faults 0]    run the whole bundle until Ctrl-C
  orderhub demo [--orders 200] [--faults 0.03] [--speedup 60] run a scenario and show each order's path
  orderhub send FIXTURE                                       post a fixture from events/ to the local stack
  orderhub reevaluate [WHERE] [--mapping FILE] (--all | ORDER_ID...)
                                                              re-map REJECTED orders after a mapping fix
  orderhub trace [WHERE] ORDER_ID [--live]                    print one order's history (--live: and the partners')
  orderhub reconcile [WHERE] [--since 24h] [--repair [--dry-run]] [--json]
                                                              compare orders with what the partners hold
  orderhub status [WHERE]                                     what waits where, what needs a person
  orderhub failed [WHERE] [--state S] [--source SRC] [--reason TEXT] [--since D] [--json]
                                                              every order that needs a person
  orderhub replay [WHERE] (ORDER_ID... | --state S ...) [--dry-run] [--yes]
                                                              move them on again after a fix
  orderhub dlq list|redrive [WHERE] [--dry-run]               parked import jobs; send them back
  orderhub cancel [WHERE] ORDER_ID --reason TEXT              record a customer's cancellation
  orderhub return [WHERE] ORDER_ID --id RETURN_ID [--item PRODUCT=QUANTITY]...
                                                              record a return; its points are reversed
  orderhub dealer-key new --id ID --group GROUP... --prefix PREFIX | check FILE
                                                              make a dealer system's key; check a keys document
  orderhub with-emulators -- CMD [ARGS...]                    run CMD against fresh local emulators

WHERE (status, failed, replay, dlq, trace, reconcile, reevaluate, cancel, return): nothing for the running local stack (make local), or
  --config-env NAME                     the deployed environment NAME of samconfig.toml (dev, prod):
                                        its table, queues, region and partners
  --aws --table NAME [--endpoint URL]   the Orders table NAME in DynamoDB in AWS, with the
                                        environment's credentials and region`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	code := 0
	args := os.Args[2:]
	switch os.Args[1] {
	case "local":
		err = runLocal(ctx, args)
	case "demo":
		code, err = runDemo(ctx, args)
	case "trace":
		err = runTrace(ctx, args)
	case "reconcile":
		err = runReconcile(ctx, args)
	case "send":
		err = runSend(ctx, args)
	case "reevaluate":
		err = runReevaluate(ctx, args)
	case "status":
		err = runStatus(ctx, args)
	case "failed":
		err = runFailed(ctx, args)
	case "dlq":
		err = runDLQ(ctx, args)
	case "replay":
		err = runReplay(ctx, args)
	case "cancel":
		err = runCancel(ctx, args)
	case "return":
		err = runReturn(ctx, args)
	case "dealer-key":
		err = runDealerKey(args)
	case "with-emulators":
		code, err = withEmulators(ctx, args)
	case "-h", "--help", "help":
		fmt.Println(usage)
	default:
		err = fmt.Errorf("unknown command %q\n%s", os.Args[1], usage)
		code = 2
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "orderhub:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func withEmulators(ctx context.Context, args []string) (int, error) {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return 2, errors.New("with-emulators: no command given")
	}
	root, err := repoRoot()
	if err != nil {
		return 1, err
	}
	cache := emulator.DefaultCacheDir(root)
	began := time.Now()
	fmt.Fprintln(os.Stderr, "orderhub: starting DynamoDB Local and the SQS emulator (first run downloads them)…")
	type result struct {
		p   *emulator.Process
		err error
	}
	ddbc, sqsc := make(chan result, 1), make(chan result, 1)
	go func() { p, err := emulator.StartDynamoDB(ctx, cache, 0); ddbc <- result{p, err} }()
	go func() { p, err := emulator.StartSQS(ctx, cache, 0); sqsc <- result{p, err} }()
	ddb, sqs := <-ddbc, <-sqsc
	for _, r := range []result{ddb, sqs} {
		if r.p != nil {
			defer r.p.Stop()
		}
	}
	if err := errors.Join(ddb.err, sqs.err); err != nil {
		return 1, err
	}
	fmt.Fprintf(os.Stderr, "orderhub: DynamoDB Local on %s, SQS on %s (ready in %.1fs)\n", ddb.p.Endpoint, sqs.p.Endpoint, time.Since(began).Seconds())

	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), localaws.EnvDynamoDB+"="+ddb.p.Endpoint, localaws.EnvSQS+"="+sqs.p.Endpoint)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 1, fmt.Errorf("run %s: %w", args[0], err)
	}
	return 0, nil
}

// repoRoot finds the directory holding go.mod, starting from the working directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "template.yaml")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run orderhub inside the orderhub repository (no template.yaml found above the working directory)")
		}
		dir = parent
	}
}
