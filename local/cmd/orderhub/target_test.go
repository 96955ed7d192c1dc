package main

import (
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/orderhub/orderhub/local/stack"
	"github.com/orderhub/orderhub/shared/operator"
)

func TestTargetFlags(t *testing.T) {
	running := func() (stack.State, error) {
		return stack.State{DynamoDB: "http://127.0.0.1:8123", OrdersTable: "orderhub-local-Orders"}, nil
	}
	none := func() (stack.State, error) {
		return stack.State{}, errors.New("no local stack is running (start `make local`)")
	}
	for _, c := range []struct {
		args    []string
		running func() (stack.State, error)
		want    operator.Target
		err     string // part of the error, empty for none
	}{
		{nil, running, operator.Target{Kind: operator.Local, Endpoint: "http://127.0.0.1:8123", Table: "orderhub-local-Orders"}, ""},
		{nil, none, operator.Target{}, "make local"},
		{nil, func() (stack.State, error) { return stack.State{OrdersTable: "t"}, nil }, operator.Target{}, "incomplete"},
		{[]string{"--aws", "--table", "orderhub-Orders"}, none, operator.Target{Kind: operator.AWS, Table: "orderhub-Orders"}, ""},
		{[]string{"--aws", "--table", "orderhub-Orders", "--endpoint", "http://127.0.0.1:8000"}, none,
			operator.Target{Kind: operator.AWS, Table: "orderhub-Orders", Endpoint: "http://127.0.0.1:8000"}, ""},
		{[]string{"--aws"}, running, operator.Target{}, "--aws needs --table"},
		{[]string{"--aws", "--endpoint", "http://x"}, running, operator.Target{}, "--aws needs --table"},
		{[]string{"--table", "orderhub-Orders"}, running, operator.Target{}, "go with --aws"},
		{[]string{"--endpoint", "http://127.0.0.1:8000"}, running, operator.Target{}, "go with --aws"},
	} {
		fs := flag.NewFlagSet("trace", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		where := addTargetFlags(fs)
		where.running = c.running
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		got, err := where.target("trace")
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.args, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: err %v, want one containing %q", c.args, err, c.err)
		case !reflect.DeepEqual(got, c.want):
			t.Errorf("%q: target %+v, want %+v", c.args, got, c.want)
		}
	}
}

// TestConfigEnvNamesADeployedStack: --config-env reads samconfig.toml's environment and the
// template: the table, the region and the partners' base URLs, and refuses to be mixed with --aws.
func TestConfigEnvNamesADeployedStack(t *testing.T) {
	t.Setenv("PLENIGO_TOKEN_SECRET_ARN", "arn:aws:secretsmanager:eu-central-1:1:secret:t")
	t.Setenv("BONIFIQ_CREDENTIALS_SECRET_ARN", "arn:aws:secretsmanager:eu-central-1:1:secret:b")
	parse := func(args ...string) (operator.Target, error) {
		fs := flag.NewFlagSet("status", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		where := addTargetFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return where.target("status")
	}
	got, err := parse("--config-env", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != operator.AWS || got.Table != "orderhub-prod-orders" || got.Region != "eu-central-1" || got.PartnerEnv["PLENIGO_BASE_URL"] == "" {
		t.Errorf("prod: %+v", got)
	}
	if _, err := parse("--config-env", "prod", "--aws", "--table", "x"); err == nil || !strings.Contains(err.Error(), "--config-env names the stack") {
		t.Errorf("--config-env with --aws: %v", err)
	}
	if _, err := parse("--config-env", "staging"); err == nil || !strings.Contains(err.Error(), "staging") {
		t.Errorf("an unknown environment: %v", err)
	}
}
