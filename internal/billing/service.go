// Package billing holds dialtone's use cases: sign-up, the checkout engine
// (quotes and orders of every kind), subscriptions, users, the ledger
// postings behind every movement of money, invoices and operator actions.
// Each use case runs in one store transaction with the time fixed at its
// start; every rule it applies comes from market.
package billing

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// Seller is the provider as it appears on invoices.
type Seller struct {
	Name  string
	Lines []string
	VATID string
}

// Config holds what the use cases need besides their dependencies.
type Config struct {
	SIPDomain string
	Seller    Seller
	// Argon2 parameters for passwords; zero means argon2id.DefaultParams.
	Argon2 *argon2id.Params
	// SessionTTL is how long a login lasts, in wall-clock time (default
	// 30 days).
	SessionTTL time.Duration
	// PublicURL is where customers reach the portal, for links in e-mails.
	PublicURL string
	// InviteTTL and ResetTTL are how long an invitation's and a password
	// reset's link work, in wall-clock time (default 7 days and 1 hour).
	InviteTTL, ResetTTL time.Duration
	// Mail says what becomes of e-mails: sent through SMTP, kept in the
	// sandbox mailbox, or neither (see MailMode).
	Mail MailMode
	// OperatorSessionTTL is how long an operator's log-in to the back
	// office lasts, in wall-clock time (default 12 hours).
	OperatorSessionTTL time.Duration
}

// Service runs the use cases.
type Service struct {
	store   *store.Store
	clock   clock.Clock
	gateway payment.Gateway
	log     *slog.Logger
	cfg     Config
	hashSem chan struct{}
	hashes  atomic.Int64 // argon2id hashes running (auth.go hashing)
	freeing atomic.Bool  // a return of their memory is due
	// ids makes the IDs of everything the service creates, from the wall
	// clock (see id.Generator for why not from the sandbox clock).
	ids *id.Generator
	// dummyHash is compared against when a login's e-mail is unknown, so
	// that a login takes as long whether or not the account exists.
	dummyHash string
	hooks     *webhooks // webhook_endpoints' events (webhooks.go)
	mailKick  chan struct{}
	seq       *sequencer // numbers queued invoices (sequencer.go)
}

// New returns a Service.
func New(st *store.Store, clk clock.Clock, gw payment.Gateway, log *slog.Logger, cfg Config) *Service {
	if cfg.SIPDomain == "" {
		cfg.SIPDomain = "sip.dialtone.local"
	}
	if cfg.Seller.Name == "" {
		cfg.Seller = Seller{Name: "Dialtone Telecom AG", Lines: []string{"Bahnhofstrasse 1", "8001 Zürich", "Switzerland"}, VATID: "CHE123456789"}
	}
	if cfg.Argon2 == nil {
		p := *argon2id.DefaultParams
		cfg.Argon2 = &p
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://localhost:8080"
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 30 * 24 * time.Hour
	}
	if cfg.OperatorSessionTTL == 0 {
		cfg.OperatorSessionTTL = 12 * time.Hour
	}
	if cfg.InviteTTL == 0 {
		cfg.InviteTTL = 7 * 24 * time.Hour
	}
	if cfg.ResetTTL == 0 {
		cfg.ResetTTL = time.Hour
	}
	dummy, _ := argon2id.CreateHash(id.Secret(16), cfg.Argon2)
	return &Service{store: st, clock: clk, gateway: gw, log: log, cfg: cfg,
		hashSem: make(chan struct{}, max(1, runtime.NumCPU())), ids: id.NewGenerator(clock.Wall{}.Now), dummyHash: dummy, hooks: newWebhooks(), mailKick: make(chan struct{}, 1), seq: newSequencer()}
}

// Store returns the store (for the scheduler and health checks).
func (s *Service) Store() *store.Store { return s.store }

// Clock returns the service's clock.
func (s *Service) Clock() clock.Clock { return s.clock }

// now returns the time of a use case, fixed once at its start.
func (s *Service) now() time.Time { return clock.Normalize(s.clock.Now()) }

// wallNow returns the real time, whatever the sandbox clock says: security
// timers (sessions, log-in throttling) run on it.
func (s *Service) wallNow() time.Time { return clock.Wall{}.Now() }

// hashToken returns the stored form of a session token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Principal is who is calling: a customer's login, or the operator.
type Principal struct {
	CustomerID string
	UserID     string
	Role       string
	Operator   bool
	TokenHash  string
}

// IsAdmin reports whether the principal may manage the customer account.
func (p Principal) IsAdmin() bool { return p.Role == "owner" || p.Role == "admin" }

// mayManage returns forbidden unless the principal is a customer login
// that may buy and manage (PRODUCT.md: the owner or an admin); other
// logins of the customer may only look.
func (p Principal) mayManage() error {
	if p.CustomerID == "" {
		return errUnauthenticated
	}
	if !p.IsAdmin() {
		return &market.Error{Code: market.CodeForbidden, Message: "only the account's owner or an admin may do this"}
	}
	return nil
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

var errUnauthenticated = &market.Error{Code: market.CodeUnauthenticated, Message: "log in first: the token or session is missing, wrong or expired"}

// Now returns the service's current time.
func (s *Service) Now() time.Time { return s.now() }
