// Command fn is a Lambda function for the runtime host's tests: its payload says what to do.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Do    string `json:"do"`
	Sleep string `json:"sleep"`
}

type response struct {
	RequestID   string `json:"requestId"`
	FunctionARN string `json:"functionArn"`
	DeadlineMs  int64  `json:"deadlineMs"`
	PID         int    `json:"pid"`
	Env         string `json:"env"`
}

func main() {
	if os.Getenv("FAIL_INIT") != "" {
		// lambda.Start reports nothing before the first invocation; a failing init exits, and the
		// aws-lambda-go runtime posts to /runtime/init/error only for handler construction errors.
		os.Exit(3)
	}
	lambda.Start(func(ctx context.Context, r request) (response, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		dl, _ := ctx.Deadline()
		switch r.Do {
		case "error":
			return response{}, errors.New("asked to fail")
		case "crash":
			os.Exit(2)
		case "sleep":
			d, _ := time.ParseDuration(r.Sleep)
			time.Sleep(d)
		}
		return response{RequestID: lc.AwsRequestID, FunctionARN: lc.InvokedFunctionArn, DeadlineMs: dl.UnixMilli(), PID: os.Getpid(), Env: os.Getenv("EXTRA")}, nil
	})
}
