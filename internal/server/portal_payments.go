package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// portalPaymentRoutes: where the bank's authentication page sends the
// customer back to (Stripe appends ?payment_intent=…&redirect_status=…,
// which the gateway's own answer makes unnecessary to trust).
func (s *Server) portalPaymentRoutes() {
	s.mux.HandleFunc("GET /orders/{id}/return", s.guard(s.paymentReturn))
}

// paymentReturn completes the order whose payment the customer has just
// authenticated, and shows it; a payment that failed goes back to the
// checkout with the reason.
func (s *Server) paymentReturn(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	o, err := s.svc.CompletePendingOrder(r.Context(), p, r.PathValue("id"))
	if err == nil {
		s.redirect(w, r, "/orders/"+o.ID, "Thank you: your payment is confirmed and the order is paid.")
		return
	}
	if authRedirect(w, r, err) {
		return
	}
	var me *market.Error
	if errors.As(asContract(err), &me) && me.Code != market.CodeNotFound && me.Code != market.CodeForbidden {
		s.redirect(w, r, "/checkout", errorWords(me))
		return
	}
	s.pageError(w, r, err)
}

// authURL is the bank's page of a payment that needs the customer to
// authenticate it, or "". A checkout form answers it as its redirect, so
// that the form sent again (its key) goes to the same page rather than
// making a second payment.
func authURL(err error) string {
	var me *market.Error
	if !errors.As(err, &me) || me.Code != market.CodeAuthenticationRequired {
		return ""
	}
	to, _ := me.Extra["next_action_url"].(string)
	if !strings.HasPrefix(to, "https://") && !strings.HasPrefix(to, "http://") {
		return ""
	}
	return to
}

// authRedirect sends the browser to the bank's page when a payment needs
// the customer to authenticate it, and reports whether it did.
func authRedirect(w http.ResponseWriter, r *http.Request, err error) bool {
	to := authURL(err)
	if to == "" {
		return false
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return true
}
