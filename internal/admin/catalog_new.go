package admin

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// planCreate creates a plan from the catalog page's form: deactivated and
// without prices, so that nothing is sold before its page has set a price
// per term and currency and switched it on (audited plan.create by
// billing.SavePlan).
func (a *Admin) planCreate(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	f := newForm(r.PostForm)
	fields := map[string]string{"code": "code", "name": "name", "product": "product", "product_name": "product_name", "terms": "terms",
		"rank": "rank", "min_licenses": "min_licenses", "max_licenses": "max_licenses"}
	p := market.Plan{Code: strings.TrimSpace(f.Get("code")), Name: strings.TrimSpace(f.Get("name")), Product: strings.TrimSpace(f.Get("product")),
		ProductName: strings.TrimSpace(f.Get("product_name"))}
	terms, err := parseTerms(f.Get("terms"))
	p.Terms = terms
	for _, x := range []struct {
		name string
		to   *int
	}{{"rank", &p.Rank}, {"min_licenses", &p.MinLicenses}, {"max_licenses", &p.MaxLicenses}} {
		if err != nil {
			break
		}
		*x.to, err = atoiField(f, x.name)
	}
	if err == nil {
		p, err = a.svc.SavePlan(r.Context(), p, true)
	}
	if err != nil {
		st := a.fail(f, err, fields)
		if st == 0 {
			a.pageError(w, r, err)
			return
		}
		a.showCatalog(w, r, st, f)
		return
	}
	a.redirect(w, r, "/admin/catalog/"+url.PathEscape(p.Code), "Plan "+p.Code+" created, not sold yet: give it its prices and tick Sold.")
}
