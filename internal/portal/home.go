package portal

import (
	"context"
	"net/http"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// subRow is a subscription as the portal lists it.
type subRow struct {
	market.Subscription
	ProductName string
	PlanName    string
	Quantity    int
	// Higher are the plans of the same product with a higher rank: the
	// upgrades on offer.
	Higher []market.Plan
	// Plan is the subscription's plan as the catalog has it now.
	PlanInfo market.Plan
	// Soon reports that it ends within 30 days and will not renew by
	// itself.
	Soon bool
}

// Name is the subscription's product and plan in words, each said once:
// "Cloud Contact Center Business", "Hosted PBX" (market.Plan.DisplayName).
func (r subRow) Name() string {
	return market.Plan{Code: r.Plan, ProductName: r.ProductName, Name: r.PlanName}.DisplayName()
}

// catalog returns every plan by code (inactive ones too: a customer may
// hold a plan no longer sold).
func (s *Handler) catalog(ctx context.Context) (map[string]market.Plan, []market.Plan, error) {
	plans, err := s.svc.Plans(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	byCode := make(map[string]market.Plan, len(plans))
	for _, p := range plans {
		byCode[p.Code] = p
	}
	return byCode, plans, nil
}

// subRowsLimit bounds the subscriptions a page lists.
const subRowsLimit = 500

// subRows lists the customer's subscriptions with what the portal shows
// of them.
func (s *Handler) subRows(ctx context.Context, p billing.Principal) ([]subRow, error) {
	subs, err := s.svc.Subscriptions(ctx, p, billing.Page{Limit: subRowsLimit})
	if err != nil {
		return nil, err
	}
	byCode, plans, err := s.catalog(ctx)
	if err != nil {
		return nil, err
	}
	now := s.svc.Now()
	rows := make([]subRow, 0, len(subs))
	for _, sub := range subs {
		pl := byCode[sub.Plan]
		r := subRow{Subscription: sub, ProductName: pl.ProductName, PlanName: pl.Name, PlanInfo: pl, Quantity: sub.Quantity(now)}
		if r.PlanName == "" {
			r.PlanName = sub.Plan
		}
		for _, o := range plans {
			if o.Product == pl.Product && o.Rank > pl.Rank && o.Active {
				r.Higher = append(r.Higher, o)
			}
		}
		r.Soon = (!sub.AutoRenew || sub.CancelAtPeriodEnd) && sub.Status != market.StatusExpired && sub.Status != market.StatusCanceled &&
			sub.ExpiresAt.Sub(now) < 30*24*time.Hour
		rows = append(rows, r)
	}
	return rows, nil
}

// dashboardData is the Home page.
type dashboardData struct {
	Subscriptions []subRow
	Active        int
	Soon          []subRow
	Numbers       []market.Number
	Payments      []market.Payment
	// Actions is "Needs action" at the top (actions.go).
	Actions []homeAction
	// Balance: how long it covers the renewals, and whether it is low.
	Balance balanceView
}

// Dashboard is Home: the balance, active subscriptions, numbers, what
// expires soon and the latest payments.
func (s *Handler) Dashboard(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	var d dashboardData
	rows, err := s.subRows(ctx, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	for _, row := range rows {
		if row.Status == market.StatusActive || row.Status == market.StatusTrialing || row.Status == market.StatusPastDue {
			d.Active++
			d.Subscriptions = append(d.Subscriptions, row)
		}
		if row.Soon && row.Status != market.StatusPastDue {
			d.Soon = append(d.Soon, row)
		}
	}
	if d.Numbers, err = s.svc.Numbers(ctx, p); err != nil {
		s.pageError(w, r, err)
		return
	}
	d.Actions = homeActions(rows, d.Numbers, s.svc.Now())
	if d.Payments, err = s.svc.Transactions(ctx, p, billing.PaymentFilter{Page: billing.Page{Limit: 5}}); err != nil {
		s.pageError(w, r, err)
		return
	}
	v := view{Title: "Home", Nav: "home"}
	if c, err := s.svc.Customer(ctx, p.CustomerID); err == nil {
		v.Customer = c // the layout's too
		var held *billing.Held
		if len(rows) < subRowsLimit { // every subscription: the forecast needs no second read
			held = &billing.Held{Numbers: d.Numbers, Subscriptions: make([]market.Subscription, len(rows))}
			for i, row := range rows {
				held.Subscriptions[i] = row.Subscription
			}
		}
		d.Balance = s.balanceViewOf(r, p, c, nil, held)
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "home", v)
}
