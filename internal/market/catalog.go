// Package market holds dialtone's domain: the catalog, subscription periods,
// proration, promo rules, order lines and their arithmetic. It is pure: no
// SQL, no HTTP, no clock of its own (time is passed in), and it imports
// nothing of ours but money.
package market

import (
	"fmt"
	"slices"
	"strings"
)

// Price is a plan's list price per license for one term in one currency,
// net of tax.
type Price struct {
	Currency   string `json:"currency"`
	TermMonths int    `json:"term_months"`
	UnitAmount int64  `json:"unit_amount"`
}

// Plan is a sellable tariff of a product. Plans sharing a product form the
// ladder a customer can upgrade along, by rank.
type Plan struct {
	Code        string
	Name        string
	Product     string
	ProductName string
	Description string
	Rank        int
	MinLicenses int
	MaxLicenses int
	Terms       []int
	Prices      []Price
	TrialDays   int
	Active      bool
}

// DisplayName names the plan for a customer: its product and its name
// ("Cloud Contact Center Business"), or its name alone when that already
// says the product ("Hosted PBX", not "Hosted PBX Hosted PBX"), or its code
// when it has no name.
func (p Plan) DisplayName() string {
	switch {
	case p.Name == "":
		if p.ProductName != "" {
			return p.ProductName
		}
		return p.Code
	case p.ProductName == "" || strings.HasPrefix(p.Name, p.ProductName):
		return p.Name
	}
	return p.ProductName + " " + p.Name
}

// termsWords lists terms for a customer: "12 months", "1 or 12 months",
// "1, 6 or 12 months"; a lone single month is "1 month".
func termsWords(terms []int) string {
	switch len(terms) {
	case 0:
		return "no term"
	case 1:
		if terms[0] == 1 {
			return "1 month"
		}
		return fmt.Sprintf("%d months", terms[0])
	}
	s := joinInts(terms[:len(terms)-1])
	return fmt.Sprintf("%s or %d months", s, terms[len(terms)-1])
}

// MaxQuantity is the most licenses one line may carry when a plan sets no
// maximum of its own.
const MaxQuantity = 10000

// UnitPrice returns the list price per license for a term in a currency.
// Errors: invalid_term when the plan does not sell that term,
// currency_mismatch when it is not sold in that currency.
func (p Plan) UnitPrice(currency string, term int) (int64, error) {
	if !slices.Contains(p.Terms, term) {
		return 0, &Error{Code: CodeInvalidTerm, Param: "term_months",
			Message: fmt.Sprintf("%s is sold for %s, not %d", p.DisplayName(), termsWords(p.Terms), term)}
	}
	sold := false
	for _, pr := range p.Prices {
		if pr.Currency != currency {
			continue
		}
		sold = true
		if pr.TermMonths == term {
			return pr.UnitAmount, nil
		}
	}
	if !sold {
		return 0, Errorf(CodeCurrencyMismatch, "%s is not sold in %s", p.DisplayName(), currency)
	}
	return 0, &Error{Code: CodeInvalidTerm, Param: "term_months",
		Message: fmt.Sprintf("%s has no %d-month price in %s", p.DisplayName(), term, currency)}
}

// CheckQuantity enforces the plan's minimum and maximum licenses.
// Errors: min_licenses, max_licenses.
func (p Plan) CheckQuantity(q int) error {
	if q < p.MinLicenses || q < 1 {
		return &Error{Code: CodeMinLicenses, Param: "quantity",
			Message: fmt.Sprintf("%s needs at least %d licenses", p.Name, max(p.MinLicenses, 1))}
	}
	if maxQ := p.Max(); q > maxQ {
		return &Error{Code: CodeMaxLicenses, Param: "quantity",
			Message: fmt.Sprintf("%s allows at most %d licenses", p.Name, maxQ)}
	}
	return nil
}

// Max is the most licenses a subscription of the plan may hold: its
// maximum, or MaxQuantity when it sets none.
func (p Plan) Max() int {
	if p.MaxLicenses <= 0 {
		return MaxQuantity
	}
	return p.MaxLicenses
}

// CheckAdded enforces the plan's limits on a subscription holding held
// licenses that adds added more (added > 0): held + added may reach the
// maximum, not pass it (however large added is). Errors: max_licenses,
// min_licenses.
func (p Plan) CheckAdded(held, added int) error {
	if maxQ := p.Max(); added > maxQ-held {
		msg := fmt.Sprintf("%s allows at most %d licenses and this subscription has %d: no more can be added", p.Name, maxQ, held)
		if held < maxQ {
			msg = fmt.Sprintf("%s allows at most %d licenses and this subscription has %d: add at most %d", p.Name, maxQ, held, maxQ-held)
		}
		return &Error{Code: CodeMaxLicenses, Param: "quantity", Message: msg}
	}
	return p.CheckQuantity(held + added)
}

// Validate checks a plan definition from the operator.
func (p Plan) Validate() error {
	switch {
	case !validCode(p.Code):
		return Invalid("code", "code must be 1-40 lower-case letters, digits, '-' or '_'")
	case !validCode(p.Product):
		return Invalid("product", "product must be 1-40 lower-case letters, digits, '-' or '_'")
	case strings.TrimSpace(p.Name) == "" || len(p.Name) > 100:
		return Invalid("name", "name is required (at most 100 characters)")
	case p.Rank < 0 || p.Rank > 1000:
		return Invalid("rank", "rank must be between 0 and 1000")
	case p.MinLicenses < 0 || p.MinLicenses > MaxQuantity:
		return Invalid("min_licenses", "min_licenses must be between 0 and %d", MaxQuantity)
	case p.MaxLicenses < 0 || p.MaxLicenses > MaxQuantity || (p.MaxLicenses > 0 && p.MaxLicenses < p.MinLicenses):
		return Invalid("max_licenses", "max_licenses must be 0 (no limit) or between min_licenses and %d", MaxQuantity)
	case len(p.Terms) == 0:
		return Invalid("terms", "at least one term is required")
	case p.TrialDays < 0 || p.TrialDays > 365:
		return Invalid("trial_days", "trial_days must be between 0 and 365")
	}
	for _, t := range p.Terms {
		if t < 1 || t > 120 {
			return Invalid("terms", "terms are 1 to 120 months")
		}
	}
	seen := map[[2]any]bool{}
	for _, pr := range p.Prices {
		switch {
		case len(pr.Currency) != 3 || strings.ToUpper(pr.Currency) != pr.Currency:
			return Invalid("prices", "price currency must be an ISO 4217 code")
		case !slices.Contains(p.Terms, pr.TermMonths):
			return Invalid("prices", "price for %d months but the plan's terms are %s", pr.TermMonths, joinInts(p.Terms))
		case pr.UnitAmount < 0 || pr.UnitAmount > 100_000_000_00:
			return Invalid("prices", "unit_amount must be between 0 and 10000000000")
		case seen[[2]any{pr.Currency, pr.TermMonths}]:
			return Invalid("prices", "two prices for %s and %d months", pr.Currency, pr.TermMonths)
		}
		seen[[2]any{pr.Currency, pr.TermMonths}] = true
	}
	return nil
}

func validCode(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}
