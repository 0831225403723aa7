package inventory

import (
	"fmt"
	"slices"
	"strings"
)

// block is a range of numbers of one area: Prefix (calling code, area code
// and any fixed digits), then Digits more digits, the first of them one of
// First. No block's prefix followed by one of its first digits is a prefix
// of another's, so two blocks never share a number.
type block struct {
	country, state, area, typ string
	prefix                    string
	first                     string
	digits                    int
	demo                      int // how many numbers Demo takes from the block
}

// Numbers per block in Demo: a city, a state's mobile or toll-free range,
// a country's mobile or toll-free range.
const (
	demoCity     = 65
	demoState    = 10
	demoNational = 20
)

// Allowed first digits of the rest of a number.
const (
	d09 = "0123456789"
	d19 = "123456789"
	d29 = "23456789" // also the North American exchange rule
)

// span is a range of numbers: its prefix, the allowed first digits of
// the rest, and how many digits follow the prefix.
type span struct {
	prefix, first string
	digits        int
}

// nanp is a North American area code's span: seven digits, the first of
// them 2 to 9.
func nanp(prefix string) span { return span{prefix, d29, 7} }

// city is a city's local numbers.
type city struct {
	name string
	span
}

// region is a country of the demo, or a state where the country files
// numbers by state: its cities' local numbers, then its areas "Mobile"
// and "Toll-free".
type region struct {
	country, state   string
	cities           []city
	mobile, tollFree span
}

// regions are the demo inventory's shape. Every span lies within its
// country's numbering plan (libphonenumber's ranges, of the span's type),
// so that all its numbers import. Where the country files numbers by state
// (US, CA, AU), each demo state has its own mobile and toll-free areas,
// though such numbers are not tied to a region. North American mobile
// numbers come from an overlay area code of the state.
var regions = []region{
	{"US", "CA", []city{{"San Francisco", nanp("+1415")}, {"Los Angeles", nanp("+1213")}, {"San Diego", nanp("+1619")}},
		nanp("+1628"), span{"+1800", "2345", 7}},
	{"US", "NY", []city{{"New York", nanp("+1212")}, {"Brooklyn", nanp("+1718")}, {"Buffalo", nanp("+1716")}},
		nanp("+1917"), nanp("+1888")},
	{"US", "TX", []city{{"Austin", nanp("+1512")}, {"Houston", nanp("+1713")}, {"Dallas", nanp("+1214")}},
		nanp("+1737"), nanp("+1877")},
	{"US", "FL", []city{{"Miami", nanp("+1305")}, {"Orlando", nanp("+1407")}, {"Tampa", nanp("+1813")}},
		nanp("+1786"), nanp("+1866")},
	{"US", "IL", []city{{"Chicago", nanp("+1312")}, {"Springfield", nanp("+1217")}}, nanp("+1872"), nanp("+1855")},

	{"CA", "ON", []city{{"Toronto", nanp("+1416")}, {"Ottawa", nanp("+1613")}}, nanp("+1647"), nanp("+1844")},
	{"CA", "QC", []city{{"Montreal", nanp("+1514")}, {"Quebec City", nanp("+1418")}}, nanp("+1438"), nanp("+1833")},
	{"CA", "BC", []city{{"Vancouver", nanp("+1604")}, {"Victoria", nanp("+1250")}}, nanp("+1778"), span{"+1800", "6789", 7}},

	// Australia: 9-digit national numbers (02 9xxx xxxx, 04xx xxx xxx),
	// toll-free 1800 xxx xxx.
	{"AU", "NSW", []city{{"Sydney", span{"+6129", d09, 7}}, {"Newcastle", span{"+61249", d09, 6}}},
		span{"+6141", d09, 7}, span{"+611800", "123", 6}},
	{"AU", "VIC", []city{{"Melbourne", span{"+6139", d09, 7}}, {"Geelong", span{"+61352", d09, 6}}},
		span{"+6142", d09, 7}, span{"+611800", "456", 6}},
	{"AU", "QLD", []city{{"Brisbane", span{"+6173", d09, 7}}, {"Gold Coast", span{"+61755", d09, 6}}},
		span{"+6143", d09, 7}, span{"+611800", "789", 6}},

	// Germany: 030/089/040/069 with 8-digit subscriber numbers, 0151
	// xxxxxxxx, 0800 xxxxxxx.
	{"DE", "", []city{{"Berlin", span{"+4930", d29, 8}}, {"Munich", span{"+4989", d29, 8}},
		{"Hamburg", span{"+4940", d29, 8}}, {"Frankfurt", span{"+4969", d29, 8}}},
		span{"+49151", d19, 8}, span{"+49800", d19, 7}},

	// Switzerland: 9-digit national numbers (044 xxx xx xx, 079 …, 0800
	// xxx xxx).
	{"CH", "", []city{{"Zürich", span{"+4144", d29, 7}}, {"Geneva", span{"+4122", d29, 7}},
		{"Bern", span{"+4131", d29, 7}}, {"Basel", span{"+4161", d29, 7}}},
		span{"+4179", d29, 7}, span{"+41800", d19, 6}},

	// United Kingdom: 10-digit national numbers (020 7xxx xxxx, 0161 xxx
	// xxxx, 0121 2xx xxxx to 0121 7xx xxxx, 071xx to 073xx xxxxxx, 0800
	// xxx xxxx).
	{"GB", "", []city{{"London", span{"+4420", "378", 8}}, {"Manchester", span{"+44161", d29, 7}},
		{"Birmingham", span{"+44121", "234567", 7}}},
		span{"+447", "123", 9}, span{"+44800", d19, 7}},

	// Ukraine: 9-digit national numbers (044 xxx xx xx, 032 2xx xx xx,
	// 048 7xx xx xx, 067 …, 0 800 1xx xxx to 0 800 8xx xxx).
	{"UA", "", []city{{"Kyiv", span{"+38044", "2345", 7}}, {"Lviv", span{"+380322", d09, 6}},
		{"Odesa", span{"+380487", d09, 6}}},
		span{"+38067", d29, 7}, span{"+380800", "12345678", 6}},
}

// blocks are the regions' areas, in order: each region's cities, its
// mobile and its toll-free area.
var blocks = blocksOf(regions)

func blocksOf(regions []region) []block {
	var out []block
	for _, g := range regions {
		area := func(name, typ string, s span, demo int) block {
			return block{country: g.country, state: g.state, area: name, typ: typ,
				prefix: s.prefix, first: s.first, digits: s.digits, demo: demo}
		}
		for _, c := range g.cities {
			out = append(out, area(c.name, TypeLocal, c.span, demoCity))
		}
		n := demoNational
		if g.state != "" {
			n = demoState
		}
		out = append(out, area("Mobile", TypeMobile, g.mobile, n), area("Toll-free", TypeTollFree, g.tollFree, n))
	}
	return out
}

// price is a setup and a monthly amount in minor units.
type price struct{ setup, monthly int64 }

// tariff is what the demo charges for numbers of a country.
type tariff struct {
	currency                string
	local, mobile, tollFree price
}

// tariffs are the demo prices, each country's in a currency the demo
// catalog is sold in (CHF, EUR, GBP, USD): a number is sold in the
// currency it is priced in, and an account has one of the catalog's, so a
// number priced in another (CAD, AUD, UAH) could never be bought.
// Canadian and Australian numbers are sold in US dollars, Ukrainian ones
// in euros.
var tariffs = map[string]tariff{
	"US": {"USD", price{150, 100}, price{200, 150}, price{1000, 500}},
	"CA": {"USD", price{150, 120}, price{200, 150}, price{900, 450}},
	"AU": {"USD", price{200, 170}, price{300, 200}, price{1400, 700}},
	"DE": {"EUR", price{200, 150}, price{300, 250}, price{1500, 800}},
	"CH": {"CHF", price{300, 200}, price{400, 300}, price{2000, 1000}},
	"GB": {"GBP", price{200, 150}, price{300, 250}, price{1500, 800}},
	"UA": {"EUR", price{150, 100}, price{200, 150}, price{900, 500}},
}

// template returns the block's row without a number.
func (b block) template() Row {
	t := tariffs[b.country]
	p := t.local
	switch b.typ {
	case TypeMobile:
		p = t.mobile
	case TypeTollFree:
		p = t.tollFree
	}
	return Row{Country: b.country, State: b.state, Area: b.area, Type: b.typ,
		SetupAmount: p.setup, MonthlyAmount: p.monthly, Currency: t.currency}
}

// size is how many numbers the block holds.
func (b block) size() uint64 {
	return uint64(len(b.first)) * pow10(b.digits-1)
}

// appendNumber appends the block's number with index i in [0, size).
func (b block) appendNumber(dst []byte, i uint64) []byte {
	p := pow10(b.digits - 1)
	dst = append(dst, b.prefix...)
	dst = append(dst, b.first[i/p])
	rest := i % p
	for d := p / 10; d > 0; d /= 10 {
		dst = append(dst, byte('0'+rest/d%10))
	}
	return dst
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

// perm is a permutation of [0, size): k -> (off + k*stride) mod size, with
// stride coprime to size. It scatters the numbers over the block.
type perm struct{ off, stride, size uint64 }

func newPerm(size uint64, seed int64, j int) perm {
	h := mix(uint64(seed)*0x9e3779b97f4a7c15 + uint64(j))
	stride := mix(h)%size | 1
	for gcd(stride, size) != 1 {
		stride = (stride + 2) % size
	}
	return perm{off: h % size, stride: stride, size: size}
}

func (p perm) at(k uint64) uint64 {
	return (p.off + k%p.size*p.stride) % p.size
}

// mix is the SplitMix64 finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// demoSeed fixes the demo numbers.
const demoSeed = 2026

// Demo returns the demo inventory: 2,980 numbers in the US (CA, NY, TX,
// FL, IL), Canada (ON, QC, BC), Australia (NSW, VIC, QLD), Germany,
// Switzerland, the United Kingdom and Ukraine, priced in the country's
// currency. Each city has 65 local numbers; each of those states, and each
// other country, also has the areas "Mobile" and "Toll-free" (10 numbers a
// state, 20 a country). Rows come grouped by area, numbers ascending within
// an area. The result is the same on every call, new each time, and every
// row passes Validate unchanged.
func Demo() []Row {
	var rows []Row
	var buf []byte
	for j, b := range blocks {
		p := newPerm(b.size(), demoSeed, j)
		start := len(rows)
		for k := range uint64(b.demo) {
			r := b.template()
			buf = b.appendNumber(buf[:0], p.at(k))
			r.Number = string(buf)
			rows = append(rows, r)
		}
		slices.SortFunc(rows[start:], func(a, b Row) int { return strings.Compare(a.Number, b.Number) })
	}
	return rows
}

// Generate returns n distinct rows that pass Validate unchanged, spread
// evenly over the areas of Demo (row i is in area i mod the number of areas)
// and scattered within each. The same seed gives the same rows, and
// Generate(m, seed) is the start of Generate(n, seed) for m < n. It is meant
// for benchmarks: a million rows take well under a second, and all numbers
// share one backing string. It returns nil for n <= 0 and panics when n is
// more than the areas hold (about 20 million).
func Generate(n int, seed int64) []Row {
	if n <= 0 {
		return nil
	}
	per := uint64((n + len(blocks) - 1) / len(blocks))
	tpl := make([]Row, len(blocks))
	perms := make([]perm, len(blocks))
	for j, b := range blocks {
		if per > b.size() {
			panic(fmt.Sprintf("inventory: Generate(%d): area %s %s %q holds only %d numbers", n, b.country, b.state, b.area, b.size()))
		}
		tpl[j], perms[j] = b.template(), newPerm(b.size(), seed, j)
	}
	// Write all numbers into one buffer, then slice one string: one
	// allocation instead of n.
	buf := make([]byte, 0, n*14)
	ends := make([]int, n)
	for i := range n {
		j := i % len(blocks)
		buf = blocks[j].appendNumber(buf, perms[j].at(uint64(i/len(blocks))))
		ends[i] = len(buf)
	}
	all := string(buf)
	rows := make([]Row, n)
	start := 0
	for i := range rows {
		// Field by field: copying whole rows while the collector runs
		// (it does, after allocating this much) is ten times slower.
		t, r := &tpl[i%len(blocks)], &rows[i]
		r.Number, r.Country, r.State, r.Area, r.Type = all[start:ends[i]], t.Country, t.State, t.Area, t.Type
		r.SetupAmount, r.MonthlyAmount, r.Currency = t.SetupAmount, t.MonthlyAmount, t.Currency
		start = ends[i]
	}
	return rows
}
