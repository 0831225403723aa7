package address

import (
	"regexp"
	"strings"
	"unicode"
)

// vatFormat is the format of the VAT IDs one country issues. Only the format
// is checked: whether the number exists is for VIES or the HMRC/Swiss
// registers to say, and their check digits differ too much to be worth
// copying here.
type vatFormat struct {
	country string         // ISO 3166-1 code of the issuing country
	prefix  string         // what the ID starts with ("EL" for Greece)
	re      *regexp.Regexp // the whole normalized ID
	example string
}

// vatFormats covers the EU member states, Switzerland, the United Kingdom and
// Norway, sorted by country.
var vatFormats = []vatFormat{
	{"AT", "ATU", regexp.MustCompile(`^ATU[0-9]{8}$`), "ATU12345678"},
	{"BE", "BE", regexp.MustCompile(`^BE[01][0-9]{9}$`), "BE0123456789"},
	{"BG", "BG", regexp.MustCompile(`^BG[0-9]{9,10}$`), "BG123456789"},
	{"CH", "CHE", regexp.MustCompile(`^CHE[0-9]{9}(MWST|TVA|IVA)?$`), "CHE-123.456.789"},
	{"CY", "CY", regexp.MustCompile(`^CY[0-9]{8}[A-Z]$`), "CY12345678X"},
	{"CZ", "CZ", regexp.MustCompile(`^CZ[0-9]{8,10}$`), "CZ12345678"},
	{"DE", "DE", regexp.MustCompile(`^DE[0-9]{9}$`), "DE123456789"},
	{"DK", "DK", regexp.MustCompile(`^DK[0-9]{8}$`), "DK12345678"},
	{"EE", "EE", regexp.MustCompile(`^EE[0-9]{9}$`), "EE123456789"},
	// NIF (8 digits and a letter), NIE (X, Y or Z, 7 digits, a letter) and
	// CIF (a letter, 7 digits, a digit or letter).
	{"ES", "ES", regexp.MustCompile(`^ES([A-Z][0-9]{7}[A-Z0-9]|[0-9]{8}[A-Z])$`), "ESB12345678"},
	{"FI", "FI", regexp.MustCompile(`^FI[0-9]{8}$`), "FI12345678"},
	{"FR", "FR", regexp.MustCompile(`^FR[A-Z0-9]{2}[0-9]{9}$`), "FR12345678901"},
	// XI is the prefix of Northern Irish traders; GD and HA are government
	// departments and health authorities.
	{"GB", "GB", regexp.MustCompile(`^(GB|XI)([0-9]{9}|[0-9]{12}|GD[0-4][0-9]{2}|HA[5-9][0-9]{2})$`), "GB123456789"},
	{"GR", "EL", regexp.MustCompile(`^EL[0-9]{9}$`), "EL123456789"},
	{"HR", "HR", regexp.MustCompile(`^HR[0-9]{11}$`), "HR12345678901"},
	{"HU", "HU", regexp.MustCompile(`^HU[0-9]{8}$`), "HU12345678"},
	{"IE", "IE", regexp.MustCompile(`^IE([0-9]{7}[A-W][A-IW]?|[0-9][A-Z+*][0-9]{5}[A-W])$`), "IE1234567T"},
	{"IT", "IT", regexp.MustCompile(`^IT[0-9]{11}$`), "IT12345678901"},
	{"LT", "LT", regexp.MustCompile(`^LT([0-9]{9}|[0-9]{12})$`), "LT123456789"},
	{"LU", "LU", regexp.MustCompile(`^LU[0-9]{8}$`), "LU12345678"},
	{"LV", "LV", regexp.MustCompile(`^LV[0-9]{11}$`), "LV12345678901"},
	{"MT", "MT", regexp.MustCompile(`^MT[0-9]{8}$`), "MT12345678"},
	{"NL", "NL", regexp.MustCompile(`^NL[0-9]{9}B[0-9]{2}$`), "NL123456789B01"},
	{"NO", "NO", regexp.MustCompile(`^NO[0-9]{9}(MVA)?$`), "NO123456789MVA"},
	{"PL", "PL", regexp.MustCompile(`^PL[0-9]{10}$`), "PL1234567890"},
	{"PT", "PT", regexp.MustCompile(`^PT[0-9]{9}$`), "PT123456789"},
	{"RO", "RO", regexp.MustCompile(`^RO[1-9][0-9]{1,9}$`), "RO1234567"},
	{"SE", "SE", regexp.MustCompile(`^SE[0-9]{10}01$`), "SE123456789001"},
	{"SI", "SI", regexp.MustCompile(`^SI[0-9]{8}$`), "SI12345678"},
	{"SK", "SK", regexp.MustCompile(`^SK[0-9]{10}$`), "SK1234567890"},
}

// vatIssuer maps territories that use another country's VAT IDs to that
// country: Monaco is in the French VAT area, the Isle of Man in the British.
var vatIssuer = map[string]string{"MC": "FR", "IM": "GB"}

// otherVAT is the format accepted for tax IDs of countries without a format
// of their own.
var otherVAT = regexp.MustCompile(`^[A-Z0-9]{4,20}$`)

// checkVATID checks an optional, normalized VAT ID against the formats of
// the country that issues VAT IDs for addresses in country.
func checkVATID(country, vat string) *FieldError {
	if vat == "" {
		return nil
	}
	issuer := country
	if c, ok := vatIssuer[country]; ok {
		issuer = c
	}
	own, hasOwn := findVATFormat(func(f vatFormat) bool { return f.country == issuer })
	if hasOwn && own.re.MatchString(vat) {
		return nil
	}
	// A well-formed ID of another country is almost always the wrong
	// address or the wrong ID, and it matters for reverse charge.
	if other, ok := findVATFormat(func(f vatFormat) bool { return f.re.MatchString(vat) }); ok {
		return fieldErrorf("vat_id", "this VAT ID is from %s, but the billing address is in %s",
			inCountry(other.country), inCountry(country))
	}
	switch {
	case !hasOwn:
		if !otherVAT.MatchString(vat) {
			return fieldErrorf("vat_id", "VAT ID must be 4 to 20 letters and digits")
		}
		return nil
	case issuer == "GR" && strings.HasPrefix(vat, "GR"):
		return fieldErrorf("vat_id", "Greek VAT IDs start with EL, not GR, like %s", own.example)
	case !strings.HasPrefix(vat, own.prefix) && !(issuer == "GB" && strings.HasPrefix(vat, "XI")):
		return fieldErrorf("vat_id", "VAT ID must start with %s for an address in %s, like %s",
			own.prefix, inCountry(country), own.example)
	}
	return fieldErrorf("vat_id", "VAT ID must look like %s in %s", own.example, inCountry(country))
}

// findVATFormat returns the first format that satisfies match.
func findVATFormat(match func(vatFormat) bool) (vatFormat, bool) {
	for _, f := range vatFormats {
		if match(f) {
			return f, true
		}
	}
	return vatFormat{}, false
}

// normalizeVATID upper-cases a VAT ID and removes the spaces, dots and dashes
// people copy from letterheads ("CHE-123.456.789 MWST" -> "CHE123456789MWST").
func normalizeVATID(vat string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '.' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(vat))
}
