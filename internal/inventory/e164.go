package inventory

import (
	"strings"
	"unicode"

	"github.com/dialtone/dialtone/internal/address"
)

// E164 normalizes a phone number and reports whether it is one in E.164
// form. Normalizing trims the input, drops a trunk prefix written "(0)"
// ("+49 (0)30 …"), removes spaces, dashes, dots, slashes and parentheses,
// and turns a leading "00" into "+". The result must be "+" and 8 to 15
// digits, the first not 0. The calling code is not checked against any
// country (Validate does that), so the function also serves search input.
// Any number it accepts is returned unchanged by a second call.
func E164(s string) (string, bool) {
	n, problem := parseE164(s)
	return n, problem == ""
}

// parseE164 is E164 with the reason for a rejection; problem is "" when the
// number is accepted.
func parseE164(s string) (number, problem string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "required"
	}
	if i := strings.Index(s, "(0)"); i >= 0 {
		// A trunk prefix written after the calling code ("+49 (0)30 …"):
		// anywhere else the parentheses would hide a digit of the number.
		if !trunkAfterCallingCode(s[:i]) {
			return "", `may have "(0)" only right after the country calling code (+49 (0)30 …)`
		}
		s = s[:i] + s[i+3:]
	}
	var buf [20]byte
	digits, plus := buf[:0], false
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if len(digits) == len(buf) {
				return "", "must have at most 15 digits"
			}
			digits = append(digits, byte(r))
		case r == '+' && !plus && len(digits) == 0:
			plus = true
		case r == '+':
			return "", `must have "+" only at the start`
		case isSeparator(r):
		default:
			return "", "must contain only digits, +, spaces, dashes, dots and parentheses"
		}
	}
	if !plus {
		if len(digits) < 2 || digits[0] != '0' || digits[1] != '0' {
			return "", `must start with "+" (or "00") and the country calling code`
		}
		digits = digits[2:]
	}
	switch {
	case len(digits) < 8 || len(digits) > 15:
		return "", "must have 8 to 15 digits after the +"
	case digits[0] == '0':
		return "", "must not start with 0 after the +: no calling code does"
	}
	return "+" + string(digits), ""
}

// isSeparator reports whether r is punctuation people put in phone numbers.
func isSeparator(r rune) bool {
	switch r {
	case '-', '.', '(', ')', '/', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2212':
		return true
	}
	return unicode.IsSpace(r)
}

// CallingCode returns the country calling code, without "+", of a supported
// country given as an upper-case ISO 3166-1 alpha-2 code ("DE" -> "49"),
// and false for any other country. The codes are libphonenumber's.
func CallingCode(country string) (string, bool) {
	p, ok := plans()[country]
	if !ok {
		return "", false
	}
	return p.calling, true
}

// CountryName returns the English name of a supported country ("CH" ->
// "Switzerland"), as internal/address names it, or the code itself for any
// other.
func CountryName(country string) string {
	if p, ok := plans()[country]; ok {
		return p.name
	}
	return country
}

// HasStates reports whether numbers of the country are filed under a state,
// province or territory: true for AU, CA and US. Validate then requires
// Row.State to be one of its codes, and for any other country requires it
// to be empty.
func HasStates(country string) bool {
	return address.HasStates(country)
}

// StateName returns the English name of a state, province or territory
// (("CA", "QC") -> "Quebec"), or the code itself when the country has no
// such state. The states are those of address.PhoneState: internal/address
// holds the one table of them.
func StateName(country, state string) string {
	if name, ok := address.PhoneState(country, state); ok {
		return name
	}
	return state
}

// trunkAfterCallingCode reports whether what stands before a "(0)" is a
// calling code alone: "+" or "00" and one to three digits, separators
// aside.
func trunkAfterCallingCode(before string) bool {
	var digits []rune
	plus := false
	for _, r := range before {
		switch {
		case r == '+' && !plus && len(digits) == 0:
			plus = true
		case r >= '0' && r <= '9':
			digits = append(digits, r)
		case isSeparator(r):
		default:
			return false
		}
	}
	if !plus {
		if len(digits) < 2 || digits[0] != '0' || digits[1] != '0' {
			return false
		}
		digits = digits[2:]
	}
	return len(digits) >= 1 && len(digits) <= 3
}
