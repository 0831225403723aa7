package inventory

import (
	"fmt"
	"strings"
	"unicode"
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
// and false for any other country.
func CallingCode(country string) (string, bool) {
	c, ok := countries[country]
	return c.calling, ok
}

// CountryName returns the English name of a supported country ("CH" ->
// "Switzerland"), or the code itself for any other.
func CountryName(country string) string {
	if c, ok := countries[country]; ok {
		return c.name
	}
	return country
}

// HasStates reports whether numbers of the country are filed under a state,
// province or territory: true for AU, CA and US. Validate then requires
// Row.State to be one of its codes, and for any other country requires it
// to be empty.
func HasStates(country string) bool {
	_, ok := states[country]
	return ok
}

// StateName returns the English name of a state, province or territory
// (("CA", "QC") -> "Quebec"), or the code itself when the country has no
// such state.
func StateName(country, state string) string {
	if name, ok := states[country][state]; ok {
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

// numberRule is a check on the national part of a country's numbers.
type numberRule int

const (
	ruleNone     numberRule = iota
	ruleNANP                // North America: 10 digits, area code and exchange start with 2-9
	ruleNoTrunk0            // the trunk prefix 0 is dropped after the calling code
)

// country is a country whose numbers can be in the inventory: its
// calling code, a rule on the national part, and how many digits the
// national (significant) number has, at least and at most, service
// numbers included (ITU-T E.164 national numbering plans: Australia's
// 1800 numbers have 10 digits, its others 9; Switzerland's 0800 up to 12).
type country struct {
	name     string
	calling  string
	rule     numberRule
	min, max int
}

// checkNumber reports what is wrong with an E.164 number for the country, or
// "".
func (c country) checkNumber(num string) string {
	cc := "+" + c.calling
	if !strings.HasPrefix(num, cc) {
		return "is not a number of " + c.name + " (" + cc + ")"
	}
	nsn := num[len(cc):]
	switch {
	case c.min == c.max && len(nsn) != c.min:
		return fmt.Sprintf("must have %d digits after %s, not %d", c.min, cc, len(nsn))
	case len(nsn) < c.min || len(nsn) > c.max:
		return fmt.Sprintf("must have %d to %d digits after %s, not %d", c.min, c.max, cc, len(nsn))
	}
	switch c.rule {
	case ruleNANP:
		if len(nsn) != 10 || nsn[0] < '2' || nsn[3] < '2' {
			return "must have 10 digits after +1, the area code and the exchange starting with 2-9"
		}
	case ruleNoTrunk0:
		if nsn[0] == '0' {
			return "must not have the trunk prefix 0 after " + cc
		}
	}
	return ""
}

// countries lists the supported countries by ISO 3166-1 alpha-2 code. The
// trunk-prefix rule is set only where no national number starts with 0
// (it does in Italy, for one).
var countries = map[string]country{
	"AT": {"Austria", "43", ruleNoTrunk0, 4, 13},
	"AU": {"Australia", "61", ruleNoTrunk0, 9, 10},
	"BE": {"Belgium", "32", ruleNoTrunk0, 8, 9},
	"CA": {"Canada", "1", ruleNANP, 10, 10},
	"CH": {"Switzerland", "41", ruleNoTrunk0, 9, 12},
	"CZ": {"Czechia", "420", ruleNone, 9, 9},
	"DE": {"Germany", "49", ruleNoTrunk0, 6, 13},
	"DK": {"Denmark", "45", ruleNone, 8, 8},
	"ES": {"Spain", "34", ruleNone, 9, 9},
	"FI": {"Finland", "358", ruleNoTrunk0, 5, 12},
	"FR": {"France", "33", ruleNoTrunk0, 9, 9},
	"GB": {"United Kingdom", "44", ruleNoTrunk0, 7, 10},
	"IE": {"Ireland", "353", ruleNoTrunk0, 7, 11},
	"IT": {"Italy", "39", ruleNone, 6, 11},
	"LU": {"Luxembourg", "352", ruleNone, 4, 11},
	"NL": {"Netherlands", "31", ruleNoTrunk0, 9, 9},
	"NO": {"Norway", "47", ruleNone, 8, 8},
	"NZ": {"New Zealand", "64", ruleNoTrunk0, 8, 10},
	"PL": {"Poland", "48", ruleNone, 9, 9},
	"PT": {"Portugal", "351", ruleNone, 9, 9},
	"SE": {"Sweden", "46", ruleNoTrunk0, 7, 13},
	"UA": {"Ukraine", "380", ruleNoTrunk0, 9, 9},
	"US": {"United States", "1", ruleNANP, 10, 10},
}

// states lists, for the countries whose numbers are filed by state, the
// codes (the postal abbreviations, which are also the ISO 3166-2 codes
// without the country prefix) and names. US territories in the North
// American plan are included; military mail codes are not.
var states = map[string]map[string]string{
	"AU": {
		"ACT": "Australian Capital Territory", "NSW": "New South Wales",
		"NT": "Northern Territory", "QLD": "Queensland", "SA": "South Australia",
		"TAS": "Tasmania", "VIC": "Victoria", "WA": "Western Australia",
	},
	"CA": {
		"AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba",
		"NB": "New Brunswick", "NL": "Newfoundland and Labrador",
		"NS": "Nova Scotia", "NT": "Northwest Territories", "NU": "Nunavut",
		"ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
		"SK": "Saskatchewan", "YT": "Yukon",
	},
	"US": {
		"AK": "Alaska", "AL": "Alabama", "AR": "Arkansas", "AS": "American Samoa",
		"AZ": "Arizona", "CA": "California", "CO": "Colorado", "CT": "Connecticut",
		"DC": "District of Columbia", "DE": "Delaware", "FL": "Florida",
		"GA": "Georgia", "GU": "Guam", "HI": "Hawaii", "IA": "Iowa", "ID": "Idaho",
		"IL": "Illinois", "IN": "Indiana", "KS": "Kansas", "KY": "Kentucky",
		"LA": "Louisiana", "MA": "Massachusetts", "MD": "Maryland", "ME": "Maine",
		"MI": "Michigan", "MN": "Minnesota", "MO": "Missouri",
		"MP": "Northern Mariana Islands", "MS": "Mississippi", "MT": "Montana",
		"NC": "North Carolina", "ND": "North Dakota", "NE": "Nebraska",
		"NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
		"NV": "Nevada", "NY": "New York", "OH": "Ohio", "OK": "Oklahoma",
		"OR": "Oregon", "PA": "Pennsylvania", "PR": "Puerto Rico",
		"RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
		"TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VA": "Virginia",
		"VI": "U.S. Virgin Islands", "VT": "Vermont", "WA": "Washington",
		"WI": "Wisconsin", "WV": "West Virginia", "WY": "Wyoming",
	},
}
