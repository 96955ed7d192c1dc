package order

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Decimal is a non-float number with exactly four fractional digits, stored as an integer count of
// ten-thousandths. Partners send prices and quantities with up to four decimals; floats would turn
// 41.1765 into 41.17649999… and make sums drift.
type Decimal int64

// DecimalScale is the number of Decimal units in 1.
const DecimalScale = 10000

// ErrDecimal is returned for text that is not a decimal number in range.
var ErrDecimal = errors.New("not a decimal number")

// ParseDecimal reads a JSON number such as "49", "-3.5", "41.1765" or "1e2". Digits past the fourth
// decimal are rounded half away from zero.
func ParseDecimal(s string) (Decimal, error) {
	if s == "" {
		return 0, ErrDecimal
	}
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > math.MaxInt64/DecimalScale {
			return 0, ErrDecimal
		}
		return Decimal(math.Round(f * DecimalScale)), nil
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || (hasDot && frac == "") {
		return 0, ErrDecimal
	}
	var v int64
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		if c < '0' || c > '9' {
			return 0, ErrDecimal
		}
		if v > (math.MaxInt64/DecimalScale-9)/10 {
			return 0, ErrDecimal
		}
		v = v*10 + int64(c-'0')
	}
	v *= DecimalScale
	unit := int64(DecimalScale / 10)
	roundUp := false
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, ErrDecimal
		}
		switch {
		case unit > 0:
			v += int64(c-'0') * unit
			unit /= 10
		case i == 4:
			roundUp = c >= '5'
		}
	}
	if roundUp {
		v++
	}
	if neg {
		v = -v
	}
	return Decimal(v), nil
}

// DecimalFromInt returns n as a Decimal.
func DecimalFromInt(n int64) Decimal { return Decimal(n * DecimalScale) }

// Whole returns the value as an integer and whether it has no fractional part.
func (d Decimal) Whole() (int64, bool) {
	return int64(d) / DecimalScale, int64(d)%DecimalScale == 0
}

// Times returns d × q rounded to four places, for a unit price times a quantity.
func (d Decimal) Times(q Decimal) Decimal {
	p := int64(d) * int64(q)
	half := int64(DecimalScale / 2)
	if p < 0 {
		half = -half
	}
	return Decimal((p + half) / DecimalScale)
}

// String renders the shortest exact form: "49", "41.1765", "-0.5".
func (d Decimal) String() string {
	v := int64(d)
	sign := ""
	if v < 0 {
		sign = "-"
		v = -v
	}
	whole, frac := v/DecimalScale, v%DecimalScale
	if frac == 0 {
		return sign + strconv.FormatInt(whole, 10)
	}
	fs := strings.TrimRight(fmt.Sprintf("%04d", frac), "0")
	return sign + strconv.FormatInt(whole, 10) + "." + fs
}

// MarshalJSON writes the decimal as a JSON number.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalJSON reads a JSON number (or a number in a string, as some partners send).
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := ParseDecimal(s)
	if err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	*d = v
	return nil
}
