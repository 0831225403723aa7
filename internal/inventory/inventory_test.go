package inventory

import (
	"strings"
	"testing"
)

// berlin is a valid row; tests change one thing in it.
func berlin() Row {
	return Row{Number: "+493012345678", Country: "DE", Area: "Berlin", Type: TypeLocal,
		SetupAmount: 200, MonthlyAmount: 150, Currency: "EUR"}
}

// with returns berlin changed by f.
func with(f func(r *Row)) Row {
	r := berlin()
	f(&r)
	return r
}

// tollFree returns a German toll-free row of type typ.
func tollFree(typ string) Row {
	return with(func(r *Row) { r.Number, r.Area, r.Type = "+498001234567", "Toll-free", typ })
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        Row
		want      Row    // when wantField is ""
		wantField string // the field of the RowError, "" for none
	}{
		{"OK", berlin(), berlin(), ""},
		{"OKNormalized", Row{Number: " +49 (0)30 123-456.78 ", Country: " de ", State: " ", Area: "  Berlin\t",
			Type: " LOCAL ", SetupAmount: 200, MonthlyAmount: 150, Currency: " eur "}, berlin(), ""},
		{"OKDoubleZero", with(func(r *Row) { r.Number = "0049 30 12345678" }), berlin(), ""},
		{"OKParentheses", with(func(r *Row) { r.Number = "+49 (30) 1234/5678" }), berlin(), ""},
		{"OKTollFreeDash", tollFree("Toll-Free"), tollFree(TypeTollFree), ""},
		{"OKTollFreeOneWord", tollFree("TOLLFREE"), tollFree(TypeTollFree), ""},
		{"OKTollFreeUnderscore", tollFree("toll_free"), tollFree(TypeTollFree), ""},
		{"OKMobile", with(func(r *Row) { r.Number, r.Type = "+4915123456789", "Mobile" }),
			with(func(r *Row) { r.Number, r.Type = "+4915123456789", TypeMobile }), ""},
		{"OKUS", Row{Number: "+1 (415) 555-0123", Country: "us", State: "ca", Area: "San Francisco", Type: "local", Currency: "usd"},
			Row{Number: "+14155550123", Country: "US", State: "CA", Area: "San Francisco", Type: TypeLocal, Currency: "USD"}, ""},
		{"OKCanada", Row{Number: "+1 416 555 0199", Country: "CA", State: "on", Area: "Toronto", Type: "local", Currency: "CAD"},
			Row{Number: "+14165550199", Country: "CA", State: "ON", Area: "Toronto", Type: TypeLocal, Currency: "CAD"}, ""},
		{"OKAustralia", Row{Number: "+61 2 9876 5432", Country: "AU", State: "nsw", Area: "Sydney", Type: "local", Currency: "AUD"},
			Row{Number: "+61298765432", Country: "AU", State: "NSW", Area: "Sydney", Type: TypeLocal, Currency: "AUD"}, ""},
		{"OKItalyLeadingZero", Row{Number: "+39 06 1234 5678", Country: "IT", Area: "Roma", Type: "local", Currency: "EUR"},
			Row{Number: "+390612345678", Country: "IT", Area: "Roma", Type: TypeLocal, Currency: "EUR"}, ""},
		{"OKUkraine", Row{Number: "+380 44 123 45 67", Country: "UA", Area: "Kyiv", Type: "local", Currency: "UAH"},
			Row{Number: "+380441234567", Country: "UA", Area: "Kyiv", Type: TypeLocal, Currency: "UAH"}, ""},
		{"OKAmountsZero", with(func(r *Row) { r.SetupAmount, r.MonthlyAmount = 0, 0 }),
			with(func(r *Row) { r.SetupAmount, r.MonthlyAmount = 0, 0 }), ""},
		{"OKAmountsMax", with(func(r *Row) { r.SetupAmount, r.MonthlyAmount = MaxAmount, MaxAmount }),
			with(func(r *Row) { r.SetupAmount, r.MonthlyAmount = MaxAmount, MaxAmount }), ""},
		{"OKArea100Runes", with(func(r *Row) { r.Area = strings.Repeat("ü", 100) }),
			with(func(r *Row) { r.Area = strings.Repeat("ü", 100) }), ""},

		{"ErrNumberEmpty", with(func(r *Row) { r.Number = " " }), Row{}, "number"},
		{"ErrNumberNational", with(func(r *Row) { r.Number = "030 12345678" }), Row{}, "number"},
		{"ErrNumberNoPlus", with(func(r *Row) { r.Number = "493012345678" }), Row{}, "number"},
		{"ErrNumberLetters", with(func(r *Row) { r.Number = "+49 30 CALLNOW" }), Row{}, "number"},
		{"ErrNumberPlusInside", with(func(r *Row) { r.Number = "+49+3012345678" }), Row{}, "number"},
		{"ErrNumberTooShort", with(func(r *Row) { r.Number = "+4930123" }), Row{}, "number"},
		{"ErrNumberTooLong", with(func(r *Row) { r.Number = "+4930123456789012" }), Row{}, "number"},
		{"ErrNumberZeroAfterPlus", with(func(r *Row) { r.Number = "+0493012345678" }), Row{}, "number"},
		{"ErrNumberOtherCountry", with(func(r *Row) { r.Number = "+41441234567" }), Row{}, "number"},
		{"ErrNumberTrunkZero", with(func(r *Row) { r.Number = "+49030123456" }), Row{}, "number"},
		{"ErrNumberNANPShort", Row{Number: "+1415555012", Country: "US", State: "CA", Area: "SF", Type: "local", Currency: "USD"}, Row{}, "number"},
		{"ErrNumberNANPExchange", Row{Number: "+14151550123", Country: "US", State: "CA", Area: "SF", Type: "local", Currency: "USD"}, Row{}, "number"},
		{"ErrNumberTrunkInside", with(func(r *Row) { r.Number = "+4930(0)12345678" }), Row{}, "number"},
		{"ErrNumberShortForUkraine", Row{Number: "+380441234", Country: "UA", Area: "Kyiv", Type: "local", Currency: "EUR"}, Row{}, "number"},
		{"ErrNumberLongForSwitzerland", Row{Number: "+414455501010101", Country: "CH", Area: "Zürich", Type: "local", Currency: "CHF"}, Row{}, "number"},
		{"ErrCurrencyUnknown", with(func(r *Row) { r.Currency = "XYZ" }), Row{}, "currency"},
		{"ErrCountryEmpty", with(func(r *Row) { r.Country = "" }), Row{}, "country"},
		{"ErrCountryUnknown", with(func(r *Row) { r.Country = "XX" }), Row{}, "country"},
		{"ErrCountryAlpha3", with(func(r *Row) { r.Country = "DEU" }), Row{}, "country"},
		{"ErrStateMissingUS", Row{Number: "+14155550123", Country: "US", Area: "SF", Type: "local", Currency: "USD"}, Row{}, "state"},
		{"ErrStateUnknownUS", Row{Number: "+14155550123", Country: "US", State: "ZZ", Area: "SF", Type: "local", Currency: "USD"}, Row{}, "state"},
		{"ErrStateOfOtherCountry", Row{Number: "+14165550199", Country: "CA", State: "NY", Area: "Toronto", Type: "local", Currency: "CAD"}, Row{}, "state"},
		{"ErrStateMissingAU", Row{Number: "+61298765432", Country: "AU", Area: "Sydney", Type: "local", Currency: "AUD"}, Row{}, "state"},
		{"ErrStateWhereNone", with(func(r *Row) { r.State = "BE" }), Row{}, "state"},
		{"ErrAreaEmpty", with(func(r *Row) { r.Area = " \t" }), Row{}, "area"},
		{"ErrAreaTooLong", with(func(r *Row) { r.Area = strings.Repeat("a", 101) }), Row{}, "area"},
		{"ErrAreaControl", with(func(r *Row) { r.Area = "Ber\x00lin" }), Row{}, "area"},
		{"ErrAreaNotUTF8", with(func(r *Row) { r.Area = "Ber\xfflin" }), Row{}, "area"},
		{"ErrTypeEmpty", with(func(r *Row) { r.Type = "" }), Row{}, "type"},
		{"ErrTypeUnknown", with(func(r *Row) { r.Type = "landline" }), Row{}, "type"},
		{"ErrSetupNegative", with(func(r *Row) { r.SetupAmount = -1 }), Row{}, "setup_amount"},
		{"ErrSetupTooLarge", with(func(r *Row) { r.SetupAmount = MaxAmount + 1 }), Row{}, "setup_amount"},
		{"ErrMonthlyNegative", with(func(r *Row) { r.MonthlyAmount = -1 }), Row{}, "monthly_amount"},
		{"ErrMonthlyTooLarge", with(func(r *Row) { r.MonthlyAmount = MaxAmount + 1 }), Row{}, "monthly_amount"},
		{"ErrCurrencyEmpty", with(func(r *Row) { r.Currency = "" }), Row{}, "currency"},
		{"ErrCurrencyShort", with(func(r *Row) { r.Currency = "EU" }), Row{}, "currency"},
		{"ErrCurrencyDigit", with(func(r *Row) { r.Currency = "E1R" }), Row{}, "currency"},
		{"ErrCurrencyNotASCII", with(func(r *Row) { r.Currency = "EÜR" }), Row{}, "currency"},
		{"ErrFirstFieldWins", with(func(r *Row) { r.Country, r.Currency = "XX", "" }), Row{}, "country"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Validate(tt.in)
			if tt.wantField != "" {
				if err == nil {
					t.Fatalf("Validate(%+v) = %+v, nil, want an error on %q", tt.in, got, tt.wantField)
				}
				if err.Field != tt.wantField || err.Message == "" || err.Line != 0 {
					t.Errorf("Validate(%+v) error = %+v, want field %q, a message and line 0", tt.in, *err, tt.wantField)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate(%+v) error = %v, want nil", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Validate(%+v)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			if again, err := Validate(got); again != got || err != nil {
				t.Errorf("Validate(%+v) = %+v, %v, want it unchanged", got, again, err)
			}
		})
	}
}

func TestValidateErrorNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Row
		want string
	}{
		{"Normalized", with(func(r *Row) { r.Number, r.Currency = "0049 30 12345678", "" }), "+493012345678"},
		{"RawWhenInvalid", with(func(r *Row) { r.Number = "  030 1234  " }), "030 1234"},
		{"Clipped", with(func(r *Row) { r.Number = strings.Repeat("x", 500) }), strings.Repeat("x", 40) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Validate(tt.in)
			if err == nil {
				t.Fatalf("Validate(%+v) error = nil, want one", tt.in)
			}
			if got := err.Number; got != tt.want {
				t.Errorf("Validate(%+v) error number = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRowErrorError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   RowError
		want string
	}{
		{"Full", RowError{Line: 3, Number: "+493012345678", Field: "country", Message: "required"}, "line 3: +493012345678: country: required"},
		{"WholeRow", RowError{Line: 7, Message: "must be an object"}, "line 7: must be an object"},
		{"NoLine", RowError{Field: "type", Message: "required"}, "type: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.Error(); got != tt.want {
				t.Errorf("%+v.Error() = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestE164(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		want   string
		wantOK bool
	}{
		{"Plain", "+493012345678", "+493012345678", true},
		{"Spaces", " +49 30 1234 5678 ", "+493012345678", true},
		{"Dashes", "+1-415-555-0123", "+14155550123", true},
		{"UnicodeDash", "+1\u2011415\u2013555\u20140123", "+14155550123", true},
		{"Parentheses", "+1 (415) 555-0123", "+14155550123", true},
		{"Dots", "+41.44.668.18.00", "+41446681800", true},
		{"Slash", "+49 30/12345678", "+493012345678", true},
		{"NoBreakSpace", "+41\u00a044\u00a0668\u00a01800", "+41446681800", true},
		{"DoubleZero", "0041 44 668 18 00", "+41446681800", true},
		{"TrunkZeroInParentheses", "+44 (0)20 7946 0000", "+442079460000", true},
		{"Min8Digits", "+12345678", "+12345678", true},
		{"Max15Digits", "+123456789012345", "+123456789012345", true},
		{"Empty", "", "", false},
		{"OnlyPlus", "+", "", false},
		{"National", "044 668 18 00", "", false},
		{"NoPrefix", "41446681800", "", false},
		{"TooShort", "+1234567", "", false},
		{"TooLong", "+1234567890123456", "", false},
		{"DoubleZeroTooLong", "001234567890123456", "", false},
		{"ZeroAfterPlus", "+0441234567", "", false},
		{"TripleZero", "000441234567", "", false},
		{"TwoPluses", "++41446681800", "", false},
		{"PlusAfterDoubleZero", "00+41446681800", "", false},
		{"PlusInside", "+41 44+6681800", "", false},
		{"Letters", "+1 800 FLOWERS", "", false},
		{"Extension", "+41446681800 ext 12", "", false},
		{"FullwidthDigits", "+４１４４６６８１８００", "", false},
		{"Tel", "tel:+41446681800", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := E164(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("E164(%q) = %q, %v, want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCallingCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country string
		want    string
		wantOK  bool
	}{
		{"US", "1", true}, {"CA", "1", true}, {"GB", "44", true}, {"DE", "49", true},
		{"CH", "41", true}, {"AT", "43", true}, {"FR", "33", true}, {"IT", "39", true},
		{"ES", "34", true}, {"NL", "31", true}, {"PL", "48", true}, {"UA", "380", true},
		{"AU", "61", true}, {"BE", "32", true}, {"SE", "46", true},
		{"de", "", false}, {"UK", "", false}, {"XX", "", false}, {"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.country, func(t *testing.T) {
			t.Parallel()
			got, ok := CallingCode(tt.country)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("CallingCode(%q) = %q, %v, want %q, %v", tt.country, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"CountryCH", CountryName("CH"), "Switzerland"},
		{"CountryUA", CountryName("UA"), "Ukraine"},
		{"CountryUnknown", CountryName("XX"), "XX"},
		{"StateUS", StateName("US", "NY"), "New York"},
		{"StateCA", StateName("CA", "QC"), "Quebec"},
		{"StateAU", StateName("AU", "NSW"), "New South Wales"},
		{"StateOfOtherCountry", StateName("CA", "NY"), "NY"},
		{"StateWhereNone", StateName("DE", "BE"), "BE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestHasStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country string
		want    bool
	}{
		{"US", true}, {"CA", true}, {"AU", true},
		{"DE", false}, {"CH", false}, {"GB", false}, {"UA", false}, {"XX", false}, {"us", false},
	}
	for _, tt := range tests {
		t.Run(tt.country, func(t *testing.T) {
			t.Parallel()
			if got := HasStates(tt.country); got != tt.want {
				t.Errorf("HasStates(%q) = %v, want %v", tt.country, got, tt.want)
			}
		})
	}
}
