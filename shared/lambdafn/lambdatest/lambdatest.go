// Package lambdatest runs a function's handler on the fixtures in events/ through the Lambda
// runtime's own JSON path (lambda.NewHandler(...).Invoke), as function packages' tests do.
package lambdatest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Fixture returns the file events/<name> of the repository.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "events", name)); err == nil {
			return b
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			t.Fatalf("no fixture events/%s in %s", name, dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no fixture events/%s above the working directory", name)
		}
		dir = parent
	}
}

// Invoke runs payload through handler as Lambda would: decoded into the handler's event type,
// handled under a deadline of timeout (the function's Timeout) with requestID as the request's id,
// and the answer encoded.
func Invoke(t testing.TB, handler any, payload []byte, timeout time.Duration, requestID string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID})
	return lambda.NewHandler(handler).Invoke(ctx, payload)
}
