// Package money holds amounts of money as integer counts of a currency's
// minor unit, with exact rounding, tax-rate arithmetic, parsing and
// formatting. No floats are used anywhere: every result is computed exactly
// and rounded once, half away from zero.
package money

import (
	"errors"
	"fmt"

	gomoney "github.com/Rhymond/go-money"
)

// Errors returned by this package. Callers test them with errors.Is; the
// messages that wrap them say which input was wrong.
var (
	// ErrCurrencyMismatch is returned when two amounts of different
	// currencies are combined.
	ErrCurrencyMismatch = errors.New("money: currency mismatch")
	// ErrOverflow is returned when a result does not fit in an int64.
	ErrOverflow = errors.New("money: overflow")
	// ErrInvalidDenominator is returned by MulDivRound for a denominator
	// that is zero or negative.
	ErrInvalidDenominator = errors.New("money: denominator must be positive")
	// ErrInvalidRate is returned by ParseRate for a string that is not a
	// percentage between 0 and 100 with at most 6 decimal places.
	ErrInvalidRate = errors.New("money: invalid rate")
	// ErrInvalidAmount is returned by ParseMajor for a string that is not a
	// non-negative amount of the currency.
	ErrInvalidAmount = errors.New("money: invalid amount")
	// ErrUnknownCurrency is returned by ParseMajor for a currency code that
	// ValidCurrency rejects.
	ErrUnknownCurrency = errors.New("money: unknown currency")
)

// Amount is an integer count of a currency's minor unit (cents for EUR,
// yen for JPY, fils for KWD) plus an ISO 4217 code.
type Amount struct {
	Minor    int64
	Currency string
}

// New returns the amount of minor units in currency. It does not validate
// the code; use ValidCurrency where the code comes from outside.
func New(minor int64, currency string) Amount {
	return Amount{Minor: minor, Currency: currency}
}

// ValidCurrency reports whether code is an uppercase ISO 4217 code known to
// the go-money table. Entries of that table without an ISO numeric code
// (withdrawn codes such as EEK or LTL, and non-ISO ones such as GGP) are
// not valid: a customer cannot be billed in them.
func ValidCurrency(code string) bool {
	c := lookup(code)
	return c != nil && c.NumericCode != ""
}

// Digits returns the exponent of currency's minor unit: 2 for EUR, 0 for
// JPY, 3 for KWD. An unknown currency has 2.
func Digits(currency string) int {
	if c := lookup(currency); c != nil {
		return c.Fraction
	}
	return 2
}

// lookup finds code in go-money's table by its exact spelling (go-money
// itself would upper-case it, which we do not want: "eur" is not a code).
func lookup(code string) *gomoney.Currency {
	if len(code) != 3 {
		return nil
	}
	for i := 0; i < len(code); i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return nil
		}
	}
	return gomoney.GetCurrency(code)
}

// Add returns a+b. It returns ErrCurrencyMismatch if the currencies differ
// and ErrOverflow if the sum does not fit in an int64.
func (a Amount) Add(b Amount) (Amount, error) {
	if a.Currency != b.Currency {
		return Amount{}, fmt.Errorf("money: %s + %s: %w", a.Currency, b.Currency, ErrCurrencyMismatch)
	}
	s := a.Minor + b.Minor
	// Signed overflow happened iff both operands have the sign the sum lacks.
	if (a.Minor >= 0) == (b.Minor >= 0) && (s >= 0) != (a.Minor >= 0) {
		return Amount{}, fmt.Errorf("money: %v + %v: %w", a, b, ErrOverflow)
	}
	return Amount{Minor: s, Currency: a.Currency}, nil
}

// Sub returns a-b. It returns ErrCurrencyMismatch if the currencies differ
// and ErrOverflow if the difference does not fit in an int64.
func (a Amount) Sub(b Amount) (Amount, error) {
	if a.Currency != b.Currency {
		return Amount{}, fmt.Errorf("money: %s - %s: %w", a.Currency, b.Currency, ErrCurrencyMismatch)
	}
	d := a.Minor - b.Minor
	// Overflow iff the operands' signs differ and the result's sign is b's.
	if (a.Minor >= 0) != (b.Minor >= 0) && (d >= 0) != (a.Minor >= 0) {
		return Amount{}, fmt.Errorf("money: %v - %v: %w", a, b, ErrOverflow)
	}
	return Amount{Minor: d, Currency: a.Currency}, nil
}

// IsZero reports whether a is zero minor units, whatever its currency.
func (a Amount) IsZero() bool {
	return a.Minor == 0
}

// String returns the code and the plain number, as in "EUR 12.34",
// "JPY 1234" and "EUR -0.05". It is meant for logs and errors; customers
// see Format.
func (a Amount) String() string {
	if a.Currency == "" {
		return FormatPlain(a)
	}
	return a.Currency + " " + FormatPlain(a)
}
