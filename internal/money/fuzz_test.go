package money

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"unicode"
)

// FuzzMulDivRound compares MulDivRound with the same computation in
// math/big.
func FuzzMulDivRound(f *testing.F) {
	for _, s := range [][3]int64{
		{5, 1, 2}, {-5, 1, 2}, {1, 1, 3}, {2, 1, 3}, {0, 0, 1}, {1, 1, 0}, {1, 1, -1},
		{math.MaxInt64, math.MaxInt64, math.MaxInt64}, {math.MinInt64, -1, 1},
		{math.MinInt64, 1, 2}, {65535, 281479271743489, 2}, {-65535, 281479271743489, 2},
		{253921, 145295143558111, 2}, {6173, 8_100_000, 100_000_000},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, x, num, den int64) {
		got, err := MulDivRound(x, num, den)
		if den <= 0 {
			if !errors.Is(err, ErrInvalidDenominator) {
				t.Fatalf("MulDivRound(%d, %d, %d) = %d, %v; want ErrInvalidDenominator", x, num, den, got, err)
			}
			return
		}
		want := refMulDivRound(x, num, den)
		if !want.IsInt64() {
			if !errors.Is(err, ErrOverflow) {
				t.Fatalf("MulDivRound(%d, %d, %d) = %d, %v; want ErrOverflow (exact %v)", x, num, den, got, err, want)
			}
			return
		}
		if err != nil || got != want.Int64() {
			t.Fatalf("MulDivRound(%d, %d, %d) = %d, %v; want %v", x, num, den, got, err, want)
		}
	})
}

// refMulDivRound is x*num/den rounded half away from zero, in math/big.
func refMulDivRound(x, num, den int64) *big.Int {
	p := new(big.Int).Mul(big.NewInt(x), big.NewInt(num))
	d := big.NewInt(den)
	q, r := new(big.Int).QuoRem(p, d, new(big.Int)) // truncates toward zero
	r.Abs(r).Lsh(r, 1)
	if r.Cmp(d) >= 0 {
		q.Add(q, big.NewInt(int64(p.Sign())))
	}
	return q
}

// FuzzParseRate checks that ParseRate never panics, returns ErrInvalidRate
// or a rate in range that equals the input read by math/big, and that
// String reads back to the same rate.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{
		"8.1", "19", "0", "7.725", "100", "100.000001", "0.000001", "08.10", "",
		"abc", "-1", "1e3", "101", " 8", "8.", ".5", "8.1234567", "1,000",
		"99999999999999999999",
	} {
		f.Add(s)
	}
	million := big.NewRat(1_000_000, 1)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidRate) {
				t.Fatalf("ParseRate(%q) error = %v; want ErrInvalidRate", s, err)
			}
			return
		}
		if r.Micro() < 0 || r.Micro() > 100_000_000 {
			t.Fatalf("ParseRate(%q).Micro() = %d; want 0..100000000", s, r.Micro())
		}
		exact, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("ParseRate(%q) = %v; math/big cannot read it", s, r)
		}
		if want := exact.Mul(exact, million); !want.IsInt() || want.Num().Int64() != r.Micro() {
			t.Fatalf("ParseRate(%q).Micro() = %d; want %v", s, r.Micro(), want)
		}
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseRate(%q) = %v, %v; want %v (from %q)", r.String(), back, err, r, s)
		}
		if back.String() != r.String() {
			t.Fatalf("ParseRate(%q).String() = %q; want it unchanged", r.String(), back.String())
		}
	})
}

// fuzzCurrencies are the currencies FuzzParseMajor picks from: 2, 0 and 3
// digits, with a symbol and without.
var fuzzCurrencies = []string{"EUR", "JPY", "KWD", "CHF", "USD"}

// FuzzParseMajor checks that ParseMajor never panics, fails only with its
// documented errors, and reads back what FormatPlain and Format print.
func FuzzParseMajor(f *testing.F) {
	for _, s := range []string{
		"12", "12.5", "12.50", "1,234.50", "", "-5", "12,50", ".5", "12.",
		"92233720368547758.07", "92233720368547758.08", " 1 ", "1.234",
	} {
		f.Add(s, int64(123456), uint8(0))
	}
	f.Add("0", int64(0), uint8(1))
	f.Add("1", int64(math.MaxInt64), uint8(2))
	f.Add("1", int64(math.MinInt64), uint8(3))
	f.Fuzz(func(t *testing.T, s string, minor int64, pick uint8) {
		cur := fuzzCurrencies[int(pick)%len(fuzzCurrencies)]

		a, err := ParseMajor(s, cur)
		if err != nil {
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("ParseMajor(%q, %q) error = %v; want ErrInvalidAmount", s, cur, err)
			}
		} else {
			if a.Minor < 0 || a.Currency != cur {
				t.Fatalf("ParseMajor(%q, %q) = %v; want a non-negative %s amount", s, cur, a, cur)
			}
			roundTrip(t, a)
		}

		if minor >= 0 {
			roundTrip(t, New(minor, cur))
		} else {
			_ = Format(New(minor, cur)) // must not panic
		}
	})
}

// roundTrip checks that ParseMajor reads a's plain and customer formats
// (the latter without its symbol or code) back to a.
func roundTrip(t *testing.T, a Amount) {
	t.Helper()
	plain := FormatPlain(a)
	if got, err := ParseMajor(plain, a.Currency); err != nil || got != a {
		t.Fatalf("ParseMajor(%q, %q) = %v, %v; want %v", plain, a.Currency, got, err, a)
	}
	grouped := strings.TrimLeftFunc(Format(a), func(r rune) bool { return !unicode.IsDigit(r) })
	if got, err := ParseMajor(grouped, a.Currency); err != nil || got != a {
		t.Fatalf("ParseMajor(%q, %q) = %v, %v; want %v", grouped, a.Currency, got, err, a)
	}
}
