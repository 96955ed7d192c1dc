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
