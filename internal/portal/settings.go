package portal

import (
	"net/http"

	"github.com/dialtone/dialtone/internal/address"
	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// Main settings -> Account settings: what the account is (ID, company,
// country, currency, owner), and the change of the login's password.

// settingsData is the Account settings page.
type settingsData struct {
	Account     market.Customer
	CountryName string
	// Login is the e-mail of who is logged in (the owner or another login).
	Login string
	// Role is the role of who is logged in; Logins are the account's.
	Role   string
	Logins []loginRow
	Roles  []string
	// Balance is the balance's settings form (balance.go).
	Balance balanceView
	// Invoices is how invoices are e-mailed; MailMode what becomes of
	// e-mails ("smtp", "mailbox", "off").
	Invoices market.MailSettings
	MailMode string
}

func (s *Handler) SettingsPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	s.showSettings(w, r, p, newForm(nil), http.StatusOK)
}

func (s *Handler) showSettings(w http.ResponseWriter, r *http.Request, p billing.Principal, f *form, status int) {
	ctx := r.Context()
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := settingsData{Account: c, Login: c.Email, Balance: s.balanceView(r, p, c, f)}
	d.CountryName, _ = address.CountryName(c.Country)
	if d.Invoices, err = s.svc.MailSettings(ctx, c.ID); err != nil {
		s.pageError(w, r, err)
		return
	}
	d.MailMode = mailWord(s.svc.MailMode())
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

// PasswordPost changes the login's password; the customer stays logged in
// here and every other session of the login ends.
func (s *Handler) PasswordPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
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
		s.showSettings(w, r, p, f, web.PageStatus(err))
		return
	}
	s.redirect(w, r, "/settings", "Your password was changed. You stay logged in here; every other session of this login was logged out.")
}

// InvoiceEmailsPost turns the e-mailing of invoices on or off and sets
// their recipient.
func (s *Handler) InvoiceEmailsPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(r.PostForm)
	on := f.Get("invoice_emails") == "on"
	email := f.Get("billing_email")
	if _, err := s.svc.SetMailSettings(r.Context(), p, billing.MailSettingsInput{InvoiceEmails: &on, BillingEmail: &email}); err != nil {
		s.fail(r, f, err, map[string]string{"billing_email": "billing_email"})
		s.showSettings(w, r, p, f, web.PageStatus(err))
		return
	}
	msg := "Invoices and credit notes are no longer e-mailed; they stay under Invoices."
	if on {
		to := email
		if to == "" {
			to = "the owner's e-mail"
		}
		switch s.svc.MailMode() {
		case billing.MailSMTP:
			msg = "Paid invoices and credit notes will be e-mailed as PDF to " + to + "."
		case billing.MailMailbox:
			msg = "Paid invoices and credit notes will be addressed to " + to + " as PDF; e-mail is not configured on this sandbox, so they are kept under Notifications instead of being sent."
		default:
			msg = "Paid invoices and credit notes are to be e-mailed to " + to + ", but e-mail is not configured on this server: none is sent until it is."
		}
	}
	s.redirect(w, r, "/settings#invoice-emails", msg)
}
