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
	// undeclared is no access: every route declares one (routes.go).
	undeclared access = iota
	// forAnyone: no credentials needed.
	forAnyone
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
	// forBackOffice: the operator's back office, which logs its operators
	// in and enforces their roles itself (admin/roles.go).
	forBackOffice
)

// String names an access level (routes_test.go, panics).
func (a access) String() string {
	switch a {
	case forAnyone:
		return "public"
	case forCustomer:
		return "customer"
	case forManager:
		return "customer (owner or admin)"
	case forBilling:
		return "customer (owner, admin or billing)"
	case forOperator:
		return "operator"
	case forBackOffice:
		return "back office"
	}
	return "undeclared"
}

// authorize refuses a request its route does not allow the caller, before
// anything else of the request is read: an API route answers 401
// unauthenticated without a principal and 403 forbidden to the wrong kind
// of caller; a portal page sends a visitor to the log-in page. The back
// office checks its own operators. Routes routes.go did not declare are
// huma's OpenAPI document and schemas (open); anything else undeclared is
// refused like a customer's page.
func (s *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := s.mux.Handler(r)
		p, ok := web.PrincipalOf(r.Context())
		acc, declared := s.access[pattern]
		switch {
		case pattern == "" || acc == forAnyone || acc == forBackOffice:
		case !declared && web.IsAPI(r.URL.Path):
		case web.IsAPI(r.URL.Path):
			if err := allowed(acc, p, ok); err != nil {
				api.WriteError(w, r, s.log, err)
				return
			}
		case !web.IsCustomer(p, ok):
			web.ToLogin(w, r)
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
