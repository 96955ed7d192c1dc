package receiver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/orderhub/orderhub/shared/store/memstore"
)

// distinctPurchases makes n marketplace events from the seed fixture, each for a different order, so
// every invocation is a first receipt (an accepted purchase), not a duplicate.
func distinctPurchases(b *testing.B, n int) []events.APIGatewayV2HTTPRequest {
	base := fixture(b, "marketplace-purchase.json")
	if !strings.Contains(base.Body, `"id": 221`) {
		b.Fatal("the fixture's order id moved")
	}
	reqs := make([]events.APIGatewayV2HTTPRequest, n)
	for i := range reqs {
		reqs[i] = base
		reqs[i].Body = strings.Replace(base.Body, `"id": 221`, fmt.Sprintf(`"id": %d`, 1_000_000+i), 1)
	}
	return reqs
}

const benchBatch = 4096

func benchHandler(b *testing.B) *Handler {
	h := newHandler(b, memstore.New())
	h.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	return h
}

// freshStore swaps in an empty store every benchBatch purchases, outside the timer, so the ids repeat
// without becoming duplicates.
func freshStore(b *testing.B, h *Handler, i int) {
	if i > 0 && i%benchBatch == 0 {
		b.StopTimer()
		h.Intake.Orders = memstore.New()
		b.StartTimer()
	}
}

// BenchmarkMarketplaceHandle measures the handler on a decoded event: auth, parse, map, store, answer.
func BenchmarkMarketplaceHandle(b *testing.B) {
	h := benchHandler(b)
	reqs := distinctPurchases(b, benchBatch)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "bench"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		freshStore(b, h, i)
		resp, _ := h.Handle(ctx, reqs[i%benchBatch])
		if resp.StatusCode != 202 {
			b.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
	}
}

// BenchmarkMarketplaceInvoke adds what the Lambda runtime does around it: decoding the API Gateway
// event JSON and encoding the response.
func BenchmarkMarketplaceInvoke(b *testing.B) {
	h := benchHandler(b)
	reqs := distinctPurchases(b, benchBatch)
	payloads := make([][]byte, len(reqs))
	for i, r := range reqs {
		payloads[i], _ = json.Marshal(r)
	}
	lh := lambda.NewHandler(h.Handle)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "bench"})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		freshStore(b, h, i)
		out, err := lh.Invoke(ctx, payloads[i%benchBatch])
		if err != nil || !strings.Contains(string(out), `"statusCode":202`) {
			b.Fatalf("invoke: %v %s", err, out)
		}
	}
}

// BenchmarkDealerBatch500 measures a full dealer batch; ns/purchase is the per-purchase cost.
func BenchmarkDealerBatch500(b *testing.B) {
	h := benchHandler(b)
	var sb strings.Builder
	sb.WriteString(`{"purchases":[`)
	for i := range 500 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"externalSystemId":"WBZ-%06d","email":"dealer%d@presse.example","language":"de","dealerGroup":"Nord","dealerNumber":"%d","offer":"WBZ-PRINT-12M","quantity":5,"startDate":"2026-12-01","paymentMethod":"invoice"}`, i, i%50, i%50)
	}
	sb.WriteString(`]}`)
	req := signed(b, sb.String(), "msg_bench")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h.Intake.Orders = memstore.New()
		b.StartTimer()
		resp, _ := h.Handle(ctx, req)
		if resp.StatusCode != 202 {
			b.Fatalf("status %d: %.300s", resp.StatusCode, resp.Body)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/purchase")
}
