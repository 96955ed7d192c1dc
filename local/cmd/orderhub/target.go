package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orderhub/orderhub/local/emulator"
	"github.com/orderhub/orderhub/local/samconfig"
	"github.com/orderhub/orderhub/local/samtemplate"
	"github.com/orderhub/orderhub/local/stack"
	"github.com/orderhub/orderhub/shared/operator"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// targetFlags are the flags that say where the Orders table is, for the operator commands.
type targetFlags struct {
	aws       *bool
	table     *string
	endpoint  *string
	configEnv *string
	// running finds the running local stack; runningStack but in tests.
	running func() (stack.State, error)
}

func addTargetFlags(fs *flag.FlagSet) targetFlags {
	return targetFlags{
		aws:      fs.Bool("aws", false, "use the Orders table in DynamoDB in AWS (credentials and region from the environment; needs --table) instead of the running local stack's"),
		table:    fs.String("table", "", "with --aws: the Orders table's name"),
		endpoint: fs.String("endpoint", "", "with --aws: a DynamoDB endpoint instead of the region's default"),
		configEnv: fs.String("config-env", "", "a deployed environment named in samconfig.toml (dev, prod): its Orders table, queues, region and partners, "+
			"with the credentials of the environment"),
		running: runningStack,
	}
}

// target builds the Target the flags describe: DynamoDB in AWS with --aws, else the running local
// stack, found through the state file it writes.
func (f targetFlags) target(cmd string) (operator.Target, error) {
	if *f.configEnv != "" {
		if *f.aws || *f.table != "" || *f.endpoint != "" {
			return operator.Target{}, fmt.Errorf("%s: --config-env names the stack; --aws, --table and --endpoint go without it", cmd)
		}
		return deployed(*f.configEnv)
	}
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
	t := operator.Target{Kind: operator.Local, Table: st.OrdersTable, Endpoint: st.DynamoDB, SQSEndpoint: st.SQS, QueueURLs: st.Queues, PartnerEnv: st.PartnerEnv,
		CallsFile: st.Calls}
	if err := t.Validate(); err != nil {
		return operator.Target{}, fmt.Errorf("%s: the local stack's state file is incomplete (restart `make local`): %w", cmd, err)
	}
	return t, nil
}

// open builds the target and opens its Orders table, for command cmd (named in errors).
func (f targetFlags) open(ctx context.Context, cmd string) (operator.Target, *dynamostore.Store, error) {
	t, err := f.target(cmd)
	if err != nil {
		return t, nil, err
	}
	store, err := operator.Open(ctx, t)
	if err != nil {
		return t, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return t, store, nil
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

// deployed is the target of a samconfig.toml environment: the Orders table the template names for
// it, its region, and the partner settings its functions are deployed with.
func deployed(name string) (operator.Target, error) {
	root, err := repoRoot()
	if err != nil {
		return operator.Target{}, err
	}
	e, err := samconfig.Load(filepath.Join(root, "samconfig.toml"), name)
	if err != nil {
		return operator.Target{}, err
	}
	tmpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
	if err != nil {
		return operator.Target{}, err
	}
	env, missing := e.PartnerEnv(tmpl, "PollerFunction", "PusherFunction")
	for _, k := range missing {
		if os.Getenv(k) == "" {
			fmt.Fprintf(os.Stderr, "orderhub: %s: samconfig.toml leaves %s to the deploy command; set it in the environment to reach that partner\n", name, k)
		}
	}
	return operator.Target{Kind: operator.AWS, Table: e.OrdersTable(), Region: e.Region, PartnerEnv: env}, nil
}
