package money

import (
	"errors"
	"math"
	"strings"
)

// Reasons a decimal string is rejected; ParseRate and ParseMajor wrap them
// under their own sentinel so the message says what to fix.
var (
	errEmpty     = errors.New("empty")
	errSyntax    = errors.New("not a plain decimal number")
	errGrouping  = errors.New("thousands separators must split the whole part in groups of three")
	errPrecision = errors.New("too many decimal places")
	errTooLarge  = errors.New("too large")
)

// parseScaled parses an unsigned decimal string and returns its value times
// 10^scale, exactly. The accepted syntax is digits, optionally followed by
// "." and at least one digit; no sign, exponent, spaces, or leading ".".
// With grouping, the whole part may contain "," between groups of exactly
// three digits ("1,234,567"), so a European "12,50" is refused rather than
// read as 1250. More than scale decimals are refused even when they are
// zeros: the caller's precision is a contract, not a hint.
func parseScaled(s string, scale int, grouping bool) (int64, error) {
	if s == "" {
		return 0, errEmpty
	}
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") {
		return 0, errSyntax
	}
	if grouping && strings.Contains(whole, ",") {
		var err error
		if whole, err = ungroup(whole); err != nil {
			return 0, err
		}
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, errSyntax
	}
	if len(frac) > scale {
		return 0, errPrecision
	}
	var v int64
	for _, digits := range []string{whole, frac + strings.Repeat("0", scale-len(frac))} {
		for i := 0; i < len(digits); i++ {
			d := int64(digits[i] - '0')
			if v > (math.MaxInt64-d)/10 {
				return 0, errTooLarge
			}
			v = v*10 + d
		}
	}
	return v, nil
}

// ungroup removes the thousands separators of a whole part, checking that
// the first group has 1-3 digits and every later group exactly 3.
func ungroup(whole string) (string, error) {
	groups := strings.Split(whole, ",")
	if n := len(groups[0]); n < 1 || n > 3 {
		return "", errGrouping
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return "", errGrouping
		}
	}
	return strings.Join(groups, ""), nil
}

// allDigits reports whether s holds only ASCII digits (true for "").
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
