package address

import (
	"slices"
	"strings"
	"testing"
)

func TestCountryTable(t *testing.T) {
	t.Parallel()
	if got, want := len(countryTable), 249; got != want {
		t.Errorf("len(countryTable) = %d, want %d", got, want)
	}
	for i, c := range countryTable {
		if len(c.Code) != 2 || c.Code[0] < 'A' || c.Code[0] > 'Z' || c.Code[1] < 'A' || c.Code[1] > 'Z' {
			t.Errorf("countryTable[%d].Code = %q, want two upper-case letters", i, c.Code)
		}
		if c.Name == "" {
			t.Errorf("countryTable[%d] (%s) has no name", i, c.Code)
		}
		if i > 0 && countryTable[i-1].Code >= c.Code {
			t.Errorf("countryTable not sorted by code at %q", c.Code)
		}
	}
}

func TestCountryName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code   string
		want   string
		wantOK bool
	}{
		{"CH", "Switzerland", true},
		{"DE", "Germany", true},
		{"GB", "United Kingdom", true},
		{"US", "United States", true},
		{"GR", "Greece", true},
		{"AD", "Andorra", true},
		{"ZW", "Zimbabwe", true},
		{"AX", "Åland Islands", true},
		{"KR", "South Korea", true},
		{"CD", "Democratic Republic of the Congo", true},
		{"ch", "", false},
		{"UK", "", false},
		{"EL", "", false},
		{"EU", "", false},
		{"XK", "", false},
		{"CHE", "", false},
		{"C", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			t.Parallel()
			got, ok := CountryName(tt.code)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("CountryName(%q) = %q, %v, want %q, %v", tt.code, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCountries(t *testing.T) {
	t.Parallel()
	cs := Countries()
	if got, want := len(cs), len(countryTable); got != want {
		t.Fatalf("len(Countries()) = %d, want %d", got, want)
	}
	if !slices.IsSortedFunc(cs, func(a, b Country) int {
		return strings.Compare(sortKey(a.Name), sortKey(b.Name))
	}) {
		t.Errorf("Countries() is not sorted by name")
	}
	if got, want := cs[0].Code, "AF"; got != want {
		t.Errorf("Countries()[0].Code = %q, want %q", got, want)
	}
	if got, want := cs[1].Code, "AX"; got != want {
		t.Errorf("Countries()[1].Code = %q (Åland Islands sorts after Afghanistan), want %q", got, want)
	}
	cs[0].Name = "changed"
	if got := Countries()[0].Name; got != "Afghanistan" {
		t.Errorf("Countries()[0].Name = %q after changing an earlier result, want %q", got, "Afghanistan")
	}
}

func TestStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country  string
		want     bool // HasStates
		wantLen  int
		wantCode string // one code that must be there
	}{
		{"US", true, 60, "DC"}, // 50 states, DC, 6 territories, 3 military
		{"CA", true, 13, "QC"},
		{"AU", true, 8, "ACT"},
		{"DE", false, 0, ""},
		{"CH", false, 0, ""},
		{"us", false, 0, ""},
		{"", false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.country, func(t *testing.T) {
			t.Parallel()
			if got := HasStates(tt.country); got != tt.want {
				t.Errorf("HasStates(%q) = %v, want %v", tt.country, got, tt.want)
			}
			states := States(tt.country)
			if got := len(states); got != tt.wantLen {
				t.Errorf("len(States(%q)) = %d, want %d", tt.country, got, tt.wantLen)
			}
			if !tt.want {
				if states != nil {
					t.Errorf("States(%q) = %v, want nil", tt.country, states)
				}
				return
			}
			if !slices.IsSortedFunc(states, func(a, b State) int {
				return strings.Compare(sortKey(a.Name), sortKey(b.Name))
			}) {
				t.Errorf("States(%q) is not sorted by name", tt.country)
			}
			seen := map[string]bool{}
			for _, s := range states {
				if seen[s.Code] {
					t.Errorf("States(%q) has %q twice", tt.country, s.Code)
				}
				seen[s.Code] = true
			}
			if !seen[tt.wantCode] {
				t.Errorf("States(%q) lacks %q", tt.country, tt.wantCode)
			}
			states[0].Code = "changed"
			if got := States(tt.country)[0].Code; got == "changed" {
				t.Errorf("States(%q) shares its slice with the caller", tt.country)
			}
		})
	}
}
