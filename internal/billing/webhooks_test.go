package billing_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
)

// TestWebhookClientRefusesLinkLocal: the delivery client checks the
// address it connects to, whatever the URL said when it was registered:
// link-local and metadata addresses are refused before any packet is sent
// (a name resolving to one is refused alike); redirects are not followed.
func TestWebhookClientRefusesLinkLocal(t *testing.T) {
	t.Parallel()
	c := billing.WebhookClient()
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://[fe80::1]:8080/", "http://[fd00:ec2::254]/",
		"http://[::ffff:169.254.169.254]/", "http://0.0.0.0:1/"} {
		start := time.Now()
		res, err := c.Post(u, "application/json", strings.NewReader("{}"))
		if err == nil {
			res.Body.Close()
			t.Errorf("%s: sent, status %d", u, res.StatusCode)
			continue
		}
		if !strings.Contains(err.Error(), "refused") || time.Since(start) > 2*time.Second {
			t.Errorf("%s: %v after %s", u, err, time.Since(start))
		}
	}
	if c.CheckRedirect == nil || c.CheckRedirect(&http.Request{}, nil) != http.ErrUseLastResponse {
		t.Errorf("redirects are followed")
	}
}

// TestSign: the documented signature, t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "t.body">, for a known secret, time and body.
func TestSign(t *testing.T) {
	t.Parallel()
	got := billing.Sign("whsec_test", time.Unix(1767225600, 0), []byte(`{"id":"evt_1"}`))
	// printf '%s' '1767225600.{"id":"evt_1"}' | openssl dgst -sha256 -hmac whsec_test
	want := "t=1767225600,v1=45b40331de0325606dc5400202ade162460fbe48daf9401adfdcd0d7b4f35470"
	if got != want {
		t.Errorf("Sign: got %q, want %q", got, want)
	}
}
