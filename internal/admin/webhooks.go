package admin

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// Webhook endpoints: the list, a new endpoint (its signing secret shown
// once), deleting one, and an endpoint's deliveries with their attempts
// and a manual retry.

func (a *Admin) webhookRoutes() {
	a.handle("GET /admin/webhooks", areaWebhooks, a.webhooksPage)
	a.handle("POST /admin/webhooks", areaWebhooks, a.webhookCreate)
	a.handle("GET /admin/webhooks/{id}", areaWebhooks, a.webhookPage)
	a.handle("POST /admin/webhooks/{id}/delete", areaWebhooks, a.webhookDelete)
	a.handle("POST /admin/webhooks/{id}/deliveries/{delivery}/retry", areaWebhooks, a.webhookRetry)
}

func (a *Admin) endpointList() listSpec[market.WebhookEndpoint] {
	return listSpec[market.WebhookEndpoint]{
		Name:  "webhook-endpoints",
		Fetch: unfiltered(a.svc.WebhookEndpoints),
		ID:    func(e market.WebhookEndpoint) string { return e.ID },
		CSV: []column[market.WebhookEndpoint]{
			{"id", func(e market.WebhookEndpoint) string { return e.ID }},
			{"url", func(e market.WebhookEndpoint) string { return e.URL }},
			{"events", func(e market.WebhookEndpoint) string { return strings.Join(e.Events, " ") }},
			{"created_at", func(e market.WebhookEndpoint) string { return e.CreatedAt.UTC().Format(time.RFC3339) }},
		},
	}
}

type webhooksData struct {
	listed[market.WebhookEndpoint]
	Events []string
	// Created is the endpoint just created, whose secret shows this once.
	Created *market.WebhookEndpoint
}

// webhookData is an endpoint's page: the endpoint and its deliveries.
type webhookData struct {
	Endpoint *market.WebhookEndpoint
	listed[billing.WebhookDelivery]
}

func (a *Admin) webhooksPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	a.showWebhooks(w, r, http.StatusOK, newForm(nil), nil)
}

func (a *Admin) showWebhooks(w http.ResponseWriter, r *http.Request, status int, f *form, created *market.WebhookEndpoint) {
	showList(a, w, r, status, a.endpointList(), "webhooks", view{Title: "Webhooks", Area: areaWebhooks, Form: f},
		func(l listed[market.WebhookEndpoint]) any {
			return webhooksData{listed: l, Events: billing.EventTypes(), Created: created}
		})
}

func (a *Admin) webhookCreate(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	f := newForm(r.PostForm)
	e, err := a.svc.CreateWebhookEndpoint(r.Context(), billing.WebhookEndpointInput{URL: f.Get("url"), Events: f.Values["events"]})
	if err != nil {
		st := a.fail(f, err, map[string]string{"url": "url", "events": "events"})
		if st == 0 {
			a.pageError(w, r, err)
			return
		}
		a.showWebhooks(w, r, st, f, nil)
		return
	}
	a.showWebhooks(w, r, http.StatusCreated, newForm(nil), &e)
}

func (a *Admin) deliveryList(endpointID string) listSpec[billing.WebhookDelivery] {
	return listSpec[billing.WebhookDelivery]{
		Name: "webhook-deliveries",
		Fetch: func(ctx context.Context, _ url.Values, p billing.Page) ([]billing.WebhookDelivery, error) {
			return a.svc.WebhookDeliveries(ctx, endpointID, p)
		},
		ID: func(d billing.WebhookDelivery) string { return d.ID },
		CSV: []column[billing.WebhookDelivery]{
			{"id", func(d billing.WebhookDelivery) string { return d.ID }},
			{"event", func(d billing.WebhookDelivery) string { return d.EventID }},
			{"type", func(d billing.WebhookDelivery) string { return d.EventType }},
			{"status", func(d billing.WebhookDelivery) string { return d.Status }},
			{"attempts", func(d billing.WebhookDelivery) string { return strconv.Itoa(d.Attempts) }},
			{"created_at", func(d billing.WebhookDelivery) string { return d.CreatedAt.UTC().Format(time.RFC3339) }},
		},
	}
}

func (a *Admin) webhookPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	e, err := a.svc.WebhookEndpoint(r.Context(), r.PathValue("id"))
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	e.Secret = ""
	showList(a, w, r, http.StatusOK, a.deliveryList(e.ID), "webhook", view{Title: "Webhook endpoint", Area: areaWebhooks},
		func(l listed[billing.WebhookDelivery]) any { return webhookData{Endpoint: &e, listed: l} })
}

func (a *Admin) webhookDelete(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	if err := a.svc.DeleteWebhookEndpoint(r.Context(), r.PathValue("id")); err != nil {
		a.pageError(w, r, err)
		return
	}
	a.redirect(w, r, "/admin/webhooks", "Webhook endpoint deleted; nothing more is sent to it.")
}

func (a *Admin) webhookRetry(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	id := r.PathValue("id")
	if _, err := a.svc.WebhookDeliveryOf(r.Context(), id, r.PathValue("delivery")); err != nil {
		a.pageError(w, r, err)
		return
	}
	if _, err := a.svc.RetryWebhookDelivery(r.Context(), r.PathValue("delivery")); err != nil {
		a.pageError(w, r, err)
		return
	}
	a.redirect(w, r, "/admin/webhooks/"+url.PathEscape(id), "The delivery is due again: it is sent within a minute.")
}
