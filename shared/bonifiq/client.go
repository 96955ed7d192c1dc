// Package bonifiq is a client for the parts of BonifiQ's private API orderhub uses: upserting a
// purchase, cancelling it fully or partly, and reading it back. It is built on the partner call
// layer and classifies BonifiQ's envelope, which can report a failure in a 200, into its kinds.
package bonifiq

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/secrets"
)

// ProductionURL is BonifiQ's API; the client adds the /v1/pvt/… paths to it.
const ProductionURL = "https://api.bonifiq.com.br"

// Client calls BonifiQ. Build it once per execution environment; it is safe for concurrent use.
type Client struct {
	BaseURL string
	// Credentials yields the private API key pair as "user:password"; the first value is used, as
	// HTTP Basic auth. Never logged.
	Credentials secrets.Source
	partner.Caller
}

// New returns a client with the partner layer's defaults (partner.DefaultPolicy).
func New(baseURL string, creds secrets.Source, hc *http.Client) *Client {
	return &Client{BaseURL: baseURL, Credentials: creds,
		Caller: partner.Caller{Partner: "bonifiq", HTTP: hc, Policy: partner.DefaultPolicy}}
}

// UpsertOrder sends an order; sending the same OriginalID again updates it, so an answer that leaves
// open whether BonifiQ took it (a timeout, a 5xx, a 200 with HasError and no reason) is retried.
// Points for a completed order are credited by BonifiQ later (within 24 hours).
func (c *Client) UpsertOrder(ctx context.Context, o Order) (Placed, error) {
	const op = "upsert order"
	if o.OriginalID == "" {
		return Placed{}, &Error{Op: op, Err: fmt.Errorf("%w: no OriginalId", errRequest)}
	}
	var placed Placed
	err := c.call(ctx, op, http.MethodPost, "/v1/pvt/Order", o, func(a partner.Answer) error {
		env, err := read(op, a)
		if err != nil {
			return err
		}
		res := env.result(a.Body)
		if res == nil {
			return &Error{Op: op, Status: a.Status, Err: errors.New("answer has no Result")}
		}
		var r struct {
			ID       int64 `json:"Id"`
			Customer *struct {
				ID int64 `json:"Id"`
			} `json:"Customer"`
		}
		if err := json.Unmarshal(res, &r); err != nil {
			return &Error{Op: op, Status: a.Status, Err: fmt.Errorf("decode Result: %w", err)}
		}
		placed = Placed{ID: r.ID}
		if r.Customer != nil {
			placed.CustomerID = r.Customer.ID
		}
		return nil
	})
	return placed, err
}

// CancelOrder cancels an order in full; BonifiQ takes back the points it granted. It succeeds only
// when BonifiQ answers Result.isCanceled true. A refusal saying the order is cancelled already is
// an AlreadyDone error; any other answer without isCanceled and without a reason is a Conflict
// error (look the order up with GetOrder: StateCancelled means it is done).
//
// It is retried after an uncertain answer (not partner.Request.Unsafe): cancelling a cancelled
// order cannot take points twice, it can at worst be refused or answered as not cancelled, which
// the caller resolves as above.
func (c *Client) CancelOrder(ctx context.Context, originalID string, at time.Time, status string) error {
	const op = "cancel order"
	if originalID == "" || at.IsZero() {
		return &Error{Op: op, Err: fmt.Errorf("%w: an OriginalId and a cancellation date are required", errRequest)}
	}
	body := cancelBody{OrderCancelledDate: wireTime(at), OrderStatus: status}
	return c.call(ctx, op, http.MethodPost, "/v1/pvt/Order/"+url.PathEscape(originalID)+"/cancel", body, func(a partner.Answer) error {
		env, err := read(op, a)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && refusal(e) && alreadyCancelledText(e.Message+" "+e.CodeName) {
				e.AlreadyCancelled = true
			}
			return notFoundWords(err)
		}
		var r struct {
			IsCanceled bool `json:"isCanceled"`
		}
		if res := env.result(nil); res != nil {
			_ = json.Unmarshal(res, &r) // an unreadable Result is a cancel not confirmed
		}
		if !r.IsCanceled {
			return &Error{Op: op, Status: a.Status, Message: env.message(), NotCanceled: true}
		}
		return nil
	})
}

// PartialCancel takes back the points of part of an order: value is the net amount of one return
// event (more than 0, at most the order's total) and cancelKey names that event. BonifiQ refuses a
// CancelKey it has seen on the order; that refusal is an AlreadyDone error (IsDuplicateCancelKey).
// Use one key per return event, the same on every retry: a new key for the same return would
// refund it twice.
//
// It is retried after an uncertain answer (not partner.Request.Unsafe): the repeat carries the same
// key, so BonifiQ either applies it once or refuses it as a duplicate.
func (c *Client) PartialCancel(ctx context.Context, originalID string, value json.Number, cancelKey string) error {
	const op = "partial cancel"
	if originalID == "" || cancelKey == "" {
		return &Error{Op: op, Err: fmt.Errorf("%w: an OriginalId and a CancelKey are required", errRequest)}
	}
	if f, err := strconv.ParseFloat(value.String(), 64); err != nil || f <= 0 {
		return &Error{Op: op, Err: fmt.Errorf("%w: ValueToRefund %q is not an amount above 0", errRequest, value)}
	}
	body := partialCancelBody{ValueToRefund: value, CancelKey: cancelKey}
	return c.call(ctx, op, http.MethodPost, "/v1/pvt/Order/"+url.PathEscape(originalID)+"/partialcancel", body, func(a partner.Answer) error {
		env, err := read(op, a)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && refusal(e) {
				words := e.Message + " " + e.CodeName
				switch {
				case duplicateKeyText(words):
					e.DuplicateKey = true
				case valueRefusedText(words):
					e.RefundError = true
				case cancelledText(words):
					e.OrderCancelled = true
				}
			}
			return notFoundWords(err)
		}
		var r struct {
			RefundErrorDetails *struct {
				Code    string `json:"Code"`
				Message string `json:"Message"`
				Field   string `json:"Field"`
			} `json:"RefundErrorDetails"`
		}
		if res := env.result(nil); res != nil {
			_ = json.Unmarshal(res, &r) // the vendor's code reads only RefundErrorDetails here
		}
		if d := r.RefundErrorDetails; d != nil {
			e := &Error{Op: op, Status: a.Status, CodeName: d.Code, Message: d.Message, RefundError: true}
			if d.Field != "" {
				e.Fields = []string{d.Field}
			}
			e.DuplicateKey = duplicateKeyText(d.Code + " " + d.Message + " " + env.message())
			return e
		}
		return nil
	})
}

// GetOrder reads an order back by the shop's id. BonifiQ answers it as a bare object; an unknown
// order is a NotFound error.
func (c *Client) GetOrder(ctx context.Context, originalID string) (Remote, error) {
	const op = "get order"
	if originalID == "" {
		return Remote{}, &Error{Op: op, Err: fmt.Errorf("%w: no OriginalId", errRequest)}
	}
	var remote Remote
	err := c.call(ctx, op, http.MethodGet, "/v1/pvt/Order/"+url.PathEscape(originalID), nil, func(a partner.Answer) error {
		body := bytes.TrimSpace(a.Body)
		if a.Status == http.StatusNoContent || (a.Status >= 200 && a.Status < 300 && (len(body) == 0 || string(body) == "null")) {
			return &Error{Op: op, Status: a.Status, Missing: true}
		}
		env, err := read(op, a)
		if err != nil {
			return notFoundWords(err)
		}
		res := env.result(a.Body) // documented bare; an enveloped answer is read too
		if res == nil {
			return &Error{Op: op, Status: a.Status, Missing: true}
		}
		var r Remote
		if err := json.Unmarshal(res, &r); err != nil {
			return &Error{Op: op, Status: a.Status, Err: fmt.Errorf("decode order: %w", err)}
		}
		if r.ID == 0 && r.OriginalID == "" {
			return &Error{Op: op, Status: a.Status, Missing: true}
		}
		remote = r
		return nil
	})
	return remote, err
}

// call sends one request with the partner layer's retries; check accepts or classifies each answer.
// None of BonifiQ's calls is marked Unsafe: each is keyed (OriginalId, CancelKey), see the methods.
func (c *Client) call(ctx context.Context, op, method, path string, body any, check partner.Classify) error {
	req := partner.Request{Op: op, Method: method, URL: strings.TrimSuffix(c.BaseURL, "/") + path,
		Header: http.Header{"Accept": {"application/json"}}}
	if body != nil {
		var err error
		if req.Body, err = json.Marshal(body); err != nil {
			return &Error{Op: op, Err: fmt.Errorf("%w: encode: %v", errRequest, err)}
		}
		req.Header.Set("Content-Type", "application/json")
	}
	auth, err := c.authorization(ctx)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	req.Header.Set("Authorization", auth)
	_, err = c.Do(ctx, req, check)
	return err
}

// authorization returns the Basic auth header value. Its errors never carry the credentials.
func (c *Client) authorization(ctx context.Context) (string, error) {
	if c.Credentials == nil {
		return "", fmt.Errorf("%w: none configured", errCredentials)
	}
	vals, err := c.Credentials.Values(ctx)
	if err != nil {
		return "", fmt.Errorf("credentials unavailable: %w", err)
	}
	if user, _, ok := strings.Cut(vals[0], ":"); !ok || user == "" {
		return "", errCredentials
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(vals[0])), nil
}

// envelope is BonifiQ's answer around a result, with the POS variant's fields. Fields whose type
// BonifiQ's pages leave loose are kept raw and read leniently.
type envelope struct {
	HasError          bool            `json:"HasError"`
	ErrorMessage      string          `json:"ErrorMessage"`
	ErrorMessages     []string        `json:"ErrorMessages"`
	ErrorCode         json.RawMessage `json:"ErrorCode"`
	ErrorDescriptions []struct {
		Description json.RawMessage `json:"Description"`
		Field       string          `json:"Field"`
		FieldText   string          `json:"FieldText"`
	} `json:"ErrorDescriptions"`
	Code     json.RawMessage `json:"Code"`
	CodeName string          `json:"CodeName"`
	Severity json.RawMessage `json:"Severity"`
	Result   json.RawMessage `json:"Result"`
}

// severityError is the POS envelope's Severity for a failure (0 success, 1 warning, 2 error).
const severityError = 2

// read decodes an answer. It returns the envelope of a 2xx that reports no failure, and the *Error
// of any other answer.
func read(op string, a partner.Answer) (*envelope, error) {
	ok := a.Status >= 200 && a.Status < 300
	var env envelope
	if body := bytes.TrimSpace(a.Body); len(body) > 0 {
		if err := json.Unmarshal(body, &env); err != nil {
			if ok {
				// A 2xx that is not BonifiQ's JSON is a proxy or outage page: try again.
				return nil, &Error{Op: op, Status: a.Status, Err: fmt.Errorf("decode answer: %w", err)}
			}
			return nil, &Error{Op: op, Status: a.Status, Message: snippet(body)}
		}
	}
	e := &Error{Op: op, Status: a.Status, Code: lenientInt(env.ErrorCode, nil), Message: env.message(),
		CodeName: env.CodeName, HasError: env.HasError || lenientInt(env.Severity, severityNames) == severityError}
	if e.CodeName == "" {
		e.CodeName = lenientString(env.Code)
	}
	for _, d := range env.ErrorDescriptions {
		e.Descriptions = append(e.Descriptions, lenientInt(d.Description, descriptionValues))
		e.Fields = append(e.Fields, d.Field)
	}
	if !ok || e.HasError || len(e.Descriptions) > 0 {
		return nil, e
	}
	return &env, nil
}

// message is the envelope's error text.
func (env *envelope) message() string {
	if env.ErrorMessage != "" {
		return env.ErrorMessage
	}
	return strings.Join(env.ErrorMessages, "; ")
}

// result returns the envelope's Result, or whole when the answer has no Result key (a bare
// object), or nil when there is none.
func (env *envelope) result(whole []byte) json.RawMessage {
	res := bytes.TrimSpace(env.Result)
	if len(res) == 0 {
		res = bytes.TrimSpace(whole)
	}
	if len(res) == 0 || string(res) == "null" {
		return nil
	}
	return res
}

// refusal reports whether e is BonifiQ's answer refusing a request without validation details, the
// only kind of failure its words are read for.
func refusal(e *Error) bool { return e.Err == nil && len(e.Descriptions) == 0 }

// notFoundWords marks an envelope failure without validation details whose words say the order
// does not exist, which BonifiQ may answer instead of a 404.
func notFoundWords(err error) error {
	var e *Error
	if errors.As(err, &e) && refusal(e) && !e.DuplicateKey &&
		containsAny(strings.ToLower(e.Message+" "+e.CodeName), "not found", "notfound", "não encontrad", "nao encontrad", "inexist") {
		e.Missing = true
	}
	return err
}

var (
	severityNames     = map[string]int{"success": 0, "warning": 1, "error": 2}
	descriptionValues = func() map[string]int {
		m := map[string]int{}
		for v, name := range descriptionNames {
			m[strings.ToLower(name)] = v
		}
		return m
	}()
)

// lenientInt reads a number, a numeric string, or a name from names (lower case); -1 for an
// unknown name, 0 for null or nothing.
func lenientInt(raw json.RawMessage, names map[string]int) int {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		if i, err := strconv.Atoi(n.String()); err == nil {
			return i
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if v, ok := names[strings.ToLower(strings.TrimSpace(s))]; ok {
			return v
		}
	}
	return -1
}

// lenientString reads a string or a number as text; "" for null or nothing.
func lenientString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

// snippet is the start of a body that is not BonifiQ's JSON, for the error text.
func snippet(b []byte) string {
	const limit = 120
	r := []rune(strings.Join(strings.Fields(string(b)), " "))
	if len(r) > limit {
		return string(r[:limit]) + "…"
	}
	return string(r)
}
