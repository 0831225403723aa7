package admin

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/web"
)

// Customers: the search, a customer's page and its balance adjustment.

func (a *Admin) customerRoutes() {
	a.handle("GET /admin/customers", areaCustomers, a.customersPage)
	a.handle("GET /admin/customers/{id}", areaCustomers, a.customerPage)
	a.handle("GET /admin/customers/{id}/entries", areaCustomers, a.entriesPage)
	a.handle("POST /admin/customers/{id}/balance-adjustments", areaCustomers, a.adjustPost)
}

func (a *Admin) customerList() listSpec[market.Customer] {
	return listSpec[market.Customer]{
		Name:    "customers",
		Filters: []string{"q"},
		Fetch: func(ctx context.Context, q url.Values, p billing.Page) ([]market.Customer, error) {
			return a.svc.SearchCustomers(ctx, q.Get("q"), p)
		},
		ID: func(c market.Customer) string { return c.ID },
		CSV: []column[market.Customer]{
			{"id", func(c market.Customer) string { return c.ID }},
			{"company", func(c market.Customer) string { return c.Company }},
			{"email", func(c market.Customer) string { return c.Email }},
			{"country", func(c market.Customer) string { return c.Country }},
			{"currency", func(c market.Customer) string { return c.Currency }},
			{"balance", func(c market.Customer) string { return money.FormatPlain(money.New(c.Balance, c.Currency)) }},
			{"created_at", func(c market.Customer) string { return c.CreatedAt.UTC().Format(time.RFC3339) }},
		},
	}
}

func (a *Admin) customersPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	showList(a, w, r, http.StatusOK, a.customerList(), "customers", view{Title: "Customers", Area: areaCustomers}, nil)
}

func (a *Admin) customerPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	a.showCustomer(w, r, http.StatusOK, newForm(nil))
}

func (a *Admin) showCustomer(w http.ResponseWriter, r *http.Request, status int, f *form) {
	v, err := a.svc.CustomerOverview(r.Context(), r.PathValue("id"))
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.render(w, r, status, "customer", view{Title: v.Customer.Company, Area: areaCustomers, Form: f, Data: v})
}

// adjustPost credits (a positive amount) or debits (negative) the
// balance, in major units of the customer's currency, with a reason.
func (a *Admin) adjustPost(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	f := newForm(r.PostForm)
	c, err := a.svc.Customer(r.Context(), r.PathValue("id"))
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	raw, sign := strings.TrimSpace(f.Get("amount")), int64(1)
	if rest, ok := strings.CutPrefix(raw, "-"); ok {
		raw, sign = strings.TrimSpace(rest), -1
	}
	amt, err := money.ParseMajor(raw, c.Currency)
	amt.Minor *= sign
	if err != nil {
		f.Errors["amount"] = "Enter an amount in " + c.Currency + " such as 25.00, or -10.00 for a debit."
		a.showCustomer(w, r, http.StatusBadRequest, f)
		return
	}
	in := billing.AdjustmentInput{Amount: amt.Minor, Reason: f.Get("reason")}
	if seen, err := strconv.ParseInt(f.Get("seen_balance"), 10, 64); err == nil {
		in.ExpectBalance = &seen // a form sent twice adjusts once
	}
	pay, err := a.svc.AdjustBalance(r.Context(), c.ID, in.Keyed(web.KeyOf(r.Context())))
	if err != nil {
		st := a.fail(f, err, map[string]string{"amount": "amount", "reason": "reason"})
		if st == 0 {
			a.pageError(w, r, err)
			return
		}
		a.showCustomer(w, r, st, f)
		return
	}
	verb := "credited"
	if pay.Amount < 0 {
		verb = "debited"
	}
	a.redirect(w, r, "/admin/customers/"+url.PathEscape(c.ID), "Balance "+verb+" "+money.Format(money.New(abs(pay.Amount), pay.Currency))+
		" ("+strconv.Quote(pay.Description)+").")
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
