package billing

// How each kind of order item is priced against the working copies of the
// subscriptions it touches: a new subscription (with its trial), a
// renewal, an upgrade and added licenses (prorated over the periods not
// yet over). build in checkout.go calls item for every item of an order.

import (
	"context"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// item prices one item against the working copies, as its kind does.
func (pr *pricing) item(ctx context.Context, it ItemInput) (market.Line, error) {
	k := kindOf(market.ItemType(it.Type))
	if k == nil {
		return market.Line{}, market.Invalid("type", "unknown item type %q", it.Type)
	}
	return k.price(ctx, pr, it)
}

func dateRange(a, b time.Time) string {
	return a.Format(time.DateOnly) + " – " + b.Format(time.DateOnly)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func (pr *pricing) newSubscription(ctx context.Context, it ItemInput) (market.Line, error) {
	p, err := pr.plan(ctx, it.Plan)
	if err != nil {
		return market.Line{}, err
	}
	if !p.Active {
		return market.Line{}, market.Invalid("plan", "plan %s is no longer sold", p.Code)
	}
	if p.Code == IncludedPlan {
		return market.Line{}, market.Invalid("plan", "the standard SIP trunk is included with every account")
	}
	// The quantity is required (validate): a missing one never buys the
	// minimum.
	q := it.Quantity
	if err := p.CheckQuantity(q); err != nil {
		return market.Line{}, err
	}
	unit, err := pr.price(ctx, p.Code, it.TermMonths)
	if err != nil {
		return market.Line{}, err
	}
	w := &workSub{isNew: true, changed: map[int]bool{}}
	w.sub = market.Subscription{ID: pr.s.ids.New("sub"), CustomerID: pr.cust.ID, Product: p.Product, Plan: p.Code,
		TermMonths: it.TermMonths, Status: market.StatusActive, AutoRenew: it.AutoRenew, Currency: pr.cust.Currency, StartedAt: pr.now}
	l := market.Line{Type: market.ItemSubscription, Quantity: q, Plan: p.Code, Product: p.Product, TermMonths: it.TermMonths,
		SubscriptionID: w.sub.ID, Start: pr.now}
	if it.Trial {
		if p.TrialDays == 0 {
			return market.Line{}, market.Invalid("trial", "plan %s has no free trial", p.Code)
		}
		if err := pr.trialFree(ctx, p.Product); err != nil {
			return market.Line{}, err
		}
		end := pr.now.AddDate(0, 0, p.TrialDays)
		w.trial = true
		w.sub.Status = market.StatusTrialing
		w.sub.TrialEndsAt = &end
		w.sub.ExpiresAt = end
		w.sub.Periods = []market.Period{{Seq: 1, Start: pr.now, End: end, Plan: p.Code, Quantity: q, TermMonths: it.TermMonths, Trial: true}}
		l.Trial, l.End = true, end
		l.Description = fmt.Sprintf("%s — %d-day free trial, %s (%s)", p.Name, p.TrialDays, plural(q, "license", "licenses"), dateRange(pr.now, end))
	} else {
		end := market.AddMonths(pr.now, it.TermMonths)
		w.sub.ExpiresAt = end
		w.sub.Periods = []market.Period{{Seq: 1, Start: pr.now, End: end, Plan: p.Code, Quantity: q, UnitAmount: unit, TermMonths: it.TermMonths}}
		l.UnitAmount, l.Amount, l.End = unit, unit*int64(q), end
		l.Description = fmt.Sprintf("%s — %s × %s (%s)", p.Name, plural(q, "license", "licenses"), plural(it.TermMonths, "month", "months"), dateRange(pr.now, end))
	}
	pr.subs[w.sub.ID] = w
	pr.order = append(pr.order, w)
	return l, nil
}

func (pr *pricing) trialFree(ctx context.Context, product string) error {
	used, err := pr.q.TrialUsed(ctx, pr.cust.ID, product)
	if err != nil {
		return err
	}
	for _, w := range pr.order {
		if w.isNew && w.trial && w.sub.Product == product {
			used = true
		}
	}
	if used {
		return &market.Error{Code: market.CodeTrialAlreadyUsed, Param: "trial", Message: "the free trial of this product has already been used"}
	}
	return nil
}

func (pr *pricing) renewal(ctx context.Context, it ItemInput) (market.Line, error) {
	w, err := pr.sub(ctx, it.Subscription)
	if err != nil {
		return market.Line{}, err
	}
	s := &w.sub
	if !it.ifExpiresAt.IsZero() && !s.ExpiresAt.Equal(it.ifExpiresAt) {
		return market.Line{}, errAlreadyRenewed
	}
	p, err := pr.plan(ctx, s.Plan)
	if err != nil {
		return market.Line{}, err
	}
	term := it.TermMonths
	if term == 0 {
		term = s.TermMonths
	}
	q := it.Quantity
	if q == 0 {
		q = s.Quantity(s.ExpiresAt.Add(-time.Second))
	}
	if err := p.CheckQuantity(q); err != nil {
		return market.Line{}, err
	}
	if q < s.Users {
		return market.Line{}, &market.Error{Code: market.CodeMinLicenses, Param: "quantity",
			Message: fmt.Sprintf("%s are assigned to this subscription: renew at least that many licenses or remove users first", plural(s.Users, "user", "users"))}
	}
	unit, err := pr.price(ctx, p.Code, term)
	if err != nil {
		return market.Line{}, err
	}
	start := s.RenewalStart(pr.now)
	if !it.renewFrom.IsZero() {
		start = it.renewFrom
	}
	end := market.AddMonths(start, term)
	s.Periods = append(s.Periods, market.Period{Seq: len(s.Periods) + 1, Start: start, End: end, Plan: p.Code, Quantity: q,
		UnitAmount: unit, TermMonths: term})
	s.ExpiresAt, s.TermMonths = end, term
	return market.Line{Type: market.ItemRenewal, Quantity: q, UnitAmount: unit, Amount: unit * int64(q), Plan: p.Code,
		Product: p.Product, TermMonths: term, SubscriptionID: s.ID, Start: start, End: end,
		Description: fmt.Sprintf("Renewal: %s — %s × %s (%s)", p.Name, plural(q, "license", "licenses"), plural(term, "month", "months"), dateRange(start, end)),
	}, nil
}

func (pr *pricing) upgrade(ctx context.Context, it ItemInput) (market.Line, error) {
	w, from, open, err := pr.openPeriods(ctx, it.Subscription)
	if err != nil {
		return market.Line{}, err
	}
	s := &w.sub
	to, err := pr.plan(ctx, it.Plan)
	if err != nil {
		return market.Line{}, err
	}
	switch {
	case to.Product != from.Product:
		return market.Line{}, market.Invalid("plan", "%s is not a plan of %s", to.Name, from.ProductName)
	case to.Rank <= from.Rank:
		return market.Line{}, &market.Error{Code: market.CodeDowngradeNotAllowed, Param: "plan",
			Message: fmt.Sprintf("you can only move up from %s: %s is not a higher plan", from.Name, to.Name)}
	case !to.Active:
		return market.Line{}, market.Invalid("plan", "plan %s is no longer sold", to.Code)
	}
	q := s.Quantity(pr.now)
	if err := to.CheckQuantity(q); err != nil {
		return market.Line{}, err
	}
	var shares []market.Share
	for _, i := range open {
		p := &s.Periods[i]
		price, err := pr.price(ctx, to.Code, p.TermMonths)
		if err != nil {
			return market.Line{}, err
		}
		if !p.Trial {
			shares = append(shares, market.ShareOf(p.Start, p.End, pr.now, int64(p.Quantity), max(0, price-p.UnitAmount)))
			p.UnitAmount = price
		}
		p.Plan = to.Code
		if i < w.orig {
			w.changed[i] = true
		}
	}
	s.Plan = to.Code
	amount := market.Prorate(shares)
	unit, _ := to.UnitPrice(pr.cust.Currency, s.TermMonths)
	return market.Line{Type: market.ItemUpgrade, Quantity: q, UnitAmount: unit, Amount: amount, Plan: to.Code, Product: to.Product,
		TermMonths: s.TermMonths, SubscriptionID: s.ID, Start: pr.now, End: s.ExpiresAt,
		Description: fmt.Sprintf("Upgrade: %s → %s, %s, prorated to %s", from.Name, to.Name, plural(q, "license", "licenses"), s.ExpiresAt.Format(time.DateOnly)),
	}, nil
}

// openPeriods returns the working copy of a subscription, its current plan
// and the indexes of its periods that are not over; an expired subscription
// is an error (renew it first).
func (pr *pricing) openPeriods(ctx context.Context, subID string) (*workSub, market.Plan, []int, error) {
	w, err := pr.sub(ctx, subID)
	if err != nil {
		return nil, market.Plan{}, nil, err
	}
	p, err := pr.plan(ctx, w.sub.Plan)
	if err != nil {
		return nil, market.Plan{}, nil, err
	}
	open := w.sub.NotOver(pr.now)
	if len(open) == 0 {
		return nil, market.Plan{}, nil, market.Invalid("subscription", "this subscription has expired: renew it first")
	}
	return w, p, open, nil
}

func (pr *pricing) licenses(ctx context.Context, it ItemInput) (market.Line, error) {
	w, p, open, err := pr.openPeriods(ctx, it.Subscription)
	if err != nil {
		return market.Line{}, err
	}
	s := &w.sub
	var shares []market.Share
	for _, i := range open {
		per := &s.Periods[i]
		if err := p.CheckAdded(per.Quantity, it.Quantity); err != nil {
			return market.Line{}, err
		}
		price, err := pr.price(ctx, per.Plan, per.TermMonths)
		if err != nil {
			return market.Line{}, err
		}
		if !per.Trial {
			shares = append(shares, market.ShareOf(per.Start, per.End, pr.now, int64(it.Quantity), price))
		}
		per.Quantity += it.Quantity
		if i < w.orig {
			w.changed[i] = true
		}
	}
	amount := market.Prorate(shares)
	unit, _ := p.UnitPrice(pr.cust.Currency, s.TermMonths)
	return market.Line{Type: market.ItemLicenses, Quantity: it.Quantity, UnitAmount: unit, Amount: amount, Plan: p.Code,
		Product: p.Product, TermMonths: s.TermMonths, SubscriptionID: s.ID, Start: pr.now, End: s.ExpiresAt,
		Description: fmt.Sprintf("%s more: %s, prorated to %s", plural(it.Quantity, "license", "licenses"), p.Name, s.ExpiresAt.Format(time.DateOnly)),
	}, nil
}

// errAlreadyRenewed reports that a guarded renewal found the subscription
// renewed already.
var errAlreadyRenewed = &market.Error{Code: market.CodeConflict, Message: "the subscription has been renewed already"}
