package samconfig_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/orderhub/orderhub/local/samconfig"
	"github.com/orderhub/orderhub/local/samtemplate"
)

// TestTheRepositorysEnvironmentsResolve reads the repository's own samconfig.toml and template.yaml.
func TestTheRepositorysEnvironmentsResolve(t *testing.T) {
	e, err := samconfig.Load("../../samconfig.toml", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if e.StackName != "orderhub-prod" || e.Region != "eu-central-1" || e.OrdersTable() != "orderhub-prod-orders" || e.Params["LogLevel"] != "INFO" {
		t.Fatalf("prod: %+v, table %s", e, e.OrdersTable())
	}
	tmpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env, missing := e.PartnerEnv(tmpl, "PollerFunction", "PusherFunction")
	if env["PLENIGO_BASE_URL"] == "" || env["BONIFIQ_BASE_URL"] == "" || env["PLENTY_BASE_URL"] != "" {
		t.Errorf("partner variables from the template's defaults: %v", env)
	}
	// samconfig.toml leaves the partners' secret ARNs to the deploy command.
	if fmt.Sprint(missing) != "[BONIFIQ_CREDENTIALS_SECRET_ARN PLENIGO_TOKEN_SECRET_ARN]" {
		t.Errorf("missing %v", missing)
	}
	if _, err := samconfig.Load("../../samconfig.toml", "staging"); err == nil {
		t.Error("an environment samconfig.toml lacks was found")
	}
}

func TestParameterOverridesAsSamWritesThem(t *testing.T) {
	got, err := samconfig.ParseOverrides(`Environment="prod" LogLevel=INFO PlenigoTokenSecretArn="arn:aws:secretsmanager:eu-central-1:1:secret:a b\"c"`)
	if err != nil {
		t.Fatal(err)
	}
	if got["Environment"] != "prod" || got["LogLevel"] != "INFO" || got["PlenigoTokenSecretArn"] != `arn:aws:secretsmanager:eu-central-1:1:secret:a b"c` {
		t.Fatalf("%q", got)
	}
	if got, _ := samconfig.ParseOverrides("Environment=prod\nLogLevel=INFO\tX=\"a b\""); got["Environment"] != "prod" || got["LogLevel"] != "INFO" || got["X"] != "a b" {
		t.Errorf("pairs parted by newlines and tabs: %q", got)
	}
	for _, bad := range []string{`Environment`, `A="open`, `="x"`} {
		if _, err := samconfig.ParseOverrides(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "samconfig.toml")
	doc := "version = 0.1\n[x.deploy.parameters]\nstack_name = \"s\"\n" +
		"[y.global.parameters]\nregion = \"eu-west-1\"\nstack_name = \"orderhub-y\"\n[y.deploy.parameters]\nparameter_overrides = [\"Environment=y\", \"LogLevel=DEBUG\"]\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := samconfig.Load(path, "x"); err == nil {
		t.Error("an environment without the Environment parameter was accepted")
	}
	if y, err := samconfig.Load(path, "y"); err != nil || y.Region != "eu-west-1" || y.StackName != "orderhub-y" || y.OrdersTable() != "orderhub-y-orders" || y.Params["LogLevel"] != "DEBUG" {
		t.Errorf("the array form and the global section: %+v, %v", y, err)
	}
}
