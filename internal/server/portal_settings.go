package server

import (
	"net/http"

	"github.com/dialtone/dialtone/internal/address"
	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Main settings -> Account settings: what the account is (ID, company,
// country, currency, owner), and the change of the login's password.

// settingsData is the Account settings page.
type settingsData struct {
	Account     store.Customer
	CountryName string
	// Login is the e-mail of who is logged in (the owner or another login).
	Login string
	// Role is the role of who is logged in; Logins are the account's.
	Role   string
	Logins []loginRow
	Roles  []string
	// Balance is the balance's settings form (portal_balance.go).
	Balance balanceView
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	s.showSettings(w, r, p, newForm(nil), http.StatusOK)
}

func (s *Server) showSettings(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	ctx := r.Context()
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := settingsData{Account: c, Login: c.Email, Balance: s.balanceView(r, p, c, f)}
	d.CountryName, _ = address.CountryName(c.Country)
	if u, err := s.svc.User(ctx, p, p.UserID); err == nil {
		d.Login = u.Email
	}
	d.Role, d.Logins, d.Roles = p.Role, s.loginRows(r, p), billing.LoginRoles
	// Passwords never travel back to the page.
	for _, k := range []string{"current_password", "new_password", "repeat_password"} {
		f.Values.Del(k)
	}
	s.render(w, r, status, "settings", view{Title: "Account settings", Nav: "settings", Customer: c, Form: f, Data: d})
}

// passwordFields maps ChangePassword's params onto the form.
var passwordFields = map[string]string{"current_password": "current_password", "new_password": "new_password"}

// passwordPost changes the login's password; the customer stays logged in
// here and every other session of the login ends.
func (s *Server) passwordPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(r.PostForm)
	next := f.Get("new_password")
	if next != "" && f.Get("repeat_password") != next {
		f.Errors["repeat_password"] = "The two new passwords differ. Type the same new password twice."
		s.showSettings(w, r, p, f, http.StatusBadRequest)
		return
	}
	if err := s.svc.ChangePassword(r.Context(), p, f.Get("current_password"), next); err != nil {
		if market.IsCode(err, market.CodeUnauthenticated) {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		s.fail(r, f, err, passwordFields)
		s.showSettings(w, r, p, f, pageStatus(err))
		return
	}
	s.redirect(w, r, "/settings", "Your password was changed. You stay logged in here; every other session of this login was logged out.")
}
