// Package lambdamain is how every function's main starts: Lambda's JSON logger, the function's setup
// once per execution environment, and a clear log line and exit when setup fails.
package lambdamain

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Start sets up the function and serves invocations with the handler setup returns. It never returns.
func Start[H any](name string, setup func(context.Context, *slog.Logger) (H, error), handler func(H) any) {
	log := lambdacontext.NewLogger()
	slog.SetDefault(log)
	h, err := setup(context.Background(), log)
	if err != nil {
		log.Error(name+" cannot start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(handler(h))
}
