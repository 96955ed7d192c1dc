package bonifiqsim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// envelope is BonifiQ's answer to every order call but GET: ErrorMessage and ErrorCode are null on
// success, Result is null on error. ErrorDescriptions appears only on validation errors, as on
// BonifiQ's pages that document it.
type envelope struct {
	ErrorMessage      *string       `json:"ErrorMessage"`
	ErrorCode         *int          `json:"ErrorCode"`
	Result            any           `json:"Result"`
	HasError          bool          `json:"HasError"`
	ErrorDescriptions []description `json:"ErrorDescriptions,omitempty"`
}

// description is one entry of ErrorDescriptions: Description is BonifiQ's validation enum.
type description struct {
	Description Validation `json:"Description"`
	Field       string     `json:"Field"`
	FieldText   string     `json:"FieldText"`
}

// Validation is BonifiQ's enum of validation errors (the values its order rules use).
type Validation int

// The values, with BonifiQ's names in the comments (misspellings are BonifiQ's).
const (
	FieldCannotBeNullOrBlank                   Validation = 7  // General_FieldCannotBeNullOrBlank
	FieldCannotBeDefault                       Validation = 8  // General_FieldCannotBeDefault
	BiggerThanZero                             Validation = 9  // General_BiggerThanZero
	LengthLimitExceeded                        Validation = 10 // Genaral_LengthLimitExceeded
	OrderCompletedNeedsCompletedDate           Validation = 11 // Order_OrderCompletedNeddCompletedDate
	OrderCompletedDateMustBeAfterPlacementDate Validation = 12 // Order_OrderCompletedDateMustBeAfterPlacementDate
	CompletedOrderCannotBeCancelled            Validation = 13 // Order_CompletedOrderCannotBeCancelled
	CancelledOrderRequiresCancellationDate     Validation = 14 // Order_CancelledOrderRequiresCancellationDate
	OrderCancellationDateBeforePlacementDate   Validation = 15 // Order_OrderCancellationDateBeforePlacementDate
)

// Error codes and messages of the answers that are not validation errors. BonifiQ publishes none
// of them; see docs/bonifiq.md.
const (
	codeTransient = 500
	codeAuth      = 401
	codeNotFound  = 404

	msgTransient       = "An internal error occurred. Please try again later."
	msgAuth            = "Invalid API credentials."
	msgNotFound        = "Order not found."
	msgBadBody         = "The request body is not valid JSON for this endpoint."
	msgCancelKeyUsed   = "CancelKey already used for this order."
	msgAlreadyCanceled = "Order is already cancelled."
	msgOrderCancelled  = "Order is cancelled."
	msgRefundTooLarge  = "ValueToRefund is greater than the order total not yet refunded."
	msgCompleteCancel  = "A cancelled order cannot be completed."
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// success answers 200 with result in the envelope.
func success(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, envelope{Result: result})
}

// fail answers status with an error envelope; code 0 leaves ErrorCode null.
func fail(w http.ResponseWriter, status, code int, msg string, d ...description) {
	e := envelope{ErrorMessage: &msg, HasError: true, ErrorDescriptions: d}
	if code != 0 {
		e.ErrorCode = &code
	}
	writeJSON(w, status, e)
}

// outcome is what a call comes to: decided under the simulator's lock, written after it.
type outcome struct {
	result   any           // on success, the envelope's Result
	notFound bool          // the order is unknown
	refusal  string        // a business refusal's message (no ErrorCode, no ErrorDescriptions)
	invalid  []description // validation errors
	status   int           // HTTP status of a refusal or validation error
}

func ok(result any) outcome { return outcome{result: result} }

// refused is a business refusal, answered with the configured status; the caller holds s.mu.
func (s *Sim) refused(msg string) outcome {
	return outcome{refusal: msg, status: s.refusalStatus()}
}

// invalidOutcome is a validation refusal; the caller holds s.mu.
func (s *Sim) invalidOutcome(d []description) outcome {
	return outcome{invalid: d, status: s.refusalStatus()}
}

// refusalStatus is the HTTP status of refusals, as configured; the caller holds s.mu.
func (s *Sim) refusalStatus() int {
	if s.cfg.ValidationStatus == 0 {
		return http.StatusOK
	}
	return s.cfg.ValidationStatus
}

// write answers an outcome. Validation errors carry ErrorCode = the first description's value and
// ErrorMessage = their texts; refusals carry no ErrorCode.
func (o outcome) write(w http.ResponseWriter) {
	switch {
	case o.notFound:
		notFound(w)
	case len(o.invalid) > 0:
		texts := make([]string, len(o.invalid))
		for i, d := range o.invalid {
			texts[i] = d.FieldText
		}
		fail(w, o.status, int(o.invalid[0].Description), strings.Join(texts, " "), o.invalid...)
	case o.refusal != "":
		fail(w, o.status, 0, o.refusal)
	default:
		success(w, o.result)
	}
}

// notFound answers an unknown order: 404 with the error envelope.
func notFound(w http.ResponseWriter) {
	fail(w, http.StatusNotFound, codeNotFound, msgNotFound)
}

// writeStatus is the kit's error writer. 404 (unknown route), 429 and 500 come from BonifiQ's
// application and carry the envelope; 502, 503 and 504 come from the gateway in front of it and
// carry plain text, which clients must not try to read as the envelope.
func (s *Sim) writeStatus(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusNotFound, http.StatusTooManyRequests, http.StatusInternalServerError:
		fail(w, status, status, http.StatusText(status)+".")
	default:
		http.Error(w, http.StatusText(status), status)
	}
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// decode reads a JSON body into v; on failure it answers 400 with the envelope and returns false.
// Keys match case-insensitively (encoding/json does), so camelCase bodies work as PascalCase ones.
// Unknown keys are ignored.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(v)
	if err != nil {
		msg := msgBadBody
		if errors.Is(err, io.EOF) {
			msg = "The request body is missing."
		}
		fail(w, http.StatusBadRequest, 0, msg)
		return false
	}
	return true
}

// wireTime is a date-time as BonifiQ takes it: RFC 3339, or without a zone (read as UTC), as .NET
// writes DateTime. null and "" mean absent.
type wireTime struct{ t *time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02"}

func (wt *wireTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		wt.t = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s = strings.TrimSpace(s); s == "" {
		wt.t = nil
		return nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			t = t.UTC()
			wt.t = &t
			return nil
		}
	}
	return errors.New("bad date-time " + s)
}

// outTime is how the simulator writes a date-time: RFC 3339 in UTC, or null.
type outTime struct{ t *time.Time }

func (o outTime) MarshalJSON() ([]byte, error) {
	if o.t == nil {
		return []byte("null"), nil
	}
	return json.Marshal(o.t.UTC().Format(time.RFC3339Nano))
}

func at(t time.Time) outTime { return outTime{&t} }
