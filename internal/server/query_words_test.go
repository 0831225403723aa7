package server_test

import (
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestQueryWordsSayTheForm: a refused enum lists its choices without a
// stray comma, and a refused time says which form it takes.
func TestQueryWordsSayTheForm(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	tok := a.signup("words@acme.test", "EUR")
	r := a.do("GET", "/v1/transactions?format=xml", tok, nil)
	msg, _ := r.body["error"].(map[string]any)["message"].(string)
	if r.status != 400 || r.errParam() != "format" || strings.HasSuffix(strings.TrimSpace(msg), ",") || !strings.Contains(msg, "json, csv") {
		t.Errorf("format=xml: %d %s, want 400 on format listing json, csv without a stray comma", r.status, r.raw)
	}
	for _, v := range []string{"2026-03", "yesterday"} {
		r = a.do("GET", "/v1/transactions?from="+v, tok, nil)
		msg, _ = r.body["error"].(map[string]any)["message"].(string)
		if r.status != 400 || r.errParam() != "from" || !strings.Contains(msg, "RFC 3339") || !strings.Contains(msg, "2026-03-10T09:00:00Z") {
			t.Errorf("from=%s: %d %s, want 400 on from saying RFC 3339 with an example", v, r.status, r.raw)
		}
	}
}
