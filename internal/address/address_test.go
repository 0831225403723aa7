package address

import (
	"errors"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/market"
)

// mustAddress returns a valid, normalized address in country with the given
// postal code, and the first state of the country where it needs one.
func mustAddress(t *testing.T, country, postalCode string) market.Address {
	t.Helper()
	a := market.Address{
		Name:       "Acme Telephony AG",
		Line1:      "Bahnhofstrasse 1",
		City:       "Zürich",
		PostalCode: postalCode,
		Country:    country,
	}
	if HasStates(country) {
		a.State = States(country)[0].Code
	}
	return a
}

// errField returns the Field of err, which must be a *FieldError or nil; ""
// means nil.
func errField(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FieldError", err, err)
	}
	if fe.Message == "" {
		t.Errorf("FieldError for %q has no message", fe.Field)
	}
	return fe.Field
}

func TestValidate_OK(t *testing.T) {
	t.Parallel()
	a := mustAddress(t, "CH", "8001")
	a.Line2 = "c/o Reception"
	a.VATID = "CHE123456789MWST"
	if err := Validate(a); err != nil {
		t.Fatalf("Validate(%+v) = %v, want nil", a, err)
	}
}

func TestValidate_Fields(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 101)
	tests := []struct {
		name   string
		change func(*market.Address)
		want   string // field of the error; "" for none
	}{
		{"OK", func(*market.Address) {}, ""},
		{"ErrNameMissing", func(a *market.Address) { a.Name = "" }, "name"},
		{"ErrNameBlank", func(a *market.Address) { a.Name = " \t " }, "name"},
		{"ErrNameTooLong", func(a *market.Address) { a.Name = long }, "name"},
		{"NameMaxLength", func(a *market.Address) { a.Name = strings.Repeat("ü", 100) }, ""},
		{"ErrNameControl", func(a *market.Address) { a.Name = "Acme\nAG" }, "name"},
		{"ErrNameNUL", func(a *market.Address) { a.Name = "Acme\x00" }, "name"},
		{"ErrNameInvalidUTF8", func(a *market.Address) { a.Name = "Acme \xff" }, "name"},
		{"ErrLine1Missing", func(a *market.Address) { a.Line1 = "" }, "line1"},
		{"ErrLine1TooLong", func(a *market.Address) { a.Line1 = long }, "line1"},
		{"ErrLine1Control", func(a *market.Address) { a.Line1 = "a\tb" }, "line1"},
		{"Line2Empty", func(a *market.Address) { a.Line2 = "" }, ""},
		{"Line2Given", func(a *market.Address) { a.Line2 = "3rd floor" }, ""},
		{"ErrLine2TooLong", func(a *market.Address) { a.Line2 = long }, "line2"},
		{"ErrLine2Control", func(a *market.Address) { a.Line2 = "a\rb" }, "line2"},
		{"ErrCityMissing", func(a *market.Address) { a.City = "" }, "city"},
		{"ErrCityTooLong", func(a *market.Address) { a.City = long }, "city"},
		{"ErrCityControl", func(a *market.Address) { a.City = "Z\u0085rich" }, "city"},
		{"ErrCountryMissing", func(a *market.Address) { a.Country = "" }, "country"},
		{"ErrCountryUnknown", func(a *market.Address) { a.Country = "XX" }, "country"},
		{"ErrCountryUK", func(a *market.Address) { a.Country = "UK" }, "country"},
		{"ErrCountryEL", func(a *market.Address) { a.Country = "EL" }, "country"},
		{"ErrCountryKosovo", func(a *market.Address) { a.Country = "XK" }, "country"},
		{"ErrCountryLowerCase", func(a *market.Address) { a.Country = "ch" }, "country"},
		{"ErrCountryAlpha3", func(a *market.Address) { a.Country = "CHE" }, "country"},
		{"ErrPostalCodeMissing", func(a *market.Address) { a.PostalCode = "" }, "postal_code"},
		{"StateFreeText", func(a *market.Address) { a.State = "Zürich" }, ""},
		{"ErrStateTooLong", func(a *market.Address) { a.State = long }, "state"},
		{"ErrStateControl", func(a *market.Address) { a.State = "Z\nH" }, "state"},
		{"ErrVATID", func(a *market.Address) { a.VATID = "CHE123" }, "vat_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := mustAddress(t, "CH", "8001")
			tt.change(&a)
			if got := errField(t, Validate(a)); got != tt.want {
				t.Errorf("Validate(%+v) field = %q, want %q", a, got, tt.want)
			}
		})
	}
}

// TestValidate_Order fixes one field after another of an address where every
// field is wrong and checks that the errors come in the documented order,
// country before the fields that depend on it.
func TestValidate_Order(t *testing.T) {
	t.Parallel()
	a := market.Address{
		Name:       "",
		Line1:      "",
		Line2:      "bad\nline",
		City:       "",
		PostalCode: "not a postal code",
		State:      "XX",
		Country:    "ZZ",
		VATID:      "!",
	}
	fixes := []struct {
		field string
		fix   func(*market.Address)
	}{
		{"name", func(a *market.Address) { a.Name = "Jane Doe" }},
		{"line1", func(a *market.Address) { a.Line1 = "1 Main St" }},
		{"line2", func(a *market.Address) { a.Line2 = "" }},
		{"city", func(a *market.Address) { a.City = "Springfield" }},
		{"country", func(a *market.Address) { a.Country = "US" }},
		{"postal_code", func(a *market.Address) { a.PostalCode = "62701" }},
		{"state", func(a *market.Address) { a.State = "IL" }},
		{"vat_id", func(a *market.Address) { a.VATID = "" }},
		{"", nil},
	}
	for _, f := range fixes {
		if got := errField(t, Validate(a)); got != f.field {
			t.Fatalf("Validate(%+v) field = %q, want %q", a, got, f.field)
		}
		if f.fix != nil {
			f.fix(&a)
		}
	}
}

func TestValidate_States(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		country string
		postal  string
		state   string
		want    string
	}{
		{"OK_US", "US", "10001", "NY", ""},
		{"OK_USDistrict", "US", "20500", "DC", ""},
		{"OK_USPuertoRico", "US", "00901", "PR", ""},
		{"OK_USMilitary", "US", "09001", "AE", ""},
		{"ErrUSMissing", "US", "10001", "", "state"},
		{"ErrUSName", "US", "10001", "New York", "state"},
		{"ErrUSLowerCase", "US", "10001", "ny", "state"},
		{"ErrUSUnknown", "US", "10001", "XX", "state"},
		{"ErrUSProvince", "US", "10001", "QC", "state"},
		{"OK_CA", "CA", "H2X 1Y4", "QC", ""},
		{"OK_CATerritory", "CA", "X1A 2L9", "NT", ""},
		{"ErrCAMissing", "CA", "K1A 0B1", "", "state"},
		{"ErrCAUSState", "CA", "K1A 0B1", "NY", "state"},
		{"ErrCAOldNewfoundland", "CA", "A1C 5M2", "NF", "state"},
		{"OK_AU", "AU", "2000", "NSW", ""},
		{"OK_AUTerritory", "AU", "2600", "ACT", ""},
		{"ErrAUMissing", "AU", "2000", "", "state"},
		{"ErrAUName", "AU", "2000", "New South Wales", "state"},
		{"ErrAUCanadianCode", "AU", "2000", "ON", "state"},
		{"OK_DEEmpty", "DE", "80331", "", ""},
		{"OK_DEFreeText", "DE", "80331", "Bayern", ""},
		{"OK_GBCounty", "GB", "SW1A 1AA", "Greater London", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := mustAddress(t, tt.country, tt.postal)
			a.State = tt.state
			if got := errField(t, Validate(a)); got != tt.want {
				t.Errorf("Validate(%+v) field = %q, want %q", a, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   market.Address
		want market.Address
	}{
		{
			"TrimsEverything",
			market.Address{Name: "  Acme AG ", Line1: "\tMain St 1\n", Line2: " ", City: " Bern ",
				PostalCode: " 3011 ", State: " BE ", Country: " ch ", VATID: " che-123.456.789 mwst "},
			market.Address{Name: "Acme AG", Line1: "Main St 1", Line2: "", City: "Bern",
				PostalCode: "3011", State: "BE", Country: "CH", VATID: "CHE123456789MWST"},
		},
		{"GB", market.Address{Country: "GB", PostalCode: "sw1a1aa"}, market.Address{Country: "GB", PostalCode: "SW1A 1AA"}},
		{"GBSpaces", market.Address{Country: "gb", PostalCode: " sw1a  1aa "}, market.Address{Country: "GB", PostalCode: "SW1A 1AA"}},
		{"GBShort", market.Address{Country: "GB", PostalCode: "m11ae"}, market.Address{Country: "GB", PostalCode: "M1 1AE"}},
		{"GBGiro", market.Address{Country: "GB", PostalCode: "gir0aa"}, market.Address{Country: "GB", PostalCode: "GIR 0AA"}},
		{"GBTooShortLeftAlone", market.Address{Country: "GB", PostalCode: "sw1"}, market.Address{Country: "GB", PostalCode: "SW1"}},
		{"CA", market.Address{Country: "CA", PostalCode: "k1a0b1"}, market.Address{Country: "CA", PostalCode: "K1A 0B1"}},
		{"CADash", market.Address{Country: "CA", PostalCode: "k1a-0b1"}, market.Address{Country: "CA", PostalCode: "K1A 0B1"}},
		{"NL", market.Address{Country: "NL", PostalCode: "1234ab"}, market.Address{Country: "NL", PostalCode: "1234 AB"}},
		{"NLSpaced", market.Address{Country: "NL", PostalCode: "1234  ab"}, market.Address{Country: "NL", PostalCode: "1234 AB"}},
		{"IE", market.Address{Country: "IE", PostalCode: "d02x285"}, market.Address{Country: "IE", PostalCode: "D02 X285"}},
		{"SE", market.Address{Country: "SE", PostalCode: "11455"}, market.Address{Country: "SE", PostalCode: "114 55"}},
		{"PL", market.Address{Country: "PL", PostalCode: "00950"}, market.Address{Country: "PL", PostalCode: "00-950"}},
		{"PLSpace", market.Address{Country: "PL", PostalCode: "00 950"}, market.Address{Country: "PL", PostalCode: "00-950"}},
		{"USZipPlus4", market.Address{Country: "US", PostalCode: "12345-6789"}, market.Address{Country: "US", PostalCode: "12345-6789"}},
		{"DEUnchanged", market.Address{Country: "DE", PostalCode: "10115"}, market.Address{Country: "DE", PostalCode: "10115"}},
		{"OtherUpperCased", market.Address{Country: "MT", PostalCode: "vlt 1117"}, market.Address{Country: "MT", PostalCode: "VLT 1117"}},
		{"GBNonASCIILeftAlone", market.Address{Country: "GB", PostalCode: "sw1a1ää"}, market.Address{Country: "GB", PostalCode: "SW1A1ÄÄ"}},
		{"StateCodeUpperCased", market.Address{Country: "us", State: " ny "}, market.Address{Country: "US", State: "NY"}},
		{"StateTextKept", market.Address{Country: "DE", State: " Bayern "}, market.Address{Country: "DE", State: "Bayern"}},
		{"VATID", market.Address{Country: "DE", VATID: "de 123 456 789"}, market.Address{Country: "DE", VATID: "DE123456789"}},
		{"VATIDDots", market.Address{Country: "AT", VATID: "atu-12.34.56.78"}, market.Address{Country: "AT", VATID: "ATU12345678"}},
		{"NameCaseKept", market.Address{Name: "ACME gmbh"}, market.Address{Name: "ACME gmbh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%+v)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("Normalize(Normalize(%+v)) = %+v, want %+v", tt.in, again, got)
			}
		})
	}
}

// TestNormalize_ThenValid checks that what customers type passes Validate
// once normalized.
func TestNormalize_ThenValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		country string
		postal  string
		state   string
		vatID   string
	}{
		{"GB", "gb", "sw1a1aa", "", "gb 123 4567 89"},
		{"CA", "ca", "k1a0b1", "on", ""},
		{"NL", "nl", "1012ab", "", "nl123456789b01"},
		{"SE", "se", "11455", "", "se 1234567890 01"},
		{"PL", "pl", "00950", "", "pl 123-456-78-90"},
		{"IE", "ie", "d02x285", "", "ie 1234567 t"},
		{"CH", " ch ", " 8001 ", "", "CHE-123.456.789 TVA"},
		{"US", "us", " 12345-6789 ", " ny ", ""},
		{"AU", "au", "2000", "nsw", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := mustAddress(t, "", tt.postal)
			a.Country, a.State, a.VATID = tt.country, tt.state, tt.vatID
			n := Normalize(a)
			if err := Validate(n); err != nil {
				t.Errorf("Validate(Normalize(%+v)) = %v, want nil", a, err)
			}
		})
	}
}

func TestFieldError(t *testing.T) {
	t.Parallel()
	a := mustAddress(t, "CH", "800")
	err := Validate(a)
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("Validate(%+v) = %v (%T), want a *FieldError", a, err, err)
	}
	if got, want := fe.Field, "postal_code"; got != want {
		t.Errorf("Field = %q, want %q", got, want)
	}
	if got := err.Error(); !strings.HasPrefix(got, "postal_code: ") || len(got) <= len("postal_code: ") {
		t.Errorf("Error() = %q, want the field and a message", got)
	}
}

// TestFieldError_Names checks that every field name Validate reports is one
// of the JSON names of the API.
func TestFieldError_Names(t *testing.T) {
	t.Parallel()
	tests := []struct {
		field  string
		change func(*market.Address)
	}{
		{"name", func(a *market.Address) { a.Name = "" }},
		{"line1", func(a *market.Address) { a.Line1 = "" }},
		{"line2", func(a *market.Address) { a.Line2 = "\x01" }},
		{"city", func(a *market.Address) { a.City = "" }},
		{"postal_code", func(a *market.Address) { a.PostalCode = "1" }},
		{"state", func(a *market.Address) { a.State = "" }},
		{"country", func(a *market.Address) { a.Country = "" }},
		{"vat_id", func(a *market.Address) { a.VATID = "X" }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			t.Parallel()
			a := mustAddress(t, "US", "10001")
			tt.change(&a)
			if got := errField(t, Validate(a)); got != tt.field {
				t.Errorf("Validate(%+v) field = %q, want %q", a, got, tt.field)
			}
		})
	}
}
