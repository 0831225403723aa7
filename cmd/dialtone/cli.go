package main

import (
	"errors"
	"io"
	"strings"

	"github.com/alecthomas/kong"
)

// ServeCmd runs the server.
type ServeCmd struct {
	Addr    string `default:":8080" env:"DIALTONE_ADDR" help:"Address to listen on."`
	DB      string `default:"./dialtone.db" env:"DIALTONE_DATABASE_URL" help:"A SQLite path, sqlite:PATH, or a postgres:// URL."`
	Sandbox bool   `default:"true" negatable:"" env:"DIALTONE_SANDBOX" help:"Sandbox mode: movable clock, banner (the card gateway is --payments)."`
	// SandboxStart sets where a new sandbox clock starts (tests and demos
	// of a given day); an existing database keeps its clock.
	SandboxStart string `name:"sandbox-start" env:"DIALTONE_SANDBOX_START" help:"Sandbox mode: the RFC 3339 instant a new database's clock starts at (default: now). A database that has a clock keeps it."`
	Demo         bool   `default:"true" negatable:"" env:"DIALTONE_DEMO" help:"Load the demo catalog and number inventory on first start."`
	SMTPURL      string `name:"smtp-url" env:"DIALTONE_SMTP_URL" help:"E-mail notifications: smtp://user:pass@host:port[?tls=none|opportunistic|mandatory] or smtps://…"`
	MailFrom     string `env:"DIALTONE_MAIL_FROM" help:"Sender of notification e-mails (default no-reply@ the SMTP host)."`
	PublicURL    string `name:"public-url" default:"http://localhost:8080" env:"DIALTONE_PUBLIC_URL" help:"Where customers reach the portal (links in e-mails)."`
	AdminToken   string `env:"DIALTONE_ADMIN_TOKEN" help:"The operator's API token (generated and printed at first start in sandbox mode)."`
	SIPDomain    string `default:"sip.dialtone.local" env:"DIALTONE_SIP_DOMAIN" help:"The SIP domain customers register to."`
	LogLevel     string `default:"info" env:"DIALTONE_LOG_LEVEL" enum:"debug,info,warn,error" help:"Log level."`
	// The SIP registrar (internal/sip, docs/OPERATIONS.md).
	SIPAddr       string `name:"sip-addr" default:":5060" env:"DIALTONE_SIP_ADDR" help:"Address of the SIP registrar (UDP and TCP); 'off' runs none."`
	SIPTLSAddr    string `name:"sip-tls-addr" env:"DIALTONE_SIP_TLS_ADDR" help:"Address of the SIP registrar over TLS (sips:, RFC 3261 section 26); needs --sip-tls-cert and --sip-tls-key (default :5061 when they are given)."`
	SIPTLSCert    string `name:"sip-tls-cert" env:"DIALTONE_SIP_TLS_CERT" type:"path" help:"PEM file of the SIP domain's TLS certificate (chain) for --sip-tls-addr."`
	SIPTLSKey     string `name:"sip-tls-key" env:"DIALTONE_SIP_TLS_KEY" type:"path" help:"PEM file of that certificate's private key."`
	SIPMinExpires int    `name:"sip-min-expires" default:"60" env:"DIALTONE_SIP_MIN_EXPIRES" help:"Shortest registration accepted, in seconds (shorter: 423 Interval Too Brief)."`
	SIPMaxExpires int    `name:"sip-max-expires" default:"3600" env:"DIALTONE_SIP_MAX_EXPIRES" help:"Longest registration granted, in seconds (longer ones are shortened)."`
	SIPAlgorithms string `name:"sip-algorithms" default:"SHA-256,MD5" env:"DIALTONE_SIP_ALGORITHMS" help:"Digest algorithms offered, in order: phones take the first they support; put MD5 first for phones that read only the first challenge."`
	// Argon2Memory is the argon2id memory cost in KiB (tests use less).
	Argon2Memory uint32 `default:"65536" env:"DIALTONE_ARGON2_MEMORY" hidden:""`
	// CrashBeforeAnswer is a test hook (the contract suite's crash between
	// a use case's commit and its answer): the Idempotency-Key of an API
	// request after whose handler the process exits at once, its answer
	// neither sent nor stored (server.Config.CrashBeforeAnswer).
	CrashBeforeAnswer string `env:"DIALTONE_TEST_CRASH_BEFORE_ANSWER" hidden:""`
	// Payments picks the card gateway (API.md "Payments").
	Payments             string `default:"sandbox" enum:"sandbox,stripe" env:"DIALTONE_PAYMENTS" help:"Card gateway: sandbox (test cards, no money moves) or stripe."`
	StripeSecretKey      string `name:"stripe-secret-key" env:"DIALTONE_STRIPE_SECRET_KEY" help:"--payments stripe: Stripe's secret API key (prefer the environment variable)."`
	StripeWebhookSecret  string `name:"stripe-webhook-secret" env:"DIALTONE_STRIPE_WEBHOOK_SECRET" help:"--payments stripe: the signing secret (whsec_…) of the webhook endpoint at /v1/webhooks/stripe."`
	StripeAPIURL         string `name:"stripe-api-url" env:"DIALTONE_STRIPE_API_URL" help:"--payments stripe: Stripe's API base URL (default https://api.stripe.com; stripe-mock in tests)."`
	StripePublishableKey string `name:"stripe-publishable-key" env:"DIALTONE_STRIPE_PUBLISHABLE_KEY" help:"--payments stripe: Stripe's publishable key (pk_…) for the portal's card form (Stripe.js Elements)."`
}

// MigrateCmd brings the database schema up to date.
type MigrateCmd struct {
	DB string `default:"./dialtone.db" env:"DIALTONE_DATABASE_URL" help:"A SQLite path, sqlite:PATH, or a postgres:// URL."`
}

// CLI is the command line.
type CLI struct {
	Serve    ServeCmd    `cmd:"" default:"withargs" help:"Run the server."`
	Migrate  MigrateCmd  `cmd:"" help:"Migrate the database and exit."`
	Load     LoadCmd     `cmd:"" help:"Drive a dialtone on this machine with load and report latencies."`
	Bench    BenchCmd    `cmd:"" help:"Benchmarks of a dialtone started on this machine."`
	Operator OperatorCmd `cmd:"" help:"Manage the back office's operator accounts."`
}

type exitSignal struct{}

func parse(args []string, getenv func(string) string, stdout io.Writer) (*CLI, *kong.Context, error) {
	var cli CLI
	exited := false
	p, err := kong.New(&cli, kong.Name("dialtone"),
		kong.Description("The marketplace and billing system of a cloud telephony provider."),
		kong.Writers(stdout, stdout),
		kong.Exit(func(int) { exited = true; panic(exitSignal{}) }),
		kong.Resolvers(envResolver(getenv)))
	if err != nil {
		return nil, nil, err
	}
	var kctx *kong.Context
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(exitSignal); !ok {
					panic(v)
				}
			}
		}()
		kctx, err = p.Parse(args)
	}()
	if exited {
		return nil, nil, nil
	}
	return &cli, kctx, err
}

// envResolver reads flags' env tags from getenv instead of the process
// environment, so that tests can pass their own.
func envResolver(getenv func(string) string) kong.Resolver {
	return kong.ResolverFunc(func(_ *kong.Context, _ *kong.Path, flag *kong.Flag) (any, error) {
		for _, name := range flag.Envs {
			if v := getenv(name); v != "" {
				if flag.IsBool() {
					switch strings.ToLower(v) {
					case "1", "true", "yes", "on":
						return true, nil
					case "0", "false", "no", "off":
						return false, nil
					}
					return nil, errors.New(name + " must be true or false")
				}
				return v, nil
			}
		}
		return nil, nil
	})
}
