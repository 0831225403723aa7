package sip_test

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/sip"
	"github.com/dialtone/dialtone/internal/sip/siptest"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestRegisterOverTLS: a phone registers over TLS (sipgo's client trusting
// a certificate made for the test) and its binding's transport is TLS.
func TestRegisterOverTLS(t *testing.T) {
	t.Parallel()
	cert := siptest.NewCert(t, realm)
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		r := newTLSRig(t, st, sip.Config{}, &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
		p := newTLSPhone(t, r, r.account, cert.Pool)
		if res := p.register(contact(5072, "transport", "tls"), expires(300)); res.StatusCode != 200 {
			t.Fatalf("REGISTER over TLS: got %d %s, want 200", res.StatusCode, res.Reason)
		}
		bs := r.bindings(t, r.account)
		if len(bs) != 1 || bs[0].Transport != "TLS" {
			t.Fatalf("bindings: got %+v, want one over TLS", bs)
		}
		// UDP and TCP still answer beside it.
		if res := newPhone(t, r, r.account).register(contact(5073), expires(300)); res.StatusCode != 200 {
			t.Fatalf("REGISTER over UDP beside TLS: got %d", res.StatusCode)
		}
	})
}

// TestListenTLSNeedsCertificate: no certificate, no TLS listener.
func TestListenTLSNeedsCertificate(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	reg, err := sip.New(context.Background(), st, sip.Config{Realm: realm})
	if err != nil {
		t.Fatal(err)
	}
	l, err := reg.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.ListenTLS("127.0.0.1:0", &tls.Config{}); err == nil {
		t.Fatal("ListenTLS without a certificate: no error")
	}
}

// TestListenerReady: Ready says why the registrar does not serve: before
// Serve, when a listener stops on its own (and Serve ends with its error),
// and after a shutdown; nil while every listener serves.
func TestListenerReady(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	cert := siptest.NewCert(t)
	reg, err := sip.New(context.Background(), st, sip.Config{Realm: realm})
	if err != nil {
		t.Fatal(err)
	}
	start := func() (*sip.Listener, context.CancelFunc, chan error) {
		l, err := reg.Listen("127.0.0.1:0")
		if err == nil {
			err = l.ListenTLS("127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Ready(); err == nil || !strings.Contains(err.Error(), "not started") {
			t.Fatalf("before Serve: Ready() = %v, want not started", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- l.Serve(ctx, time.Hour) }()
		for i := 0; l.Ready() != nil && i < 100; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		if err := l.Ready(); err != nil {
			t.Fatalf("serving: Ready() = %v, want nil", err)
		}
		return l, cancel, done
	}

	l, cancel, done := start()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel: %v, want nil", err)
	}
	if err := l.Ready(); err == nil || !strings.Contains(err.Error(), "shut down") {
		t.Fatalf("after shutdown: Ready() = %v", err)
	}

	l, cancel, done = start()
	defer cancel()
	sip.BreakTLSListener(l)
	select {
	case err := <-done:
		if err == nil {
			t.Error("Serve ended with nil after its TLS listener stopped")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not end after its TLS listener stopped")
	}
	if err := l.Ready(); err == nil || !strings.Contains(err.Error(), "TLS listener stopped") {
		t.Fatalf("after the TLS listener stopped: Ready() = %v", err)
	}
}
