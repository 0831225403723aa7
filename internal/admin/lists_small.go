package admin

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

// The lists that are read whole — the catalog's plans, the promo codes,
// the tax rates: tens to a few thousand rows, each read with one query —
// are paginated, filtered and exported with the same helper as the
// others (list.go), paging in memory (pageOf). A customer's balance
// entries, which grow without end, page in the store.

// pageOf returns the rows of all after the row whose ID is p.After ("":
// from the start), up to p.Limit+1. A cursor that is no row is
// invalid_request naming after.
func pageOf[T any](all []T, id func(T) string, p billing.Page) ([]T, error) {
	start := 0
	if p.After != "" {
		i := slices.IndexFunc(all, func(t T) bool { return id(t) == p.After })
		if i < 0 {
			return nil, market.Invalid("after", "the page to continue from is no longer in the list: start from the first page")
		}
		start = i + 1
	}
	return all[start:min(len(all), start+p.Limit+1)], nil
}

// oneOf checks a filter whose values are a closed set.
func oneOf(name, v string, allowed ...string) error {
	if v == "" || slices.Contains(allowed, v) {
		return nil
	}
	return market.Invalid(name, "%s must be one of %s", name, strings.Join(allowed, ", "))
}

func (a *Admin) planList() listSpec[market.Plan] {
	return listSpec[market.Plan]{
		Name:    "plans",
		Filters: []string{"product", "status"},
		Fetch: func(ctx context.Context, q url.Values, pg billing.Page) ([]market.Plan, error) {
			status := q.Get("status")
			if err := oneOf("status", status, "sold", "deactivated"); err != nil {
				return nil, err
			}
			plans, err := a.svc.Plans(ctx, true)
			if err != nil {
				return nil, err
			}
			product := strings.ToLower(q.Get("product"))
			plans = slices.DeleteFunc(plans, func(p market.Plan) bool {
				return product != "" && !strings.Contains(strings.ToLower(p.Product+" "+p.ProductName), product) ||
					status == "sold" && !p.Active || status == "deactivated" && p.Active
			})
			slices.SortStableFunc(plans, func(x, y market.Plan) int {
				if c := strings.Compare(x.Product, y.Product); c != 0 {
					return c
				}
				return x.Rank - y.Rank
			})
			return pageOf(plans, func(p market.Plan) string { return p.Code }, pg)
		},
		ID: func(p market.Plan) string { return p.Code },
		CSV: []column[market.Plan]{
			{"code", func(p market.Plan) string { return p.Code }},
			{"product", func(p market.Plan) string { return p.Product }},
			{"product_name", func(p market.Plan) string { return p.ProductName }},
			{"name", func(p market.Plan) string { return p.Name }},
			{"terms", func(p market.Plan) string { return joinInts(p.Terms) }},
			{"prices", func(p market.Plan) string {
				out := make([]string, len(p.Prices))
				for i, pr := range p.Prices {
					out[i] = strconv.Itoa(pr.TermMonths) + " " + pr.Currency + " " + money.FormatPlain(money.New(pr.UnitAmount, pr.Currency))
				}
				return strings.Join(out, "; ")
			}},
			{"min_licenses", func(p market.Plan) string { return strconv.Itoa(p.MinLicenses) }},
			{"max_licenses", func(p market.Plan) string { return strconv.Itoa(p.MaxLicenses) }},
			{"active", func(p market.Plan) string { return strconv.FormatBool(p.Active) }},
		},
	}
}

func (a *Admin) promoList() listSpec[market.Promo] {
	return listSpec[market.Promo]{
		Name:    "promo-codes",
		Filters: []string{"code", "status"},
		Fetch: func(ctx context.Context, q url.Values, pg billing.Page) ([]market.Promo, error) {
			status := q.Get("status")
			if err := oneOf("status", status, "active", "inactive"); err != nil {
				return nil, err
			}
			promos, err := a.svc.Promos(ctx)
			if err != nil {
				return nil, err
			}
			code := market.NormalizeCode(q.Get("code"))
			promos = slices.DeleteFunc(promos, func(p market.Promo) bool {
				return code != "" && !strings.Contains(p.Code, code) || status == "active" && !p.Active || status == "inactive" && p.Active
			})
			return pageOf(promos, func(p market.Promo) string { return p.Code }, pg)
		},
		ID: func(p market.Promo) string { return p.Code },
		CSV: []column[market.Promo]{
			{"code", func(p market.Promo) string { return p.Code }},
			{"percent_off", func(p market.Promo) string {
				if p.HasPercent {
					return p.PercentOff.String()
				}
				return ""
			}},
			{"amount_off", func(p market.Promo) string {
				if p.HasPercent || !money.ValidCurrency(p.Currency) {
					return ""
				}
				return money.FormatPlain(money.New(p.AmountOff, p.Currency))
			}},
			{"currency", func(p market.Promo) string { return p.Currency }},
			{"plans", func(p market.Promo) string { return strings.Join(p.Plans, " ") }},
			{"terms", func(p market.Promo) string { return joinInts(p.Terms) }},
			{"valid_from", func(p market.Promo) string { return rfc3339(p.ValidFrom) }},
			{"valid_until", func(p market.Promo) string { return rfc3339(p.ValidUntil) }},
			{"max_redemptions", func(p market.Promo) string { return strconv.Itoa(p.MaxRedemptions) }},
			{"max_per_customer", func(p market.Promo) string { return strconv.Itoa(p.MaxPerCustomer) }},
			{"first_purchase_only", func(p market.Promo) string { return strconv.FormatBool(p.FirstPurchaseOnly) }},
			{"min_quantity", func(p market.Promo) string { return strconv.Itoa(p.MinQuantity) }},
			{"renewals", func(p market.Promo) string { return strconv.FormatBool(p.Renewals) }},
			{"redemptions", func(p market.Promo) string { return strconv.Itoa(p.Redemptions) }},
			{"active", func(p market.Promo) string { return strconv.FormatBool(p.Active) }},
		},
	}
}

func (a *Admin) taxList() listSpec[market.TaxRate] {
	return listSpec[market.TaxRate]{
		Name:    "tax-rates",
		Filters: []string{"country"},
		Fetch: func(ctx context.Context, q url.Values, pg billing.Page) ([]market.TaxRate, error) {
			rates, err := a.svc.TaxRates(ctx)
			if err != nil {
				return nil, err
			}
			country := strings.ToUpper(strings.TrimSpace(q.Get("country")))
			rates = slices.DeleteFunc(rates, func(t market.TaxRate) bool { return country != "" && !strings.HasPrefix(t.Country, country) })
			return pageOf(rates, func(t market.TaxRate) string { return t.Country }, pg)
		},
		ID: func(t market.TaxRate) string { return t.Country },
		CSV: []column[market.TaxRate]{
			{"country", func(t market.TaxRate) string { return t.Country }},
			{"percent", func(t market.TaxRate) string { return t.Rate.String() }},
			{"updated_at", func(t market.TaxRate) string { return t.UpdatedAt.UTC().Format(time.RFC3339) }},
		},
	}
}

func (a *Admin) entryList(customerID string) listSpec[market.Entry] {
	return listSpec[market.Entry]{
		Name: "balance-entries",
		Fetch: func(ctx context.Context, _ url.Values, p billing.Page) ([]market.Entry, error) {
			return a.svc.CustomerBalanceEntries(ctx, customerID, p)
		},
		ID: func(e market.Entry) string { return e.TransactionID },
		CSV: []column[market.Entry]{
			{"created_at", func(e market.Entry) string { return e.CreatedAt.UTC().Format(time.RFC3339) }},
			{"transaction", func(e market.Entry) string { return e.TransactionID }},
			{"kind", func(e market.Entry) string { return e.Kind }},
			{"description", func(e market.Entry) string { return e.Description }},
			{"order", func(e market.Entry) string { return e.OrderID }},
			{"payment", func(e market.Entry) string { return e.PaymentID }},
			{"amount", func(e market.Entry) string { return money.FormatPlain(money.New(e.Amount, e.Currency)) }},
			{"balance_after", func(e market.Entry) string { return money.FormatPlain(money.New(e.BalanceAfter, e.Currency)) }},
			{"currency", func(e market.Entry) string { return e.Currency }},
		},
	}
}

type entriesData struct {
	Customer market.Customer
	listed[market.Entry]
}

// entriesPage is every movement of a customer's balance (its page shows
// the newest 50).
func (a *Admin) entriesPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	c, err := a.svc.Customer(r.Context(), r.PathValue("id"))
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	showList(a, w, r, http.StatusOK, a.entryList(c.ID), "customer_entries", view{Title: "Balance of " + c.Company, Area: areaCustomers},
		func(l listed[market.Entry]) any { return entriesData{Customer: c, listed: l} })
}

func joinInts(v []int) string {
	out := make([]string, len(v))
	for i, n := range v {
		out[i] = strconv.Itoa(n)
	}
	return strings.Join(out, ", ")
}

func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
