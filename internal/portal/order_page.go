package portal

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

// What the one-item checkout and the cart share after the order: the
// top-up link of a short balance, the page status of an error, the
// one-time form key, what a trial becomes, and the confirmation page.

// afterTrial says in words what happens when the trial the quote starts
// ends: the price of the chosen term, and how it is paid, if it renews
// by itself; else that it ends.
func (s *Handler) afterTrial(ctx context.Context, q billing.Quote, it billing.ItemInput) string {
	var l *market.Line
	for i := range q.Lines {
		if q.Lines[i].Trial {
			l = &q.Lines[i]
		}
	}
	if l == nil {
		return ""
	}
	until := l.End.UTC().Format("2 Jan 2006")
	if !it.AutoRenew {
		return "The free trial lasts until " + until + "; then it ends unless you renew it."
	}
	pl, err := s.svc.Plan(ctx, l.Plan)
	if err != nil {
		return ""
	}
	unit, err := pl.UnitPrice(q.Currency, l.TermMonths)
	if err != nil {
		return ""
	}
	price := money.Format(money.New(unit*int64(l.Quantity), q.Currency))
	return "After the trial (until " + until + "): " + price + " + tax per " + monthsLabel(l.TermMonths) +
		" for " + licensesLabel(l.Quantity) + ", renewed automatically and paid from your balance, or from your default card if the balance is short."
}

// licensesLabel is "1 license", "3 licenses".
func licensesLabel(n int) string {
	if n == 1 {
		return "1 license"
	}
	return strconv.Itoa(n) + " licenses"
}

func navOf(itemType string) string {
	if nav := showOf(itemType).Nav; nav != "" {
		return nav
	}
	return "plans"
}

// showOf is how the portal shows a kind of item (nothing for an unknown
// one).
func showOf(itemType string) billing.Show {
	if k, ok := billing.KindOf(itemType); ok {
		return k.Show()
	}
	return billing.Show{}
}

// topUpURL is the refill page for what an insufficient_funds error says is
// missing, returning to back afterwards.
func (s *Handler) topUpURL(err error, back string) string {
	v := url.Values{"return": {back}}
	if me, ok := err.(*market.Error); ok {
		if m, ok := me.Extra["missing"].(int64); ok {
			c, _ := me.Extra["currency"].(string)
			v.Set("amount", money.FormatPlain(money.New(max(m, 100), c)))
		}
	}
	return "/marketplace/billing/refill?" + v.Encode()
}

// once runs a payment form's work at most once per form key: a second
// submission of the same form (a double click, a reload after the post)
// is sent where the first one went instead of paying again. What is kept
// for 24 hours is that page's address: it must never carry a secret (the
// pages that show one, a new SIP password, render it instead).
func (s *Handler) once(ctx context.Context, p billing.Principal, key string, work func() (string, error)) (string, error) {
	return s.onceKeyed(ctx, p, key, false, func(billing.Key) (string, error) { return work() })
}

// keyedOnce is once for a form whose use case takes the form's key into
// its transaction (billing/idempotency.go: an order, a top-up, a cart's
// checkout, a card saved; work gives it to the use case's input): a second submission
// while the first is in progress runs too, and the use case answers it
// with the first's result — after a crash between the order's commit and
// the stored page address too.
func (s *Handler) keyedOnce(ctx context.Context, p billing.Principal, key string, work func(billing.Key) (string, error)) (string, error) {
	return s.onceKeyed(ctx, p, key, true, work)
}

func (s *Handler) onceKeyed(ctx context.Context, p billing.Principal, key string, keyed bool, work func(billing.Key) (string, error)) (string, error) {
	if key == "" || len(key) > 64 {
		return work(billing.Key{})
	}
	ks, scope := s.keys, "portal:"+p.CustomerID
	prev, claimed, err := ks.Claim(ctx, scope, key, "form")
	if err != nil {
		return "", err
	}
	if !claimed {
		switch {
		case prev.Status != 0:
			return prev.Body, nil
		case prev.ResultRef == "" && !keyed:
			return "", &market.Error{Code: market.CodeIdempotencyKeyInUse, Message: "this payment is already being processed"}
		}
		// In progress, but its use case committed a result (or takes the
		// key into its transaction): it runs again and answers with it.
	}
	to, werr := work(billing.Key{Scope: scope, Key: key, Hash: "form"})
	bg := context.WithoutCancel(ctx)
	if werr != nil {
		err = ks.Release(bg, scope, key)
	} else {
		err = ks.Complete(bg, scope, key, http.StatusSeeOther, to, "text/uri-list")
	}
	if err != nil {
		s.log.Error("portal: form key", "err", err)
	}
	return to, werr
}

// orderData is the confirmation page.
type orderData struct {
	Order   market.Order
	Invoice string
}

// OrderPage is the confirmation after paying, and an order's detail.
func (s *Handler) OrderPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	o, err := s.svc.Order(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "order", view{Title: "Payment completed", Nav: "billing", Data: orderData{Order: o}})
}
