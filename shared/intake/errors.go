package intake

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// badText is text that is not Unicode (wire.go says why it is refused rather than repaired).
func badText(field, message string) *InputError {
	return &InputError{Code: "invalid_utf8", Field: field, Message: message}
}

// decodeError turns an encoding/json error into an InputError naming the field where possible.
func decodeError(err error, prefix string) *InputError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &InputError{Code: "malformed_json", Field: prefix, Message: fmt.Sprintf("not valid JSON at byte %d: %s", syn.Offset, syn.Error())}
	case errors.As(err, &typ):
		field := typ.Field
		if prefix != "" {
			field = strings.TrimSuffix(prefix+"."+field, ".")
		}
		if field == "" {
			return &InputError{Code: "invalid_field", Field: prefix, Message: fmt.Sprintf("must be a JSON %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)}
		}
		return invalid(field, "must be a JSON %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)
	default:
		return &InputError{Code: "malformed_json", Field: prefix, Message: "not valid JSON: " + err.Error()}
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	default:
		return "number"
	}
}
