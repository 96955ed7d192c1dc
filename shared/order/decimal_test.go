package order

import "testing"

func TestParseDecimal(t *testing.T) {
	cases := map[string]struct {
		in   string
		want Decimal
		err  bool
	}{
		"integer":           {in: "49", want: 490000},
		"four places":       {in: "41.1765", want: 411765},
		"one place":         {in: "1.5", want: 15000},
		"negative":          {in: "-3.25", want: -32500},
		"round half up":     {in: "0.00005", want: 1},
		"round down":        {in: "0.00004", want: 0},
		"exponent":          {in: "1e2", want: 1000000},
		"plus sign":         {in: "+2", want: 20000},
		"empty":             {in: "", err: true},
		"dot only":          {in: ".", err: true},
		"trailing dot":      {in: "1.", err: true},
		"letters":           {in: "12a", err: true},
		"overflow":          {in: "99999999999999999999", err: true},
		"exponent overflow": {in: "1e300", err: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseDecimal(c.in)
			if c.err {
				if err == nil {
					t.Fatalf("ParseDecimal(%q) = %v, want error", c.in, got)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseDecimal(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
		})
	}
}

func TestDecimalStringRoundTrip(t *testing.T) {
	for _, s := range []string{"0", "49", "41.1765", "-0.5", "0.0001", "123456.78"} {
		d, err := ParseDecimal(s)
		if err != nil {
			t.Fatal(err)
		}
		if d.String() != s {
			t.Errorf("String() = %q, want %q", d.String(), s)
		}
	}
}

func TestDecimalWhole(t *testing.T) {
	if n, ok := DecimalFromInt(3).Whole(); !ok || n != 3 {
		t.Errorf("Whole(3) = %d, %v", n, ok)
	}
	if _, ok := Decimal(15000).Whole(); ok {
		t.Error("1.5 reported as whole")
	}
}
