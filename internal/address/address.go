// Package address normalizes and validates customers' billing addresses:
// required fields, ISO 3166-1 country codes, postal code formats per country,
// states where a country needs them, and the format of VAT IDs.
//
// Callers run Normalize on what the customer typed, then Validate on the
// result, and store the normalized address. Validate reports the first
// problem as a *FieldError that names the field, so the API can answer 400
// and the portal can mark the input.
package address

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dialtone/dialtone/internal/market"
)

// FieldError says which field of an Address is wrong and why, in words a
// customer understands.
type FieldError struct {
	// Field is the field's JSON name: "name", "line1", "line2", "city",
	// "postal_code", "state", "country" or "vat_id".
	Field string
	// Message is a sentence for the customer, e.g. "postal code must be 4
	// digits, like 8001, in Switzerland".
	Message string
}

// Error returns the field name and the message.
func (e *FieldError) Error() string {
	return e.Field + ": " + e.Message
}

// fieldErrorf returns a *FieldError with a formatted message.
func fieldErrorf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// maxText is the longest a text field may be, in characters.
const maxText = 100

// Normalize returns the address with spaces trimmed from every field, Country
// upper-cased, the VAT ID upper-cased without spaces, dots and dashes, the
// state code upper-cased where HasStates, and the postal code upper-cased and
// written in the country's canonical form where it has a fixed separator: GB
// "sw1a1aa" -> "SW1A 1AA", CA "k1a0b1" -> "K1A 0B1", NL "1234ab" -> "1234 AB",
// IE "d02x285" -> "D02 X285", SE "11455" -> "114 55", PL "00950" -> "00-950".
// It never fails; Validate says whether the result is acceptable.
// Normalize(Normalize(a)) == Normalize(a) for every address Validate accepts.
func Normalize(a market.Address) market.Address {
	n := market.Address{
		Name:    strings.TrimSpace(a.Name),
		Line1:   strings.TrimSpace(a.Line1),
		Line2:   strings.TrimSpace(a.Line2),
		City:    strings.TrimSpace(a.City),
		State:   strings.TrimSpace(a.State),
		Country: strings.ToUpper(strings.TrimSpace(a.Country)),
		VATID:   normalizeVATID(a.VATID),
	}
	n.PostalCode = normalizePostalCode(n.Country, a.PostalCode)
	if HasStates(n.Country) {
		n.State = strings.ToUpper(n.State)
	}
	return n
}

// Validate checks a normalized address and returns its first problem as a
// *FieldError, or nil. Fields are checked in the order name, line1, line2,
// city, country, postal_code, state, vat_id: the country comes before the
// fields whose rules depend on it.
//
// Name, line1, city and country are required. Text fields are at most 100
// characters of valid UTF-8 without control characters. The postal code is
// required except where PostalCodeRequired is false, and must have the
// country's format. The state must be a code from States where HasStates,
// and is optional free text elsewhere. The VAT ID is optional; when given it
// must have the format of the country that issues VAT IDs for the address
// (EU, CH, GB, NO; "EL" for Greece), or be 4 to 20 letters and digits
// elsewhere, and must not be another European country's VAT ID.
func Validate(a market.Address) error {
	checks := []func() *FieldError{
		func() *FieldError { return checkText("name", "name", a.Name, true) },
		func() *FieldError { return checkText("line1", "address line 1", a.Line1, true) },
		func() *FieldError { return checkText("line2", "address line 2", a.Line2, false) },
		func() *FieldError { return checkText("city", "city", a.City, true) },
		func() *FieldError { return checkCountry(a.Country) },
		func() *FieldError { return checkPostalCode(a.Country, a.PostalCode) },
		func() *FieldError { return checkState(a.Country, a.State) },
		func() *FieldError { return checkVATID(a.Country, a.VATID) },
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// checkText checks a free-text field; label is how the message names it.
func checkText(field, label, v string, required bool) *FieldError {
	switch {
	case strings.TrimSpace(v) == "":
		if required {
			return fieldErrorf(field, "%s is required", label)
		}
	case !utf8.ValidString(v):
		return fieldErrorf(field, "%s contains characters that are not valid text", label)
	case utf8.RuneCountInString(v) > maxText:
		return fieldErrorf(field, "%s must be at most %d characters", label, maxText)
	case strings.ContainsFunc(v, unicode.IsControl):
		return fieldErrorf(field, "%s must not contain line breaks, tabs or other control characters", label)
	}
	return nil
}

// checkCountry checks that country is an assigned ISO 3166-1 alpha-2 code.
func checkCountry(country string) *FieldError {
	if strings.TrimSpace(country) == "" {
		return fieldErrorf("country", "country is required")
	}
	if _, ok := CountryName(country); ok {
		return nil
	}
	// Codes people use that ISO does not assign.
	switch country {
	case "UK":
		return fieldErrorf("country", "the country code of the United Kingdom is GB")
	case "EL":
		return fieldErrorf("country", "the country code of Greece is GR")
	}
	return fieldErrorf("country", "country must be a two-letter ISO country code, like CH")
}

// checkState checks the state of an address in a valid country.
func checkState(country, state string) *FieldError {
	r, ok := stateRules[country]
	if !ok {
		return checkText("state", "state or region", state, false)
	}
	if strings.TrimSpace(state) == "" {
		return fieldErrorf("state", "%s is required for an address in %s", r.label, inCountry(country))
	}
	if !isState(country, state) {
		return fieldErrorf("state", "%s must be the code of a %s of %s, like %s",
			r.label, r.label, inCountry(country), r.example)
	}
	return nil
}
