package inventory

import (
	"slices"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	rows := Demo()
	if got := len(rows); got < 2500 || got > 4000 {
		t.Errorf("len(Demo()) = %d, want 2,500 to 4,000", got)
	}
	if got := Demo(); !slices.Equal(got, rows) {
		t.Errorf("Demo() differs between calls")
	}
	seen := make(map[string]bool)
	areas := make(map[string]map[string]bool)      // country -> areas
	types := make(map[string]map[string]bool)      // country -> types
	currencies := make(map[string]map[string]bool) // country -> currencies
	for _, r := range rows {
		if seen[r.Number] {
			t.Errorf("Demo() has %s twice", r.Number)
		}
		seen[r.Number] = true
		if got, err := Validate(r); err != nil || got != r {
			t.Errorf("Validate(%+v) = %+v, %v, want it unchanged", r, got, err)
		}
		if got, want := r.State != "", HasStates(r.Country); got != want {
			t.Errorf("Demo() row %+v has a state: %v, want %v", r, got, want)
		}
		for m, v := range map[*map[string]map[string]bool]string{&areas: r.Area, &types: r.Type, &currencies: r.Currency} {
			if (*m)[r.Country] == nil {
				(*m)[r.Country] = make(map[string]bool)
			}
			(*m)[r.Country][v] = true
		}
	}
	if got := len(areas); got < 6 {
		t.Errorf("Demo() has %d countries, want at least 6", got)
	}
	for _, cc := range []string{"US", "CA", "AU", "DE", "CH", "GB", "UA"} {
		if got := len(areas[cc]); got < 3 {
			t.Errorf("Demo() has %d areas in %s, want at least 3", got, cc)
		}
		if got, want := len(types[cc]), 3; got != want {
			t.Errorf("Demo() has %d number types in %s, want %d", got, cc, want)
		}
		if got, want := len(currencies[cc]), 1; got != want {
			t.Errorf("Demo() has %d currencies in %s, want %d", got, cc, want)
		}
	}
}

func TestDemoStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country string
		want    []string
	}{
		{"US", []string{"CA", "FL", "IL", "NY", "TX"}},
		{"CA", []string{"BC", "ON", "QC"}},
		{"AU", []string{"NSW", "QLD", "VIC"}},
	}
	rows := Demo()
	for _, tt := range tests {
		t.Run(tt.country, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, r := range rows {
				if r.Country == tt.country && !slices.Contains(got, r.State) {
					got = append(got, r.State)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("states of %s = %v, want %v", tt.country, got, tt.want)
			}
		})
	}
}

// TestDemoShapes checks that areas have their area codes and national
// numbers their length.
func TestDemoShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		country, area string
		prefix        string
		nsnLen        int // digits after the calling code
	}{
		{"US", "San Francisco", "+1415", 10},
		{"US", "Los Angeles", "+1213", 10},
		{"US", "New York", "+1212", 10},
		{"US", "Austin", "+1512", 10},
		{"CA", "Toronto", "+1416", 10},
		{"CA", "Montreal", "+1514", 10},
		{"CA", "Vancouver", "+1604", 10},
		{"AU", "Sydney", "+6129", 9},
		{"AU", "Melbourne", "+6139", 9},
		{"AU", "Brisbane", "+6173", 9},
		{"AU", "Mobile", "+614", 9},
		{"AU", "Toll-free", "+611800", 10},
		{"DE", "Berlin", "+4930", 10},
		{"DE", "Munich", "+4989", 10},
		{"DE", "Hamburg", "+4940", 10},
		{"DE", "Frankfurt", "+4969", 10},
		{"DE", "Mobile", "+4915", 11},
		{"DE", "Toll-free", "+49800", 10},
		{"CH", "Zürich", "+4144", 9},
		{"CH", "Geneva", "+4122", 9},
		{"CH", "Bern", "+4131", 9},
		{"CH", "Basel", "+4161", 9},
		{"CH", "Mobile", "+417", 9},
		{"CH", "Toll-free", "+41800", 9},
		{"GB", "London", "+4420", 10},
		{"GB", "Manchester", "+44161", 10},
		{"GB", "Birmingham", "+44121", 10},
		{"GB", "Mobile", "+447", 10},
		{"GB", "Toll-free", "+44800", 10},
		{"UA", "Kyiv", "+38044", 9},
		{"UA", "Lviv", "+38032", 9},
		{"UA", "Odesa", "+38048", 9},
		{"UA", "Mobile", "+38067", 9},
		{"UA", "Toll-free", "+380800", 9},
	}
	rows := Demo()
	for _, tt := range tests {
		t.Run(tt.country+"/"+tt.area, func(t *testing.T) {
			t.Parallel()
			cc, _ := CallingCode(tt.country)
			n := 0
			for _, r := range rows {
				if r.Country != tt.country || r.Area != tt.area {
					continue
				}
				n++
				if !strings.HasPrefix(r.Number, tt.prefix) || len(r.Number)-1-len(cc) != tt.nsnLen {
					t.Errorf("%s in %s, want %s… with %d digits after +%s", r.Number, tt.area, tt.prefix, tt.nsnLen, cc)
				}
			}
			if n == 0 {
				t.Errorf("no numbers in %s %s", tt.country, tt.area)
			}
		})
	}
}

func TestDemoPrices(t *testing.T) {
	t.Parallel()
	for _, r := range Demo() {
		if !slices.Contains([]string{"CHF", "EUR", "GBP", "USD"}, r.Currency) {
			t.Errorf("%+v: priced in %s, which no account of the demo catalog can pay in", r, r.Currency)
		}
		local := r.Type == TypeLocal
		if local && (r.SetupAmount < 100 || r.SetupAmount > 500 || r.MonthlyAmount < 100 || r.MonthlyAmount > 300) {
			t.Errorf("local %+v, want setup 1.00-5.00 and monthly 1.00-3.00", r)
		}
		if r.Type == TypeTollFree && (r.SetupAmount <= 500 || r.MonthlyAmount <= 300) {
			t.Errorf("toll-free %+v, want it dearer than local numbers", r)
		}
	}
}

// TestBlocksPrefixFree checks what makes numbers of different blocks
// distinct: no block's prefix and first digit starts another's.
func TestBlocksPrefixFree(t *testing.T) {
	t.Parallel()
	type start struct {
		s     string
		block int
	}
	var starts []start
	for j, b := range blocks {
		for _, d := range b.first {
			starts = append(starts, start{b.prefix + string(d), j})
		}
		if _, ok := tariffs[b.country]; !ok {
			t.Errorf("block %d (%s %s) has no tariff", j, b.country, b.area)
		}
	}
	for _, a := range starts {
		for _, b := range starts {
			if a != b && strings.HasPrefix(b.s, a.s) {
				t.Errorf("blocks %d and %d overlap: %s and %s", a.block, b.block, a.s, b.s)
			}
		}
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	const n = 200_000
	rows := Generate(n, 42)
	if got := len(rows); got != n {
		t.Fatalf("len(Generate(%d, 42)) = %d, want %d", n, got, n)
	}
	seen := make(map[string]struct{}, n)
	areas := make(map[string]bool)
	for i, r := range rows {
		if _, ok := seen[r.Number]; ok {
			t.Fatalf("Generate(%d, 42) has %s twice", n, r.Number)
		}
		seen[r.Number] = struct{}{}
		areas[r.Country+"/"+r.State+"/"+r.Area] = true
		if i%97 == 0 {
			if got, err := Validate(r); err != nil || got != r {
				t.Errorf("Validate(%+v) = %+v, %v, want it unchanged", r, got, err)
			}
		}
	}
	if got, want := len(areas), len(blocks); got != want {
		t.Errorf("Generate(%d, 42) uses %d areas, want %d", n, got, want)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		a, b     []Row
		wantSame bool
	}{
		{"SameSeed", Generate(1000, 7), Generate(1000, 7), true},
		{"OtherSeed", Generate(1000, 7), Generate(1000, 8), false},
		{"Prefix", Generate(1000, 7)[:500], Generate(500, 7), true},
		{"Zero", Generate(0, 7), nil, true},
		{"Negative", Generate(-1, 7), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := slices.Equal(tt.a, tt.b); got != tt.wantSame {
				t.Errorf("same = %v, want %v", got, tt.wantSame)
			}
		})
	}
}

func TestGenerateTooMany(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Errorf("Generate(1e9, 1) did not panic")
		}
	}()
	Generate(1_000_000_000, 1)
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		Generate(1_000_000, 1)
	}
}
