package inventory

import (
	"fmt"
	"strings"
)

// PriceRow is a row of the price list of numbers in further currencies:
// State, Area and Type "" cover all of them.
type PriceRow struct {
	Country, State, Area, Type, Currency string
	SetupAmount, MonthlyAmount           int64
}

// ValidatePrice normalizes a price-list row as Validate does an inventory
// row, and names the first field that fails (field "" when none does).
func ValidatePrice(r PriceRow) (PriceRow, string, string) {
	r.Country = strings.ToUpper(strings.TrimSpace(r.Country))
	r.State = strings.ToUpper(strings.TrimSpace(r.State))
	r.Area = strings.TrimSpace(r.Area)
	r.Type = normalizeType(r.Type)
	r.Currency = strings.ToUpper(strings.TrimSpace(r.Currency))
	if r.Country == "" {
		return r, "country", "country is required"
	}
	if _, ok := plans()[r.Country]; !ok {
		return r, "country", fmt.Sprintf("country %q is not a supported country", clip(r.Country, 10))
	}
	if r.State != "" {
		if msg := checkState(r.Country, r.State); msg != "" {
			return r, "state", "state " + msg
		}
	}
	if r.Area != "" {
		if msg := checkArea(r.Area); msg != "" {
			return r, "area", "area " + msg
		}
	}
	switch r.Type {
	case "", TypeLocal, TypeMobile, TypeTollFree:
	default:
		return r, "type", "type must be local, mobile or toll_free"
	}
	if msg := checkCurrency(r.Currency); msg != "" {
		return r, "currency", "currency " + msg
	}
	if msg := checkAmount(r.SetupAmount); msg != "" {
		return r, "setup_amount", "setup_amount " + msg
	}
	if msg := checkAmount(r.MonthlyAmount); msg != "" {
		return r, "monthly_amount", "monthly_amount " + msg
	}
	return r, "", ""
}
