package portal

import (
	"net/http"
	"net/url"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

func (s *Handler) SignupPage(w http.ResponseWriter, r *http.Request) {
	f := newForm(url.Values{"country": {"CH"}, "currency": {"CHF"}})
	s.render(w, r, http.StatusOK, "signup", view{Title: "Open an account", Form: f})
}

// SignupPost opens the account, logs its owner in and goes to the
// Dashboard.
func (s *Handler) SignupPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "signup", view{Title: "Open an account", Form: newForm(nil)})
		return
	}
	f := newForm(r.PostForm)
	in := billing.SignupInput{Email: f.Get("email"), Password: f.Get("password"), Company: f.Get("company"),
		Country: f.Get("country"), Currency: f.Get("currency")}
	if _, _, err := s.svc.Signup(r.Context(), in); err != nil {
		f.Values.Del("password")
		s.fail(r, f, err, nil)
		s.render(w, r, web.PageStatus(err), "signup", view{Title: "Open an account", Form: f})
		return
	}
	tok, _, err := s.svc.Login(r.Context(), in.Email, in.Password, web.ClientOf(r.Context()))
	if err != nil {
		s.redirect(w, r, "/login", "Your account is open. Please log in.")
		return
	}
	c := web.SessionCookieOf(tok, r.Context())
	http.SetCookie(w, &c)
	s.redirect(w, r, "/", "Welcome to dialtone! Your account and its SIP trunk are ready.")
}

func (s *Handler) LoginPage(w http.ResponseWriter, r *http.Request) {
	if p, ok := web.PrincipalOf(r.Context()); ok && p.CustomerID != "" {
		http.Redirect(w, r, web.LocalPath(r.URL.Query().Get("next"), "/"), http.StatusSeeOther)
		return
	}
	f := newForm(url.Values{"next": {r.URL.Query().Get("next")}})
	s.render(w, r, http.StatusOK, "login", view{Title: "Log in", Form: f})
}

func (s *Handler) LoginPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.render(w, r, http.StatusBadRequest, "login", view{Title: "Log in", Form: newForm(nil)})
		return
	}
	f := newForm(r.PostForm)
	tok, _, err := s.svc.Login(r.Context(), f.Get("email"), f.Get("password"), web.ClientOf(r.Context()))
	if err != nil {
		f.Values.Del("password")
		if market.ErrorCode(err) == market.CodeUnauthenticated {
			f.Error = "The e-mail address or the password is wrong."
			f.Code = string(market.CodeUnauthenticated)
		} else {
			s.fail(r, f, err, nil)
		}
		if ra := web.RetryAfter(err); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		s.render(w, r, web.PageStatus(err), "login", view{Title: "Log in", Form: f})
		return
	}
	c := web.SessionCookieOf(tok, r.Context())
	http.SetCookie(w, &c)
	http.Redirect(w, r, web.LocalPath(f.Get("next"), "/"), http.StatusSeeOther)
}

// LogoutPost ends the session in the database and drops the cookie.
func (s *Handler) LogoutPost(w http.ResponseWriter, r *http.Request) {
	if p, ok := web.PrincipalOf(r.Context()); ok && p.CustomerID != "" {
		if err := s.svc.Logout(r.Context(), p); err != nil {
			s.pageError(w, r, err)
			return
		}
	}
	c := web.SessionCookieOf("", r.Context())
	c.MaxAge = -1
	http.SetCookie(w, &c)
	s.redirect(w, r, "/login", "You are logged out.")
}
