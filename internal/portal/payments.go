package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/web"
)

// portalPolicy is the portal's Content-Security-Policy: everything from
// this server only, except, with payments by Stripe, Stripe.js and the
// frames and API calls of its card form (https://docs.stripe.com/security/guide#content-security-policy).
func (s *Handler) portalPolicy() string {
	if s.stripeKey() == "" {
		return "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"
	}
	return "default-src 'self'; img-src 'self' data: https://*.stripe.com; style-src 'self'; " +
		"script-src 'self' https://js.stripe.com; frame-src https://js.stripe.com https://hooks.stripe.com; " +
		"connect-src 'self' https://api.stripe.com; frame-ancestors 'none'; form-action 'self'"
}

// authPage is the portal's page of an order whose payment needs the
// customer to authenticate it, or "". A checkout form answers it as its
// redirect, so that the form sent again (its key) goes to the same page
// rather than making a second payment. The page links to the bank: a
// link, not a redirect of the form's post, which the portal's
// form-action policy keeps on its own origin.
func authPage(err error) string {
	var me *market.Error
	if !errors.As(err, &me) || me.Code != market.CodeAuthenticationRequired {
		return ""
	}
	if setup, _ := me.Extra["setup_intent"].(string); setup != "" {
		// A new card the bank wants confirmed before it is saved.
		return "/payment-methods/return?" + url.Values{"setup_intent": {setup}}.Encode()
	}
	order, _ := me.Extra["order"].(string)
	if order == "" {
		return ""
	}
	return "/orders/" + order + "/authenticate"
}

// placed is where a checkout goes once its order was placed: the order's
// page, or the page of a payment that waits for the bank (authPage; from
// the bank's page the customer comes back to /orders/{id}/return); err
// when it failed otherwise.
func placed(o market.Order, err error) (string, error) {
	if to := authPage(err); to != "" {
		return to, nil
	}
	if err != nil {
		return "", err
	}
	return "/orders/" + o.ID, nil
}

// PaymentAuthenticate shows the link to the bank's page of a payment that
// waits for the customer; an order settled meanwhile goes to its page.
func (s *Handler) PaymentAuthenticate(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	po, err := s.svc.PendingOrder(r.Context(), p, r.PathValue("id"))
	switch {
	case err != nil:
		s.pageError(w, r, err)
	case po.Status == "completed":
		http.Redirect(w, r, "/orders/"+po.ID, http.StatusSeeOther)
	case po.Status == "failed" || !strings.HasPrefix(po.NextActionURL, "https://") && !strings.HasPrefix(po.NextActionURL, "http://"):
		s.redirect(w, r, "/checkout", "The payment was not confirmed: the order was not placed. Please order again.")
	default:
		s.render(w, r, http.StatusOK, "authenticate", view{Title: "Confirm the payment", Data: po})
	}
}

// PaymentReturn completes the order whose payment the customer has just
// authenticated, and shows it; one still waiting goes back to its
// authentication page, one that failed to the checkout with the reason.
func (s *Handler) PaymentReturn(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	o, err := s.svc.CompletePendingOrder(r.Context(), p, r.PathValue("id"))
	if err == nil {
		s.redirect(w, r, "/orders/"+o.ID, "Thank you: your payment is confirmed and the order is paid.")
		return
	}
	if to := authPage(err); to != "" {
		s.redirect(w, r, to, "Your bank has not confirmed the payment yet.")
		return
	}
	var me *market.Error
	if errors.As(web.AsContract(err), &me) && me.Code != market.CodeNotFound && me.Code != market.CodeForbidden {
		s.redirect(w, r, "/checkout", errorWords(me))
		return
	}
	s.pageError(w, r, err)
}

// CardReturn is where the bank sends the customer back to after
// confirming a card being saved (Stripe appends ?setup_intent=…): the card
// is saved once the gateway says so; one still waiting shows the link to
// the bank's page; one the bank refused goes back to Payment methods.
func (s *Handler) CardReturn(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	setup := r.URL.Query().Get("setup_intent")
	pm, err := s.svc.CompleteGatewayCard(r.Context(), p, setup)
	if err == nil {
		s.redirect(w, r, "/payment-methods#card-"+pm.ID, cardName(pm)+" was saved: it pays at the checkout, and renewals if it is the default.")
		return
	}
	var me *market.Error
	errors.As(web.AsContract(err), &me)
	switch {
	case me != nil && me.Code == market.CodeAuthenticationRequired:
		next, _ := me.Extra["next_action_url"].(string)
		if !strings.HasPrefix(next, "https://") && !strings.HasPrefix(next, "http://") {
			next = ""
		}
		s.render(w, r, http.StatusOK, "authenticate_card", view{Title: "Confirm the card", Nav: "cards",
			Data: map[string]string{"Next": next, "Again": "/payment-methods/return?" + url.Values{"setup_intent": {setup}}.Encode()}})
	case me != nil && me.Code == market.CodeCardDeclined:
		s.redirect(w, r, "/payment-methods", "Your bank did not confirm the card: it was not saved. "+errorWords(me))
	default:
		s.pageError(w, r, err)
	}
}
