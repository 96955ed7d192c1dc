package eventsource

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Invoker runs a function with a JSON payload and returns its JSON result. An error means the
// invocation failed as a whole (Lambda's "function error").
type Invoker func(ctx context.Context, payload []byte) ([]byte, error)

// InProcess invokes a handler (any signature lambda.Start accepts) in this process through the
// runtime library's own decode and encode path, with a request id and a deadline, as Lambda would.
// The library's handler reuses its answer buffer, so, like a Lambda execution environment, each one
// serves one invocation at a time: concurrent invocations get handlers of their own from a pool, and
// the answer is copied out before its handler serves again.
func InProcess(name string, handler any, timeout time.Duration) Invoker {
	pool := sync.Pool{New: func() any { return lambda.NewHandler(handler) }}
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
			AwsRequestID:       RequestID(),
			InvokedFunctionArn: "arn:aws:lambda:eu-central-1:000000000000:function:" + name,
		})
		h := pool.Get().(lambda.Handler)
		defer pool.Put(h)
		out, err := h.Invoke(ctx, payload)
		return bytes.Clone(out), err
	}
}

// RequestID returns a random id in Lambda's request id shape.
func RequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
