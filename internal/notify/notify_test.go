package notify

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// TestComposeGolden: the HTML part of a mail is byte for byte what it was
// when its template was a Go string (testdata/*.html were written then,
// with -update).
func TestComposeGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                              string
		subject, body, action, actionText string
		wantText                          string
	}{
		{"reminder.html", "Your Business plan ends in 7 days",
			"Your subscription sub_123 ends on 8 Dec 2026.\n\nRenew it to keep your 5 users & their numbers <working>.",
			"https://portal.example/marketplace/subscriptions/sub_123?renew=1", "Renew now",
			"Your subscription sub_123 ends on 8 Dec 2026.\n\nRenew it to keep your 5 users & their numbers <working>.\n\nRenew now: https://portal.example/marketplace/subscriptions/sub_123?renew=1\n"},
		{"notice.html", "Payment received", "We received €12.00. Thank you.", "", "",
			"We received €12.00. Thank you.\n"},
	}
	for _, tt := range tests {
		m, err := Compose("ann@acme.test", tt.subject, tt.body, tt.action, tt.actionText)
		if err != nil {
			t.Fatal(err)
		}
		if m.To != "ann@acme.test" || m.Subject != tt.subject || m.Text != tt.wantText {
			t.Errorf("%s: Compose = %+v, want text %q", tt.name, m, tt.wantText)
		}
		golden(t, filepath.Join("testdata", tt.name), []byte(m.HTML))
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got %q\nwant %q", path, got, want)
	}
}
