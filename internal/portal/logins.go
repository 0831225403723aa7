package portal

import (
	"net/http"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// The log-in page's "Forgot password?", the pages of the links e-mailed
// for an invitation or a reset, and Account settings' company, e-mail and
// logins (PRODUCT.md "Logins and the operator").

func (s *Handler) ForgotPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "forgot_password", view{Title: "Forgot password", Form: newForm(nil)})
}

// ForgotPost answers the same whether or not the address is a login's.
func (s *Handler) ForgotPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "forgot_password", view{Title: "Forgot password", Form: newForm(nil)})
		return
	}
	f := newForm(r.PostForm)
	if err := s.svc.RequestPasswordReset(r.Context(), f.Get("email"), web.ClientOf(r.Context())); err != nil {
		s.fail(r, f, err, map[string]string{"email": "email"})
		if ra := web.RetryAfter(err); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		s.render(w, r, web.PageStatus(err), "forgot_password", view{Title: "Forgot password", Form: f})
		return
	}
	f.Notice = web.ResetSentWords(s.svc.MailMode())
	s.render(w, r, http.StatusOK, "forgot_password", view{Title: "Forgot password", Form: f, Data: true})
}

// linkData is the page of an e-mailed link.
type linkData struct {
	Purpose string // "invitation", "reset", or "" when the link is not valid
	Action  string
}

func (s *Handler) linkView(r *http.Request, f *form) (view, error) {
	purpose, err := s.svc.LinkPurpose(r.Context(), r.PathValue("token"))
	d := linkData{Purpose: purpose, Action: r.URL.Path}
	title := "Choose a new password"
	if purpose == "invitation" {
		title = "Choose your password"
	}
	return view{Title: title, Form: f, Data: d}, err
}

func (s *Handler) LinkPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	v, err := s.linkView(r, newForm(nil))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	status := http.StatusOK
	if v.Data.(linkData).Purpose == "" {
		status = http.StatusNotFound
	}
	s.render(w, r, status, "set_password", v)
}

// LinkPost sets the password with the link's token, once, ends the
// login's other sessions and logs the visitor in.
func (s *Handler) LinkPost(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "error", view{Title: "Bad request", Data: "The form could not be read."})
		return
	}
	f := newForm(r.PostForm)
	pw, repeat := f.Get("password"), f.Get("repeat_password")
	f.Values.Del("password")
	f.Values.Del("repeat_password")
	if pw != "" && repeat != pw {
		f.Errors["repeat_password"] = "The two passwords differ. Type the same password twice."
		v, _ := s.linkView(r, f)
		s.render(w, r, http.StatusBadRequest, "set_password", v)
		return
	}
	u, err := s.svc.UseLink(r.Context(), r.PathValue("token"), pw)
	if err != nil {
		s.fail(r, f, err, map[string]string{"password": "password"})
		v, _ := s.linkView(r, f)
		s.render(w, r, web.PageStatus(err), "set_password", v)
		return
	}
	tok, err := s.svc.LogInAs(r.Context(), u)
	if err != nil {
		s.redirect(w, r, "/login", "Your password is set. Please log in.")
		return
	}
	c := web.SessionCookieOf(tok, r.Context())
	http.SetCookie(w, &c)
	s.redirect(w, r, "/", "Your password is set and you are logged in as "+u.Email+".")
}

// loginRow is a login on Account settings.
type loginRow struct {
	market.User
	Status string
	Self   bool
}

func (s *Handler) loginRows(r *http.Request, p billing.Principal) []loginRow {
	us, err := s.svc.Logins(r.Context(), p)
	if err != nil {
		return nil
	}
	var out []loginRow
	for _, u := range us {
		out = append(out, loginRow{User: u, Status: billing.LoginStatus(u), Self: u.ID == p.UserID})
	}
	return out
}

func (s *Handler) CompanyPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(r.PostForm)
	c := f.Get("company")
	if _, err := s.svc.UpdateAccount(r.Context(), p, billing.AccountInput{Company: &c}); err != nil {
		s.fail(r, f, err, map[string]string{"company": "company"})
		s.showSettings(w, r, p, f, web.PageStatus(err))
		return
	}
	s.redirect(w, r, "/settings", "The company name was changed.")
}

func (s *Handler) EmailPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(r.PostForm)
	u, err := s.svc.ChangeEmail(r.Context(), p, f.Get("email"))
	if err != nil {
		s.fail(r, f, err, map[string]string{"email": "email"})
		s.showSettings(w, r, p, f, web.PageStatus(err))
		return
	}
	s.redirect(w, r, "/settings", "You now log in with "+u.Email+".")
}

func (s *Handler) InvitePost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	f := newForm(r.PostForm)
	u, err := s.svc.Invite(r.Context(), p, billing.InviteInput{Email: f.Get("invite_email"), Role: f.Get("role")})
	if err != nil {
		s.fail(r, f, err, map[string]string{"email": "invite_email", "role": "role"})
		s.showSettings(w, r, p, f, web.PageStatus(err))
		return
	}
	s.redirect(w, r, "/settings#logins", s.invitedWords(u))
}

func (s *Handler) LoginDeletePost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	if err := s.svc.DeleteLogin(r.Context(), p, r.PathValue("id")); err != nil {
		if market.IsCode(err, market.CodeNotFound) {
			s.pageError(w, r, err)
			return
		}
		f := newForm(nil)
		s.fail(r, f, err, nil)
		s.showSettings(w, r, p, f, web.PageStatus(err))
		return
	}
	s.redirect(w, r, "/settings#logins", "The login was removed and its sessions ended.")
}

// invitedWords says what became of an invitation's e-mail, claiming none
// that is not sent.
func (s *Handler) invitedWords(u market.User) string {
	who := u.Email + " (" + u.Role + ")"
	switch s.svc.MailMode() {
	case billing.MailSMTP:
		return "An invitation is on its way to " + who + "; its link works for 7 days."
	case billing.MailMailbox:
		return "The invitation for " + who + " was written, but e-mail is not configured on this sandbox: it is kept in the sandbox mailbox (GET /v1/admin/mailbox) instead of being sent. Its link works for 7 days."
	}
	return "The login " + who + " was added, but e-mail is not configured on this server: no invitation was sent."
}
