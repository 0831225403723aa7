package market

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/money"
)

// Promo is a promo code (PRODUCT.md "Promo codes"). Either PercentOff or
// AmountOff (with Currency) is set.
type Promo struct {
	Code              string
	PercentOff        money.Rate
	HasPercent        bool
	AmountOff         int64
	Currency          string
	Plans             []string
	Terms             []int
	ValidFrom         *time.Time
	ValidUntil        *time.Time
	MaxRedemptions    int // 0: no limit
	MaxPerCustomer    int // 0: no limit
	FirstPurchaseOnly bool
	MinQuantity       int
	Renewals          bool
	Redemptions       int
	Active            bool
	CreatedAt         time.Time
}

// NormalizeCode returns a promo code in its stored form: trimmed and upper
// case (codes are case-insensitive).
func NormalizeCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// Validate checks a promo definition from the operator.
func (p Promo) Validate() error {
	code := NormalizeCode(p.Code)
	if code == "" || len(code) > 40 || strings.ContainsFunc(code, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return Invalid("code", "code must be 1-40 letters, digits, '-' or '_'")
	}
	switch {
	case p.HasPercent == (p.AmountOff > 0):
		return Invalid("percent_off", "give either percent_off or amount_off with currency")
	case p.HasPercent && (p.PercentOff.IsZero()):
		return Invalid("percent_off", "percent_off must be more than 0 and at most 100")
	case !p.HasPercent && !money.ValidCurrency(p.Currency):
		return Invalid("currency", "amount_off needs an ISO 4217 currency")
	case p.AmountOff < 0:
		return Invalid("amount_off", "amount_off must be positive")
	case p.MaxRedemptions < 0:
		return Invalid("max_redemptions", "max_redemptions must be 0 (no limit) or more")
	case p.MaxPerCustomer < 0:
		return Invalid("max_per_customer", "max_per_customer must be 0 (no limit) or more")
	case p.MaxRedemptions > 0 && p.MaxPerCustomer > p.MaxRedemptions:
		return Invalid("max_per_customer", "max_per_customer must be at most max_redemptions (%d)", p.MaxRedemptions)
	case p.MinQuantity < 0:
		return Invalid("min_quantity", "min_quantity must be 0 or more")
	case p.ValidFrom != nil && p.ValidUntil != nil && !p.ValidUntil.After(*p.ValidFrom):
		return Invalid("valid_until", "valid_until must be after valid_from")
	}
	for _, t := range p.Terms {
		if t < 1 || t > 120 {
			return Invalid("terms", "terms are 1 to 120 months")
		}
	}
	return nil
}

// PromoUse is what a redemption's eligibility depends on besides the order
// lines.
type PromoUse struct {
	Now                 time.Time
	Currency            string
	CustomerRedemptions int  // paid orders of this customer that used the code
	HasPaidOrders       bool // the customer has paid for anything before
}

// Check reports whether the code may be used at all by this customer now.
// Errors: promo_invalid (inactive, not yet valid, expired, first purchase
// only, wrong currency), promo_exhausted (no redemptions left in total or
// for this customer).
func (p Promo) Check(u PromoUse) error {
	switch {
	case !p.Active:
		return promoErr(CodePromoInvalid, "promo code %s is no longer active", p.Code)
	case p.ValidFrom != nil && u.Now.Before(*p.ValidFrom):
		return promoErr(CodePromoInvalid, "promo code %s is not valid yet (from %s)", p.Code, p.ValidFrom.Format(time.DateOnly))
	case p.ValidUntil != nil && !u.Now.Before(*p.ValidUntil):
		return promoErr(CodePromoInvalid, "promo code %s has expired", p.Code)
	case !p.HasPercent && p.Currency != u.Currency:
		return promoErr(CodePromoInvalid, "promo code %s is not applicable: it is for %s orders", p.Code, p.Currency)
	case p.MaxRedemptions > 0 && p.Redemptions >= p.MaxRedemptions:
		return promoErr(CodePromoExhausted, "promo code %s has been fully redeemed", p.Code)
	case p.MaxPerCustomer > 0 && u.CustomerRedemptions >= p.MaxPerCustomer:
		return promoErr(CodePromoExhausted, "you have already used promo code %s", p.Code)
	case p.FirstPurchaseOnly && u.HasPaidOrders:
		return promoErr(CodePromoInvalid, "promo code %s is for a first purchase only", p.Code)
	}
	return nil
}

// Eligible reports whether the code reduces a given line: a paid,
// discountable line of an allowed plan and term with enough licenses. A new
// subscription always qualifies; renewals, upgrades and added licenses only
// when the code allows renewals.
func (p Promo) Eligible(l Line) bool {
	switch {
	case !l.Discountable() || l.Trial || l.Amount <= 0:
		return false
	case l.Type != ItemSubscription && !p.Renewals:
		return false
	case len(p.Plans) > 0 && !slices.Contains(p.Plans, l.Plan):
		return false
	case len(p.Terms) > 0 && !slices.Contains(p.Terms, l.TermMonths):
		return false
	case p.MinQuantity > 0 && l.Quantity < p.MinQuantity:
		return false
	}
	return true
}

// Apply sets the discount of every eligible line: a percentage of each line
// rounded per line, or a fixed amount spread over the eligible lines in
// order, never more than a line's amount. Error: promo_invalid when no line
// is eligible.
func (p Promo) Apply(lines []Line) error {
	left := p.AmountOff
	any := false
	for i := range lines {
		lines[i].Discount = 0
		if !p.Eligible(lines[i]) {
			continue
		}
		any = true
		if p.HasPercent {
			lines[i].Discount = p.PercentOff.Apply(lines[i].Amount)
			continue
		}
		d := min(left, lines[i].Amount)
		lines[i].Discount = d
		left -= d
	}
	if !any {
		return promoErr(CodePromoInvalid, "promo code %s is not applicable to this order", p.Code)
	}
	return nil
}

func promoErr(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Param: "promo_code", Message: fmt.Sprintf(format, args...)}
}

// Redemption is a use of a promo code by an order.
type Redemption struct {
	Code       string
	OrderID    string
	CustomerID string
	Company    string
	At         time.Time
}
