package api

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
)

// GatewayEvents reads a card gateway's signed webhooks (Stripe's:
// internal/payment/stripe.Gateway).
type GatewayEvents interface {
	// ParseEvent checks the signature header of payload and reads the
	// event. Errors: a signature that does not verify, or no event.
	ParseEvent(payload []byte, signature string) (payment.Event, error)
}

type confirmOrderIn struct {
	idemHeader
	ID string `path:"id" maxLength:"100"`
}

// confirmOrder completes an order whose card payment waited for the
// customer to authenticate it (402 authentication_required before): the
// paid order once the bank confirmed, 402 authentication_required again
// while it waits, 402 card_declined if it failed.
func (s *Handler) ConfirmOrder(ctx context.Context, p billing.Principal, in *confirmOrderIn) (*out[OrderResponse], error) {
	o, err := s.svc.CompletePendingOrder(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	return s.orderOut(ctx, o)
}

type stripeWebhookIn struct {
	Signature string `header:"Stripe-Signature" required:"false" maxLength:"4096" doc:"Stripe's signature of the body (t=...,v1=...)."`
	RawBody   []byte
}

// WebhookReceived acknowledges a gateway's event.
type WebhookReceived struct {
	Received bool `json:"received"`
}

// stripeWebhook takes Stripe's events: the signature is checked with the
// webhook secret (400 invalid_request naming Stripe-Signature, and nothing
// changes, when it does not verify), each event is applied once (a replay
// is acknowledged and changes nothing), and types dialtone does not act
// on are acknowledged and ignored.
func (s *Handler) StripeWebhook(ctx context.Context, _ billing.Principal, in *stripeWebhookIn) (*out[WebhookReceived], error) {
	if s.cfg.GatewayEvents == nil {
		return nil, market.NotFound("route POST /v1/webhooks/stripe (payments are not by Stripe)")
	}
	ev, err := s.cfg.GatewayEvents.ParseEvent(in.RawBody, in.Signature)
	if err != nil {
		return nil, market.Invalid("Stripe-Signature", "the event was refused: %v", err)
	}
	if err := s.svc.ApplyGatewayEvent(ctx, ev); err != nil {
		return nil, err
	}
	return reply(WebhookReceived{Received: true}), nil
}

// DisputeResponse is a dispute of an order's card payment.
type DisputeResponse struct {
	ID        string    `json:"id" doc:"The gateway's dispute (dp_...)."`
	Order     string    `json:"order"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	Reason    string    `json:"reason" doc:"The gateway's reason, e.g. fraudulent."`
	Status    string    `json:"status" doc:"The gateway's status: needs_response, under_review, won, lost, ..."`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (s *Handler) AdminOrderDisputes(ctx context.Context, _ billing.Principal, in *idPath) (*out[List[DisputeResponse]], error) {
	ds, err := s.svc.OrderDisputes(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	res := List[DisputeResponse]{Data: []DisputeResponse{}}
	for _, d := range ds {
		res.Data = append(res.Data, DisputeResponse{ID: d.ID, Order: d.OrderID, Amount: d.Amount, Currency: d.Currency,
			Reason: d.Reason, Status: d.Status, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt})
	}
	return reply(res), nil
}

// documentStripeWebhook says in the OpenAPI document what Stripe posts: a
// JSON event, read as raw bytes for the signature check.
func (s *Handler) documentStripeWebhook() {
	item := s.api.OpenAPI().Paths["/v1/webhooks/stripe"]
	if item == nil || item.Post == nil {
		return
	}
	item.Post.RequestBody = &huma.RequestBody{Required: true,
		Description: "A Stripe event (https://docs.stripe.com/api/events/object), signed in the Stripe-Signature header.",
		Content: map[string]*huma.MediaType{"application/json": {Schema: &huma.Schema{Type: "object",
			Description: "A Stripe event: id, type, api_version, data.object."}}}}
}
