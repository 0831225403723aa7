package admin

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
)

// Tax rates: one rate per country (the billing address's country picks
// it), listed and set.

func (a *Admin) taxRoutes() {
	a.handle("GET /admin/tax-rates", areaTaxes, a.taxPage)
	a.handle("POST /admin/tax-rates", areaTaxes, a.taxSet)
}

func (a *Admin) taxPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	a.showTaxes(w, r, http.StatusOK, newForm(nil))
}

func (a *Admin) showTaxes(w http.ResponseWriter, r *http.Request, status int, f *form) {
	showList(a, w, r, status, a.taxList(), "taxes", view{Title: "Tax rates", Area: areaTaxes, Form: f}, nil) // lists_small.go
}

func (a *Admin) taxSet(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	f := newForm(r.PostForm)
	rate, err := a.svc.SetTaxRate(r.Context(), f.Get("country"), strings.TrimSpace(f.Get("percent")))
	if err != nil {
		st := a.fail(f, err, map[string]string{"country": "country", "percent": "percent"})
		if st == 0 {
			a.pageError(w, r, err)
			return
		}
		a.showTaxes(w, r, st, f)
		return
	}
	a.redirect(w, r, "/admin/tax-rates", "The tax rate of "+rate.Country+" is now "+rate.Rate.String()+" %.")
}

// The sandbox clock (sandbox mode only; 404 otherwise): where it is, and
// moving it forward by days or to a date, which runs what became due.

func (a *Admin) clockRoutes() {
	if !a.cfg.Sandbox || a.cfg.AdvanceClock == nil {
		return // not found, as /v1/admin/clock outside the sandbox
	}
	a.handle("GET /admin/clock", areaClock, a.clockPage)
	a.handle("POST /admin/clock", areaClock, a.clockAdvance)
}

func (a *Admin) clockPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	a.render(w, r, http.StatusOK, "clock", view{Title: "Sandbox clock", Area: areaClock, Form: newForm(url.Values{"days": {"1"}})})
}

func (a *Admin) clockAdvance(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	f := newForm(r.PostForm)
	if err := a.cfg.AdvanceClock(r.Context(), strings.TrimSpace(f.Get("days")), strings.TrimSpace(f.Get("to"))); err != nil {
		st := a.fail(f, err, map[string]string{"days": "days", "to": "to", "seconds": "days"})
		if st == 0 {
			a.pageError(w, r, err)
			return
		}
		a.render(w, r, st, "clock", view{Title: "Sandbox clock", Area: areaClock, Form: f})
		return
	}
	a.redirect(w, r, "/admin/clock", "The clock is now "+a.svc.Now().UTC().Format("2 Jan 2006 15:04:05")+" UTC; what fell due has run.")
}
