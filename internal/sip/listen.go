package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"
)

// Listener is the registrar on the network: UDP and TCP on one address.
type Listener struct {
	reg  *Registrar
	ua   *sipgo.UserAgent
	srv  *sipgo.Server
	udp  net.PacketConn
	tcp  net.Listener
	addr string
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
	l := &Listener{reg: r, ua: ua, srv: srv, udp: udp, tcp: tcp, addr: tcp.Addr().String()}
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

// Addr returns the bound host:port (UDP and TCP).
func (l *Listener) Addr() string { return l.addr }

// Serve answers requests until ctx ends, sweeping lapsed bindings every
// sweep interval; then it closes the sockets and returns.
func (l *Listener) Serve(ctx context.Context, sweep time.Duration) error {
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	wg.Add(3)
	go func() { defer wg.Done(); errc <- l.srv.ServeUDP(l.udp) }()
	go func() { defer wg.Done(); errc <- l.srv.ServeTCP(l.tcp) }()
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
	case err = <-errc:
	}
	l.udp.Close()
	l.tcp.Close()
	l.ua.Close()
	wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

func (l *Listener) serveTx(req *gosip.Request, tx gosip.ServerTransaction) {
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
