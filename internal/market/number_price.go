package market

import "time"

// NumberPrice is a row of the price list of numbers in further currencies:
// it prices the numbers of its scope (State, Area, Type "" = any).
type NumberPrice struct {
	Country       string
	State         string
	Area          string
	Type          string
	Currency      string
	SetupAmount   int64
	MonthlyAmount int64
	UpdatedAt     time.Time
}

// Specificity ranks a row: area 4, state 2, type 1; the highest matching
// row wins.
func (p NumberPrice) Specificity() int {
	s := 0
	if p.Area != "" {
		s += 4
	}
	if p.State != "" {
		s += 2
	}
	if p.Type != "" {
		s += 1
	}
	return s
}

// Matches says whether the row's scope holds a number of this group.
func (p NumberPrice) Matches(country, state, area, typ string) bool {
	return p.Country == country && (p.State == "" || p.State == state) && (p.Area == "" || p.Area == area) && (p.Type == "" || p.Type == typ)
}
