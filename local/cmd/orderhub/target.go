package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/orderhub/orderhub/local/emulator"
	"github.com/orderhub/orderhub/local/stack"
	"github.com/orderhub/orderhub/shared/operator"
)

// targetFlags are the flags that say where the Orders table is, for the operator commands.
type targetFlags struct {
	aws      *bool
	table    *string
	endpoint *string
	// running finds the running local stack; runningStack but in tests.
	running func() (stack.State, error)
}

func addTargetFlags(fs *flag.FlagSet) targetFlags {
	return targetFlags{
		aws:      fs.Bool("aws", false, "use the Orders table in DynamoDB in AWS (credentials and region from the environment; needs --table) instead of the running local stack's"),
		table:    fs.String("table", "", "with --aws: the Orders table's name"),
		endpoint: fs.String("endpoint", "", "with --aws: a DynamoDB endpoint instead of the region's default"),
		running:  runningStack,
	}
}

// target builds the Target the flags describe: DynamoDB in AWS with --aws, else the running local
// stack, found through the state file it writes.
func (f targetFlags) target(cmd string) (operator.Target, error) {
	if *f.aws {
		if *f.table == "" {
			return operator.Target{}, fmt.Errorf("%s: --aws needs --table NAME (the Orders table, e.g. from the stack's outputs)", cmd)
		}
		return operator.Target{Kind: operator.AWS, Table: *f.table, Endpoint: *f.endpoint}, nil
	}
	if *f.table != "" || *f.endpoint != "" {
		return operator.Target{}, fmt.Errorf("%s: --table and --endpoint go with --aws; without it the running local stack's table is used", cmd)
	}
	st, err := f.running()
	if err != nil {
		return operator.Target{}, fmt.Errorf("%s: %w, or pass --aws --table NAME for DynamoDB in AWS", cmd, err)
	}
	t := operator.Target{Kind: operator.Local, Table: st.OrdersTable, Endpoint: st.DynamoDB, SQSEndpoint: st.SQS, QueueURLs: st.Queues, PartnerEnv: st.PartnerEnv}
	if err := t.Validate(); err != nil {
		return operator.Target{}, fmt.Errorf("%s: the local stack's state file is incomplete (restart `make local`): %w", cmd, err)
	}
	return t, nil
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
