package address

import (
	"errors"
	"testing"

	"github.com/dialtone/dialtone/internal/market"
)

func FuzzValidate(f *testing.F) {
	seeds := [][8]string{ // name, line1, line2, city, postal code, state, country, VAT ID
		{"Acme AG", "Bahnhofstrasse 1", "", "Zürich", "8001", "", "CH", "CHE-123.456.789 MWST"},
		{"Jane Doe", "1 Main St", "Apt 2", "New York", "10001-1234", "ny", "us", ""},
		{"Maple Ltd", "24 Sussex Dr", "", "Ottawa", "k1a0b1", "on", "CA", "123456789RT0001"},
		{"Tea Ltd", "10 Downing St", "", "London", "sw1a2aa", "", "gb", "GB 123 4567 89"},
		{"BV", "Damrak 1", "", "Amsterdam", "1012ab", "", "NL", "nl123456789b01"},
		{"AB", "Drottninggatan 1", "", "Stockholm", "11151", "", "SE", "SE123456789001"},
		{"Sp. z o.o.", "ul. Marszałkowska 1", "", "Warszawa", "00950", "", "PL", "PL1234567890"},
		{"Ltd", "1 Grafton St", "", "Dublin", "d02x285", "", "IE", "IE1234567T"},
		{"", "", "", "", "", "", "", ""},
		{"\xff", "\x00", "\t", " ", "ñ", "ß", "ǅ", "ﬀ"},
		{"x", "y", "", "z", "gir0aa", "", " GB ", "xi123456789"},
		{"x", "y", "", "z", "1234 sa", "", "NL", "DE123456789"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])
	}
	f.Fuzz(func(t *testing.T, name, line1, line2, city, postalCode, state, country, vatID string) {
		a := market.Address{Name: name, Line1: line1, Line2: line2, City: city, PostalCode: postalCode, State: state, Country: country, VATID: vatID}
		n := Normalize(a)
		err := Validate(n)
		if again := Validate(Normalize(a)); !sameError(err, again) {
			t.Fatalf("Validate(Normalize(%+v)) = %v, then %v", a, err, again)
		}
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Message == "" {
				t.Fatalf("Validate(Normalize(%+v)) = %v (%T), want a *FieldError with field and message", a, err, err)
			}
			return
		}
		if nn := Normalize(n); nn != n {
			t.Fatalf("Normalize is not idempotent for valid %+v:\n got %+v\nwant %+v", a, nn, n)
		}
		if err := Validate(n); err != nil {
			t.Fatalf("Validate(%+v) = %v after it was nil", n, err)
		}
	})
}

// sameError reports whether two results of Validate are the same.
func sameError(a, b error) bool {
	var fa, fb *FieldError
	if errors.As(a, &fa) && errors.As(b, &fb) {
		return *fa == *fb
	}
	return a == nil && b == nil
}
