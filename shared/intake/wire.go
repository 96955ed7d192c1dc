package intake

import (
	"bytes"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
)

// literalKind is what a literal was sent as.
type literalKind uint8

const (
	absent     literalKind = iota // not sent, or null
	kindText                      // a JSON string
	kindNumber                    // a JSON number
	kindOther                     // an object, an array or a boolean
)

// literal holds a JSON scalar that partners send either as a number or as a string (ids, marks,
// quantities, prices, timestamps), so that both forms decode and a bad value is reported with its
// field name by the code that reads it. A string is decoded ("M\u00fcller" is Müller, "47\/11" is
// 47/11: PHP's json_encode escapes both by default); a number keeps its text, so decimals stay exact
// (order.ParseDecimal, never float64). The decoder has checked the value, UTF-8 included.
type literal struct {
	text string
	kind literalKind
}

func (l *literal) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	v, err := dec.ReadValue()
	if err != nil {
		return err
	}
	switch v.Kind() {
	case 'n': // null: as if not sent
		*l = literal{}
	case '"':
		*l = literal{text: strings.TrimSpace(unquote(v)), kind: kindText}
	case '0':
		*l = literal{text: string(v), kind: kindNumber}
	default: // an object, an array or a boolean
		*l = literal{kind: kindOther}
	}
	return nil
}

// unquote decodes one JSON string (quotes included) that the decoder has already checked. Without a
// backslash there is nothing to decode and the text between the quotes is the value (FuzzUnquote
// holds that); only a string with an escape is decoded, at one allocation more.
func unquote(v jsontext.Value) string {
	if bytes.IndexByte(v, '\\') < 0 {
		return string(v[1 : len(v)-1])
	}
	b, _ := jsontext.AppendUnquote(nil, v) // an error is text that is not UTF-8, only when decoding leniently
	return string(b)
}

// id reads an identifier: a non-empty string without spaces, quotes or control characters, or a
// whole number. It becomes part of an order id, which is the idempotency key: two spellings of one
// number (7 and 7.0) would make two orders, and a space or control character would not survive
// every hop to plenigo.
func (l literal) id(field string, maxLen int) (string, *InputError) {
	switch {
	case l.kind == absent || (l.kind == kindText && l.text == ""):
		return "", missing(field)
	case l.kind == kindOther:
		return "", invalid(field, "must be a string or a whole number")
	case l.kind == kindNumber && strings.Trim(l.text, "0123456789") != "":
		return "", invalid(field, "must be a string or a whole number")
	case len(l.text) > maxLen:
		return "", invalid(field, "is longer than %d bytes", maxLen)
	}
	for _, r := range l.text {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '"' || r == '\\' {
			return "", invalid(field, "must be a number or a string without spaces, quotes or control characters")
		}
	}
	return l.text, nil
}

// name reads a required free-text value (a number is taken as its digits).
func (l literal) name(field string, maxLen int) (string, *InputError) {
	v, ierr := l.optionalName(field, maxLen)
	if ierr == nil && v == "" {
		return "", missing(field)
	}
	return v, ierr
}

// optionalName reads a free-text value that may be absent ("").
func (l literal) optionalName(field string, maxLen int) (string, *InputError) {
	if l.kind == kindOther {
		return "", invalid(field, "must be a string or a number")
	}
	if len(l.text) > maxLen {
		return "", invalid(field, "is longer than %d characters", maxLen)
	}
	return l.text, nil
}

func (l literal) decimal(field string) (order.Decimal, *InputError) {
	if l.kind == absent {
		return 0, missing(field)
	}
	d, err := order.ParseDecimal(l.text)
	if l.kind == kindOther || err != nil {
		return 0, invalid(field, "must be a decimal number")
	}
	return d, nil
}

func (l literal) optionalDecimal(field string) (order.Decimal, *InputError) {
	if l.kind == absent {
		return 0, nil
	}
	return l.decimal(field)
}

// quantity reads an item quantity. plenigo imports whole quantities from 1 to mapping.MaxQuantity
// and no change to the mapping can make another quantity importable, so anything else is the
// sender's mistake and refused here, rather than stored as REJECTED waiting for a fix that cannot
// come. "2.0" is two; "1.00001" is not one, although order.ParseDecimal rounds it to 1.0000.
func (l literal) quantity(field string) (order.Decimal, *InputError) {
	d, ierr := l.decimal(field)
	if ierr != nil {
		return 0, ierr
	}
	n, whole := d.Whole()
	if _, frac, ok := strings.Cut(l.text, "."); ok && !strings.ContainsAny(l.text, "eE") && strings.Trim(frac, "0") != "" {
		whole = false
	}
	if !whole || n < 1 || n > mapping.MaxQuantity {
		return 0, invalid(field, "must be a whole number from 1 to %d", mapping.MaxQuantity)
	}
	return d, nil
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

// What the decoder refuses. Text that is not Unicode is refused, never repaired: encoding/json
// turned invalid UTF-8 (Latin-1 "Müller" is M\xfcller) and unpaired UTF-16 surrogate escapes
// ("\ud800") into U+FFFD, which would make different ids one ("M\xfcller-1" and "M\xe4ller-1" are
// both "M\ufffdller-1", so the second purchase would be answered as a duplicate of the first) and
// would pass a damaged name on to plenigo. A member name sent twice in one object is refused too:
// which of the two values counts is a guess each JSON reader makes its own way (docs/decisions.md).
// The decoder checks both in its one pass; problems then names the field for the answer.

// problems returns a problem for every string in body that is not valid Unicode and every member
// name sent twice in one object, naming the field as prefix plus its JSON path, in the order they
// appear, up to the first syntax error. It walks the body token by token, so it runs only once the
// decoder has refused the body.
func problems(body []byte, prefix string) []*InputError {
	type frame struct {
		array   bool
		index   int                 // of the current element (arrays)
		key     string              // of the current member (objects)
		wantKey bool                // the next string is a member name (objects)
		names   map[string]struct{} // the member names so far (objects)
	}
	var stack []frame
	pathOf := func(frames []frame) string {
		var b strings.Builder
		b.WriteString(prefix)
		for _, f := range frames {
			if f.array {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		return b.String()
	}
	valueDone := func() {
		if len(stack) == 0 {
			return
		}
		if top := &stack[len(stack)-1]; top.array {
			top.index++
		} else {
			top.wantKey = true
		}
	}
	var found []*InputError
	// Lenient, so that the walk goes on past what it reports.
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))
	for {
		start := dec.InputOffset()
		tok, err := dec.ReadToken()
		if err != nil { // the end, or a syntax error the caller reports
			return found
		}
		raw := body[start:dec.InputOffset()] // the token, after any white space, ',' or ':'
		switch k := tok.Kind(); k {
		case '{', '[':
			stack = append(stack, frame{array: k == '[', wantKey: k == '{'})
		case '}', ']':
			stack = stack[:len(stack)-1]
			valueDone()
		case '"':
			ok := validText(raw[bytes.IndexByte(raw, '"'):])
			if top := len(stack) - 1; top >= 0 && !stack[top].array && stack[top].wantKey {
				f := &stack[top]
				f.key, f.wantKey = tok.String(), false
				if !ok {
					found = append(found, badText(pathOf(stack[:top]), "holds a member name that is not valid UTF-8"))
				}
				if _, twice := f.names[f.key]; twice {
					found = append(found, invalid(pathOf(stack), "is sent more than once in one object; send each member once"))
				}
				if f.names == nil {
					f.names = map[string]struct{}{}
				}
				f.names[f.key] = struct{}{}
				continue
			}
			if !ok {
				found = append(found, badText(pathOf(stack), "is not valid UTF-8: send text as UTF-8 (JSON's own encoding) and escape only whole characters"))
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// validText reports whether a JSON string as sent (quotes included; syntax already checked) is
// valid UTF-8 whose \u escapes are whole characters: a UTF-16 surrogate escape must be the high half
// followed by the low half, as json_encode writes characters beyond the BMP ("\ud83d\ude00").
func validText(s []byte) bool {
	if !utf8.Valid(s) {
		return false
	}
	hex := func(i int) rune {
		if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
			return -1
		}
		v, err := strconv.ParseUint(string(s[i+2:i+6]), 16, 16)
		if err != nil {
			return -1
		}
		return rune(v)
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		r := hex(i)
		if r < 0 { // another escape (\", \\, \/, \n …): skip the escaped character
			i++
			continue
		}
		i += 5
		if !utf16.IsSurrogate(r) {
			continue
		}
		if r >= 0xdc00 || utf16.DecodeRune(r, hex(i+1)) == utf8.RuneError {
			return false
		}
		i += 6
	}
	return true
}
