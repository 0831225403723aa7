package sip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"
)

// Listener is the registrar on the network: UDP and TCP on one address,
// and TLS on another if ListenTLS was called.
type Listener struct {
	reg     *Registrar
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	udp     net.PacketConn
	tcp     net.Listener
	tls     net.Listener // nil without TLS
	addr    string
	tlsAddr string

	mu       sync.Mutex
	down     string // why it is not serving ("" while it is)
	closing  bool   // Serve is ending: no new request is handled
	inflight sync.WaitGroup
}

// Listen binds UDP and TCP on addr (host:port; port 0 picks a free port,
// the same for both) and prepares the SIP stack. Serve starts answering.
func (r *Registrar) Listen(addr string) (*Listener, error) {
	tcp, udp, err := bindBoth(addr)
	if err != nil {
		return nil, err
	}
	// sipgo's own logs (malformed packets, transport errors) are debug
	// detail for us: they come from the network, not from our faults.
	quiet := slog.New(&levelHandler{min: slog.LevelWarn, h: r.log.Handler()})
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("dialtone"),
		sipgo.WithUserAgentTransactionLayerOptions(gosip.WithTransactionLayerLogger(quiet)),
		sipgo.WithUserAgentTransportLayerOptions(gosip.WithTransportLayerLogger(quiet)))
	if err != nil {
		tcp.Close()
		udp.Close()
		return nil, err
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(quiet))
	if err != nil {
		tcp.Close()
		udp.Close()
		return nil, err
	}
	l := &Listener{reg: r, ua: ua, srv: srv, udp: udp, tcp: tcp, addr: tcp.Addr().String(), down: "not started"}
	srv.OnNoRoute(l.serveTx)
	for _, m := range []gosip.RequestMethod{gosip.REGISTER, gosip.OPTIONS, gosip.INVITE, gosip.BYE, gosip.CANCEL, gosip.ACK,
		gosip.SUBSCRIBE, gosip.NOTIFY, gosip.MESSAGE, gosip.INFO, gosip.PRACK, gosip.UPDATE, gosip.REFER, gosip.PUBLISH} {
		srv.OnRequest(m, l.serveTx)
	}
	return l, nil
}

// bindBoth binds TCP, then UDP on the same port (retrying a few free
// ports when addr asks for any and the UDP one is taken).
func bindBoth(addr string) (net.Listener, net.PacketConn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("sip: address %q: %w", addr, err)
	}
	for attempt := 0; ; attempt++ {
		tcp, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("sip: listen tcp: %w", err)
		}
		_, p, _ := net.SplitHostPort(tcp.Addr().String())
		udp, err := net.ListenPacket("udp", net.JoinHostPort(host, p))
		if err == nil {
			return tcp, udp, nil
		}
		tcp.Close()
		if port != "0" || attempt >= 10 {
			return nil, nil, fmt.Errorf("sip: listen udp: %w", err)
		}
	}
}

// ListenTLS binds SIP over TLS (RFC 3261 section 26.2, sips:) on addr
// with conf (its certificate: the SIP domain's). Call it before Serve.
func (l *Listener) ListenTLS(addr string, conf *tls.Config) error {
	if conf == nil || (len(conf.Certificates) == 0 && conf.GetCertificate == nil) {
		return errors.New("sip: TLS needs a certificate")
	}
	conf = conf.Clone()
	conf.MinVersion = max(conf.MinVersion, tls.VersionTLS12)
	ln, err := tls.Listen("tcp", addr, conf)
	if err != nil {
		return fmt.Errorf("sip: listen tls: %w", err)
	}
	l.tls, l.tlsAddr = ln, ln.Addr().String()
	return nil
}

// Addr returns the bound host:port (UDP and TCP).
func (l *Listener) Addr() string { return l.addr }

// TLSAddr returns the bound host:port of TLS, or "" without it.
func (l *Listener) TLSAddr() string { return l.tlsAddr }

// Ready reports whether every listener is serving; its error says why not
// (not started yet, one stopped, shut down). /readyz asks it.
func (l *Listener) Ready() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down != "" {
		return errors.New("SIP registrar not serving: " + l.down)
	}
	return nil
}

func (l *Listener) setDown(why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down == "" {
		l.down = why
	}
}

// Serve answers requests until ctx ends, sweeping lapsed bindings every
// sweep interval; then it closes the sockets and returns. A listener that
// stops on its own ends Serve with its error.
func (l *Listener) Serve(ctx context.Context, sweep time.Duration) error {
	outer := ctx
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	serve := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := f()
			if outer.Err() == nil {
				l.setDown(fmt.Sprintf("its %s listener stopped: %v", name, err))
			}
			errc <- err
		}()
	}
	l.mu.Lock()
	l.down = ""
	l.mu.Unlock()
	serve("UDP", func() error { return l.srv.ServeUDP(l.udp) })
	serve("TCP", func() error { return l.srv.ServeTCP(l.tcp) })
	if l.tls != nil {
		serve("TLS", func() error { return l.srv.ServeTLS(l.tls) })
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(sweep)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if _, err := l.reg.Sweep(ctx); err != nil && ctx.Err() == nil {
					l.reg.log.Warn("sip: sweep", "err", err)
				}
			}
		}
	}()
	var err error
	select {
	case <-ctx.Done():
		l.setDown("shut down")
	case err = <-errc:
		if err == nil {
			err = errors.New("sip: a listener stopped")
		}
	}
	stop()
	l.udp.Close()
	l.tcp.Close()
	if l.tls != nil {
		l.tls.Close()
	}
	l.ua.Close()
	wg.Wait()
	// Graceful: the requests being handled finish (their transactions
	// commit or roll back) before the caller closes the database.
	l.mu.Lock()
	l.closing = true
	l.mu.Unlock()
	l.inflight.Wait()
	if outer.Err() != nil && (err == nil || errors.Is(err, net.ErrClosed)) {
		return nil
	}
	return err
}

func (l *Listener) serveTx(req *gosip.Request, tx gosip.ServerTransaction) {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		return
	}
	l.inflight.Add(1)
	l.mu.Unlock()
	defer l.inflight.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := l.reg.Handle(ctx, req)
	if res == nil || tx == nil {
		return
	}
	if err := tx.Respond(res); err != nil {
		l.reg.log.Debug("sip: respond", "err", err)
	}
}

// levelHandler drops records below min.
type levelHandler struct {
	min slog.Level
	h   slog.Handler
}

func (h *levelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.h.Enabled(ctx, l)
}
func (h *levelHandler) Handle(ctx context.Context, r slog.Record) error { return h.h.Handle(ctx, r) }
func (h *levelHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return &levelHandler{min: h.min, h: h.h.WithAttrs(a)}
}
func (h *levelHandler) WithGroup(n string) slog.Handler {
	return &levelHandler{min: h.min, h: h.h.WithGroup(n)}
}
