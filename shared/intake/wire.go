package intake

import (
	"bytes"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/order"
)

// literal holds a JSON scalar as sent, number or string, so that ids and decimals arriving in
// either form decode, and a bad value is reported with its field name by the code that parses it.
type literal struct {
	raw string
	set bool
}

func (l *literal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		l.raw, l.set = "\x00composite", true
		return nil
	}
	if string(b) == "null" {
		return nil
	}
	l.set = true
	if len(b) >= 2 && b[0] == '"' {
		l.raw = strings.TrimSpace(string(b[1 : len(b)-1]))
		return nil
	}
	l.raw = string(b)
	return nil
}

// id reads an identifier: a non-empty string or integer without spaces or control characters.
func (l literal) id(field string, maxLen int) (string, *InputError) {
	if !l.set || l.raw == "" {
		return "", missing(field)
	}
	if len(l.raw) > maxLen {
		return "", invalid(field, "is longer than %d characters", maxLen)
	}
	for i := 0; i < len(l.raw); i++ {
		if c := l.raw[i]; c <= ' ' || c == 0x7f || c == '"' || c == '\\' {
			return "", invalid(field, "must be a number or a string without spaces, quotes or control characters")
		}
	}
	return l.raw, nil
}

// name reads a required free-text value (a number is taken as its digits).
func (l literal) name(field string, maxLen int) (string, *InputError) {
	v := strings.TrimSpace(l.raw)
	if !l.set || v == "" {
		return "", missing(field)
	}
	if v == "\x00composite" {
		return "", invalid(field, "must be a string or a number")
	}
	if len(v) > maxLen {
		return "", invalid(field, "is longer than %d characters", maxLen)
	}
	return v, nil
}

func (l literal) decimal(field string) (order.Decimal, *InputError) {
	if !l.set {
		return 0, missing(field)
	}
	d, err := order.ParseDecimal(l.raw)
	if err != nil {
		return 0, invalid(field, "must be a decimal number")
	}
	return d, nil
}

func (l literal) optionalDecimal(field string) (order.Decimal, *InputError) {
	if !l.set {
		return 0, nil
	}
	return l.decimal(field)
}

// email checks the shape of an address and normalises it to lower case: plenigo keys customers by
// email, so "John@X.com" and "john@x.com" must be one customer.
func email(field, s string) (string, *InputError) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", missing(field)
	}
	at := strings.LastIndexByte(s, '@')
	if len(s) > 100 || at < 1 || at == len(s)-1 || strings.ContainsAny(s, " \t\r\n<>,;\"") || !strings.Contains(s[at:], ".") {
		return "", invalid(field, "is not an email address plenigo accepts (at most 100 characters)")
	}
	return strings.ToLower(s), nil
}

// text trims a free-text field and caps it at plenigo's usual 100 characters (by runes).
func text(s string, max int) string {
	s = strings.TrimSpace(s)
	if len(s) <= max {
		return s
	}
	r := []rune(s)
	if len(r) > max {
		r = r[:max]
	}
	return string(r)
}

// date reads an RFC 3339 date-time or a full date (taken as midnight UTC).
func date(field, s string) (time.Time, *InputError) {
	if s == "" {
		return time.Time{}, missing(field)
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, invalid(field, "must be an RFC 3339 date-time (2026-12-01T00:00:00Z) or a date (2026-12-01)")
}

func language(field, s string) (string, *InputError) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	if len(s) != 2 || s[0] < 'a' || s[0] > 'z' || s[1] < 'a' || s[1] > 'z' {
		return "", invalid(field, "must be a two-letter ISO 639-1 code such as \"de\"")
	}
	return s, nil
}
