package receiver

import (
	"context"
	"encoding/json"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/secrets"
)

// stalledRepo is DynamoDB stopped, not killed: connections are taken, answers never come. Create
// returns only when its context ends.
type stalledRepo struct {
	order.Repository
	calls atomic.Int32
}

func (s *stalledRepo) Create(ctx context.Context, _ *order.Order) error {
	s.calls.Add(1)
	<-ctx.Done()
	return ctx.Err()
}

// handleWithin calls Handle with a context whose deadline is far beyond the store budget (as a
// Lambda's 25-second timeout is) and returns the response and how long Handle took.
func handleWithin(t *testing.T, h *Handler, req events.APIGatewayV2HTTPRequest, deadline time.Duration) (events.APIGatewayV2HTTPResponse, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	resp, err := h.Handle(ctx, req)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("Handle returned a Lambda error: %v", err)
	}
	return resp, took
}

// assertRetryLater checks the answer to a request the store did not serve in time: 503, a JSON body,
// and a Retry-After in whole seconds.
func assertRetryLater(t *testing.T, resp events.APIGatewayV2HTTPResponse) map[string]any {
	t.Helper()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", resp.StatusCode, resp.Body)
	}
	if ct := header(resp, "Content-Type"); ct != "application/json" {
		t.Errorf("content-type %q", ct)
	}
	if s, err := strconv.Atoi(header(resp, "Retry-After")); err != nil || s <= 0 {
		t.Errorf("Retry-After %q, want a positive number of seconds", header(resp, "Retry-After"))
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatalf("body is not JSON: %q", resp.Body)
	}
	return body
}

func header(resp events.APIGatewayV2HTTPResponse, name string) string {
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

func TestStalledStoreAnswersMarketplace503WithinBudget(t *testing.T) {
	repo := &stalledRepo{}
	h := newHandler(t, repo)
	h.StoreBudget = 300 * time.Millisecond
	resp, took := handleWithin(t, h, fixture(t, "marketplace-purchase.json"), 20*time.Second)
	body := assertRetryLater(t, resp)
	errBody, _ := body["error"].(map[string]any)
	if errBody["code"] != "unavailable" || errBody["message"] == "" {
		t.Errorf("body %s, want the error shape with code unavailable", resp.Body)
	}
	if took < h.StoreBudget || took > h.StoreBudget+2*time.Second {
		t.Errorf("answered after %s; want about the store budget %s", took, h.StoreBudget)
	}
	if repo.calls.Load() != 1 {
		t.Errorf("%d store calls, want 1", repo.calls.Load())
	}
}

func TestStalledStoreFailsDealerPurchasesWithinBudget(t *testing.T) {
	h := newHandler(t, &stalledRepo{})
	h.StoreBudget = 300 * time.Millisecond
	resp, took := handleWithin(t, h, fixture(t, "dealer-batch.json"), 20*time.Second)
	body := assertRetryLater(t, resp)
	results, _ := body["results"].([]any)
	if len(results) == 0 || body["failed"] != float64(len(results)) || body["accepted"] != 0.0 {
		t.Fatalf("body %s, want every purchase failed", resp.Body)
	}
	for i, r := range results {
		if m, _ := r.(map[string]any); m["status"] != "failed" {
			t.Errorf("result %d: %v, want failed", i, r)
		}
	}
	if took > h.StoreBudget+2*time.Second {
		t.Errorf("answered after %s; want about the store budget %s", took, h.StoreBudget)
	}
}

// A budget longer than the invocation has left (a misconfiguration) must not bring back API
// Gateway's bare 500: the store gets what is left less the time to answer.
func TestStoreBudgetYieldsToTheInvocationDeadline(t *testing.T) {
	h := newHandler(t, &stalledRepo{})
	h.StoreBudget = time.Hour
	const deadline = 3 * time.Second
	resp, took := handleWithin(t, h, fixture(t, "marketplace-purchase.json"), deadline)
	assertRetryLater(t, resp)
	if took >= deadline {
		t.Errorf("answered after %s, at or past the invocation's deadline %s", took, deadline)
	}
}

func TestSecretUnavailableSaysWhenToRetry(t *testing.T) {
	h := newHandler(t, &stalledRepo{})
	h.MarketplaceTokens, h.DealerKeys = secrets.Static{}, secrets.Static{}
	for _, name := range []string{"marketplace-purchase.json", "dealer-batch.json"} {
		resp, _ := handleWithin(t, h, fixture(t, name), 20*time.Second)
		assertRetryLater(t, resp)
	}
}

func TestReadConfigBudgetAndGrace(t *testing.T) {
	t.Setenv(lambdafn.EnvOrdersTable, "orders")
	t.Setenv(EnvStoreBudget, "")
	t.Setenv(EnvRotationGrace, "")
	t.Setenv(lambdafn.EnvRetentionDays, "")
	var env envconfig.Reader
	cfg := ReadConfig(&env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	if cfg.Retention != 730*24*time.Hour {
		t.Fatalf("default retention %s", cfg.Retention)
	}
	if cfg.StoreBudget != DefaultStoreBudget || cfg.MarketplaceTokens.PreviousGrace != 24*time.Hour || cfg.DealerKeys.PreviousGrace != 24*time.Hour {
		t.Fatalf("defaults: budget %s, grace %s/%s", cfg.StoreBudget, cfg.MarketplaceTokens.PreviousGrace, cfg.DealerKeys.PreviousGrace)
	}

	t.Setenv(EnvStoreBudget, "2s")
	t.Setenv(EnvRotationGrace, "0")
	t.Setenv(lambdafn.EnvRetentionDays, "0")
	env = envconfig.Reader{}
	cfg = ReadConfig(&env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	if cfg.Retention != 0 {
		t.Fatalf("retention 0 days: %s", cfg.Retention)
	}
	if cfg.StoreBudget != 2*time.Second || cfg.MarketplaceTokens.PreviousGrace != 0 || cfg.DealerKeys.PreviousGrace != 0 {
		t.Fatalf("set: budget %s, grace %s/%s", cfg.StoreBudget, cfg.MarketplaceTokens.PreviousGrace, cfg.DealerKeys.PreviousGrace)
	}

	t.Setenv(EnvStoreBudget, "soon")
	t.Setenv(EnvRotationGrace, "-1h")
	env = envconfig.Reader{}
	ReadConfig(&env)
	if err := env.Err(); err == nil || !strings.Contains(err.Error(), EnvStoreBudget) || !strings.Contains(err.Error(), EnvRotationGrace) {
		t.Fatalf("bad values: %v", err)
	}
}

func TestNewWiresBudgetAndGrace(t *testing.T) {
	m, err := mapping.Load("../../mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:secretsmanager:eu-central-1:000000000000:secret:orderhub/dev/x"
	d := lambdafn.Deps{Function: "receiver", Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h, err := New(Config{OrdersTable: "orders", Mapping: m, StoreBudget: 2 * time.Second,
		MarketplaceTokens: secrets.Ref{ARN: arn, PreviousGrace: time.Hour},
		DealerKeys:        secrets.Ref{ARN: arn, PreviousGrace: time.Hour}}, d)
	if err != nil {
		t.Fatal(err)
	}
	if h.StoreBudget != 2*time.Second {
		t.Errorf("StoreBudget %s", h.StoreBudget)
	}
	for _, src := range []secrets.Source{h.MarketplaceTokens, h.DealerKeys} {
		if mg, ok := src.(*secrets.Manager); !ok || mg.PreviousGrace != time.Hour {
			t.Errorf("secret source %#v, want a Manager with a grace of 1h", src)
		}
	}
	if h, err := New(Config{OrdersTable: "orders", Mapping: m}, d); err != nil || h.storeBudget() != DefaultStoreBudget {
		t.Errorf("no budget configured: %v, %v", h, err)
	}
}

// unreachableSecrets answers nothing until the caller gives up, as Secrets Manager out of reach.
type unreachableSecrets struct{}

func (unreachableSecrets) GetSecretValue(ctx context.Context, _ *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestAColdSecretCacheAndAnUnreachableSecretsManagerAre503: the first request of a fresh execution
// environment, with Secrets Manager out of reach, is answered 503 with Retry-After within the
// secret read's timeout, not held until the function times out.
func TestAColdSecretCacheAndAnUnreachableSecretsManagerAre503(t *testing.T) {
	h := newHandler(t, &stalledRepo{})
	const fetch = 300 * time.Millisecond
	for _, name := range []string{"marketplace-purchase.json", "dealer-batch.json"} {
		m := &secrets.Manager{API: unreachableSecrets{}, SecretID: "s", TTL: time.Minute, Now: time.Now, FetchTimeout: fetch, Log: h.Log}
		h.MarketplaceTokens, h.DealerKeys = m, m
		resp, took := handleWithin(t, h, fixture(t, name), 20*time.Second)
		assertRetryLater(t, resp)
		if took >= 10*time.Second {
			t.Errorf("%s: held for %s by a secret read that times out after %s", name, took, fetch)
		}
	}
}
