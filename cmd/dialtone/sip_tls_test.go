package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/sip/siptest"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestSIPOverTLS: serve with --sip-tls-addr and a certificate answers a
// phone (sipgo's client) over TLS; the API shows the registration with
// transport TLS; /readyz covers the registrar.
func TestSIPOverTLS(t *testing.T) {
	cert := siptest.NewCert(t, "sip.dialtone.local")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, cert.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, cert.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			base, printed, stop := startServer(t, storetest.URL(t, kind), map[string]string{"DIALTONE_ARGON2_MEMORY": "1024",
				"DIALTONE_SIP_TLS_ADDR": "127.0.0.1:0", "DIALTONE_SIP_TLS_CERT": certFile, "DIALTONE_SIP_TLS_KEY": keyFile})
			defer stop()
			m := regexp.MustCompile(`SIP registrar on tls (\S+)`).FindStringSubmatch(printed.String())
			if m == nil {
				t.Fatalf("no TLS address printed: %q", printed)
			}
			tok, acct := sipAccount(t, base, "tls-"+kind+"@example.com")
			if got := registerVia(t, "tls", cert.Pool, m[1], m[1], acct, 5081, 300, 1); got != 200 {
				t.Fatalf("REGISTER over TLS: got %d, want 200", got)
			}
			got := call(t, "GET", base+"/v1/sip_accounts/"+acct["id"].(string), tok, nil)
			regs := got["registrations"].([]any)
			if got["connected"] != true || len(regs) != 1 || regs[0].(map[string]any)["transport"] != "TLS" {
				t.Fatalf("after registering over TLS: %v", got)
			}
			res, err := http.Get(base + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(b), `"ready"`) {
				t.Errorf("/readyz with the registrar serving: %d %s", res.StatusCode, b)
			}
		})
	}
}

// TestSIPTLSFlagsRefused: serve refuses to start, saying why, when TLS is
// asked for without a certificate and key, or with one of the two.
func TestSIPTLSFlagsRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "d.db")
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DIALTONE_SIP_TLS_ADDR": "127.0.0.1:0"}, "needs a certificate and key: set --sip-tls-cert and --sip-tls-key"},
		{map[string]string{"DIALTONE_SIP_TLS_CERT": "cert.pem"}, "go together"},
		{map[string]string{"DIALTONE_SIP_TLS_ADDR": "127.0.0.1:0", "DIALTONE_SIP_TLS_CERT": "/nonexistent/c.pem",
			"DIALTONE_SIP_TLS_KEY": "/nonexistent/k.pem"}, "--sip-tls-cert, --sip-tls-key"},
	} {
		err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--sip-addr", "127.0.0.1:0", "--db", db},
			func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error saying %q", tc.env, err, tc.want)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("serve opened the database before refusing its flags")
	}
}
