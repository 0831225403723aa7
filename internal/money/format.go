package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// symbol returns the sign customers know currency by, or "" to show the
// code instead. "$" alone could be USD, CAD or AUD, and "¥" JPY or CNY, so
// each symbol belongs to one currency only.
func symbol(currency string) string {
	switch currency {
	case "EUR":
		return "€"
	case "USD":
		return "$"
	case "GBP":
		return "£"
	case "JPY":
		return "¥"
	}
	return ""
}

// Format formats a for a customer: the sign, the symbol or the code, and
// the number with the currency's digits and "," between thousands.
// EUR 123456 is "€1,234.56", CHF 123456 is "CHF 1,234.56", JPY 1234 is
// "¥1,234", EUR -500 is "-€5.00" and CHF -500 is "-CHF 5.00".
func Format(a Amount) string {
	whole, frac := split(a)
	var b strings.Builder
	if a.Minor < 0 {
		b.WriteByte('-')
	}
	if sym := symbol(a.Currency); sym != "" {
		b.WriteString(sym)
	} else if a.Currency != "" {
		b.WriteString(a.Currency)
		b.WriteByte(' ')
	}
	b.WriteString(group(whole))
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// FormatPlain returns the number alone, with the currency's digits and no
// grouping: "1234.56", "-0.05", "1234" for JPY. ParseMajor reads it back
// (for amounts that are not negative). For CSV files and form values.
func FormatPlain(a Amount) string {
	whole, frac := split(a)
	s := whole
	if frac != "" {
		s += "." + frac
	}
	if a.Minor < 0 {
		s = "-" + s
	}
	return s
}

// split returns the digits of |a| before and after the decimal point; the
// second is empty for a currency without minor units.
func split(a Amount) (whole, frac string) {
	digits := Digits(a.Currency)
	s := strconv.FormatUint(abs(a.Minor), 10)
	if digits == 0 {
		return s, ""
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return s[:len(s)-digits], s[len(s)-digits:]
}

// group puts "," between groups of three digits, counted from the right.
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	first := len(digits) % 3
	if first == 0 {
		first = 3
	}
	b.WriteString(digits[:first])
	for i := first; i < len(digits); i += 3 {
		b.WriteByte(',')
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// ParseMajor parses an amount a customer typed in major units of currency
// ("12", "12.5", "12.50", "1,234.50") into minor units. Spaces around the
// number are ignored. It accepts "," only between groups of three digits of
// the whole part, and "." only as the decimal point followed by at least
// one digit. It returns an error wrapping ErrUnknownCurrency if
// ValidCurrency rejects currency, and ErrInvalidAmount for an empty string,
// a sign, anything but a plain number, more decimals than the currency has
// ("1.234" in EUR, "5.0" in JPY), or a value too large for an int64 (that
// error wraps ErrOverflow too).
func ParseMajor(s string, currency string) (Amount, error) {
	if !ValidCurrency(currency) {
		return Amount{}, fmt.Errorf("%w %q", ErrUnknownCurrency, currency)
	}
	v, err := parseScaled(strings.TrimSpace(s), Digits(currency), true)
	switch {
	case errors.Is(err, errTooLarge):
		return Amount{}, fmt.Errorf("%w %q: %w", ErrInvalidAmount, s, ErrOverflow)
	case errors.Is(err, errPrecision):
		return Amount{}, fmt.Errorf("%w %q: %s has %d decimal places", ErrInvalidAmount, s, currency, Digits(currency))
	case err != nil:
		return Amount{}, fmt.Errorf("%w %q: %w", ErrInvalidAmount, s, err)
	}
	return Amount{Minor: v, Currency: currency}, nil
}

// FormatNumber is Format without the symbol or code: the sign and the
// grouped number with the currency's digits ("1,234.56", "-5.00", "1,234"
// for JPY). For columns whose currency is said once, in their heading.
func FormatNumber(a Amount) string {
	whole, frac := split(a)
	s := group(whole)
	if frac != "" {
		s += "." + frac
	}
	if a.Minor < 0 {
		s = "-" + s
	}
	return s
}
