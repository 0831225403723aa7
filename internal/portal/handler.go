package portal

import (
	"log/slog"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/web"
)

// Config is what the portal needs besides the service.
type Config struct {
	// Sandbox shows the sandbox banner.
	Sandbox bool
	// StripeKey is the publishable key of Stripe's card form; "" keeps the
	// portal's own form and never loads Stripe.js (server.Config says when).
	StripeKey string
}

// Handler holds the portal pages' dependencies.
type Handler struct {
	svc    *billing.Service
	log    *slog.Logger
	cfg    Config
	keys   web.Keys
	portal *portal
}

// New parses the portal's templates and returns its pages.
func New(svc *billing.Service, log *slog.Logger, keys web.Keys, cfg Config) (*Handler, error) {
	p, err := newPortal()
	if err != nil {
		return nil, err
	}
	return &Handler{svc: svc, log: log, cfg: cfg, keys: keys, portal: p}, nil
}

// stripeKey is the publishable key the portal's card form uses.
func (s *Handler) stripeKey() string { return s.cfg.StripeKey }
