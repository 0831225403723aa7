package address

import "testing"

func TestValidate_PostalCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country string
		ok      []string // normalized codes Validate accepts
		bad     []string // codes it rejects
	}{
		{"CH", []string{"8001", "1000", "9658"}, []string{"", "800", "80011", "0800", "ABCD", "CH-8001"}},
		{"DE", []string{"10115", "01067", "80331"}, []string{"", "1011", "101155", "1011A", "D-10115"}},
		{"AT", []string{"1010", "6020"}, []string{"", "101", "10100", "0100", "A-1010"}},
		{"FR", []string{"75008", "97400", "20000"}, []string{"", "7500", "750081", "2A004", "F-75008"}},
		{"IT", []string{"00184", "20121"}, []string{"", "0018", "001844", "I-00184"}},
		{"GB", []string{
			"SW1A 1AA", // AANA NAA
			"EC1A 1BB",
			"W1A 0AX",  // ANA NAA
			"M1 1AE",   // AN NAA
			"B33 8TH",  // ANN NAA
			"CR2 6XH",  // AAN NAA
			"DN55 1PT", // AANN NAA
			"GIR 0AA",
		}, []string{
			"",
			"SW1A1AA",   // not normalized
			"QA1 1AA",   // Q never first
			"AI1 1AA",   // I never second
			"AZ1 1AA",   // Z never second
			"W1I 1AA",   // I never third in A9A
			"SW1C 1AA",  // C never fourth in AA9A
			"W1A 1CA",   // C never in the inward code
			"SW1A 1A",   // inward code too short
			"SW1A 11A",  // inward code is 9AA
			"A1 1AAA",   // too long
			"12345",     // digits only
			"GIR 1AA",   // only GIR 0AA
			"SW1A  1AA", // two spaces
		}},
		{"US", []string{"12345", "12345-6789", "00501"}, []string{"", "1234", "123456", "12345-678", "12345 6789", "ABCDE", "123456789"}},
		{"CA", []string{"K1A 0B1", "H0H 0H0", "V6B 4Y8", "T2X 1V4", "X1A 2L9"}, []string{
			"",
			"K1A0B1",  // not normalized
			"W1A 0B1", // W never first
			"Z1A 0B1", // Z never first
			"D1A 0B1", // D never
			"K1D 0B1",
			"K1A 0O1", // O never
			"K1A 0B",
			"123 456",
		}},
		{"NL", []string{"1012 AB", "9999 ZZ", "1000 AA"}, []string{"", "0123 AB", "1234 SA", "1234 SD", "1234 SS", "123 AB", "1234AB", "1234 A1", "12345 AB"}},
		{"ES", []string{"28013", "01001", "52001", "08001"}, []string{"", "00123", "53001", "99999", "2801", "280133"}},
		{"PL", []string{"00-950", "80-001"}, []string{"", "00950", "0-0950", "00-95", "00-9500", "AB-CDE"}},
		{"UA", []string{"01001", "79000"}, []string{"", "0100", "010011", "O1001"}},
		{"AU", []string{"2000", "0800", "6000"}, []string{"", "200", "20000", "A200"}},
		{"BE", []string{"1000", "9000"}, []string{"", "0100", "100", "10000", "B-1000"}},
		{"SE", []string{"114 55", "211 19"}, []string{"", "11455", "114-55", "1145 5", "114 5"}},
		// The Eircode is optional; one that is given must be valid.
		{"IE", []string{"", "D02 X285", "A65 F4E2", "D6W 1234", "T12 X5Y8"}, []string{"D02 X28", "B12 3456", "D02 O285", "D02X285"}},
		// No postal codes: optional, and checked like other countries when given.
		{"HK", []string{"", "999077"}, []string{"12345678901", "#1"}},
		{"AE", []string{"", "00000"}, []string{"P.O. 1234"}},
		// Everywhere else: 1 to 10 letters, digits, spaces or dashes.
		{"JP", []string{"100-0001", "1000001"}, []string{"", "12345678901", "-123", " 123", "1234_5", "〒100-0001"}},
		{"BR", []string{"01310-100"}, []string{""}},
		{"MT", []string{"VLT 1117"}, []string{"VLT/1117"}},
		{"NO", []string{"0150"}, []string{""}},
	}
	for _, tt := range tests {
		for _, pc := range tt.ok {
			t.Run(tt.country+"/OK/"+pc, func(t *testing.T) {
				t.Parallel()
				a := mustAddress(t, tt.country, pc)
				if err := Validate(a); err != nil {
					t.Errorf("Validate(%+v) = %v, want nil", a, err)
				}
			})
		}
		for _, pc := range tt.bad {
			t.Run(tt.country+"/Err/"+pc, func(t *testing.T) {
				t.Parallel()
				a := mustAddress(t, tt.country, pc)
				if got, want := errField(t, Validate(a)), "postal_code"; got != want {
					t.Errorf("Validate(%+v) field = %q, want %q", a, got, want)
				}
			})
		}
	}
}

func TestPostalCodeRequired(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country string
		want    bool
	}{
		{"CH", true},
		{"US", true},
		{"GB", true},
		{"JP", true},
		{"HK", false},
		{"AE", false},
		{"IE", false},
	}
	for _, tt := range tests {
		t.Run(tt.country, func(t *testing.T) {
			t.Parallel()
			if got := PostalCodeRequired(tt.country); got != tt.want {
				t.Errorf("PostalCodeRequired(%q) = %v, want %v", tt.country, got, tt.want)
			}
		})
	}
}

// TestPostalTables checks that the tables name only assigned countries.
func TestPostalTables(t *testing.T) {
	t.Parallel()
	for code := range postalRules {
		if _, ok := CountryName(code); !ok {
			t.Errorf("postalRules has %q, which is not a country", code)
		}
	}
	for code := range noPostalCode {
		if _, ok := CountryName(code); !ok {
			t.Errorf("noPostalCode has %q, which is not a country", code)
		}
		if _, ok := postalRules[code]; ok && code != "IE" {
			t.Errorf("%q is in both postalRules and noPostalCode", code)
		}
	}
}
