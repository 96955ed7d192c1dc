package plentysim

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// Amounts, quantities and status ids are exact decimals: the simulator parses their text into a
// big.Rat and writes JSON numbers from it, never through a float.

// parseDec parses a decimal's text ("19.99", "-5", "1").
func parseDec(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "eE/") {
		return nil, false
	}
	return new(big.Rat).SetString(s)
}

// mustDec parses a decimal given by a test; empty means zero.
func mustDec(what, s string) *big.Rat {
	if strings.TrimSpace(s) == "" {
		return new(big.Rat)
	}
	r, ok := parseDec(s)
	if !ok {
		panic(fmt.Sprintf("plentysim: %s %q is not a decimal", what, s))
	}
	return r
}

// formatRat writes a decimal in its shortest form (149, 125.2101, 5.1), at most 4 places, as
// plentymarkets writes prices.
func formatRat(r *big.Rat) string {
	s := r.FloatString(4)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// num is a decimal as a JSON number.
func num(r *big.Rat) json.Number { return json.Number(formatRat(r)) }

// round2 rounds half away from zero to two places, as totals are.
func round2(r *big.Rat) *big.Rat {
	hundred := big.NewRat(100, 1)
	x := new(big.Rat).Mul(r, hundred)
	neg := x.Sign() < 0
	if neg {
		x.Neg(x)
	}
	x.Add(x, big.NewRat(1, 2))
	q := new(big.Int).Quo(x.Num(), x.Denom())
	if neg {
		q.Neg(q)
	}
	return new(big.Rat).SetFrac(q, big.NewInt(100))
}

func mul(a, b *big.Rat) *big.Rat { return new(big.Rat).Mul(a, b) }
func add(a, b *big.Rat) *big.Rat { return new(big.Rat).Add(a, b) }
func sub(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }
