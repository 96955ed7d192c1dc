package plenigo

import (
	"fmt"
	"strings"

	"github.com/orderhub/orderhub/shared/partner"
)

// ValidationError is one entry of plenigo's validationErrors.
type ValidationError struct {
	Field string `json:"field"`
	Error string `json:"error"`
	Value string `json:"value"`
}

// Error is a failed plenigo call: the HTTP status and plenigo's error body when it sent one.
type Error struct {
	Op               string
	Status           int
	Code             int               `json:"errorCode"`
	Message          string            `json:"errorMessage"`
	ValidationErrors []ValidationError `json:"validationErrors"`
	Err              error             // a transport error (timeout, reset) when there was no response
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("plenigo %s: %v", e.Op, e.Err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "plenigo %s: %d", e.Op, e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, " %d", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, " %s", e.Message)
	}
	for _, v := range e.ValidationErrors {
		fmt.Fprintf(&b, "; %s: %s", v.Field, v.Error)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status of plenigo's answer, 0 when there was none.
func (e *Error) HTTPStatus() int { return e.Status }

// Kind implements partner.Classified: plenigo's code first and the HTTP status second, as plenigo
// asks clients to branch on codes and never on messages (docs/plenigo.md lists the codes).
func (e *Error) Kind() partner.Kind {
	if e.Err != nil {
		return partner.Transient
	}
	switch e.Code {
	case 97001, 30005: // already imported
		return partner.AlreadyDone
	case 97004, 20026: // import queue full; registration locked for a few seconds (423)
		return partner.Transient
	case 20007, 20027, 20068: // the email or id belongs to another combination
		return partner.Conflict
	case 20404: // customer not found
		return partner.NotFound
	case 60404: // offer not found: the mapping names an offer plenigo does not have
		return partner.Permanent
	case 20001, 20022, 20024: // customer not active or blocked: permanent for this customer
		return partner.Permanent
	case 99008, 99009, 99015: // the token is wrong, expired or lacks a right
		return partner.Unauthorized
	}
	switch {
	case e.Status == 401:
		return partner.Unauthorized
	case e.Status == 404:
		return partner.NotFound
	case e.Status == 408 || e.Status == 423 || e.Status == 429 || e.Status >= 500:
		return partner.Transient
	}
	return partner.Permanent // 400, 403 (a customer's state, not the token), 409, 412, 422, …
}

// Refused implements the partner layer's refusal check: plenigo turned the request away before
// acting on it, so sending it again cannot apply it twice.
func (e *Error) Refused() bool {
	return e.Err == nil && (e.Status == 429 || e.Status == 423 || e.Code == 97004 || e.Code == 20026)
}
