package plenigo

import (
	"errors"
	"fmt"
	"strings"
)

// Kind is how orderhub treats a failed plenigo call.
type Kind int

// The kinds of failure.
const (
	// Transient: try again later (429, 5xx, timeouts, 97004 import queue full).
	Transient Kind = iota + 1
	// Permanent: the request itself is wrong; retrying cannot help (validation errors, unknown offer).
	Permanent
	// AlreadyDone: plenigo already has what we asked for (97001, 30005): success for an import.
	AlreadyDone
	// Conflict: a customer with this email exists in another combination (20007, 20027, 20068):
	// resolve by looking the customer up.
	Conflict
	// Unauthorized: the API token is wrong, lacks rights or expired (401).
	Unauthorized
	// NotFound: the entity does not exist (404).
	NotFound
)

func (k Kind) String() string {
	switch k {
	case Transient:
		return "transient"
	case Permanent:
		return "permanent"
	case AlreadyDone:
		return "already done"
	case Conflict:
		return "conflict"
	case Unauthorized:
		return "unauthorized"
	case NotFound:
		return "not found"
	}
	return "unknown"
}

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

// Kind classifies the failure from plenigo's code first and the HTTP status second, as plenigo asks
// clients to branch on codes and never on messages.
func (e *Error) Kind() Kind {
	if e.Err != nil {
		return Transient
	}
	switch e.Code {
	case 97001, 30005:
		return AlreadyDone
	case 97004:
		return Transient
	case 20007, 20027, 20068:
		return Conflict
	}
	switch {
	case e.Status == 401 || e.Status == 403:
		return Unauthorized
	case e.Status == 404:
		return NotFound
	case e.Status == 408 || e.Status == 429 || e.Status >= 500:
		return Transient
	}
	return Permanent
}

// KindOf returns the kind of a plenigo error, Transient for context and transport errors, and 0
// for nil.
func KindOf(err error) Kind {
	if err == nil {
		return 0
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind()
	}
	return Transient
}
