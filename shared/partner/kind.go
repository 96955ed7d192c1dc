// Package partner is the call layer every partner client (plenigo, plentymarkets, BonifiQ) is built
// on: attempts under the caller's deadline, one backoff, Retry-After, and one classification of
// failures that each client fills in from its partner's own codes.
package partner

import (
	"errors"
	"fmt"
)

// Kind is how orderhub treats a failed partner call. Callers branch on it, never on messages.
type Kind int

// The kinds of failure.
const (
	// Transient: try again later (429, 5xx, timeouts, a partner's "busy" codes).
	Transient Kind = iota + 1
	// Permanent: the request itself is wrong; retrying cannot help (validation errors).
	Permanent
	// AlreadyDone: the partner already has what was asked for; success for an idempotent write.
	AlreadyDone
	// Conflict: the partner holds the entity in another combination; resolve by looking it up.
	Conflict
	// Unauthorized: the credentials are wrong, lack rights or expired.
	Unauthorized
	// NotFound: the entity does not exist.
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

// Classified is an error that knows its Kind: every partner client's error type implements it.
type Classified interface {
	error
	Kind() Kind
}

// KindOf returns the kind of a partner error: 0 for nil, the error's own Kind when it has one, and
// Transient for anything else (context and transport errors).
func KindOf(err error) Kind {
	if err == nil {
		return 0
	}
	var c Classified
	if errors.As(err, &c) {
		return c.Kind()
	}
	return Transient
}

// StatusOf returns the HTTP status of the partner's answer behind err, 0 when there was none.
func StatusOf(err error) int {
	var s interface{ HTTPStatus() int }
	if errors.As(err, &s) {
		return s.HTTPStatus()
	}
	return 0
}

// Refused reports whether the partner refused the request before acting on it (rate limited,
// locked, its queue full), so sending it again cannot do it twice. Errors say so with a
// Refused() bool method; anything else may have been applied.
func Refused(err error) bool {
	var r interface{ Refused() bool }
	return errors.As(err, &r) && r.Refused()
}

// TransportError is a call that got no answer: a timeout, a refused or reset connection.
type TransportError struct {
	Partner, Op string
	Err         error
}

func (e *TransportError) Error() string { return fmt.Sprintf("%s %s: %v", e.Partner, e.Op, e.Err) }
func (e *TransportError) Unwrap() error { return e.Err }

// Kind implements Classified: no answer is always worth another try.
func (e *TransportError) Kind() Kind { return Transient }
