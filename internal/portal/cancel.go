package portal

import (
	"net/http"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// Subscriptions -> Cancel (issue 17, PRODUCT.md "Cancelling and refunds"):
// Cancel asks for a confirmation that says what it means; confirmed, the
// subscription stays in force until expires_at, does not renew, and ends
// then (billing.SetCancelAtPeriodEnd). Undo takes it back until then.

// Cancelable reports whether Cancel is offered: the subscription is in
// force (or past due) and not canceled yet.
func (r subRow) Cancelable() bool {
	return !r.CancelAtPeriodEnd && r.Status != market.StatusExpired && r.Status != market.StatusCanceled
}

// Undoable reports whether a cancellation can still be undone: it is
// pending, the subscription has not ended.
func (r subRow) Undoable() bool {
	return r.CancelAtPeriodEnd && r.Status != market.StatusExpired && r.Status != market.StatusCanceled
}

// CancelWords says what canceling means: "stays active until 1 Apr 2027,
// then ends; it will not renew". A past-due subscription is out of force
// already: it ends now.
func (r subRow) CancelWords() string {
	if r.Status == market.StatusPastDue {
		return "ends now (it has been past due since " + r.ExpiresAt.UTC().Format("2 Jan 2006") + "); it will not renew"
	}
	return "stays active until " + r.ExpiresAt.UTC().Format("2 Jan 2006") + ", then ends; it will not renew"
}

// TrialShown reports whether "Trial ends" is worth saying: the trial is
// running and no paid period follows it yet (once paid, it goes on past
// the trial's end).
func (r subRow) TrialShown() bool {
	if r.TrialEndsAt == nil || r.Status != market.StatusTrialing {
		return false
	}
	for _, p := range r.Periods {
		if !p.Trial {
			return false
		}
	}
	return true
}

func (s *Handler) CancelPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	row, err := s.subRow(r, p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "subscription_cancel", view{Title: "Cancel " + row.Name(), Nav: "subscriptions", Data: row})
}

func (s *Handler) CancelPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	row, err := s.subRow(r, p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	words := row.CancelWords()
	sub, err := s.svc.SetCancelAtPeriodEnd(r.Context(), p, row.ID, true)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	msg := row.Name() + " is canceled: it " + words + "."
	if sub.Status == market.StatusActive || sub.Status == market.StatusTrialing {
		msg += " You can undo this until then."
	}
	s.redirect(w, r, "/subscriptions#sub-"+sub.ID, msg)
}

func (s *Handler) UndoCancelPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	sub, err := s.svc.SetCancelAtPeriodEnd(r.Context(), p, r.PathValue("id"), false)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	msg := "The cancellation is undone: the subscription continues after " + sub.ExpiresAt.UTC().Format("2 Jan 2006") + "."
	if sub.AutoRenew {
		msg += " It renews automatically then."
	} else {
		msg += " Renew it yourself before then, or switch on automatic renewal."
	}
	s.redirect(w, r, "/subscriptions#sub-"+sub.ID, msg)
}
