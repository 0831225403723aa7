package contracttest

import (
	"strings"
	"testing"
	"time"
)

// TestSmallThings (issue 17 "Small things", over HTTP only): a user cannot
// be put on a license of the IVR add-on (400 naming subscription); a
// per-month price is rounded half away from zero (50.00 for 12 months is
// 4.17 a month on the Plans page).
func TestSmallThings(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("small", "EUR")
		adr := s.address(tok)
		s.topUp(tok, 100000)
		o := s.buy(tok, adr, sub("ivr", 2, 1))
		if o.status != 201 {
			t.Fatalf("order: %d %s", o.status, o.raw)
		}
		id := str(obj(arr(o.body["items"])[0])["subscription"])
		s.fails(400, "invalid_request", "subscription", "POST", "/v1/users", tok, map[string]any{"name": "Ivy", "email": "ivy-small@contract.test", "subscription": id})

		s.must(201, "POST", "/v1/admin/plans", adminToken, map[string]any{"code": "fifty", "name": "Fifty", "product": "contact-center", "rank": 9,
			"min_licenses": 1, "max_licenses": 50, "terms": []int{12}, "prices": []any{map[string]any{"currency": "EUR", "term_months": 12, "unit_amount": 5000}}})
		p := s.must(200, "GET", "/marketplace/plans", tok, nil)
		if body := string(p.raw); !strings.Contains(body, "50.00") || !strings.Contains(body, "4.17") || strings.Contains(body, "4.16") {
			t.Errorf("Plans: 50.00 for 12 months is not 4.17 a month")
		}
	})
}

// TestHomeNeedsAction (issue 17 "Balance", over HTTP only): once
// Enterprise has expired, Home says at the top that it needs action,
// that its 3 users are suspended, with Renew.
func TestHomeNeedsAction(t *testing.T) {
	each(t, func(t *testing.T, s *server) {
		tok := s.customer("action", "EUR")
		adr := s.address(tok)
		s.topUp(tok, 500000)
		o := s.buy(tok, adr, sub("enterprise", 3, 1))
		if o.status != 201 {
			t.Fatalf("order: %d %s", o.status, o.raw)
		}
		id := str(obj(arr(o.body["items"])[0])["subscription"])
		for i := 0; i < 3; i++ {
			s.must(201, "POST", "/v1/users", tok, map[string]any{"name": "Agent", "email": "agent-" + string(rune('a'+i)) + "-" + id + "@contract.test", "subscription": id})
		}
		if home := string(s.must(200, "GET", "/", tok, nil).raw); strings.Contains(home, `data-testid="needs-action"`) {
			t.Errorf("Home needs action while everything is in force")
		}
		s.advance(32 * 24 * time.Hour)
		tok = s.relogin(tok)
		home := string(s.must(200, "GET", "/", tok, nil).raw)
		for _, want := range []string{`data-testid="needs-action"`, `data-id="` + id + `"`, "its 3 users are suspended", `href="/subscriptions/` + id + `?extend=1"`, ">Renew<"} {
			if !strings.Contains(home, want) {
				t.Errorf("Home: %q missing", want)
			}
		}
		if i, j := strings.Index(home, `data-testid="needs-action"`), strings.Index(home, `data-testid="home-balance"`); i < 0 || j < i {
			t.Errorf("Needs action is not at the top")
		}
	})
}
