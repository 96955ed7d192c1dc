package bonifiqsim

import (
	"encoding/json"
	"math/big"
)

// Money amounts (OrderTotal, ValueToRefund) are exact decimals: BonifiQ's back end takes .NET
// decimals, so the simulator parses the JSON number's text into a big.Rat and never a float.

// parseMoney parses a JSON number's text; ok is false for absent or malformed numbers.
func parseMoney(n json.Number) (*big.Rat, bool) {
	if n == "" {
		return nil, false
	}
	return new(big.Rat).SetString(string(n))
}

// points is floor(amount × perUnit): the points an amount earns, or takes back when refunded.
func points(amount *big.Rat, perUnit int64) int64 {
	p := new(big.Rat).Mul(amount, new(big.Rat).SetInt64(perUnit))
	q := new(big.Int).Div(p.Num(), p.Denom()) // Euclidean: floor, since Denom > 0
	return q.Int64()
}

// formatMoney writes an amount with at least two decimals and as many more as it needs
// (119.9 → "119.90", 1.2345 → "1.2345"). Amounts are sums of decimals, so a few places suffice; past
// 28 (a .NET decimal's precision) it rounds.
func formatMoney(r *big.Rat) string {
	ten := big.NewInt(10)
	scaled := new(big.Rat).Set(r)
	for k := 0; k <= 28; k++ {
		if k >= 2 && scaled.IsInt() {
			return r.FloatString(k)
		}
		scaled.Mul(scaled, new(big.Rat).SetInt(ten))
	}
	return r.FloatString(28)
}

// moneyNumber is an amount as a JSON number.
func moneyNumber(r *big.Rat) json.Number { return json.Number(formatMoney(r)) }
