package server

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/dialtone/dialtone/internal/api"
	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// credential returns the bearer token or the session cookie of a request.
func credential(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		// The scheme is case-insensitive (RFC 9110 §11.1).
		if scheme, t, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if c, err := r.Cookie(web.SessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// authenticate resolves who is calling, once per request, and puts the
// principal in the context. Routes decide whether they need one.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(web.WithClient(r.Context(), web.ClientAddr(r)))
		tok := credential(r)
		if tok == "" {
			next.ServeHTTP(w, r)
			return
		}
		if s.cfg.AdminToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.AdminToken)) == 1 {
			// The admin token acts as an admin; its changes are audited as
			// "admin token" (billing/audit.go).
			r = r.WithContext(billing.WithActor(web.WithPrincipal(r.Context(), billing.Principal{Operator: true}), billing.AdminToken))
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.svc.Authenticate(r.Context(), tok)
		if err == nil {
			r = r.WithContext(web.WithPrincipal(r.Context(), p))
		} else if market.ErrorCode(err) != market.CodeUnauthenticated {
			api.WriteError(w, r, s.log, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// access is who may call a route (routes.go declares it for each).
type access int

const (
	// forAnyone: no credentials needed.
	forAnyone access = iota
	// forCustomer: a customer's session (bearer token or cookie), of any
	// login of the account.
	forCustomer
	// forManager: a customer's session of a login that may buy and manage
	// (the owner or an admin, billing.Principal.IsAdmin); the use cases
	// check it again.
	forManager
	// forOperator: the operator's admin token.
	forOperator
	// forBilling: a customer's session of a login that may pay and manage
	// payments, invoices and addresses (the owner, an admin or a billing
	// login, billing.Principal.MayBill); the use cases check it again
	// (a billing login's order may only top up the balance).
	forBilling
)

// portalPublic are the portal's routes open to visitors; every other page
// of the portal needs a customer's session.
var portalPublic = map[string]bool{
	"/": true, "GET /static/": true, "GET /healthz": true, "GET /readyz": true, "GET /metrics": true,
	"GET /signup": true, "POST /signup": true, "GET /login": true, "POST /login": true, "POST /logout": true,
	"GET /forgot-password": true, "POST /forgot-password": true,
	"GET /invitations/{token}": true, "POST /invitations/{token}": true,
	"GET /password_resets/{token}": true, "POST /password_resets/{token}": true,
}

// authorize refuses a request its route does not allow the caller, before
// anything else of the request is read: an API route answers 401
// unauthenticated without a principal and 403 forbidden to the wrong kind
// of caller; a portal page sends a visitor to the log-in page. Routes
// outside the table (the documentation, unknown paths) are open.
func (s *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := s.mux.Handler(r)
		p, ok := web.PrincipalOf(r.Context())
		if acc, ok2 := s.access[pattern]; ok2 {
			if err := allowed(acc, p, ok); err != nil {
				api.WriteError(w, r, s.log, err)
				return
			}
		} else if !web.IsAPI(r.URL.Path) && pattern != "" && !portalPublic[pattern] && !isBackOffice(pattern) && (!ok || p.Operator || p.CustomerID == "") {
			toLogin(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowed checks a caller against a route's access. Errors:
// unauthenticated, forbidden.
func allowed(acc access, p billing.Principal, ok bool) error {
	switch {
	case acc == forAnyone:
		return nil
	case !ok:
		if acc == forOperator {
			return &market.Error{Code: market.CodeUnauthenticated, Message: "send the admin token as Authorization: Bearer <token>"}
		}
		return &market.Error{Code: market.CodeUnauthenticated, Message: "log in first: send Authorization: Bearer <token> from POST /v1/sessions"}
	case acc == forOperator && !p.Operator:
		return &market.Error{Code: market.CodeForbidden, Message: "this is the operator's API: a customer's session may not call it"}
	case acc != forOperator && (p.Operator || p.CustomerID == ""):
		return &market.Error{Code: market.CodeForbidden, Message: "this is a customer's API: log in as a customer with POST /v1/sessions"}
	case acc == forManager && !p.IsAdmin():
		return &market.Error{Code: market.CodeForbidden, Message: "only the account's owner or an admin may do this"}
	case acc == forBilling && !p.MayBill():
		return &market.Error{Code: market.CodeForbidden, Message: "only the account's owner, an admin or a billing login may do this"}
	}
	return nil
}
