package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// An operator's session is a cookie of its own, sent to /admin/ only:
// HttpOnly, SameSite=Lax, Secure over TLS, holding a random token of which
// the database keeps the SHA-256 (billing.OperatorLogin). It expires on
// wall-clock time; log-out deletes it.
const sessionCookie = "dialtone_admin_session"

func (a *Admin) sessionRoutes() {
	a.mux.HandleFunc("GET /admin/login", a.publicPage(a.loginPage))
	a.mux.HandleFunc("POST /admin/login", a.loginPost)
	a.handle("POST /admin/logout", areaSelf, a.logoutPost)
}

// session returns the operator of the request's session cookie.
func (a *Admin) session(r *http.Request) (billing.Actor, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return billing.Actor{}, false
	}
	act, err := a.svc.AuthenticateOperator(r.Context(), c.Value)
	if err != nil {
		if !market.IsCode(err, market.CodeUnauthenticated) {
			a.log.Error("admin: session", "err", err)
		}
		return billing.Actor{}, false
	}
	return act, true
}

func (a *Admin) cookie(r *http.Request, token string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: sessionCookie, Value: token, Path: "/admin/", HttpOnly: true, Secure: a.secure(r),
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge}
}

func (a *Admin) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := billing.ActorOf(r.Context()); ok {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next"), "/admin/"), http.StatusSeeOther)
		return
	}
	f := newForm(url.Values{"next": {r.URL.Query().Get("next")}})
	a.render(w, r, http.StatusOK, "login", view{Title: "Back office log-in", Form: f})
}

// loginPost checks the e-mail and password (failures are throttled per
// e-mail and per client address) and sets the session cookie.
func (a *Admin) loginPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		a.render(w, r, http.StatusBadRequest, "login", view{Title: "Back office log-in", Form: newForm(nil)})
		return
	}
	from := ""
	if a.cfg.ClientAddr != nil {
		from = a.cfg.ClientAddr(r)
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		// A log-in sent again with its key does not log in again (no
		// second session; the replay sets no cookie).
		a.once(w, r, "admin-login:"+from, key, func(w http.ResponseWriter, r *http.Request) { a.login(w, r, from) })
		return
	}
	a.login(w, r, from)
}

func (a *Admin) login(w http.ResponseWriter, r *http.Request, from string) {
	f := newForm(r.PostForm)
	token, _, err := a.svc.OperatorLogin(r.Context(), f.Get("email"), f.Get("password"), from)
	if err != nil {
		f.Values.Del("password")
		var status int
		switch market.ErrorCode(err) {
		case market.CodeUnauthenticated:
			f.Error, status = "The e-mail address or the password is wrong.", http.StatusUnauthorized
		case market.CodeRateLimited:
			var me *market.Error
			errors.As(err, &me)
			f.Error, status = sentence(me.Message, string(me.Code)), http.StatusTooManyRequests
			if secs, ok := me.Extra["retry_after"].(int64); ok {
				w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
			}
		default:
			a.pageError(w, r, err)
			return
		}
		f.Code = string(market.ErrorCode(err))
		a.render(w, r, status, "login", view{Title: "Back office log-in", Form: f})
		return
	}
	http.SetCookie(w, a.cookie(r, token, 0))
	http.Redirect(w, r, localPath(f.Get("next"), "/admin/"), http.StatusSeeOther)
}

// logoutPost ends the session in the database and drops the cookie.
func (a *Admin) logoutPost(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := a.svc.OperatorLogout(r.Context(), c.Value); err != nil {
			a.pageError(w, r, err)
			return
		}
	}
	http.SetCookie(w, a.cookie(r, "", -1))
	a.redirect(w, r, "/admin/login", "You are logged out.")
}
