package server

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

const sessionCookie = "dialtone_session"

// credential returns the bearer token or the session cookie of a request.
func credential(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// authenticate resolves who is calling, once per request, and puts the
// principal in the context. Routes decide whether they need one.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := credential(r)
		if tok == "" {
			next.ServeHTTP(w, r)
			return
		}
		if s.cfg.AdminToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.AdminToken)) == 1 {
			r = r.WithContext(withPrincipal(r.Context(), billing.Principal{Operator: true}))
			next.ServeHTTP(w, r)
			return
		}
		p, err := s.svc.Authenticate(r.Context(), tok)
		if err == nil {
			r = r.WithContext(withPrincipal(r.Context(), p))
		} else if market.ErrorCode(err) != market.CodeUnauthenticated {
			writeError(w, r, s.log, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}
