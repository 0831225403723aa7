package address

import (
	"strings"
	"testing"
)

// postalFor holds a valid postal code for each country the VAT tests use.
var postalFor = map[string]string{
	"AT": "1010", "BE": "1000", "CH": "8001", "DE": "10115", "ES": "28013",
	"FR": "75008", "GB": "SW1A 1AA", "GR": "10558", "IE": "", "IM": "IM1 1AA",
	"IT": "00184", "MC": "98000", "NL": "1012 AB", "NO": "0150", "PL": "00-950",
	"SE": "114 55", "US": "10001", "CA": "K1A 0B1", "JP": "100-0001", "LI": "9490",
	"CY": "1010", "CZ": "110 00", "BG": "1000", "RO": "010011", "LT": "01100",
}

func TestValidate_VATID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		country string
		vatID   string // as typed; the test normalizes it
		want    string // field of the error; "" for none
	}{
		{"OK_Empty", "DE", "", ""},
		{"OK_CH", "CH", "CHE-123.456.789", ""},
		{"OK_CHMWST", "CH", "CHE-123.456.789 MWST", ""},
		{"OK_CHTVA", "CH", "che123456789tva", ""},
		{"OK_CHIVA", "CH", "CHE 123 456 789 IVA", ""},
		{"OK_DE", "DE", "DE123456789", ""},
		{"OK_DESpaced", "DE", "de 123 456 789", ""},
		{"OK_AT", "AT", "ATU12345678", ""},
		{"OK_FR", "FR", "FR12345678901", ""},
		{"OK_FRLetters", "FR", "FRXX123456789", ""},
		{"OK_IT", "IT", "IT12345678901", ""},
		{"OK_NL", "NL", "NL123456789B01", ""},
		{"OK_ESCompany", "ES", "ESB12345678", ""},
		{"OK_ESPerson", "ES", "ES12345678Z", ""},
		{"OK_ESForeigner", "ES", "ESX1234567L", ""},
		{"OK_PL", "PL", "PL1234567890", ""},
		{"OK_PLDashes", "PL", "PL 123-456-78-90", ""},
		{"OK_BE", "BE", "BE0123456789", ""},
		{"OK_BE1", "BE", "BE1123456789", ""},
		{"OK_GB9", "GB", "GB123456789", ""},
		{"OK_GB12", "GB", "GB123456789012", ""},
		{"OK_GBGovernment", "GB", "GBGD001", ""},
		{"OK_GBHealth", "GB", "GBHA500", ""},
		{"OK_GBNorthernIreland", "GB", "XI123456789", ""},
		{"OK_GR", "GR", "EL123456789", ""},
		{"OK_NO", "NO", "NO123456789MVA", ""},
		{"OK_NOWithoutMVA", "NO", "NO 123 456 789", ""},
		{"OK_SE", "SE", "SE123456789001", ""},
		{"OK_IE", "IE", "IE1234567T", ""},
		{"OK_IETwoLetters", "IE", "IE1234567TW", ""},
		{"OK_IEOld", "IE", "IE1A12345W", ""},
		{"OK_CY", "CY", "CY12345678X", ""},
		{"OK_CZ", "CZ", "CZ12345678", ""},
		{"OK_BG", "BG", "BG1234567890", ""},
		{"OK_RO", "RO", "RO1234567", ""},
		{"OK_LT", "LT", "LT123456789012", ""},
		{"OK_MonacoFrench", "MC", "FR12345678901", ""},
		{"OK_IsleOfManBritish", "IM", "GB123456789", ""},
		{"OK_USNumber", "US", "12-3456789", ""},
		{"OK_CABusinessNumber", "CA", "123456789 RT0001", ""},
		{"OK_JPLetters", "JP", "T1234567890123", ""},
		{"OK_OtherMax", "JP", strings.Repeat("1", 20), ""},

		{"ErrDEShort", "DE", "DE12345678", "vat_id"},
		{"ErrDELong", "DE", "DE1234567890", "vat_id"},
		{"ErrDENoPrefix", "DE", "123456789", "vat_id"},
		{"ErrDELetters", "DE", "DE12345678X", "vat_id"},
		{"ErrATNoU", "AT", "AT12345678", "vat_id"},
		{"ErrFRShort", "FR", "FR1234567890", "vat_id"},
		{"ErrITShort", "IT", "IT1234567890", "vat_id"},
		{"ErrNLNoB", "NL", "NL123456789001", "vat_id"},
		{"ErrNLShortSuffix", "NL", "NL123456789B1", "vat_id"},
		{"ErrCHShort", "CH", "CHE12345678", "vat_id"},
		{"ErrCHSuffix", "CH", "CHE123456789VAT", "vat_id"},
		{"ErrCHNoE", "CH", "CH123456789", "vat_id"},
		{"ErrGB10", "GB", "GB1234567890", "vat_id"},
		{"ErrGBShort", "GB", "GB12345678", "vat_id"},
		{"ErrPLShort", "PL", "PL123456789", "vat_id"},
		{"ErrESNoLetter", "ES", "ES123456789", "vat_id"},
		{"ErrBEFirstDigit", "BE", "BE2123456789", "vat_id"},
		{"ErrGRWithGR", "GR", "GR123456789", "vat_id"},
		{"ErrSEWrongSuffix", "SE", "SE123456789002", "vat_id"},
		{"ErrNOSuffix", "NO", "NO123456789VAT", "vat_id"},
		{"ErrNonASCII", "DE", "DÉ123456789", "vat_id"},
		{"ErrUnderscore", "DE", "DE_123456789", "vat_id"},
		{"ErrOtherShort", "US", "ABC", "vat_id"},
		{"ErrOtherLong", "JP", strings.Repeat("1", 21), "vat_id"},
		{"ErrOtherSymbol", "US", "12/3456789", "vat_id"},

		{"ErrMismatchDEForAT", "AT", "DE123456789", "vat_id"},
		{"ErrMismatchATForDE", "DE", "ATU12345678", "vat_id"},
		{"ErrMismatchDEForUS", "US", "DE123456789", "vat_id"},
		{"ErrMismatchDEForCH", "CH", "DE123456789", "vat_id"},
		{"ErrMismatchCHForDE", "DE", "CHE-123.456.789", "vat_id"},
		{"ErrMismatchIEForGB", "GB", "IE1234567T", "vat_id"},
		{"ErrMismatchGBForIE", "IE", "GB123456789", "vat_id"},
		{"ErrMismatchELForCY", "CY", "EL123456789", "vat_id"},
		{"ErrMismatchNOForSE", "SE", "NO123456789MVA", "vat_id"},
		{"ErrMismatchXIForIE", "IE", "XI123456789", "vat_id"},
		{"ErrMismatchCHForLI", "LI", "CHE123456789", "vat_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pc, ok := postalFor[tt.country]
			if !ok {
				t.Fatalf("no postal code for %q in postalFor", tt.country)
			}
			a := mustAddress(t, tt.country, pc)
			a.VATID = tt.vatID
			a = Normalize(a)
			if got := errField(t, Validate(a)); got != tt.want {
				t.Errorf("Validate(%+v) = %v, want field %q", a, Validate(a), tt.want)
			}
		})
	}
}

// TestVATFormats checks the table: one format per country, sorted, each
// accepting its own example once normalized.
func TestVATFormats(t *testing.T) {
	t.Parallel()
	for i, f := range vatFormats {
		if _, ok := CountryName(f.country); !ok {
			t.Errorf("vatFormats[%d].country = %q, not a country", i, f.country)
		}
		if i > 0 && vatFormats[i-1].country >= f.country {
			t.Errorf("vatFormats not sorted by country at %q", f.country)
		}
		if got := normalizeVATID(f.example); !f.re.MatchString(got) || !strings.HasPrefix(got, f.prefix) {
			t.Errorf("example %q of %s does not match its own format", f.example, f.country)
		}
		for j, g := range vatFormats {
			if j != i && g.re.MatchString(normalizeVATID(f.example)) {
				t.Errorf("example %q of %s also matches the format of %s", f.example, f.country, g.country)
			}
		}
	}
}
