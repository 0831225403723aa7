package admin

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// Subscriptions of every customer (the API's GET /v1/admin/subscriptions):
// filtered by customer, status, plan and expiry, under the Orders entry.

func (a *Admin) subscriptionRoutes() {
	a.handle("GET /admin/subscriptions", areaOrders, a.subscriptionsPage)
}

var subscriptionStatuses = []market.Status{market.StatusTrialing, market.StatusActive, market.StatusPastDue, market.StatusCanceled, market.StatusExpired}

func (a *Admin) subscriptionList() listSpec[market.Subscription] {
	return listSpec[market.Subscription]{
		Name:    "subscriptions",
		Filters: []string{"customer", "status", "plan", "expires_before"},
		Fetch: func(ctx context.Context, q url.Values, p billing.Page) ([]market.Subscription, error) {
			f := billing.SubscriptionFilter{CustomerID: q.Get("customer"), Status: q.Get("status"), Plan: q.Get("plan")}
			if v := q.Get("expires_before"); v != "" {
				d, err := time.Parse("2006-01-02", v)
				if err != nil {
					return nil, market.Invalid("expires_before", "expires before must be a date like 2027-02-10")
				}
				f.ExpiresBefore = d
			}
			f.Page = p
			return a.svc.AllSubscriptions(ctx, f)
		},
		ID: func(s market.Subscription) string { return s.ID },
		CSV: []column[market.Subscription]{
			{"id", func(s market.Subscription) string { return s.ID }},
			{"customer", func(s market.Subscription) string { return s.CustomerID }},
			{"plan", func(s market.Subscription) string { return s.Plan }},
			{"term_months", func(s market.Subscription) string { return strconv.Itoa(s.TermMonths) }},
			{"status", func(s market.Subscription) string { return string(s.Status) }},
			{"auto_renew", func(s market.Subscription) string { return strconv.FormatBool(s.AutoRenew) }},
			{"started_at", func(s market.Subscription) string { return s.StartedAt.UTC().Format(time.RFC3339) }},
			{"expires_at", func(s market.Subscription) string { return s.ExpiresAt.UTC().Format(time.RFC3339) }},
		},
	}
}

type subscriptionsData struct {
	listed[market.Subscription]
	Statuses []market.Status
}

func (a *Admin) subscriptionsPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	showList(a, w, r, http.StatusOK, a.subscriptionList(), "subscriptions", view{Title: "Subscriptions", Area: areaOrders},
		func(l listed[market.Subscription]) any {
			return subscriptionsData{listed: l, Statuses: subscriptionStatuses}
		})
}
