package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/shared/dealerkeys"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/shared/signature"
)

// runSend posts an API Gateway fixture (events/*.json) to the running local stack's HTTP API, as the
// partner would send it. A signed request is signed again now with the local secret, so fixtures
// never go stale.
func runSend(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	api := fs.String("api", "", "base URL of the HTTP API (default: the running local stack's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("send: give one fixture, e.g. orderhub send events/marketplace-purchase.json")
	}
	if *api == "" {
		st, err := runningStack()
		if err != nil {
			return fmt.Errorf("send: %w, or pass --api", err)
		}
		*api = st.API
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		return fmt.Errorf("send: %s is not an API Gateway HTTP API event: %w", fs.Arg(0), err)
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return err
		}
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, *api+ev.RawPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if id := ev.Headers[signature.HeaderID]; id != "" {
		now := time.Now()
		sig, err := signature.Sign(scenario.DealerSecret, id, now, body)
		if err != nil {
			return err
		}
		req.Header.Set(dealerkeys.HeaderKeyID, scenario.DealerKeyID)
		req.Header.Set(signature.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		req.Header.Set(signature.HeaderSignature, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	fmt.Printf("%d %s\n", resp.StatusCode, out)
	return nil
}
