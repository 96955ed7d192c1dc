package receiver

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/shared/store/memstore"
)

// FuzzReceiver sends arbitrary bodies to both routes, correctly authenticated so they reach the
// parsers: whatever arrives, the answer is a response below 500 with a JSON body.
func FuzzReceiver(f *testing.F) {
	addSeeds(f)
	h := newHandler(f, memstore.New())
	h.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, body []byte, dealer bool) {
		resp, err := h.Handle(context.Background(), fuzzRequest(t, body, dealer))
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		if resp.StatusCode >= 500 || resp.StatusCode < 200 {
			t.Fatalf("status %d for a client's input: %s", resp.StatusCode, resp.Body)
		}
		if len(resp.Body) == 0 || resp.Body[0] != '{' {
			t.Fatalf("body is not a JSON object: %q", resp.Body)
		}
	})
}

// addSeeds gives a receiver fuzz target both fixtures and the inputs that once went wrong.
func addSeeds(f *testing.F) {
	f.Add([]byte(fixture(f, "marketplace-purchase.json").Body), false)
	f.Add([]byte(fixture(f, "dealer-batch.json").Body), true)
	f.Add([]byte(`{"purchases":[{"externalSystemId":"x"}]}`), true)
	f.Add([]byte(`{"id":"evt","type":"SERVICE.PLUGIN.PURCHASE","resource":{}}`), false)
	// Escapes, and text that is not Unicode (Latin-1 bytes, an unpaired surrogate escape).
	f.Add([]byte(strings.Replace(fixture(f, "marketplace-purchase.json").Body, `"John"`, `"J\u00fcrgen \"\/\""`, 1)), false)
	f.Add([]byte(strings.Replace(fixture(f, "marketplace-purchase.json").Body, `"id": 221`, "\"id\": \"M\xfcller-1\"", 1)), false)
	f.Add([]byte(strings.Replace(fixture(f, "dealer-batch.json").Body, `"Nord"`, `"N\ud800rd"`, 1)), true)
}

// fuzzRequest posts body to the dealer route, signed, or to the marketplace route with its token.
func fuzzRequest(t *testing.T, body []byte, dealer bool) events.APIGatewayV2HTTPRequest {
	if dealer {
		return signed(t, string(body), "msg_fuzz")
	}
	req := events.APIGatewayV2HTTPRequest{RawPath: "/webhooks/marketplace/" + localToken,
		Headers: map[string]string{"content-type": "application/json"}, Body: string(body)}
	req.RequestContext.HTTP.Method = "POST"
	return req
}
