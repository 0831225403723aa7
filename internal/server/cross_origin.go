package server

import (
	"net/http"

	"github.com/dialtone/dialtone/internal/api"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// crossOrigin refuses cross-origin form posts (http.CrossOriginProtection)
// on the API with the contract's error body (403 forbidden, as JSON); the
// portal's pages keep the plain refusal.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !web.IsAPI(r.URL.Path) {
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		api.WriteError(w, r, s.log, &market.Error{Code: market.CodeForbidden, Message: "cross-origin request refused: post from the portal's own pages"})
	}))
	return cop.Handler(next)
}
