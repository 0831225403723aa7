package address

import (
	"regexp"
	"strings"
)

// postalRule is the format of a country's postal codes.
type postalRule struct {
	re   *regexp.Regexp
	want string // completes "postal code must be ... in <country>"
	// reject, if set, refuses codes the pattern lets through.
	reject func(string) bool
}

// postalRules holds the countries whose postal code format we check exactly.
// The patterns expect the canonical form Normalize produces (upper case, one
// space where the country writes one).
var postalRules = map[string]postalRule{
	"AT": {re: regexp.MustCompile(`^[1-9][0-9]{3}$`), want: "4 digits, like 1010,"},
	"AU": {re: regexp.MustCompile(`^[0-9]{4}$`), want: "4 digits, like 2000,"},
	"BE": {re: regexp.MustCompile(`^[1-9][0-9]{3}$`), want: "4 digits, like 1000,"},
	// Letters D, F, I, O, Q and U never occur; W and Z never come first.
	"CA": {
		re:   regexp.MustCompile(`^[ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z] [0-9][ABCEGHJ-NPRSTV-Z][0-9]$`),
		want: "a postal code like K1A 0B1",
	},
	"CH": {re: regexp.MustCompile(`^[1-9][0-9]{3}$`), want: "4 digits, like 8001,"},
	"DE": {re: regexp.MustCompile(`^[0-9]{5}$`), want: "5 digits, like 10115,"},
	// Province 01-52 in the first two digits.
	"ES": {re: regexp.MustCompile(`^(0[1-9]|[1-4][0-9]|5[0-2])[0-9]{3}$`), want: "5 digits starting with 01 to 52, like 28013,"},
	"FR": {re: regexp.MustCompile(`^[0-9]{5}$`), want: "5 digits, like 75008,"},
	// Outward code A9, A99, AA9, AA99, A9A or AA9A with the Royal Mail
	// letter rules, then the inward code 9AA; GIR 0AA is Girobank's.
	"GB": {
		re:   regexp.MustCompile(`^(GIR 0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY]) [0-9][ABD-HJLNP-UW-Z]{2})$`),
		want: "a postcode like SW1A 1AA",
	},
	// Eircode: routing key (a letter and two digits, or D6W) and a unique
	// identifier of four characters from a reduced alphabet.
	"IE": {
		re:   regexp.MustCompile(`^([AC-FHKNPRTV-Y][0-9]{2}|D6W) [0-9AC-FHKNPRTV-Y]{4}$`),
		want: "an Eircode like D02 X285",
	},
	"IT": {re: regexp.MustCompile(`^[0-9]{5}$`), want: "5 digits, like 00184,"},
	// SA, SD and SS are not issued.
	"NL": {
		re:   regexp.MustCompile(`^[1-9][0-9]{3} [A-Z]{2}$`),
		want: "4 digits and 2 letters, like 1012 AB,",
		reject: func(s string) bool {
			return strings.HasSuffix(s, " SA") || strings.HasSuffix(s, " SD") || strings.HasSuffix(s, " SS")
		},
	},
	"PL": {re: regexp.MustCompile(`^[0-9]{2}-[0-9]{3}$`), want: "written like 00-950"},
	"SE": {re: regexp.MustCompile(`^[0-9]{3} [0-9]{2}$`), want: "5 digits written like 114 55"},
	"UA": {re: regexp.MustCompile(`^[0-9]{5}$`), want: "5 digits, like 01001,"},
	"US": {re: regexp.MustCompile(`^[0-9]{5}(-[0-9]{4})?$`), want: "a ZIP code of 5 digits or ZIP+4, like 12345 or 12345-6789,"},
}

// defaultPostal is the format accepted in countries without a rule of their
// own: 1 to 10 letters, digits, spaces or dashes, starting with a letter or
// digit.
var defaultPostal = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 -]{0,9}$`)

// noPostalCode lists countries where addresses commonly have no postal code,
// so the field is optional there (and checked with the default format when
// given). Ireland is here because many customers do not know their Eircode;
// one that is given must be valid.
var noPostalCode = map[string]bool{
	"AE": true, "AG": true, "AO": true, "AQ": true, "AW": true, "BF": true,
	"BI": true, "BJ": true, "BO": true, "BQ": true, "BS": true, "BW": true,
	"BZ": true, "CD": true, "CF": true, "CG": true, "CI": true, "CK": true,
	"CM": true, "CW": true, "DJ": true, "DM": true, "ER": true, "FJ": true,
	"GA": true, "GD": true, "GH": true, "GM": true, "GQ": true, "GY": true,
	"HK": true, "HM": true, "IE": true, "JM": true, "KI": true, "KM": true,
	"KN": true, "KP": true, "LY": true, "ML": true, "MO": true, "MR": true,
	"MW": true, "NR": true, "NU": true, "QA": true, "RW": true, "SB": true,
	"SC": true, "SL": true, "SR": true, "SS": true, "ST": true, "SX": true,
	"SY": true, "TD": true, "TF": true, "TG": true, "TK": true, "TL": true,
	"TO": true, "TV": true, "UG": true, "VU": true, "YE": true, "ZW": true,
}

// PostalCodeRequired reports whether an address in the country (an
// upper-case ISO 3166-1 alpha-2 code) must have a postal code. It is false
// for countries that do not use postal codes (e.g. HK, AE) and for Ireland,
// where the Eircode is optional.
func PostalCodeRequired(country string) bool {
	return !noPostalCode[country]
}

// checkPostalCode checks pc against the rules of a valid country code.
func checkPostalCode(country, pc string) *FieldError {
	if strings.TrimSpace(pc) == "" {
		if !PostalCodeRequired(country) {
			return nil
		}
		return fieldErrorf("postal_code", "postal code is required for an address in %s", inCountry(country))
	}
	if r, ok := postalRules[country]; ok {
		if !r.re.MatchString(pc) || (r.reject != nil && r.reject(pc)) {
			return fieldErrorf("postal_code", "postal code must be %s in %s", r.want, inCountry(country))
		}
		return nil
	}
	if !defaultPostal.MatchString(pc) {
		return fieldErrorf("postal_code", "postal code must be 1 to 10 letters, digits, spaces or dashes")
	}
	return nil
}

// normalizePostalCode upper-cases pc and, in countries that write their codes
// with a fixed separator, puts it where it belongs ("sw1a1aa" -> "SW1A 1AA",
// "00950" -> "00-950"). A code of the wrong length is left as typed, for
// Validate to reject.
func normalizePostalCode(country, pc string) string {
	pc = strings.ToUpper(strings.TrimSpace(pc))
	compact := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, pc)
	if !isASCII(compact) {
		return pc
	}
	switch n := len(compact); {
	case country == "GB" && n >= 5 && n <= 7:
		return compact[:n-3] + " " + compact[n-3:]
	case country == "CA" && n == 6, country == "IE" && n == 7:
		return compact[:3] + " " + compact[3:]
	case country == "NL" && n == 6:
		return compact[:4] + " " + compact[4:]
	case country == "SE" && n == 5:
		return compact[:3] + " " + compact[3:]
	case country == "PL" && n == 5:
		return compact[:2] + "-" + compact[2:]
	}
	return pc
}

// isASCII reports whether s holds only ASCII bytes, so that it can be sliced
// anywhere.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
