package inventory

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"

	"github.com/dialtone/dialtone/internal/address"
)

// TestValidateNumberingPlan: a number must be in a range of its country's
// numbering plan (libphonenumber's), and the row's type must agree with
// the kind of number the plan says it is.
func TestValidateNumberingPlan(t *testing.T) {
	t.Parallel()
	us := func(number, typ string) Row {
		return Row{Number: number, Country: "US", State: "CA", Area: "SF", Type: typ, Currency: "USD"}
	}
	tests := []struct {
		name      string
		in        Row
		wantField string // "" for none
		wantMsg   string // a part of the message
	}{
		{"FixedLineAsLocal", berlin(), "", ""},
		{"FixedLineAsMobile", with(func(r *Row) { r.Type = TypeMobile }), "type", "must be local: the number is a fixed-line (local) number in the numbering plan of Germany"},
		{"FixedLineAsTollFree", with(func(r *Row) { r.Type = TypeTollFree }), "type", "must be local"},
		{"MobileAsMobile", with(func(r *Row) { r.Number, r.Type = "+4915123456789", TypeMobile }), "", ""},
		{"MobileAsLocal", with(func(r *Row) { r.Number = "+4915123456789" }), "type", "must be mobile: the number is a mobile number"},
		{"TollFreeAsLocal", with(func(r *Row) { r.Number = "+498001234567" }), "type", "must be toll_free"},
		{"NANPAsLocal", us("+14155550123", TypeLocal), "", ""},
		{"NANPAsMobile", us("+14155550123", TypeMobile), "", ""},
		{"NANPAsTollFree", us("+14155550123", TypeTollFree), "type", "must be local or mobile: the number is a fixed-line or mobile number"},
		{"NANPTollFree", us("+18005550123", TypeTollFree), "", ""},
		{"NANPTollFreeAsLocal", us("+18005550123", TypeLocal), "type", "must be toll_free"},
		{"PremiumRate", with(func(r *Row) { r.Number = "+499001234567" }), "number", "is a premium-rate number in the numbering plan of Germany: only local, mobile and toll-free numbers can be sold"},
		{"NoRange", with(func(r *Row) { r.Number = "+4911012345678" }), "number", "is in no range of numbers of the numbering plan of Germany (+49)"},
		{"CanadianFiledAsUS", us("+14165550199", TypeLocal), "number", "is in no range of numbers of the numbering plan of United States (+1)"},
		{"Length", Row{Number: "+380441234", Country: "UA", Area: "Kyiv", Type: "local", Currency: "EUR"}, "number", "must have 9 or 10 digits after +380, not 6"},
		{"LengthNANP", us("+1415555012", TypeLocal), "number", "must have 10 digits after +1, not 9"},
		{"TrunkZero", with(func(r *Row) { r.Number = "+49030123456" }), "number", "must not have the trunk prefix 0 after +49"},
		{"ItalyLeadingZero", Row{Number: "+390612345678", Country: "IT", Area: "Roma", Type: "local", Currency: "EUR"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Validate(tt.in)
			switch {
			case tt.wantField == "" && err != nil:
				t.Fatalf("Validate(%+v) error = %v, want nil", tt.in, err)
			case tt.wantField == "":
			case err == nil:
				t.Fatalf("Validate(%+v) error = nil, want one on %s", tt.in, tt.wantField)
			case err.Field != tt.wantField || !strings.Contains(err.Message, tt.wantMsg):
				t.Errorf("Validate(%+v) error = %v, want on %s: …%s…", tt.in, err, tt.wantField, tt.wantMsg)
			}
		})
	}
}

// TestNumberKindMatchesLibphonenumber: the compiled plans say of a number
// what phonenumbers.GetNumberType says of it, for the demo's areas and for
// random numbers of every supported country.
func TestNumberKindMatchesLibphonenumber(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 2))
	var nums []string
	for _, r := range Generate(2000, 3) {
		nums = append(nums, r.Number)
	}
	for _, p := range plans() {
		for _, l := range p.lengths {
			for range 300 {
				var b strings.Builder
				b.WriteString("+" + p.calling)
				for range l {
					b.WriteByte(byte('0' + rnd.IntN(10)))
				}
				nums = append(nums, b.String())
			}
		}
	}
	kinds := make(map[numberKind]int)
	for _, num := range nums {
		pn, err := phonenumbers.Parse(num, "")
		if err != nil {
			t.Fatalf("phonenumbers.Parse(%q): %v", num, err)
		}
		region := phonenumbers.GetRegionCodeForNumber(pn)
		p, ok := plans()[region]
		if !ok {
			continue
		}
		nsn := num[1+len(p.calling):]
		if phonenumbers.GetNationalSignificantNumber(pn) != nsn {
			// Parse dropped a trunk prefix written after the calling code
			// ("+358 0…"); E.164 keeps it, and no plan has it.
			if got := p.kind(nsn); got != phonenumbers.UNKNOWN {
				t.Errorf("%s (%s): kind %v, want none: the number has a trunk prefix", num, region, got)
			}
			continue
		}
		want := phonenumbers.GetNumberType(pn)
		got := p.kind(nsn)
		kinds[got]++
		if got != want {
			t.Errorf("%s (%s): kind %v, libphonenumber says %v", num, region, got, want)
		}
	}
	for _, k := range []numberKind{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE, phonenumbers.TOLL_FREE} {
		if kinds[k] == 0 {
			t.Errorf("no number of kind %v compared", k)
		}
	}
}

func TestNational(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"+493012345678", "030 12345678"},
		{"+14155550123", "(415) 555-0123"},
		{"+442079460000", "020 7946 0000"},
		{"+41446681800", "044 668 18 00"},
		{"+61298765432", "(02) 9876 5432"},
		{"+390612345678", "06 1234 5678"},
		{"+380441234567", "044 123 4567"},
		{"+498001234567", "0800 1234567"},
		{"+49 30 1234 5678", "030 12345678"},
		{"not a number", "not a number"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := National(tt.in); got != tt.want {
			t.Errorf("National(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// BenchmarkParseCSV100k imports a file of 100,000 numbers of the demo's
// areas.
func BenchmarkParseCSV100k(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(Header + "\n")
	for _, r := range Generate(100_000, 1) {
		fmt.Fprintf(&buf, "%s,%s,%s,%s,%s,%d,%d,%s\n", r.Number, r.Country, r.State, r.Area, r.Type, r.SetupAmount, r.MonthlyAmount, r.Currency)
	}
	file := buf.Bytes()
	for b.Loop() {
		rows, errs, err := ParseCSV(bytes.NewReader(file))
		if err != nil || len(errs) != 0 || len(rows) != 100_000 {
			b.Fatalf("ParseCSV: %d rows, %d rejected (%v), %v", len(rows), len(errs), errs[:min(len(errs), 3)], err)
		}
	}
}

// TestStatesFromAddress: the states of numbers are internal/address's
// table, less the codes only postal addresses use.
func TestStatesFromAddress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country   string
		want      int
		notPhones []string
	}{
		{"AU", 8, nil},
		{"CA", 13, nil},
		{"US", 56, []string{"AA", "AE", "AP", "UM"}},
	}
	for _, tt := range tests {
		n := 0
		for _, s := range address.States(tt.country) {
			r := with(func(r *Row) { r.Country, r.State = tt.country, s.Code })
			if slices.Contains(tt.notPhones, s.Code) {
				if got := StateName(tt.country, s.Code); got != s.Code {
					t.Errorf("StateName(%s, %s) = %q, want the code: no number is filed there", tt.country, s.Code, got)
				}
				if msg := checkState(r.Country, r.State); msg == "" {
					t.Errorf("checkState(%s, %s) accepts a postal-only code", tt.country, s.Code)
				}
				continue
			}
			n++
			if got := StateName(tt.country, s.Code); got != s.Name {
				t.Errorf("StateName(%s, %s) = %q, want %q", tt.country, s.Code, got, s.Name)
			}
			if msg := checkState(r.Country, r.State); msg != "" {
				t.Errorf("checkState(%s, %s) = %q, want it accepted", tt.country, s.Code, msg)
			}
		}
		if n != tt.want {
			t.Errorf("%d states of numbers in %s, want %d", n, tt.country, tt.want)
		}
	}
}
