package bonifiq

import (
	"errors"
	"fmt"
	"strings"

	"github.com/orderhub/orderhub/shared/partner"
)

// BonifiQ's validation enum (ErrorDescriptions[].Description) as far as orders use it. BonifiQ's own
// names are in descriptionNames.
const (
	DescFieldCannotBeNullOrBlank              = 7
	DescFieldCannotBeDefault                  = 8
	DescBiggerThanZero                        = 9
	DescLengthLimitExceeded                   = 10
	DescCompletedOrderNeedsCompletedDate      = 11
	DescCompletedDateMustBeAfterPlacementDate = 12
	DescCompletedOrderCannotBeCancelled       = 13
	DescCancelledOrderNeedsCancellationDate   = 14
	DescCancellationDateBeforePlacementDate   = 15
)

// descriptionNames are BonifiQ's names of the enum values, spelled as BonifiQ spells them. The
// names also let the client read the enum if BonifiQ ever sends it as a string.
var descriptionNames = map[int]string{
	0: "Campaign_InvalidDateRange", 1: "Campaign_Conflict", 2: "Reward_PointsShouldBePositive",
	3: "Reward_ValueShouldBePositive", 4: "Reward_ValueShouldBe100PercentMax", 5: "Reward_ValueShouldBe999ValueMax",
	6: "Reward_PointsShouldBe9999ValueMax", 7: "General_FieldCannotBeNullOrBlank", 8: "General_FieldCannotBeDefault",
	9: "General_BiggerThanZero", 10: "Genaral_LengthLimitExceeded", 11: "Order_OrderCompletedNeddCompletedDate",
	12: "Order_OrderCompletedDateMustBeAfterPlacementDate", 13: "Order_CompletedOrderCannotBeCancelled",
	14: "Order_CancelledOrderRequiresCancellationDate", 15: "Order_OrderCancellationDateBeforePlacementDate",
	16: "Points_PointsCannotBeZero",
}

// Error is a failed BonifiQ call: the HTTP status and what BonifiQ's envelope said, or the reason
// the call could not be made or its answer not read.
type Error struct {
	Op     string
	Status int // of BonifiQ's answer; 0 when there was none
	// Code is the envelope's ErrorCode, 0 when absent.
	Code    int
	Message string
	// Descriptions are the validation enum values of ErrorDescriptions, in order; Fields the
	// fields they name, at the same index.
	Descriptions []int
	Fields       []string
	// DuplicateKey: a partial cancel was refused because its CancelKey was used before.
	DuplicateKey bool

	// CodeName is the POS envelope's CodeName (or Code), or a partial cancel's RefundErrorDetails code.
	CodeName string
	// HasError: the envelope said HasError, or Severity 2 (error).
	HasError bool
	// RefundError: a partial cancel answered RefundErrorDetails, which is a failure even on 200
	// without HasError.
	RefundError bool
	// NotCanceled: a full cancel answered without Result.isCanceled true.
	NotCanceled bool
	// Missing: BonifiQ answered without the order (204, an empty body or null on a lookup), or said
	// in words that the order does not exist.
	Missing bool
	// AlreadyCancelled: a full cancel was refused because the order is cancelled already.
	AlreadyCancelled bool
	// OrderCancelled: a partial cancel was refused because the order is cancelled.
	OrderCancelled bool
	// Err is why there is no usable answer: the credentials, the request, or an undecodable 2xx.
	Err error
}

// Sentinel causes in Error.Err.
var (
	// errCredentials: the configured credentials are not "user:password".
	errCredentials = errors.New("BonifiQ credentials are not of the form user:password")
	// errRequest: the request is wrong before it is sent.
	errRequest = errors.New("invalid request")
)

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bonifiq %s:", e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d", e.Status)
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, " code %d", e.Code)
	}
	if e.CodeName != "" {
		fmt.Fprintf(&b, " %s", e.CodeName)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, " %s", e.Message)
	}
	for i, d := range e.Descriptions {
		name := descriptionNames[d]
		if name == "" {
			name = "description"
		}
		fmt.Fprintf(&b, "; %s (%d)", name, d)
		if i < len(e.Fields) && e.Fields[i] != "" {
			fmt.Fprintf(&b, " on %s", e.Fields[i])
		}
	}
	switch {
	case e.DuplicateKey:
		b.WriteString(" (CancelKey already used)")
	case e.NotCanceled, e.OrderCancelled:
		b.WriteString(" (cancel not confirmed: isCanceled is not true)")
	case e.Missing:
		b.WriteString(" (no such order)")
	case e.AlreadyCancelled:
		b.WriteString(" (order already cancelled)")
	case e.OrderCancelled:
		b.WriteString(" (order is cancelled)")
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " %v", e.Err)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status of BonifiQ's answer, 0 when there was none.
func (e *Error) HTTPStatus() int { return e.Status }

// Kind implements partner.Classified. BonifiQ's envelope decides before the HTTP status, because
// BonifiQ documents only 200 answers and may put a failure in a 200.
func (e *Error) Kind() partner.Kind {
	switch {
	case errors.Is(e.Err, errCredentials):
		return partner.Unauthorized
	case errors.Is(e.Err, errRequest):
		return partner.Permanent
	case e.Err != nil:
		return partner.Transient // no credentials yet (Secrets Manager), or a 2xx that is not BonifiQ's JSON
	case e.DuplicateKey:
		// We send one CancelKey per return event, so the key was used by an earlier attempt of
		// this same partial cancel: the refund is applied.
		return partner.AlreadyDone
	case e.AlreadyCancelled:
		return partner.AlreadyDone // what the cancel asked for holds
	case e.Status == 401 || e.Status == 403 || e.authEnvelope():
		return partner.Unauthorized
	}
	for _, d := range e.Descriptions {
		if d == DescCompletedOrderCannotBeCancelled {
			// Reversing a completed order by upsert: it goes through CancelOrder instead.
			return partner.Conflict
		}
	}
	switch {
	case len(e.Descriptions) > 0, e.RefundError:
		return partner.Permanent
	case e.NotCanceled, e.OrderCancelled:
		// BonifiQ did not cancel and did not say why (unknown order, already cancelled, a state
		// it will not cancel from): the same request gets the same answer. Look the order up.
		return partner.Conflict
	case e.Missing, e.Status == 404:
		return partner.NotFound
	case e.Status == 408 || e.Status == 429 || e.Status >= 500:
		return partner.Transient
	case e.Status >= 400:
		return partner.Permanent
	}
	// A 2xx with HasError and nothing to say what is wrong: BonifiQ's own failure, as far as can
	// be told. Retried within the call's attempts; a persistent one surfaces as Transient.
	return partner.Transient
}

// Refused implements the partner layer's refusal check: a 429 was turned away before BonifiQ acted.
func (e *Error) Refused() bool { return e.Err == nil && e.Status == 429 }

// authEnvelope reports whether an envelope without validation details says the credentials were
// refused. BonifiQ does not document how it refuses credentials; this reads its code and words.
func (e *Error) authEnvelope() bool {
	if len(e.Descriptions) > 0 {
		return false
	}
	if e.Code == 401 || e.Code == 403 {
		return true
	}
	return containsAny(strings.ToLower(e.Message+" "+e.CodeName),
		"unauthori", "not authori", "não autoriz", "nao autoriz", "forbidden", "credential", "credencia",
		"authentica", "autentica", "api key", "apikey", "api token", "basic auth")
}

// duplicateKeyText reports whether BonifiQ's words say a CancelKey was used before. BonifiQ
// documents that such a repeat fails, not how it says so: this matches loosely.
func duplicateKeyText(s string) bool {
	s = strings.ToLower(s)
	return containsAny(s, "cancelkey", "cancel key", "cancel_key", "chave de cancelamento") &&
		containsAny(s, "already", "used", "duplic", "exist", "same", "repeat", "já", "utiliz", "usad", "repet")
}

// alreadyCancelledText reports whether BonifiQ's words refuse a cancel because the order is
// cancelled already. Undocumented: matched loosely.
func alreadyCancelledText(s string) bool {
	s = strings.ToLower(s)
	return containsAny(s, "already", "já", "ja foi") && containsAny(s, "cancel")
}

// cancelledText reports whether BonifiQ's words refuse a partial cancel because the order is
// cancelled. Undocumented: matched loosely.
func cancelledText(s string) bool {
	return containsAny(strings.ToLower(s), "is cancelled", "is canceled", "was cancelled", "was canceled",
		"already cancelled", "already canceled", "está cancelado", "foi cancelado")
}

// valueRefusedText reports whether BonifiQ's words refuse a partial cancel's ValueToRefund (more
// than is left to refund). Undocumented: matched loosely.
func valueRefusedText(s string) bool {
	return containsAny(strings.ToLower(s), "valuetorefund", "value to refund", "valor a reembolsar", "valor do estorno")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// IsDuplicateCancelKey reports whether a partial cancel failed because its CancelKey was used before.
// With one key per return event, that means an earlier attempt was applied.
func IsDuplicateCancelKey(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.DuplicateKey
}

// IsUncertain reports whether a failed call may still have been applied by BonifiQ: no answer, a
// timeout or a 5xx, as opposed to a refusal.
func IsUncertain(err error) bool {
	return err != nil && !partner.Refused(err) && partner.KindOf(err) == partner.Transient
}
