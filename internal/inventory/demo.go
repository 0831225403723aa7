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

// blocks is the demo inventory's shape, grouped by country and state. Every
// block lies within its country's numbering plan (libphonenumber's ranges,
// of the block's type), so that all its numbers import. Mobile
// and toll-free numbers form the areas "Mobile" and "Toll-free"; where the
// country files numbers by state (US, CA, AU), each demo state has its own,
// though such numbers are not tied to a region. North American mobile
// numbers come from an overlay area code of the state.
var blocks = []block{
	{"US", "CA", "San Francisco", TypeLocal, "+1415", d29, 7, demoCity},
	{"US", "CA", "Los Angeles", TypeLocal, "+1213", d29, 7, demoCity},
	{"US", "CA", "San Diego", TypeLocal, "+1619", d29, 7, demoCity},
	{"US", "CA", "Mobile", TypeMobile, "+1628", d29, 7, demoState},
	{"US", "CA", "Toll-free", TypeTollFree, "+1800", "2345", 7, demoState},
	{"US", "NY", "New York", TypeLocal, "+1212", d29, 7, demoCity},
	{"US", "NY", "Brooklyn", TypeLocal, "+1718", d29, 7, demoCity},
	{"US", "NY", "Buffalo", TypeLocal, "+1716", d29, 7, demoCity},
	{"US", "NY", "Mobile", TypeMobile, "+1917", d29, 7, demoState},
	{"US", "NY", "Toll-free", TypeTollFree, "+1888", d29, 7, demoState},
	{"US", "TX", "Austin", TypeLocal, "+1512", d29, 7, demoCity},
	{"US", "TX", "Houston", TypeLocal, "+1713", d29, 7, demoCity},
	{"US", "TX", "Dallas", TypeLocal, "+1214", d29, 7, demoCity},
	{"US", "TX", "Mobile", TypeMobile, "+1737", d29, 7, demoState},
	{"US", "TX", "Toll-free", TypeTollFree, "+1877", d29, 7, demoState},
	{"US", "FL", "Miami", TypeLocal, "+1305", d29, 7, demoCity},
	{"US", "FL", "Orlando", TypeLocal, "+1407", d29, 7, demoCity},
	{"US", "FL", "Tampa", TypeLocal, "+1813", d29, 7, demoCity},
	{"US", "FL", "Mobile", TypeMobile, "+1786", d29, 7, demoState},
	{"US", "FL", "Toll-free", TypeTollFree, "+1866", d29, 7, demoState},
	{"US", "IL", "Chicago", TypeLocal, "+1312", d29, 7, demoCity},
	{"US", "IL", "Springfield", TypeLocal, "+1217", d29, 7, demoCity},
	{"US", "IL", "Mobile", TypeMobile, "+1872", d29, 7, demoState},
	{"US", "IL", "Toll-free", TypeTollFree, "+1855", d29, 7, demoState},

	{"CA", "ON", "Toronto", TypeLocal, "+1416", d29, 7, demoCity},
	{"CA", "ON", "Ottawa", TypeLocal, "+1613", d29, 7, demoCity},
	{"CA", "ON", "Mobile", TypeMobile, "+1647", d29, 7, demoState},
	{"CA", "ON", "Toll-free", TypeTollFree, "+1844", d29, 7, demoState},
	{"CA", "QC", "Montreal", TypeLocal, "+1514", d29, 7, demoCity},
	{"CA", "QC", "Quebec City", TypeLocal, "+1418", d29, 7, demoCity},
	{"CA", "QC", "Mobile", TypeMobile, "+1438", d29, 7, demoState},
	{"CA", "QC", "Toll-free", TypeTollFree, "+1833", d29, 7, demoState},
	{"CA", "BC", "Vancouver", TypeLocal, "+1604", d29, 7, demoCity},
	{"CA", "BC", "Victoria", TypeLocal, "+1250", d29, 7, demoCity},
	{"CA", "BC", "Mobile", TypeMobile, "+1778", d29, 7, demoState},
	{"CA", "BC", "Toll-free", TypeTollFree, "+1800", "6789", 7, demoState},

	// Australia: 9-digit national numbers (02 9xxx xxxx, 04xx xxx xxx),
	// toll-free 1800 xxx xxx.
	{"AU", "NSW", "Sydney", TypeLocal, "+6129", d09, 7, demoCity},
	{"AU", "NSW", "Newcastle", TypeLocal, "+61249", d09, 6, demoCity},
	{"AU", "NSW", "Mobile", TypeMobile, "+6141", d09, 7, demoState},
	{"AU", "NSW", "Toll-free", TypeTollFree, "+611800", "123", 6, demoState},
	{"AU", "VIC", "Melbourne", TypeLocal, "+6139", d09, 7, demoCity},
	{"AU", "VIC", "Geelong", TypeLocal, "+61352", d09, 6, demoCity},
	{"AU", "VIC", "Mobile", TypeMobile, "+6142", d09, 7, demoState},
	{"AU", "VIC", "Toll-free", TypeTollFree, "+611800", "456", 6, demoState},
	{"AU", "QLD", "Brisbane", TypeLocal, "+6173", d09, 7, demoCity},
	{"AU", "QLD", "Gold Coast", TypeLocal, "+61755", d09, 6, demoCity},
	{"AU", "QLD", "Mobile", TypeMobile, "+6143", d09, 7, demoState},
	{"AU", "QLD", "Toll-free", TypeTollFree, "+611800", "789", 6, demoState},

	// Germany: 030/089/040/069 with 8-digit subscriber numbers, 0151
	// xxxxxxxx, 0800 xxxxxxx.
	{"DE", "", "Berlin", TypeLocal, "+4930", d29, 8, demoCity},
	{"DE", "", "Munich", TypeLocal, "+4989", d29, 8, demoCity},
	{"DE", "", "Hamburg", TypeLocal, "+4940", d29, 8, demoCity},
	{"DE", "", "Frankfurt", TypeLocal, "+4969", d29, 8, demoCity},
	{"DE", "", "Mobile", TypeMobile, "+49151", d19, 8, demoNational},
	{"DE", "", "Toll-free", TypeTollFree, "+49800", d19, 7, demoNational},

	// Switzerland: 9-digit national numbers (044 xxx xx xx, 079 …, 0800
	// xxx xxx).
	{"CH", "", "Zürich", TypeLocal, "+4144", d29, 7, demoCity},
	{"CH", "", "Geneva", TypeLocal, "+4122", d29, 7, demoCity},
	{"CH", "", "Bern", TypeLocal, "+4131", d29, 7, demoCity},
	{"CH", "", "Basel", TypeLocal, "+4161", d29, 7, demoCity},
	{"CH", "", "Mobile", TypeMobile, "+4179", d29, 7, demoNational},
	{"CH", "", "Toll-free", TypeTollFree, "+41800", d19, 6, demoNational},

	// United Kingdom: 10-digit national numbers (020 7xxx xxxx, 0161 xxx
	// xxxx, 0121 2xx xxxx to 0121 7xx xxxx, 071xx to 073xx xxxxxx, 0800
	// xxx xxxx).
	{"GB", "", "London", TypeLocal, "+4420", "378", 8, demoCity},
	{"GB", "", "Manchester", TypeLocal, "+44161", d29, 7, demoCity},
	{"GB", "", "Birmingham", TypeLocal, "+44121", "234567", 7, demoCity},
	{"GB", "", "Mobile", TypeMobile, "+447", "123", 9, demoNational},
	{"GB", "", "Toll-free", TypeTollFree, "+44800", d19, 7, demoNational},

	// Ukraine: 9-digit national numbers (044 xxx xx xx, 032 2xx xx xx,
	// 048 7xx xx xx, 067 …, 0 800 1xx xxx to 0 800 8xx xxx).
	{"UA", "", "Kyiv", TypeLocal, "+38044", "2345", 7, demoCity},
	{"UA", "", "Lviv", TypeLocal, "+380322", d09, 6, demoCity},
	{"UA", "", "Odesa", TypeLocal, "+380487", d09, 6, demoCity},
	{"UA", "", "Mobile", TypeMobile, "+38067", d29, 7, demoNational},
	{"UA", "", "Toll-free", TypeTollFree, "+380800", "12345678", 6, demoNational},
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
