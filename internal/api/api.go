// Package api is dialtone's JSON API under /v1 (and the operator's under
// /v1/admin): the huma handlers with their request and response types, the
// contract's error body and the OpenAPI document generated from the code.
// The server (internal/server) registers the handlers, each with who may
// call it, in its routes.go, and runs them behind its middleware; a
// handler receives the caller's principal from there and never checks it
// again.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/web"
)

// Config is what the API needs besides the service (server.Config says
// what each is).
type Config struct {
	Sandbox       bool
	SandboxClock  *clock.Sandbox
	Advance       func(ctx context.Context, clk *clock.Sandbox, d time.Duration) error
	Version       string
	GatewayEvents GatewayEvents
}

// Handler holds the API handlers' dependencies.
type Handler struct {
	svc     *billing.Service
	log     *slog.Logger
	cfg     Config
	api     huma.API
	clockMu sync.Mutex
}

// New returns the API's handlers, with its huma API on mux (the server
// registers the operations on it).
func New(svc *billing.Service, log *slog.Logger, mux *http.ServeMux, cfg Config) *Handler {
	s := &Handler{svc: svc, log: log, cfg: cfg}
	svc.SetEventObjects(eventObject) // webhook events carry the API's representation
	hc := huma.DefaultConfig("dialtone API", cfg.Version)
	hc.Info.Description = "The self-service marketplace and billing API of a cloud telephony provider. " +
		"Money is integer minor units next to an ISO 4217 currency; times are RFC 3339 UTC."
	hc.OpenAPIPath = "/v1/openapi"
	hc.DocsPath = "" // our own /v1/docs (docs.go) loads the viewer from this server
	hc.SchemasPath = "/v1/schemas"
	hc.CreateHooks = nil // no "$schema" links in bodies
	hc.Formats = formats(hc.Formats)
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "A customer session token from POST /v1/sessions, or the operator's admin token."},
		"cookie": {Type: "apiKey", In: "cookie", Name: web.SessionCookie, Description: "The portal's session cookie."},
	}
	s.api = humago.New(mux, hc)
	return s
}

// API is the huma API the operations are registered on.
func (s *Handler) API() huma.API { return s.api }

// Document completes the OpenAPI document once every operation is
// registered: the formats, limits and errors huma does not know of.
func (s *Handler) Document() {
	s.documentStripeWebhook()
	s.documentLimits()
	s.documentFormats()
	s.documentWebhookErrors()
	s.documentContract()
}
