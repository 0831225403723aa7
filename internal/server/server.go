// Package server is dialtone's HTTP server: the mux with its middleware
// (request IDs, metrics, cross-origin refusal, authentication and
// authorization, the text check, idempotency) in front of its faces — the
// JSON API (internal/api) under /v1, the customer portal (internal/portal)
// at /, the back office (internal/admin) at /admin — and the health and
// metrics endpoints. routes.go lists every route of every face with who may
// call it.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/api"
	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/portal"
	"github.com/dialtone/dialtone/internal/web"
)

// GatewayEvents reads a payment gateway's webhooks (api.GatewayEvents).
type GatewayEvents = api.GatewayEvents

// Config is what the server needs besides the service.
type Config struct {
	// AdminToken authorizes the operator API; "" disables it.
	AdminToken string
	// Sandbox enables the movable clock and the sandbox banner.
	Sandbox bool
	// SandboxClock is the clock the operator moves in sandbox mode.
	SandboxClock *clock.Sandbox
	// Advance moves the sandbox clock by d, running the work that becomes
	// due on the way in time order (the scheduler); nil just moves it.
	Advance func(ctx context.Context, clk *clock.Sandbox, d time.Duration) error
	// Version is shown in the OpenAPI document.
	Version string
	// GatewayEvents reads Stripe's webhooks (POST /v1/webhooks/stripe);
	// nil (the sandbox) answers that route 404.
	GatewayEvents GatewayEvents
	// Ready, if set, reports whether the components beside the database
	// serve (the SIP registrar's listeners); /readyz answers 503 with its
	// error's words while it fails.
	Ready func(ctx context.Context) error
	// StripePublishableKey (pk_…, DIALTONE_STRIPE_PUBLISHABLE_KEY) is what
	// the portal's card form, Stripe.js Elements, names the Stripe account
	// with. The portal takes cards with Stripe's form (and loads Stripe.js
	// from js.stripe.com) only with payments by Stripe (GatewayEvents set).
	StripePublishableKey string
	// CrashBeforeAnswer is a test hook: the Idempotency-Key of an API
	// request after whose handler (its use case committed) the process
	// exits at once, before its answer is sent or stored — a crash at the
	// worst moment for idempotency. "" (always, outside tests) is none.
	CrashBeforeAnswer string
}

// stripeKey is the publishable key the portal's card form uses: "" unless
// payments are by Stripe (the sandbox keeps its own form and never loads
// Stripe.js).
func stripeKey(cfg Config) string {
	if cfg.GatewayEvents == nil {
		return ""
	}
	return cfg.StripePublishableKey
}

// Server holds the handlers' dependencies.
type Server struct {
	svc     *billing.Service
	log     *slog.Logger
	cfg     Config
	api     *api.Handler
	mux     *http.ServeMux
	metrics *metrics
	portal  *portal.Handler
	keys    web.Keys
	// access is who may call each API route, by mux pattern (routes.go).
	access map[string]access
	// keyed are the API routes whose use case takes the request's
	// idempotency key into its transaction (web.TakesKey), by mux pattern.
	keyed map[string]bool
	// routeList is every route routes.go declared, in its order.
	routeList []route
	clockMu   sync.Mutex
}

// New returns the whole HTTP handler.
func New(svc *billing.Service, log *slog.Logger, reg *prometheus.Registry, cfg Config) http.Handler {
	_, h := newServer(svc, log, reg, cfg)
	return h
}

// newServer is New with the server whose routes it serves.
func newServer(svc *billing.Service, log *slog.Logger, reg *prometheus.Registry, cfg Config) (*Server, http.Handler) {
	s := &Server{svc: svc, log: log, cfg: cfg, mux: http.NewServeMux(), access: map[string]access{}, keyed: map[string]bool{}}
	s.keys = keys{svc: svc}
	s.metrics = newMetrics(reg)
	s.api = api.New(svc, log, s.mux, api.Config{Sandbox: cfg.Sandbox, SandboxClock: cfg.SandboxClock, Advance: cfg.Advance,
		Version: cfg.Version, GatewayEvents: cfg.GatewayEvents})
	p, err := portal.New(svc, log, s.keys, portal.Config{Sandbox: cfg.Sandbox, StripeKey: stripeKey(cfg)})
	if err != nil {
		panic(err) // the templates are embedded: a parse error is a build error
	}
	s.portal = p
	s.routes(reg)
	s.api.Document()
	var h = patternOf(s.mux)
	h = api.Negotiate(h)
	h = s.idempotency(h)
	h = s.plainText(h)
	h = keepDeadlines(h)
	h = s.authorize(h) // who is calling comes before anything else of the request
	h = s.authenticate(h)
	h = s.crossOrigin(h)
	h = s.observe(h)
	return s, h
}

type ctxKey int

// keyPattern holds where the mux's route pattern is passed up to the
// metrics (patternOf).
const keyPattern ctxKey = iota

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status written.
type statusRecorder struct{ web.Recorder }

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observe assigns a request ID, recovers panics as 500s in the contract's
// shape, logs the request and counts it.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rid := newRequestID()
		w.Header().Set("X-Request-Id", rid)
		ctx := web.WithRequestID(r.Context(), rid)
		secure := r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
		r = r.WithContext(web.WithSecure(ctx, secure))
		rec := &statusRecorder{web.Recorder{ResponseWriter: w}}
		r, done := s.metrics.start(r)
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", rid, "panic", v, "path", web.LogPath(r))
				if rec.Status == 0 {
					api.WriteError(rec, r, s.log, errPanic)
				}
			}
			done(rec.Status)
			if rec.Status >= 500 {
				s.log.Warn("request", "request_id", rid, "method", r.Method, "path", web.LogPath(r), "status", rec.Status)
			} else {
				s.log.Debug("request", "request_id", rid, "method", r.Method, "path", web.LogPath(r), "status", rec.Status)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

type panicError struct{}

func (panicError) Error() string { return "panic" }

var errPanic = panicError{}
