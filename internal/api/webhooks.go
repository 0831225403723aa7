package api

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// WebhookEndpointResponse is a receiver of events.
type WebhookEndpointResponse struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret,omitempty" doc:"The signing secret of Dialtone-Signature: only in the answer to the create."`
	CreatedAt time.Time `json:"created_at"`
}

func webhookEndpointResponse(e market.WebhookEndpoint) WebhookEndpointResponse {
	return WebhookEndpointResponse{ID: e.ID, URL: e.URL, Events: e.Events, CreatedAt: e.CreatedAt}
}

// WebhookAttemptResponse is one attempt of a delivery: the log.
type WebhookAttemptResponse struct {
	ID          string    `json:"id"`
	AttemptedAt time.Time `json:"attempted_at"`
	StatusCode  int       `json:"status_code" doc:"The receiver's HTTP status; 0 when it did not answer."`
	Error       string    `json:"error" doc:"Why the attempt failed; empty when it succeeded."`
	DurationMS  int64     `json:"duration_ms"`
	Response    string    `json:"response" doc:"The start of the receiver's answer (at most 1000 bytes)."`
}

// WebhookDeliveryResponse is one event on its way to one endpoint.
type WebhookDeliveryResponse struct {
	ID            string                   `json:"id"`
	Endpoint      string                   `json:"endpoint"`
	Event         string                   `json:"event"`
	EventType     string                   `json:"event_type"`
	Status        string                   `json:"status" enum:"pending,succeeded,failed" doc:"pending: next_attempt_at says when; failed: given up after 3 days (a retry sends it again)."`
	AttemptCount  int                      `json:"attempt_count"`
	NextAttemptAt *time.Time               `json:"next_attempt_at" nullable:"true"`
	CreatedAt     time.Time                `json:"created_at"`
	DeliveredAt   *time.Time               `json:"delivered_at" nullable:"true"`
	Attempts      []WebhookAttemptResponse `json:"attempts" doc:"Every attempt, oldest first."`
}

func webhookDeliveryResponse(d billing.WebhookDelivery) WebhookDeliveryResponse {
	r := WebhookDeliveryResponse{ID: d.ID, Endpoint: d.EndpointID, Event: d.EventID, EventType: d.EventType, Status: d.Status,
		AttemptCount: d.Attempts, NextAttemptAt: d.NextAttemptAt, CreatedAt: d.CreatedAt, DeliveredAt: d.DeliveredAt,
		Attempts: make([]WebhookAttemptResponse, len(d.Log))}
	for i, a := range d.Log {
		r.Attempts[i] = WebhookAttemptResponse{ID: a.ID, AttemptedAt: a.AttemptedAt, StatusCode: a.StatusCode, Error: a.Error,
			DurationMS: a.Duration.Milliseconds(), Response: a.Response}
	}
	return r
}

func (s *Handler) AdminListWebhookEndpoints(ctx context.Context, _ billing.Principal, in *listIn) (*out[List[WebhookEndpointResponse]], error) {
	if err := knownCursor(in.StartingAfter, func() error { _, err := s.svc.WebhookEndpoint(ctx, in.StartingAfter); return err }); err != nil {
		return nil, err
	}
	es, err := s.svc.WebhookEndpoints(ctx, in.page())
	if err != nil {
		return nil, err
	}
	return reply(listOf(es, in.Limit, webhookEndpointResponse)), nil
}

type webhookEndpointIn struct {
	idemHeader
	Body billing.WebhookEndpointInput
}

func (s *Handler) AdminCreateWebhookEndpoint(ctx context.Context, _ billing.Principal, in *webhookEndpointIn) (*out[WebhookEndpointResponse], error) {
	e, err := s.svc.CreateWebhookEndpoint(ctx, in.Body)
	if err != nil {
		return nil, err
	}
	r := webhookEndpointResponse(e)
	r.Secret = e.Secret
	return reply(r), nil
}

func (s *Handler) AdminDeleteWebhookEndpoint(ctx context.Context, _ billing.Principal, in *idPath) (*out[Deleted], error) {
	if err := s.svc.DeleteWebhookEndpoint(ctx, in.ID); err != nil {
		return nil, err
	}
	return reply(Deleted{ID: in.ID, Deleted: true}), nil
}

type webhookDeliveriesIn struct {
	ID string `path:"id" maxLength:"100"`
	PageParams
}

func (s *Handler) AdminListWebhookDeliveries(ctx context.Context, _ billing.Principal, in *webhookDeliveriesIn) (*out[List[WebhookDeliveryResponse]], error) {
	if _, err := s.svc.WebhookEndpoint(ctx, in.ID); err != nil {
		return nil, err
	}
	if err := knownCursor(in.StartingAfter, func() error { _, err := s.svc.WebhookDeliveryOf(ctx, in.ID, in.StartingAfter); return err }); err != nil {
		return nil, err
	}
	ds, err := s.svc.WebhookDeliveries(ctx, in.ID, in.page())
	if err != nil {
		return nil, err
	}
	return reply(listOf(ds, in.Limit, webhookDeliveryResponse)), nil
}

type webhookRetryIn struct {
	idemHeader
	ID string `path:"id" maxLength:"100"`
}

func (s *Handler) AdminRetryWebhookDelivery(ctx context.Context, _ billing.Principal, in *webhookRetryIn) (*out[WebhookDeliveryResponse], error) {
	d, err := s.svc.RetryWebhookDelivery(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return reply(webhookDeliveryResponse(d)), nil
}

// Event objects: the API's representation, with the customer they belong
// to (the operator's systems receive every customer's events).
type (
	eventOrder struct {
		OrderResponse
		Customer string `json:"customer"`
	}
	eventSubscription struct {
		SubscriptionResponse
		Customer string `json:"customer"`
	}
	eventRefund struct {
		RefundResponse
		Customer string `json:"customer"`
	}
	eventSIPAccount struct {
		SIPAccountResponse
		Customer string `json:"customer"`
	}
)

// eventObject renders a webhook event's object as the API shows it
// (billing.EventObjects).
func eventObject(obj any, now time.Time) (any, error) {
	switch o := obj.(type) {
	case billing.PaidOrder:
		return eventOrder{OrderResponse: orderResponse(o.Order, &o.Payment), Customer: o.Order.CustomerID}, nil
	case market.Subscription:
		return eventSubscription{SubscriptionResponse: subscriptionResponse(o, now), Customer: o.CustomerID}, nil
	case market.Number:
		return adminNumberResponse(o), nil
	case billing.Refund:
		return eventRefund{RefundResponse: refundResponse(o), Customer: o.Payment.CustomerID}, nil
	case billing.SIPAccountEvent:
		var s *Handler
		return eventSIPAccount{SIPAccountResponse: s.sipResponse(context.Background(), o.Account, o.Numbers, o.Bindings, false),
			Customer: o.Account.CustomerID}, nil
	}
	return nil, fmt.Errorf("webhook event object %T has no API representation", obj)
}

// documentWebhookErrors lists the error answers of the webhook routes in
// the OpenAPI document, in the contract's error shape.
func (s *Handler) documentWebhookErrors() {
	oa := s.api.OpenAPI()
	schema := oa.Components.Schemas.Schema(reflect.TypeFor[APIError](), true, "")
	for path, item := range oa.Paths {
		if !strings.HasPrefix(path, "/v1/admin/webhook_") {
			continue
		}
		for _, o := range []*huma.Operation{item.Get, item.Post, item.Delete} {
			if o == nil {
				continue
			}
			codes := []int{http.StatusUnauthorized, http.StatusForbidden}
			if o.Method != http.MethodGet || len(o.Parameters) > 0 {
				codes = append(codes, http.StatusBadRequest)
			}
			if strings.Contains(path, "{id}") {
				codes = append(codes, http.StatusNotFound)
			}
			if o.Method == http.MethodPost {
				codes = append(codes, http.StatusConflict, http.StatusUnprocessableEntity) // Idempotency-Key in use, reused
			}
			if o.Responses == nil {
				o.Responses = map[string]*huma.Response{}
			}
			for _, c := range codes {
				k := strconv.Itoa(c)
				if o.Responses[k] == nil {
					o.Responses[k] = &huma.Response{Description: http.StatusText(c),
						Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}
				}
			}
		}
	}
}
