package operator

import (
	"context"
	"testing"
)

// TestATargetsRegionWinsOverTheEnvironments: --config-env's region is used, the environment's
// otherwise.
func TestATargetsRegionWinsOverTheEnvironments(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "x")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	for _, c := range []struct{ region, want string }{{"eu-central-1", "eu-central-1"}, {"", "us-east-1"}} {
		cfg, err := Target{Kind: AWS, Table: "orderhub-prod-orders", Region: c.region}.awsConfig(context.Background())
		if err != nil || cfg.Region != c.want {
			t.Errorf("region %q: %q, %v; want %q", c.region, cfg.Region, err, c.want)
		}
	}
}
