package plenty

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/partner"
)

// Error is a failed plentymarkets call: the HTTP status and what plentymarkets' body said, or why
// the call could not be made or its answer not read.
type Error struct {
	Op    string
	Route string // the route pattern ("PUT /rest/orders/{orderId}"), to name what a 403 refused
	// Status is plentymarkets' HTTP status; 0 when there was no answer.
	Status int
	// Code is the body's error code when it is a string ("invalid_credentials",
	// "too_many_concurrent_sessions").
	Code    string
	Message string
	// Validation lists the body's validation_errors as "field: message".
	Validation []string
	// HTML: the body was not JSON (an HTML error or maintenance page).
	HTML bool
	// SessionsFull: plentymarkets refused a login because the system's cap on concurrent back end
	// sessions is reached (429 too_many_concurrent_sessions). MaxSessions is the cap it named.
	SessionsFull bool
	MaxSessions  int
	// Throttled: the call was held back before it was sent, because plentymarkets' limits leave no
	// call before the caller's deadline (or another caller is renewing the session).
	Throttled bool
	// RetryAfter is how long plentymarkets (or the pacer) asks to wait before the next call; 0 when
	// unknown.
	RetryAfter time.Duration
	// Redirect is where a 3xx answer pointed: the base URL is not the system's exact host.
	Redirect string
	// Err is why there is no usable answer: credentials, the request, an undecodable 2xx, the
	// session store.
	Err error
	// unsent: the request was never sent (held back by the pacer, no session to send it with).
	unsent bool
}

// Sentinel causes in Error.Err.
var (
	// errCredentials: the configured credentials are missing or not "user:password".
	errCredentials = errors.New("plentymarkets credentials are not of the form user:password")
	// errRequest: the request is wrong before it is sent.
	errRequest = errors.New("invalid request")
	// errStatuses: the system lacks statuses orderhub is configured to use.
	errStatuses = errors.New("order statuses missing in plentymarkets")
	// errNoToken: a login answer without an access token.
	errNoToken = errors.New("login answer has no access token")
)

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plenty %s:", e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d", e.Status)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, " %s", e.Message)
	}
	for _, v := range e.Validation {
		fmt.Fprintf(&b, "; %s", v)
	}
	switch {
	case e.Status == http.StatusForbidden:
		fmt.Fprintf(&b, " (the REST user lacks the right for %s)", e.route())
	case e.SessionsFull:
		fmt.Fprintf(&b, " (the system's %s concurrent back end sessions are in use)", sessionsText(e.MaxSessions))
	case e.HTML:
		b.WriteString(" (an HTML page, not plentymarkets' JSON)")
	case e.Redirect != "":
		fmt.Fprintf(&b, " (redirected to %s: configure the system's exact host)", e.Redirect)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " %v", e.Err)
	}
	return b.String()
}

func (e *Error) route() string {
	if e.Route == "" {
		return "this route"
	}
	return e.Route
}

func sessionsText(n int) string {
	if n <= 0 {
		return "all"
	}
	return fmt.Sprintf("%d", n)
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status of plentymarkets' answer, 0 when there was none.
func (e *Error) HTTPStatus() int { return e.Status }

// Kind implements partner.Classified. The body's own code decides before the status, then the
// status; docs/plentymarkets.md gives the evidence for each rule.
func (e *Error) Kind() partner.Kind {
	switch {
	case errors.Is(e.Err, errCredentials), errors.Is(e.Err, errNoToken):
		return partner.Unauthorized
	case errors.Is(e.Err, errRequest), errors.Is(e.Err, errStatuses):
		return partner.Permanent
	case e.Redirect != "":
		return partner.Permanent // the base URL is wrong; the same call is redirected again
	case e.Err != nil, e.Throttled, e.SessionsFull:
		return partner.Transient
	case e.Code == "invalid_credentials":
		return partner.Unauthorized
	case e.Status == http.StatusUnauthorized, e.Status == http.StatusForbidden:
		return partner.Unauthorized
	case e.Status == http.StatusNotFound, noQueryResults(e.Message):
		return partner.NotFound
	case e.Status == http.StatusRequestTimeout, e.Status == http.StatusTooManyRequests, e.Status >= 500:
		return partner.Transient
	case e.Status >= 400:
		return partner.Permanent // 400, 405, 409, 422, …
	}
	return partner.Transient // a 2xx that could not be used, a 1xx
}

// Refused implements the partner layer's refusal check: plentymarkets turned the request away
// before acting on it (429), or it was never sent, so sending it (again) cannot apply it twice.
func (e *Error) Refused() bool {
	return e.Status == http.StatusTooManyRequests || e.unsent
}

// IsUncertain reports whether a failed write may still have been applied by plentymarkets: no
// answer, a timeout, a 5xx or an unreadable answer, as opposed to a refusal. CreatePackage is not
// repeated after such an answer; list the packages before posting again.
func IsUncertain(err error) bool {
	return err != nil && !partner.Refused(err) && partner.KindOf(err) == partner.Transient
}

// IsSessionsFull reports whether a call failed because plentymarkets refused a session: every one
// of the system's concurrent back end sessions is in use. It is transient, and worth an alert:
// the merchant's own staff are locked out too.
func IsSessionsFull(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.SessionsFull
}

func noQueryResults(msg string) bool {
	return strings.Contains(strings.ToLower(msg), "no query results")
}

// errorBody is what plentymarkets' error answers carry, as far as they have been seen: "error" is a
// code string or an object with a message; "message" may also stand alone; validation_errors is a
// map (or list) of field to messages.
type errorBody struct {
	Error              json.RawMessage `json:"error"`
	Message            flexString      `json:"message"`
	MaxCurrentSessions flexInt         `json:"max_current_sessions"`
	ValidationErrors   json.RawMessage `json:"validation_errors"`
}

// isJSON reports whether an answer's body is JSON: by its start, whatever the Content-Type says,
// since plentymarkets' outage pages have come as HTML with a 200.
func isJSON(a partner.Answer) bool {
	b := bytes.TrimSpace(a.Body)
	if len(b) == 0 {
		return false
	}
	if b[0] == '<' {
		return false
	}
	if ct := a.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
			return false
		}
	}
	return json.Valid(b)
}

// answerError reads a non-2xx answer into an Error.
func answerError(op, route string, a partner.Answer) *Error {
	e := &Error{Op: op, Route: route, Status: a.Status}
	if a.Status == http.StatusTooManyRequests {
		e.RetryAfter = partner.RetryAfter(a.Header.Get("Retry-After"), time.Now())
	}
	if a.Status >= 300 && a.Status < 400 {
		e.Redirect = a.Header.Get("Location")
		if e.Redirect == "" {
			e.Redirect = "an unnamed location"
		}
		return e
	}
	if !isJSON(a) {
		e.HTML = len(bytes.TrimSpace(a.Body)) > 0
		if e.HTML {
			e.Message = snippet(a.Body)
		}
		return e
	}
	var body errorBody
	_ = json.Unmarshal(a.Body, &body) // a JSON body of another shape leaves the status to decide
	e.Message = string(body.Message)
	if raw := bytes.TrimSpace(body.Error); len(raw) > 0 {
		var code string
		if json.Unmarshal(raw, &code) == nil {
			e.Code = code
		} else {
			var obj struct {
				Message flexString `json:"message"`
				Code    flexString `json:"code"`
			}
			if json.Unmarshal(raw, &obj) == nil {
				if e.Message == "" {
					e.Message = string(obj.Message)
				}
				if obj.Code != "" && e.Code == "" {
					e.Code = string(obj.Code)
				}
			}
		}
	}
	e.Validation = validation(body.ValidationErrors)
	if e.Code == "too_many_concurrent_sessions" {
		e.SessionsFull, e.MaxSessions = true, int(body.MaxCurrentSessions)
	}
	return e
}

// validation reads validation_errors: {"field": ["msg", …]} or {"field": "msg"} or a list of those.
func validation(raw json.RawMessage) []string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var out []string
	add := func(m map[string]json.RawMessage) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			var msgs []flexString
			if json.Unmarshal(m[k], &msgs) != nil {
				var one flexString
				if json.Unmarshal(m[k], &one) != nil {
					one = flexString(snippet(m[k]))
				}
				msgs = []flexString{one}
			}
			for _, msg := range msgs {
				out = append(out, k+": "+string(msg))
			}
		}
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) == nil {
		add(m)
		return out
	}
	var l []json.RawMessage
	if json.Unmarshal(raw, &l) == nil {
		for _, item := range l {
			var m map[string]json.RawMessage
			var s string
			switch {
			case json.Unmarshal(item, &m) == nil:
				add(m)
			case json.Unmarshal(item, &s) == nil:
				out = append(out, s)
			}
		}
	}
	return out
}
