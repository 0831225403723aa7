package admin

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
)

// The operators' accounts (admins only change them): the list, a new
// operator, and a change of role or disabling.

func (a *Admin) operatorRoutes() {
	a.handle("GET /admin/operators", areaOperators, a.operatorsPage)
	a.handle("POST /admin/operators", areaOperators, a.operatorCreate)
	a.handle("POST /admin/operators/{id}", areaOperators, a.operatorUpdate)
}

func (a *Admin) operatorList() listSpec[market.Operator] {
	return listSpec[market.Operator]{
		Name:  "operators",
		Fetch: unfiltered(a.svc.Operators),
		ID:    func(o market.Operator) string { return o.ID },
		CSV: []column[market.Operator]{
			{"id", func(o market.Operator) string { return o.ID }},
			{"email", func(o market.Operator) string { return o.Email }},
			{"role", func(o market.Operator) string { return o.Role }},
			{"disabled", func(o market.Operator) string { return map[bool]string{true: "yes", false: "no"}[o.Disabled] }},
			{"created_at", func(o market.Operator) string { return o.CreatedAt.UTC().Format("2006-01-02T15:04:05Z") }},
		},
	}
}

type operatorsData struct {
	listed[market.Operator]
	Roles []string
	// Created is the operator just created with a generated password,
	// shown on this page only.
	Created *created
}

type created struct{ Email, Password string }

func (a *Admin) operatorsPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	a.showOperators(w, r, http.StatusOK, newForm(url.Values{"role": {billing.RoleSupport}}), nil)
}

func (a *Admin) showOperators(w http.ResponseWriter, r *http.Request, status int, f *form, c *created) {
	showList(a, w, r, status, a.operatorList(), "operators", view{Title: "Operators", Area: areaOperators, Form: f},
		func(l listed[market.Operator]) any {
			return operatorsData{listed: l, Roles: billing.OperatorRoles, Created: c}
		})
}

// operatorCreate creates an operator; a blank password is generated and
// shown once on the page that answers.
func (a *Admin) operatorCreate(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	f := newForm(r.PostForm)
	pw, generated := f.Get("password"), ""
	if pw == "" {
		pw = id.Secret(16)
		generated = pw
	}
	o, err := a.svc.CreateOperator(r.Context(), billing.OperatorInput{Email: f.Get("email"), Role: f.Get("role"), Password: pw})
	f.Values.Del("password")
	if err != nil {
		st := a.fail(f, err, map[string]string{"email": "email", "role": "role", "password": "password"})
		if st == 0 {
			a.pageError(w, r, err)
			return
		}
		a.showOperators(w, r, st, f, nil)
		return
	}
	if generated == "" {
		a.redirect(w, r, "/admin/operators", "Operator "+o.Email+" ("+o.Role+") created.")
		return
	}
	a.showOperators(w, r, http.StatusCreated, newForm(url.Values{"role": {billing.RoleSupport}}), &created{Email: o.Email, Password: generated})
}

// operatorUpdate changes an operator's role and whether it is disabled.
func (a *Admin) operatorUpdate(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	role := r.PostForm.Get("role")
	if !slices.Contains(billing.OperatorRoles, role) {
		role = "" // the use case names the field
	}
	o, err := a.svc.UpdateOperator(r.Context(), r.PathValue("id"), role, r.PostForm.Get("disabled") == "yes")
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	state := "active"
	if o.Disabled {
		state = "disabled"
	}
	a.redirect(w, r, "/admin/operators", "Operator "+o.Email+" is now "+o.Role+", "+state+".")
}
