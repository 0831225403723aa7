package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dialtone/dialtone/internal/api"
	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/portal"
	"github.com/dialtone/dialtone/internal/web"
)

// route is a route of the mux with who may call it.
type route struct {
	Pattern string
	Access  access
}

// declare records who may call the route of pattern (authorize enforces
// it). A route declared twice, or with no access, is a programming error.
func (s *Server) declare(pattern string, acc access) {
	if acc == undeclared {
		panic("route " + pattern + ": no access declared")
	}
	if _, dup := s.access[pattern]; dup {
		panic("route " + pattern + ": declared twice")
	}
	s.access[pattern] = acc
	s.routeList = append(s.routeList, route{Pattern: pattern, Access: acc})
}

// handle registers a route that is not an API operation.
func (s *Server) handle(pattern string, acc access, h http.Handler) {
	s.declare(pattern, acc)
	s.mux.Handle(pattern, h)
}

// public registers a portal page anyone may see.
func (s *Server) public(pattern string, h http.HandlerFunc) { s.handle(pattern, forAnyone, h) }

// page registers a portal page of a logged-in customer: authorize sends a
// visitor to the log-in page before it runs; it receives the customer's
// principal, and a post its form parsed.
func (s *Server) page(pattern string, h portal.Page) {
	s.handle(pattern, forCustomer, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := web.PrincipalOf(r.Context())
		if !web.IsCustomer(p, ok) { // authorize has refused it already
			web.ToLogin(w, r)
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				s.portal.BadForm(w, r)
				return
			}
		}
		h(w, r, p)
	}))
}

// op registers one huma operation and who may call it (enforced by
// authorize before the request is read, and documented as its security);
// the handler receives the caller's principal (the zero one on a public
// route called without credentials).
func op[I, O any](s *Server, method, path, id, summary, tag string, acc access, h func(context.Context, billing.Principal, *I) (*O, error)) {
	o := huma.Operation{OperationID: id, Method: method, Path: path, Summary: summary, Tags: []string{tag}}
	switch acc {
	case forAnyone:
		o.Security = []map[string][]string{}
	case forCustomer, forManager, forBilling:
		o.Security = []map[string][]string{{"bearer": {}}, {"cookie": {}}}
	case forOperator:
		o.Security = []map[string][]string{{"bearer": {}}}
	}
	s.declare(method+" "+path, acc)
	if web.TakesKey(id) {
		s.keyed[method+" "+path] = true
	}
	switch method {
	case http.MethodPost:
		o.DefaultStatus = http.StatusCreated
		if path == "/v1/password_resets" {
			o.DefaultStatus = http.StatusAccepted
		}
		if strings.HasPrefix(path, "/v1/password_resets/") || strings.HasSuffix(path, "/default") || strings.HasSuffix(path, "/advance") || strings.HasSuffix(path, "/retry") || path == "/v1/quotes" ||
			strings.HasSuffix(path, "/password") || strings.HasSuffix(path, "/confirm") || strings.HasPrefix(path, "/v1/webhooks/") {
			o.DefaultStatus = http.StatusOK
		}
	case http.MethodDelete:
		o.DefaultStatus = http.StatusOK
	}
	huma.Register(s.api.API(), o, func(ctx context.Context, in *I) (*O, error) {
		p, ok := web.PrincipalOf(ctx)
		err := allowed(acc, p, ok) // authorize has refused it already
		var out *O
		if err == nil {
			out, err = h(ctx, p, in)
		}
		if err != nil {
			if ra := web.RetryAfter(err); ra != "" {
				return nil, huma.ErrorWithHeaders(api.ToAPIError(ctx, s.log, err), http.Header{"Retry-After": {ra}})
			}
			return nil, api.ToAPIError(ctx, s.log, err)
		}
		return out, nil
	})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Ping(r.Context()); err != nil {
		web.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		return
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r.Context()); err != nil {
			web.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": err.Error()})
			return
		}
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
