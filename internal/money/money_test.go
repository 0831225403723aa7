package money

import (
	"errors"
	"math"
	"testing"
)

func TestValidCurrency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code string
		want bool
	}{
		{"EUR", true}, {"CHF", true}, {"USD", true}, {"UAH", true}, {"JPY", true},
		{"GBP", true}, {"KWD", true},
		{"eur", false}, {"Eur", false}, {"", false}, {"EU", false}, {"EURO", false},
		{"XYZ", false}, {" EUR", false},
		// In go-money's table but not (or no longer) ISO 4217 codes.
		{"EEK", false}, {"GGP", false}, {"LTL", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			if got := ValidCurrency(tt.code); got != tt.want {
				t.Fatalf("ValidCurrency(%q) = %v; want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestDigits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code string
		want int
	}{
		{"EUR", 2}, {"CHF", 2}, {"USD", 2}, {"JPY", 0}, {"KWD", 3}, {"BHD", 3},
		{"XYZ", 2}, {"", 2}, {"jpy", 2},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			if got := Digits(tt.code); got != tt.want {
				t.Fatalf("Digits(%q) = %d; want %d", tt.code, got, tt.want)
			}
		})
	}
}

func TestAddSub(t *testing.T) {
	t.Parallel()
	const (
		maxI = math.MaxInt64
		minI = math.MinInt64
	)
	type op func(a, b Amount) (Amount, error)
	add := func(a, b Amount) (Amount, error) { return a.Add(b) }
	sub := func(a, b Amount) (Amount, error) { return a.Sub(b) }
	tests := []struct {
		name    string
		op      op
		a, b    Amount
		want    Amount
		wantErr error
	}{
		{"AddOK", add, New(1250, "EUR"), New(-50, "EUR"), New(1200, "EUR"), nil},
		{"AddToMax", add, New(maxI-1, "EUR"), New(1, "EUR"), New(maxI, "EUR"), nil},
		{"AddToMin", add, New(minI+1, "EUR"), New(-1, "EUR"), New(minI, "EUR"), nil},
		{"AddMaxMin", add, New(maxI, "EUR"), New(minI, "EUR"), New(-1, "EUR"), nil},
		{"SubOK", sub, New(1250, "CHF"), New(1300, "CHF"), New(-50, "CHF"), nil},
		{"SubToMin", sub, New(-1, "EUR"), New(maxI, "EUR"), New(minI, "EUR"), nil},
		{"SubMinMin", sub, New(minI, "EUR"), New(minI, "EUR"), New(0, "EUR"), nil},
		{"AddErrCurrencyMismatch", add, New(1, "EUR"), New(1, "CHF"), Amount{}, ErrCurrencyMismatch},
		{"AddErrCurrencyMismatchEmpty", add, Amount{}, New(1, "EUR"), Amount{}, ErrCurrencyMismatch},
		{"SubErrCurrencyMismatch", sub, New(1, "USD"), New(1, "usd"), Amount{}, ErrCurrencyMismatch},
		{"AddErrOverflow", add, New(maxI, "EUR"), New(1, "EUR"), Amount{}, ErrOverflow},
		{"AddErrOverflowNeg", add, New(minI, "EUR"), New(-1, "EUR"), Amount{}, ErrOverflow},
		{"SubErrOverflow", sub, New(maxI, "EUR"), New(-1, "EUR"), Amount{}, ErrOverflow},
		{"SubErrOverflowNeg", sub, New(minI, "EUR"), New(1, "EUR"), Amount{}, ErrOverflow},
		{"SubErrOverflowZeroMinusMin", sub, New(0, "EUR"), New(minI, "EUR"), Amount{}, ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.op(tt.a, tt.b)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("(%v, %v) = %v, %v; want error %v", tt.a, tt.b, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("(%v, %v) = %v, %v; want %v", tt.a, tt.b, got, err, tt.want)
			}
		})
	}
}

func TestIsZero(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a    Amount
		want bool
	}{
		{Amount{}, true}, {New(0, "EUR"), true}, {New(1, "EUR"), false}, {New(-1, "JPY"), false},
	} {
		if got := tt.a.IsZero(); got != tt.want {
			t.Errorf("%#v.IsZero() = %v; want %v", tt.a, got, tt.want)
		}
	}
}

func TestString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a    Amount
		want string
	}{
		{New(1234, "EUR"), "EUR 12.34"},
		{New(1234, "JPY"), "JPY 1234"},
		{New(-5, "EUR"), "EUR -0.05"},
		{New(123456, "CHF"), "CHF 1234.56"},
		{New(1, "KWD"), "KWD 0.001"},
		{New(100, "XYZ"), "XYZ 1.00"},
		{Amount{}, "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.a.String(); got != tt.want {
				t.Fatalf("%#v.String() = %q; want %q", tt.a, got, tt.want)
			}
		})
	}
}
