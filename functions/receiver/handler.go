package receiver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/shared/dealerkeys"
	"github.com/orderhub/orderhub/shared/intake"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/signature"
)

// Body limits. A marketplace webhook is about 1 KiB; a full dealer batch of 500 purchases is well
// under 512 KiB.
const (
	MaxMarketplaceBody = 64 << 10
	MaxDealerBody      = 2 << 20
)

// retryAfter is the Retry-After (seconds) of a 503: when the store or the secrets did not answer,
// a retry right away would most likely meet the same trouble.
const retryAfter = "30"

// answerMargin is kept free before the invocation's deadline to answer after the store budget ran
// out, so the sender gets our 503 rather than API Gateway's bare 500.
const answerMargin = time.Second

// Handler is the webhook receiver: it authenticates, validates and hands each purchase to intake.
type Handler struct {
	Intake            *intake.Service
	MarketplaceTokens secrets.Source
	// DealerKeys yields the dealer systems' keys (dealerkeys.Parse), the newest version first.
	DealerKeys secrets.Source
	// StoreBudget bounds the store calls of one request (zero: DefaultStoreBudget). When it runs out
	// the request is answered 503 with Retry-After; what was stored is a duplicate on the retry.
	StoreBudget time.Duration
	Function    string
	Log         *slog.Logger
	Now         func() time.Time

	keysMu   sync.Mutex
	keySets  []*dealerkeys.Set
	keysFrom []string
}

// Handle serves one HTTP API (payload 2.0) request. It always answers with a response: client
// mistakes get a 4xx naming the problem, a failure of ours a 5xx so the sender retries.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	method := req.RequestContext.HTTP.Method
	path := req.RawPath
	switch {
	case strings.HasPrefix(path, "/webhooks/marketplace/"):
		if method != http.MethodPost {
			return failure(http.StatusMethodNotAllowed, "method_not_allowed", "", "use POST"), nil
		}
		token := req.PathParameters["token"]
		if token == "" {
			token = strings.TrimPrefix(path, "/webhooks/marketplace/")
		}
		return h.marketplace(ctx, req, token), nil
	case path == "/dealer-purchases":
		if method != http.MethodPost {
			return failure(http.StatusMethodNotAllowed, "method_not_allowed", "", "use POST"), nil
		}
		return h.dealer(ctx, req), nil
	}
	return failure(http.StatusNotFound, "not_found", "", "no such route"), nil
}

func (h *Handler) marketplace(ctx context.Context, req events.APIGatewayV2HTTPRequest, token string) events.APIGatewayV2HTTPResponse {
	const route = "marketplace"
	tokens, err := h.MarketplaceTokens.Values(ctx)
	if err != nil {
		h.Log.ErrorContext(ctx, "marketplace token unavailable", "route", route, "error", err.Error())
		return unavailable("authentication is temporarily unavailable; retry")
	}
	if !tokenMatches(token, tokens) {
		h.Log.WarnContext(ctx, "refused", "route", route, "status", http.StatusUnauthorized, "reason", "wrong token")
		return failure(http.StatusUnauthorized, "unauthorized", "", "unknown webhook URL")
	}
	body, resp, ok := h.body(ctx, req, route, MaxMarketplaceBody)
	if !ok {
		return resp
	}
	by := lambdafn.Actor(ctx, h.Function)
	o, err := intake.ParseMarketplace(body, h.Now(), by)
	if err != nil {
		return h.badInput(ctx, route, err)
	}
	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	out, err := h.Intake.Accept(sctx, o, by)
	var ie *intake.InputError
	if errors.As(err, &ie) {
		return h.badInput(ctx, route, err)
	}
	if err != nil {
		if sctx.Err() != nil {
			h.Log.ErrorContext(ctx, "store out of time", "route", route, "order", o.ID, "budget", h.storeBudget().String(), "error", err.Error())
			return unavailable("the purchase could not be stored in time; retry")
		}
		h.Log.ErrorContext(ctx, "store failed", "route", route, "order", o.ID, "error", err.Error())
		return failure(http.StatusInternalServerError, "store_failed", "", "the purchase could not be stored; retry")
	}
	if out.Conflict {
		// The same id for another purchase: a sender's bug, or someone holding the URL claiming an
		// order. Nothing changed; the message feeds the conflict alarm.
		h.Log.ErrorContext(ctx, "purchase conflict", "route", route, "order", out.OrderID)
		return respond(http.StatusConflict, errorBody{Error: intake.ConflictError()})
	}
	h.Log.InfoContext(ctx, "purchase", "route", route, "order", out.OrderID, "duplicate", out.Duplicate, "state", string(out.State), "items", len(o.Items))
	return respond(statusOf(out), acceptance(out))
}

func (h *Handler) dealer(ctx context.Context, req events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	const route = "dealer"
	body, resp, ok := h.rawBody(ctx, req, route, MaxDealerBody)
	if !ok {
		return resp
	}
	sets, err := h.dealerKeys(ctx)
	if err != nil {
		h.Log.ErrorContext(ctx, "dealer keys unavailable", "route", route, "error", err.Error())
		return unavailable("authentication is temporarily unavailable; retry")
	}
	key, err := verifyDealer(sets, req.Headers, body, h.Now())
	if err != nil {
		h.Log.WarnContext(ctx, "refused", "route", route, "status", http.StatusUnauthorized, "key", req.Headers[dealerkeys.HeaderKeyID], "reason", err.Error())
		return failure(http.StatusUnauthorized, "unauthorized", "", err.Error())
	}
	if resp, ok := h.jsonContent(ctx, req, route); !ok {
		return resp
	}
	by := lambdafn.Actor(ctx, h.Function)
	items, err := intake.ParseDealerBatch(body, h.Now(), by)
	if err != nil {
		return h.badInput(ctx, route, err)
	}
	bindToKey(items, key)

	sctx, cancel := h.storeContext(ctx)
	defer cancel()
	ans := h.Intake.AcceptBatch(sctx, items, by)
	outOfTime := sctx.Err() != nil
	for _, r := range ans.Results {
		if r.Cause != nil {
			h.Log.ErrorContext(ctx, "store failed", "route", route, "order", r.OrderID, "error", r.Cause.Error())
		}
		if r.Status == "conflict" {
			h.Log.ErrorContext(ctx, "purchase conflict", "route", route, "order", r.OrderID)
		}
	}
	status := ans.HTTPStatus()
	h.Log.InfoContext(ctx, "dealer batch", "route", route, "status", status, "purchases", len(items),
		"accepted", ans.Accepted, "duplicates", ans.Duplicates, "conflicts", ans.Conflicts, "rejected", ans.Rejected, "failed", ans.Failed,
		"outOfTime", outOfTime)
	answer := respond(status, ans)
	if status == http.StatusServiceUnavailable {
		answer.Headers["retry-after"] = retryAfter
	}
	return answer
}

func (h *Handler) storeBudget() time.Duration {
	if h.StoreBudget > 0 {
		return h.StoreBudget
	}
	return DefaultStoreBudget
}

// storeContext bounds the store calls of one request by the store budget, and by the invocation's
// deadline less the time needed to answer.
func (h *Handler) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	budget := h.storeBudget()
	if dl, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(dl)-answerMargin)
	}
	return context.WithTimeout(ctx, budget)
}

// body checks the content type and size, then returns the raw body.
func (h *Handler) body(ctx context.Context, req events.APIGatewayV2HTTPRequest, route string, limit int) ([]byte, events.APIGatewayV2HTTPResponse, bool) {
	if resp, ok := h.jsonContent(ctx, req, route); !ok {
		return nil, resp, false
	}
	return h.rawBody(ctx, req, route, limit)
}

func (h *Handler) jsonContent(ctx context.Context, req events.APIGatewayV2HTTPRequest, route string) (events.APIGatewayV2HTTPResponse, bool) {
	ct := req.Headers["content-type"]
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
		h.Log.WarnContext(ctx, "refused", "route", route, "status", http.StatusUnsupportedMediaType)
		return failure(http.StatusUnsupportedMediaType, "unsupported_media_type", "content-type", "send application/json (UTF-8)"), false
	}
	return events.APIGatewayV2HTTPResponse{}, true
}

func (h *Handler) rawBody(ctx context.Context, req events.APIGatewayV2HTTPRequest, route string, limit int) ([]byte, events.APIGatewayV2HTTPResponse, bool) {
	size := len(req.Body)
	if req.IsBase64Encoded {
		size = base64.StdEncoding.DecodedLen(len(req.Body))
	}
	if size > limit {
		h.Log.WarnContext(ctx, "refused", "route", route, "status", http.StatusRequestEntityTooLarge, "bytes", size)
		return nil, failure(http.StatusRequestEntityTooLarge, "too_large", "", "the body is larger than "+strconv.Itoa(limit>>10)+" KiB"), false
	}
	if !req.IsBase64Encoded {
		return []byte(req.Body), events.APIGatewayV2HTTPResponse{}, true
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, failure(http.StatusBadRequest, "malformed_body", "", "the body is marked base64 but is not"), false
	}
	return b, events.APIGatewayV2HTTPResponse{}, true
}

func (h *Handler) badInput(ctx context.Context, route string, err error) events.APIGatewayV2HTTPResponse {
	var ie *intake.InputError
	if !errors.As(err, &ie) {
		ie = &intake.InputError{Code: "invalid_body", Message: "the body cannot be read as a purchase"}
	}
	h.Log.WarnContext(ctx, "refused", "route", route, "status", http.StatusBadRequest, "code", ie.Code, "field", ie.Field)
	return respond(http.StatusBadRequest, errorBody{Error: *ie})
}

// dealerKeys parses the dealer keys from the current secret values, again only when they change.
func (h *Handler) dealerKeys(ctx context.Context) ([]*dealerkeys.Set, error) {
	vals, err := h.DealerKeys.Values(ctx)
	if err != nil {
		return nil, err
	}
	h.keysMu.Lock()
	defer h.keysMu.Unlock()
	if h.keySets != nil && slices.Equal(vals, h.keysFrom) {
		return h.keySets, nil
	}
	sets := make([]*dealerkeys.Set, 0, len(vals))
	for i, v := range vals {
		set, err := dealerkeys.Parse(v)
		if err != nil {
			return nil, fmt.Errorf("dealer keys, version %d of the secret: %w", i+1, err)
		}
		sets = append(sets, set)
	}
	h.keySets, h.keysFrom = sets, vals
	return sets, nil
}

// errUnknownKey: the batch names a key no valid version of the secret holds.
var errUnknownKey = errors.New("unknown key id: send the id of your dealer system's key in the " + dealerkeys.HeaderKeyID + " header")

// verifyDealer finds the key the batch names and checks its signature, in the newest secret version
// that has the key first (an older version still counts within the rotation grace).
func verifyDealer(sets []*dealerkeys.Set, hd map[string]string, body []byte, now time.Time) (*dealerkeys.Key, error) {
	id := hd[dealerkeys.HeaderKeyID]
	failure := errUnknownKey
	for _, set := range sets {
		k, ok := set.Key(id)
		if !ok {
			continue
		}
		err := k.Verifier().Verify(hd[signature.HeaderID], hd[signature.HeaderTimestamp], hd[signature.HeaderSignature], body, now)
		if err == nil {
			return k, nil
		}
		failure = err
	}
	return nil, failure
}

// bindToKey refuses the purchases the key may not submit (another dealer group, an id outside its
// namespace) and records the dealer system on the others.
func bindToKey(items []intake.DealerItem, key *dealerkeys.Key) {
	for i := range items {
		it := &items[i]
		if it.Err != nil || it.Order == nil || it.Order.Dealer == nil {
			continue
		}
		if field, err := key.Allows(it.Order.Dealer.Group, it.ExternalSystemID); err != nil {
			it.Err = &intake.InputError{Code: "not_allowed", Field: "purchases[" + strconv.Itoa(it.Index) + "]." + field, Message: err.Error()}
			it.Order = nil
			continue
		}
		if it.Order.SourceDetails == nil {
			it.Order.SourceDetails = order.SourceDetails{}
		}
		it.Order.SourceDetails["dealerSystem"] = key.ID
	}
}

// tokenMatches compares in constant time; hashing first makes the time independent of the length too.
func tokenMatches(got string, valid []string) bool {
	g := sha256.Sum256([]byte(got))
	match := 0
	for _, v := range valid {
		w := sha256.Sum256([]byte(v))
		match |= subtle.ConstantTimeCompare(g[:], w[:])
	}
	return got != "" && match == 1
}

type acceptedBody struct {
	OrderID string      `json:"orderId"`
	Status  string      `json:"status"`
	State   order.State `json:"state,omitempty"`
	Reason  string      `json:"reason,omitempty"`
}

func acceptance(out intake.Outcome) acceptedBody {
	if out.Duplicate {
		return acceptedBody{OrderID: out.OrderID, Status: out.Status()}
	}
	return acceptedBody{OrderID: out.OrderID, Status: out.Status(), State: out.State, Reason: out.Reason}
}

func statusOf(out intake.Outcome) int {
	if out.Duplicate {
		return http.StatusOK
	}
	return http.StatusAccepted
}

type errorBody struct {
	Error intake.InputError `json:"error"`
}

// unavailable is a 503 the sender should retry later: something we depend on did not answer.
func unavailable(msg string) events.APIGatewayV2HTTPResponse {
	resp := failure(http.StatusServiceUnavailable, "unavailable", "", msg)
	resp.Headers["retry-after"] = retryAfter
	return resp
}

func failure(status int, code, field, msg string) events.APIGatewayV2HTTPResponse {
	return respond(status, errorBody{Error: intake.InputError{Code: code, Field: field, Message: msg}})
}

func respond(status int, v any) events.APIGatewayV2HTTPResponse {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"response could not be encoded"}}`)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"content-type": "application/json"},
		Body:       string(b),
	}
}
