package intake

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// InputError is a problem with what the client sent. It names the field (a JSON path such as
// "resource.order.orderItems[0].quantity") so the sender can fix it; it is always the client's
// mistake, never a reason for a 5xx.
type InputError struct {
	Code    string `json:"code"` // malformed_json, missing_field, invalid_field, invalid_utf8
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

func missing(field string) *InputError {
	return &InputError{Code: "missing_field", Field: field, Message: "is required"}
}

func invalid(field, format string, args ...any) *InputError {
	return &InputError{Code: "invalid_field", Field: field, Message: fmt.Sprintf(format, args...)}
}

// within names the field of a problem found in a part of the body (an item, a purchase) as a field of
// the whole: prefix is where the part is. The field names are put together only for a problem.
func (e *InputError) within(prefix string) *InputError {
	if e.Field == "" {
		e.Field = prefix
	} else {
		e.Field = prefix + "." + e.Field
	}
	return e
}

// badText is text that is not Unicode (wire.go says why it is refused rather than repaired).
func badText(field, message string) *InputError {
	return &InputError{Code: "invalid_utf8", Field: field, Message: message}
}

// decodeError turns the decoder's error on body into an InputError naming the field. The decoder
// stops at the first problem, so that is the one answered.
func decodeError(err error, body []byte, prefix string) *InputError {
	var syn *jsontext.SyntacticError
	var sem *json.SemanticError
	switch {
	case errors.As(err, &syn):
		// Text that is not Unicode or a member sent twice: problems names the field as the sender
		// knows it. Anything else is not JSON.
		if p := problems(body, prefix); len(p) > 0 {
			return p[0]
		}
		return &InputError{Code: "malformed_json", Field: prefix, Message: fmt.Sprintf("not valid JSON at byte %d: %v", syn.ByteOffset, syn.Err)}
	case errors.As(err, &sem) && sem.GoType != nil:
		return &InputError{Code: "invalid_field", Field: fieldOf(prefix, sem.JSONPointer),
			Message: fmt.Sprintf("must be a JSON %s, not %s", jsonKind(sem.GoType.Kind()), kindName(sem.JSONKind))}
	case errors.As(err, &sem):
		return &InputError{Code: "invalid_field", Field: fieldOf(prefix, sem.JSONPointer), Message: "cannot be read: " + err.Error()}
	default:
		return &InputError{Code: "malformed_json", Field: prefix, Message: "not valid JSON: " + err.Error()}
	}
}

// fieldOf writes a JSON pointer the decoder reported as a field name: "/resource/order/orderItems/0"
// is "resource.order.orderItems[0]". The parsers' types name no member with digits only, so such a
// token is an array index.
func fieldOf(prefix string, p jsontext.Pointer) string {
	var b strings.Builder
	b.WriteString(prefix)
	for tok := range p.Tokens() {
		if tok != "" && strings.Trim(tok, "0123456789") == "" {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	default:
		return "number"
	}
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "another value"
}
