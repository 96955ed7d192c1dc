package localaws

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderhub/orderhub/local/samtemplate"
)

// Endpoint returns the emulator endpoint in env. When it is unset the test is skipped under
// `go test -short` and fails otherwise: `make test` starts the emulators and sets it.
func Endpoint(t testing.TB, env string) string {
	t.Helper()
	ep := os.Getenv(env)
	if ep == "" {
		if testing.Short() {
			t.Skipf("%s is not set; skipped in -short mode", env)
		}
		t.Fatalf("%s is not set: run `make test`, which starts the local emulators, or use -short", env)
	}
	return ep
}

// Template loads the repository's template.yaml.
func Template(t testing.TB) *samtemplate.Template {
	t.Helper()
	tmpl, err := samtemplate.Load(filepath.Join(RepoRoot(), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// RepoRoot is the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

var tableSeq atomic.Int64

// TestTable creates a fresh copy of the template's table logicalID in DynamoDB Local and returns a
// client whose requests the returned Counter counts. The table is deleted when the test ends.
func TestTable(t testing.TB, logicalID string) (*dynamodb.Client, string, *Counter) {
	t.Helper()
	ep := Endpoint(t, EnvDynamoDB)
	res, ok := Template(t).Resources[logicalID]
	if !ok {
		t.Fatalf("template.yaml has no resource %s", logicalID)
	}
	counter := NewCounter(nil)
	db := DynamoDB(ep, &http.Client{Transport: counter, Timeout: 30 * time.Second})
	name := fmt.Sprintf("test-%s-%d-%d", logicalID, time.Now().UnixNano(), tableSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := CreateTable(ctx, db, res, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &name})
	})
	counter.Reset()
	return db, name, counter
}
