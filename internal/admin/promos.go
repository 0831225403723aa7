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
)

// Promo codes: the list, a new code, and a code's page with every
// restriction (API.md operator section) and its redemptions.

func (a *Admin) promoRoutes() {
	a.handle("GET /admin/promo-codes", areaPromos, a.promosPage)
	a.handle("POST /admin/promo-codes", areaPromos, a.promoCreate)
	a.handle("GET /admin/promo-codes/{code}", areaPromos, a.promoPage)
	a.handle("POST /admin/promo-codes/{code}", areaPromos, a.promoUpdate)
}

// promosData is the list of codes (the page's form is the new code's)
// with the plans a code may be for.
type promosData struct {
	listed[market.Promo]
	Plans []market.Plan
}

// promoData is a code's page: the code, the plans and its redemptions.
type promoData struct {
	Promo *market.Promo
	Plans []market.Plan
	listed[market.Redemption]
}

var promoFields = map[string]string{"code": "code", "percent_off": "percent_off", "amount_off": "amount_off", "currency": "currency",
	"plans": "plans", "terms": "terms", "valid_from": "valid_from", "valid_until": "valid_until", "max_redemptions": "max_redemptions",
	"max_per_customer": "max_per_customer", "min_quantity": "min_quantity"}

func (a *Admin) promosPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	a.showPromos(w, r, http.StatusOK, newForm(url.Values{"kind": {"percent"}, "max_per_customer": {"1"}, "active": {"yes"}}))
}

func (a *Admin) showPromos(w http.ResponseWriter, r *http.Request, status int, f *form) {
	plans, err := a.svc.Plans(r.Context(), false)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	showList(a, w, r, status, a.promoList(), "promos", view{Title: "Promo codes", Area: areaPromos, Form: f}, // lists_small.go
		func(l listed[market.Promo]) any { return promosData{listed: l, Plans: plans} })
}

// promoValues fills a promo's form.
func promoValues(p market.Promo) url.Values {
	v := url.Values{}
	v.Set("code", p.Code)
	if p.HasPercent {
		v.Set("kind", "percent")
		v.Set("percent_off", p.PercentOff.String())
	} else {
		v.Set("kind", "amount")
		v.Set("currency", p.Currency)
		if money.ValidCurrency(p.Currency) {
			v.Set("amount_off", money.FormatPlain(money.New(p.AmountOff, p.Currency)))
		}
	}
	v["plans"] = p.Plans
	terms := make([]string, len(p.Terms))
	for i, t := range p.Terms {
		terms[i] = strconv.Itoa(t)
	}
	v.Set("terms", strings.Join(terms, ", "))
	if p.ValidFrom != nil {
		v.Set("valid_from", p.ValidFrom.UTC().Format("2006-01-02"))
	}
	if p.ValidUntil != nil {
		v.Set("valid_until", p.ValidUntil.UTC().Add(-time.Microsecond).Format("2006-01-02"))
	}
	v.Set("max_redemptions", strconv.Itoa(p.MaxRedemptions))
	v.Set("max_per_customer", strconv.Itoa(p.MaxPerCustomer))
	v.Set("min_quantity", strconv.Itoa(p.MinQuantity))
	for k, b := range map[string]bool{"first_purchase_only": p.FirstPurchaseOnly, "renewals": p.Renewals, "active": p.Active} {
		if b {
			v.Set(k, "yes")
		}
	}
	return v
}

// promoFromForm reads a promo code's form over p.
func promoFromForm(p market.Promo, f *form) (market.Promo, error) {
	if c := f.Get("code"); c != "" && p.Code == "" {
		p.Code = c
	}
	p.Currency = strings.ToUpper(strings.TrimSpace(f.Get("currency")))
	if f.Get("kind") == "amount" {
		if !money.ValidCurrency(p.Currency) {
			return p, market.Invalid("currency", "currency: give the currency of the amount off, e.g. EUR")
		}
		amt, err := money.ParseMajor(f.Get("amount_off"), p.Currency)
		if err != nil || amt.Minor <= 0 {
			return p, market.Invalid("amount_off", "amount off must be an amount above zero, such as 10.00")
		}
		p.AmountOff, p.HasPercent, p.PercentOff = amt.Minor, false, money.Rate{}
	} else {
		r, err := money.ParseRate(strings.TrimSpace(f.Get("percent_off")))
		if err != nil {
			return p, market.Invalid("percent_off", "percent off must be a decimal number between 0 and 100, such as 15 or 12.5")
		}
		p.PercentOff, p.HasPercent, p.AmountOff, p.Currency = r, true, 0, ""
	}
	p.Plans = nil
	for _, c := range f.Values["plans"] {
		if c = strings.TrimSpace(c); c != "" {
			p.Plans = append(p.Plans, c)
		}
	}
	terms, err := parseTerms(f.Get("terms"))
	if err != nil {
		return p, err
	}
	p.Terms = terms
	day := func(name string, end bool) (*time.Time, error) {
		v := strings.TrimSpace(f.Get(name))
		if v == "" {
			return nil, nil
		}
		t, err := time.Parse("2006-01-02", v)
		if err != nil {
			return nil, market.Invalid(name, "%s must be a date such as 2026-04-30", strings.ReplaceAll(name, "_", " "))
		}
		if end {
			t = t.AddDate(0, 0, 1) // to the end of that day
		}
		return &t, nil
	}
	if p.ValidFrom, err = day("valid_from", false); err != nil {
		return p, err
	}
	if p.ValidUntil, err = day("valid_until", true); err != nil {
		return p, err
	}
	for _, x := range []struct {
		name string
		to   *int
	}{{"max_redemptions", &p.MaxRedemptions}, {"max_per_customer", &p.MaxPerCustomer}, {"min_quantity", &p.MinQuantity}} {
		if *x.to, err = atoiField(f, x.name); err != nil {
			return p, err
		}
	}
	p.FirstPurchaseOnly = f.Get("first_purchase_only") == "yes"
	p.Renewals = f.Get("renewals") == "yes"
	p.Active = f.Get("active") == "yes"
	return p, nil
}

func (a *Admin) promoCreate(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	f := newForm(r.PostForm)
	p, err := promoFromForm(market.Promo{}, f)
	if err == nil {
		p, err = a.svc.SavePromo(r.Context(), p, true)
	}
	if err != nil {
		st := a.fail(f, err, promoFields)
		if st == 0 {
			a.pageError(w, r, err)
			return
		}
		a.showPromos(w, r, st, f)
		return
	}
	a.redirect(w, r, "/admin/promo-codes/"+url.PathEscape(p.Code), "Promo code "+p.Code+" created.")
}

func (a *Admin) redemptionList(code string) listSpec[market.Redemption] {
	return listSpec[market.Redemption]{
		Name: "redemptions-" + strings.ToLower(code),
		Fetch: func(ctx context.Context, _ url.Values, p billing.Page) ([]market.Redemption, error) {
			return a.svc.PromoRedemptions(ctx, code, p)
		},
		ID: func(x market.Redemption) string { return x.OrderID },
		CSV: []column[market.Redemption]{
			{"order_id", func(x market.Redemption) string { return x.OrderID }},
			{"customer_id", func(x market.Redemption) string { return x.CustomerID }},
			{"company", func(x market.Redemption) string { return x.Company }},
			{"redeemed_at", func(x market.Redemption) string { return x.At.UTC().Format(time.RFC3339) }},
		},
	}
}

func (a *Admin) promoPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	p, err := a.svc.Promo(r.Context(), r.PathValue("code"))
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.showPromo(w, r, http.StatusOK, p, newForm(promoValues(p)))
}

func (a *Admin) showPromo(w http.ResponseWriter, r *http.Request, status int, p market.Promo, f *form) {
	plans, err := a.svc.Plans(r.Context(), false)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	showList(a, w, r, status, a.redemptionList(p.Code), "promo", view{Title: "Promo code " + p.Code, Area: areaPromos, Form: f},
		func(l listed[market.Redemption]) any { return promoData{Promo: &p, Plans: plans, listed: l} })
}

func (a *Admin) promoUpdate(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	old, err := a.svc.Promo(r.Context(), r.PathValue("code"))
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	f := newForm(r.PostForm)
	p, err := promoFromForm(old, f)
	if err == nil {
		p, err = a.svc.SavePromo(r.Context(), p, false)
	}
	if err != nil {
		st := a.fail(f, err, promoFields)
		if st == 0 {
			a.pageError(w, r, err)
			return
		}
		a.showPromo(w, r, st, old, f)
		return
	}
	a.redirect(w, r, "/admin/promo-codes/"+url.PathEscape(p.Code), "Promo code "+p.Code+" saved.")
}
