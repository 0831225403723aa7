package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/gcpolicy"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/notify"
	"github.com/dialtone/dialtone/internal/payment"
	stripegw "github.com/dialtone/dialtone/internal/payment/stripe"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/sip"
	"github.com/dialtone/dialtone/internal/store"
)

func migrate(ctx context.Context, url string) error {
	st, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer st.Close()
	return st.Migrate(ctx)
}

func serve(ctx context.Context, cfg ServeCmd, gc gcpolicy.Policy, stdout, stderr io.Writer) error {
	sipTLSAddr, sipTLS, err := sipTLSConfig(cfg)
	if err != nil {
		return err
	}
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	if err := st.Warm(ctx); err != nil {
		// Not fatal: the pool opens its sessions when they are needed.
		log.Warn("could not open the database pool ahead of requests", "err", err)
	}

	var clk clock.Clock = clock.Wall{}
	var sandboxClock *clock.Sandbox
	if cfg.Sandbox {
		off, err := loadClockOffset(ctx, st, cfg.SandboxStart)
		if err != nil {
			return err
		}
		// A move of the clock (server: moveClock) keeps the offset of each
		// of its steps with the step's audit entry (billing.MoveSandboxClock).
		sandboxClock = clock.NewSandbox(off)
		clk = sandboxClock
	}
	params := *argon2id.DefaultParams
	params.Memory = max(cfg.Argon2Memory, 1024)
	gw, events, err := gatewayOf(cfg)
	if err != nil {
		return err
	}
	var mailer notify.Mailer
	mode := billing.MailOff
	switch {
	case cfg.SMTPURL != "":
		m, err := notify.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
		if err != nil {
			return err
		}
		mailer, mode = m, billing.MailSMTP
	case cfg.Sandbox:
		mode = billing.MailMailbox
		log.Warn("e-mail is not configured (no --smtp-url): in sandbox mode every e-mail is kept in the mailbox (GET /v1/admin/mailbox, and the customer's Notifications), none is sent")
	default:
		log.Warn("e-mail is not configured (no --smtp-url): no e-mail is sent or kept; invitations, password resets, notices and invoices wait unsent in the outbox until --smtp-url is set")
	}
	svc := billing.New(st, clk, gw, log, billing.Config{SIPDomain: cfg.SIPDomain, Argon2: &params, PublicURL: cfg.PublicURL, Mail: mode})
	if mode == billing.MailMailbox {
		mailer = svc.Mailbox()
	}
	// Invoices a crash left queued between their order's commit and their
	// number (PostgreSQL) are numbered before anyone can ask for them.
	if err := svc.NumberInvoices(ctx); err != nil {
		return err
	}

	if cfg.Demo {
		loaded, err := svc.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("demo catalog: %w", err)
		}
		if loaded {
			n, _, err := svc.ImportNumbers(ctx, inventory.Demo())
			if err != nil {
				return fmt.Errorf("demo inventory: %w", err)
			}
			log.Info("loaded the demo catalog and number inventory", "numbers", n)
		}
	}
	token, err := adminToken(ctx, st, cfg, stdout)
	if err != nil {
		return err
	}

	sched := scheduler.New(svc, log)
	sched.Mailer = mailer
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := sched.RegisterMetrics(reg); err != nil {
		return err
	}
	if err := registerStoreMetrics(reg, st); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	sipLn, err := listenSIP(ctx, st, clk, cfg, log, reg, svc)
	if err == nil && sipLn != nil && sipTLS != nil {
		err = sipLn.ListenTLS(sipTLSAddr, sipTLS)
	}
	if err != nil {
		ln.Close()
		return err
	}
	var ready func(context.Context) error
	if sipLn != nil {
		// Printed before the HTTP line, which tests wait for.
		log.Info("SIP registrar is listening", "addr", sipLn.Addr(), "tls", sipLn.TLSAddr(), "domain", cfg.SIPDomain)
		fmt.Fprintf(stdout, "dialtone SIP registrar on udp+tcp %s\n", sipLn.Addr())
		if sipLn.TLSAddr() != "" {
			fmt.Fprintf(stdout, "dialtone SIP registrar on tls %s\n", sipLn.TLSAddr())
		}
		ready = func(context.Context) error { return sipLn.Ready() }
	}
	h := server.New(svc, log, reg, server.Config{AdminToken: token, Sandbox: cfg.Sandbox, SandboxClock: sandboxClock,
		Advance: sched.Advance, Version: "0.1.0", GatewayEvents: events, Ready: ready,
		StripePublishableKey: cfg.StripePublishableKey, CrashBeforeAnswer: cfg.CrashBeforeAnswer})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("dialtone is listening", "addr", ln.Addr().String(), "db", st.Dialect(), "sandbox", cfg.Sandbox, "gc", gc.String())
	fmt.Fprintf(stdout, "dialtone listening on http://%s\n", ln.Addr().String())

	schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
	schedDone := make(chan struct{})
	go func() { defer close(schedDone); sched.Run(schedCtx, 30*time.Second) }()
	// sipDone stays nil (a select never takes it) without a registrar.
	var sipDone chan error
	waitSIP := func() {
		if sipDone != nil {
			<-sipDone
		}
	}
	if sipLn != nil {
		sipDone = make(chan error, 1)
		go func() { sipDone <- sipLn.Serve(schedCtx, 30*time.Second) }()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		stopSched()
		<-schedDone
		waitSIP()
		return err
	case err := <-sipDone:
		stopSched()
		<-schedDone
		_ = srv.Close()
		return fmt.Errorf("sip registrar: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	stopSched()
	<-schedDone
	waitSIP()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// listenSIP binds the SIP registrar on --sip-addr, or returns nil for
// "off". Bindings expire on the wall clock; the business clock only says
// whether a user's subscription is in force.
func listenSIP(ctx context.Context, st *store.Store, clk clock.Clock, cfg ServeCmd, log *slog.Logger, metrics prometheus.Registerer, events sip.Events) (*sip.Listener, error) {
	if cfg.SIPAddr == "" || cfg.SIPAddr == "off" {
		return nil, nil
	}
	reg, err := sip.New(ctx, st, sip.Config{Realm: cfg.SIPDomain, MinExpires: cfg.SIPMinExpires, MaxExpires: cfg.SIPMaxExpires,
		Algorithms: strings.Split(cfg.SIPAlgorithms, ","), Clock: clk, Log: log, Metrics: metrics, Events: events})
	if err != nil {
		return nil, err
	}
	return reg.Listen(cfg.SIPAddr)
}

// sipTLSConfig checks the TLS flags of the registrar and loads its
// certificate: TLS runs on --sip-tls-addr (default :5061) when a
// certificate and key are given; an address without them, or one of the
// two without the other, refuses to start.
func sipTLSConfig(cfg ServeCmd) (string, *tls.Config, error) {
	addr := cfg.SIPTLSAddr
	if addr == "off" {
		addr = ""
	}
	sipOff := cfg.SIPAddr == "" || cfg.SIPAddr == "off"
	switch {
	case addr == "" && cfg.SIPTLSCert == "" && cfg.SIPTLSKey == "":
		return "", nil, nil
	case (cfg.SIPTLSCert == "") != (cfg.SIPTLSKey == ""):
		return "", nil, errors.New("--sip-tls-cert (DIALTONE_SIP_TLS_CERT) and --sip-tls-key (DIALTONE_SIP_TLS_KEY) go together: give both PEM files, the certificate and its private key")
	case cfg.SIPTLSCert == "":
		return "", nil, fmt.Errorf("--sip-tls-addr %s (DIALTONE_SIP_TLS_ADDR) needs a certificate and key: set --sip-tls-cert and --sip-tls-key (DIALTONE_SIP_TLS_CERT, DIALTONE_SIP_TLS_KEY) to PEM files of the SIP domain's certificate and its private key, or leave the address unset", addr)
	case sipOff:
		return "", nil, errors.New("SIP over TLS needs the registrar: --sip-addr is off")
	}
	if addr == "" {
		addr = ":5061"
	}
	cert, err := tls.LoadX509KeyPair(cfg.SIPTLSCert, cfg.SIPTLSKey)
	if err != nil {
		return "", nil, fmt.Errorf("--sip-tls-cert, --sip-tls-key: %w", err)
	}
	return addr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// adminToken returns the operator token: from the configuration, or in
// sandbox mode one generated at first start, printed once, and kept in the
// database so that restarts keep it.
func adminToken(ctx context.Context, st *store.Store, cfg ServeCmd, stdout io.Writer) (string, error) {
	if cfg.AdminToken != "" {
		return cfg.AdminToken, nil
	}
	if !cfg.Sandbox {
		return "", nil
	}
	var tok string
	err := st.Tx(ctx, func(q *store.Q) error {
		v, ok, err := q.Setting(ctx, "sandbox_admin_token")
		if err != nil || ok {
			tok = v
			return err
		}
		tok = "adm_" + id.Secret(24)
		if err := q.PutSetting(ctx, "sandbox_admin_token", tok); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "sandbox admin token (shown once; set DIALTONE_ADMIN_TOKEN to choose your own): %s\n", tok)
		return nil
	})
	return tok, err
}

// loadClockOffset returns the sandbox clock's persisted offset from the wall
// clock. A database without one starts at start (RFC 3339) when given, else
// now; that first offset is persisted so a restart keeps the same time.
func loadClockOffset(ctx context.Context, st *store.Store, start string) (time.Duration, error) {
	v, ok, err := st.Read().Setting(ctx, billing.SandboxClockSetting)
	if err != nil {
		return 0, err
	}
	if !ok {
		if start == "" {
			return 0, nil
		}
		at, err := time.Parse(time.RFC3339, start)
		if err != nil {
			return 0, fmt.Errorf("--sandbox-start %q: want an RFC 3339 time such as 2027-02-10T09:00:00Z", start)
		}
		off := time.Until(at)
		err = st.Tx(ctx, func(q *store.Q) error { return q.PutSetting(ctx, billing.SandboxClockSetting, off.String()) })
		return off, err
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, nil
	}
	return d, nil
}

// gatewayOf returns the card gateway --payments picks, and the reader of
// its webhooks (nil for the sandbox).
func gatewayOf(cfg ServeCmd) (payment.Gateway, server.GatewayEvents, error) {
	switch cfg.Payments {
	case "", "sandbox":
		return payment.NewSandbox(), nil, nil
	case "stripe":
		if cfg.StripeWebhookSecret == "" {
			return nil, nil, errors.New("--payments stripe needs DIALTONE_STRIPE_WEBHOOK_SECRET: Stripe's events are how payments that waited for authentication complete")
		}
		if !strings.HasPrefix(cfg.StripePublishableKey, "pk_") {
			return nil, nil, errors.New("--payments stripe needs DIALTONE_STRIPE_PUBLISHABLE_KEY (pk_…): the portal's card form is Stripe's (Stripe.js Elements)")
		}
		g, err := stripegw.New(stripegw.Config{SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret, APIURL: cfg.StripeAPIURL})
		if err != nil {
			return nil, nil, err
		}
		return g, g, nil
	}
	return nil, nil, fmt.Errorf("--payments: unknown gateway %q (sandbox or stripe)", cfg.Payments)
}

// registerStoreMetrics exports the SQLite writer's counters (none on
// PostgreSQL): its transactions and commits, the checkpoints beside it and
// the writer's own, which start the WAL again (store/checkpoint.go); a
// growing count of misses means a reader keeps the WAL from being reused.
func registerStoreMetrics(reg prometheus.Registerer, st *store.Store) error {
	if _, ok := st.WriterStats(); !ok {
		return nil
	}
	stat := func(f func(store.WriterStats) int64) func() float64 {
		return func() float64 {
			ws, _ := st.WriterStats()
			return float64(f(ws))
		}
	}
	checkpoints := func(by, result string, f func(store.WriterStats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "dialtone_sqlite_checkpoints_total",
			Help:        "SQLite checkpoints, by who ran them (the checkpointer beside the writer, or the writer) and their result.",
			ConstLabels: prometheus.Labels{"by": by, "result": result}}, stat(f))
	}
	for _, c := range []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "dialtone_sqlite_write_transactions_total",
			Help: "Transactions run by the SQLite writer."}, stat(func(w store.WriterStats) int64 { return w.Transactions })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "dialtone_sqlite_commits_total",
			Help: "Group commits of the SQLite writer (each carries one or more transactions)."}, stat(func(w store.WriterStats) int64 { return w.Commits })),
		checkpoints("checkpointer", "done", func(w store.WriterStats) int64 { return w.Checkpoints - w.CheckpointFailures }),
		checkpoints("checkpointer", "failed", func(w store.WriterStats) int64 { return w.CheckpointFailures }),
		checkpoints("writer", "whole", func(w store.WriterStats) int64 { return w.WALRestarts }),
		checkpoints("writer", "partial", func(w store.WriterStats) int64 { return w.WALRestartMisses }),
		checkpoints("writer", "failed", func(w store.WriterStats) int64 { return w.WALRestartFailures }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialtone_sqlite_wal_frames",
			Help: "Frames in the SQLite WAL at the last checkpoint."}, stat(func(w store.WriterStats) int64 { return w.WALFrames })),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
