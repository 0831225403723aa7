package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

// The catalog: products and their plans with a price per term and
// currency. A plan is edited, never deleted (deactivated: no longer
// sold); a change of prices is shown with what it applies to and saved
// only once confirmed (PRODUCT.md: new purchases, renewals, upgrades and
// added licenses from then on, never what was paid).

func (a *Admin) catalogRoutes() {
	a.handle("GET /admin/catalog", areaCatalog, a.catalogPage)
	a.handle("POST /admin/catalog", areaCatalog, a.planCreate)
	a.handle("GET /admin/catalog/{code}", areaCatalog, a.planPage)
	a.handle("POST /admin/catalog/{code}", areaCatalog, a.planSave)
}

// catalogPage lists the plans (lists_small.go: filtered by product and
// status, paginated, CSV), with the new plan's form (catalog_new.go).
func (a *Admin) catalogPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	a.showCatalog(w, r, http.StatusOK, newForm(url.Values{"terms": {"1, 12"}, "min_licenses": {"1"}}))
}

func (a *Admin) showCatalog(w http.ResponseWriter, r *http.Request, status int, f *form) {
	showList(a, w, r, status, a.planList(), "catalog", view{Title: "Catalog", Area: areaCatalog, Form: f}, nil)
}

// priceCell is one price of the edit form's grid.
type priceCell struct {
	Name, Label, Value string
}

// priceRow is one term of the grid, a cell per currency.
type priceRow struct {
	Term  int
	Cells []priceCell
}

// priceChange is a price that a save would change.
type priceChange struct {
	Currency string
	Term     int
	Old, New string // "" when not sold
}

type planData struct {
	Plan       market.Plan
	Currencies []string
	Grid       []priceRow
	Changes    []priceChange
	// Hidden are the form's values, carried by the confirm step.
	Hidden url.Values
}

func priceField(cur string, term int) string { return fmt.Sprintf("price_%s_%d", cur, term) }

// planForm fills the form of a plan from the plan.
func planForm(p market.Plan) url.Values {
	v := url.Values{}
	v.Set("name", p.Name)
	v.Set("product_name", p.ProductName)
	v.Set("description", p.Description)
	v.Set("rank", strconv.Itoa(p.Rank))
	v.Set("min_licenses", strconv.Itoa(p.MinLicenses))
	v.Set("max_licenses", strconv.Itoa(p.MaxLicenses))
	v.Set("trial_days", strconv.Itoa(p.TrialDays))
	terms := make([]string, len(p.Terms))
	for i, t := range p.Terms {
		terms[i] = strconv.Itoa(t)
	}
	v.Set("terms", strings.Join(terms, ", "))
	if p.Active {
		v.Set("active", "yes")
	}
	for _, pr := range p.Prices {
		v.Set(priceField(pr.Currency, pr.TermMonths), money.FormatPlain(money.New(pr.UnitAmount, pr.Currency)))
	}
	return v
}

// currenciesOf are the currencies of the whole catalog and of the plan.
func (a *Admin) currenciesOf(r *http.Request, p market.Plan) []string {
	var cs []string
	plans, _ := a.svc.Plans(r.Context(), true)
	for _, pl := range append(plans, p) {
		for _, pr := range pl.Prices {
			if !slices.Contains(cs, pr.Currency) {
				cs = append(cs, pr.Currency)
			}
		}
	}
	slices.Sort(cs)
	return cs
}

func (a *Admin) planPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	p, err := a.svc.Plan(r.Context(), r.PathValue("code"))
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.showPlan(w, r, http.StatusOK, p, newForm(planForm(p)), p.Terms)
}

func (a *Admin) showPlan(w http.ResponseWriter, r *http.Request, status int, p market.Plan, f *form, terms []int) {
	d := planData{Plan: p, Currencies: a.currenciesOf(r, p)}
	d.Grid = grid(d.Currencies, terms, f)
	a.render(w, r, status, "plan", view{Title: "Plan " + p.Code, Area: areaCatalog, Form: f, Data: d})
}

func grid(currencies []string, terms []int, f *form) []priceRow {
	var out []priceRow
	for _, t := range terms {
		row := priceRow{Term: t}
		for _, c := range currencies {
			n := priceField(c, t)
			row.Cells = append(row.Cells, priceCell{Name: n, Label: fmt.Sprintf("%s, %d months", c, t), Value: f.Get(n)})
		}
		out = append(out, row)
	}
	return out
}

// parseTerms reads "1, 6, 12".
func parseTerms(s string) ([]int, error) {
	var out []int
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		t, err := strconv.Atoi(part)
		if err != nil || t < 1 || t > 120 {
			return nil, market.Invalid("terms", "terms: %q is not a number of months between 1 and 120", part)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out, nil
}

func atoiField(f *form, name string) (int, error) {
	v := strings.TrimSpace(f.Get(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, market.Invalid(name, "%s must be a whole number of 0 or more", strings.ReplaceAll(name, "_", " "))
	}
	return n, nil
}

// planFromForm is the plan old with the form's changes.
func planFromForm(old market.Plan, currencies []string, f *form) (market.Plan, []int, error) {
	p := old
	p.Name = strings.TrimSpace(f.Get("name"))
	p.ProductName = strings.TrimSpace(f.Get("product_name"))
	p.Description = strings.TrimSpace(f.Get("description"))
	p.Active = f.Get("active") == "yes"
	terms, err := parseTerms(f.Get("terms"))
	if err != nil {
		return p, old.Terms, err
	}
	p.Terms = terms
	for _, x := range []struct {
		name string
		to   *int
	}{{"rank", &p.Rank}, {"min_licenses", &p.MinLicenses}, {"max_licenses", &p.MaxLicenses}, {"trial_days", &p.TrialDays}} {
		if *x.to, err = atoiField(f, x.name); err != nil {
			return p, terms, err
		}
	}
	p.Prices = nil
	for _, t := range terms {
		for _, c := range currencies {
			n := priceField(c, t)
			v := strings.TrimSpace(f.Get(n))
			if v == "" {
				continue
			}
			amt, err := money.ParseMajor(v, c)
			if err != nil {
				return p, terms, market.Invalid(n, "the price in %s for %d months must be an amount such as 25.00", c, t)
			}
			p.Prices = append(p.Prices, market.Price{Currency: c, TermMonths: t, UnitAmount: amt.Minor})
		}
	}
	return p, terms, nil
}

// priceChanges lists the prices that differ between two versions.
func priceChanges(old, p market.Plan) []priceChange {
	type key struct {
		c string
		t int
	}
	was, is := map[key]int64{}, map[key]int64{}
	var keys []key
	for _, pr := range old.Prices {
		was[key{pr.Currency, pr.TermMonths}] = pr.UnitAmount
		keys = append(keys, key{pr.Currency, pr.TermMonths})
	}
	for _, pr := range p.Prices {
		is[key{pr.Currency, pr.TermMonths}] = pr.UnitAmount
		if _, ok := was[key{pr.Currency, pr.TermMonths}]; !ok {
			keys = append(keys, key{pr.Currency, pr.TermMonths})
		}
	}
	var out []priceChange
	for _, k := range keys {
		o, had := was[k]
		n, has := is[k]
		if had == has && o == n {
			continue
		}
		c := priceChange{Currency: k.c, Term: k.t}
		if had {
			c.Old = money.Format(money.New(o, k.c))
		}
		if has {
			c.New = money.Format(money.New(n, k.c))
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y priceChange) int {
		if c := strings.Compare(x.Currency, y.Currency); c != 0 {
			return c
		}
		return x.Term - y.Term
	})
	return out
}

// planSave saves a plan; a change of prices first shows the confirm step
// (the form again, hidden, with confirm=yes).
func (a *Admin) planSave(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	old, err := a.svc.Plan(r.Context(), r.PathValue("code"))
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	f := newForm(r.PostForm)
	currencies := a.currenciesOf(r, old)
	fields := map[string]string{"name": "name", "terms": "terms", "rank": "rank", "min_licenses": "min_licenses",
		"max_licenses": "max_licenses", "trial_days": "trial_days", "prices": "prices"}
	p, terms, err := planFromForm(old, currencies, f)
	if err != nil {
		for _, t := range terms {
			for _, c := range currencies {
				fields[priceField(c, t)] = priceField(c, t)
			}
		}
		a.planFailed(w, r, old, f, terms, err, fields)
		return
	}
	changes := priceChanges(old, p)
	if len(changes) > 0 && f.Get("confirm") != "yes" {
		if err := p.Validate(); err != nil {
			a.planFailed(w, r, old, f, terms, err, fields)
			return
		}
		hidden := cloneValues(r.PostForm)
		hidden.Set("confirm", "yes")
		hidden.Del(formKeyField) // the confirm step's form has a key of its own
		a.render(w, r, http.StatusOK, "plan_confirm", view{Title: "Confirm the price change", Area: areaCatalog,
			Data: planData{Plan: old, Changes: changes, Hidden: hidden}})
		return
	}
	saved, err := a.svc.SavePlan(r.Context(), p, false)
	if err != nil {
		a.planFailed(w, r, old, f, terms, err, fields)
		return
	}
	msg := "Plan " + saved.Code + " saved."
	if len(changes) > 0 {
		msg = fmt.Sprintf("Plan %s saved: %d prices changed, for new purchases, renewals, upgrades and added licenses from now on.", saved.Code, len(changes))
	}
	a.redirect(w, r, "/admin/catalog/"+url.PathEscape(saved.Code), msg)
}

func (a *Admin) planFailed(w http.ResponseWriter, r *http.Request, old market.Plan, f *form, terms []int, err error, fields map[string]string) {
	st := a.fail(f, err, fields)
	if st == 0 {
		a.pageError(w, r, err)
		return
	}
	a.showPlan(w, r, st, old, f, terms)
}
