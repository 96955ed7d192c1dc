package operator

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestTargetValidate(t *testing.T) {
	for _, c := range []struct {
		t    Target
		want string // part of the error; empty for none
	}{
		{Target{Kind: Local, Endpoint: "http://127.0.0.1:8000", Table: "orders"}, ""},
		{Target{Kind: AWS, Table: "orderhub-Orders"}, ""},
		{Target{Kind: AWS, Table: "orderhub-Orders", Endpoint: "https://dynamodb.eu-central-1.amazonaws.com"}, ""},
		{Target{Endpoint: "http://127.0.0.1:8000", Table: "orders"}, "no kind"},
		{Target{Kind: "cloud", Table: "orders"}, "unknown kind"},
		{Target{Kind: Local, Table: "orders"}, "no DynamoDB endpoint"},
		{Target{Kind: Local, Endpoint: "http://127.0.0.1:8000"}, "no Orders table"},
		{Target{Kind: AWS}, "no Orders table"},
	} {
		err := c.t.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: err %v, want %q", c.t, err, c.want)
		}
		if _, oerr := Open(context.Background(), c.t); c.want != "" && oerr == nil {
			t.Errorf("%+v: Open accepted an invalid target", c.t)
		}
	}
}

// awsEnv makes the SDK see only what the test sets, not the machine's AWS files or variables.
func awsEnv(t *testing.T, region string) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_REGION", region)
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	if s, err := Open(ctx, Target{Kind: Local, Endpoint: "http://127.0.0.1:1", Table: "orders"}); err != nil || s == nil {
		t.Errorf("local: %v", err)
	}

	awsEnv(t, "eu-central-1")
	if s, err := Open(ctx, Target{Kind: AWS, Table: "orderhub-Orders"}); err != nil || s == nil {
		t.Errorf("aws: %v", err)
	}
	awsEnv(t, "")
	if _, err := Open(ctx, Target{Kind: AWS, Table: "orderhub-Orders"}); err == nil || !strings.Contains(err.Error(), "no region") {
		t.Errorf("aws without a region: err %v, want one naming the region", err)
	}
}
