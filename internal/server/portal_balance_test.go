package server_test

import (
	"net/url"
	"regexp"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestPortalBalance: Home says until when the balance covers the renewals
// and, at the top, that the balance is below the threshold with a Top up
// button; Account settings sets the threshold and the automatic top-up,
// each error next to its field.
func TestPortalBalance(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		demoNumbers(t, a)
		acc := newAccount(t, a, "portal-balance@acme.test", 3000)
		b := acc.b
		home := b.get("/")
		home.hasNot(t, `data-testid="balance-covers"`, `data-testid="low-balance"`)

		adr := a.address(acc.tok)
		buy(t, a, acc, adr, map[string]any{"type": "phone_number", "country": "CH", "area": "Bern"})
		home = b.get("/")
		home.has(t, `data-testid="balance-covers"`, "covers renewals until ")
		// Home forecasts from the subscriptions and numbers it lists (one
		// read of each); Account settings reads them again: the same words.
		covers := regexp.MustCompile(`data-testid="balance-covers">([^<]+)<`).FindStringSubmatch(home.body)
		settings := regexp.MustCompile(`Your balance is [^:<]+: it ([^<]+)\.</p>`).FindStringSubmatch(b.get("/settings").body)
		if covers == nil || settings == nil || covers[1] != settings[1] {
			t.Errorf("Home's forecast %q, Account settings' %q: want the same", covers, settings)
		}

		p := b.get("/settings")
		p.has(t, `data-testid="balance-form"`, `id="low_balance_threshold"`, `id="auto_amount"`)
		for _, c := range []struct {
			form  url.Values
			field string
		}{
			{url.Values{"low_balance_threshold": {"lots"}}, "low_balance_threshold"},
			{url.Values{"auto_top_up": {"on"}, "auto_amount": {""}, "auto_below": {"20"}}, "auto_amount"},
			{url.Values{"auto_top_up": {"on"}, "auto_amount": {"50"}, "auto_below": {"20"}}, "auto_card"}, // no card saved
			{url.Values{"auto_top_up": {"on"}, "auto_amount": {"0.10"}, "auto_below": {"20"}}, "auto_amount"},
		} {
			p := b.post("/settings/balance", c.form)
			if p.status != 400 {
				t.Errorf("POST %v: %d, want 400", c.form, p.status)
			}
			p.has(t, `id="`+c.field+`-error"`)
		}
		p = b.post("/settings/balance", url.Values{"low_balance_threshold": {"50.00"}})
		if p.status != 200 || p.url != "/settings" {
			t.Fatalf("save threshold: %d at %s", p.status, p.url)
		}
		p.has(t, "Your balance settings were saved.", `value="50.00"`)
		if r := a.do("GET", "/v1/account", acc.tok, nil); num(r.body["low_balance_threshold"]) != 5000 {
			t.Errorf("threshold after the form: %s", r.raw)
		}
		home = b.get("/")
		home.has(t, `data-testid="low-balance"`, `data-testid="low-balance-topup"`, "below the CHF 50.00")

		if r := a.do("POST", "/v1/payment_methods", acc.tok, map[string]any{"card": card}); r.status != 201 {
			t.Fatalf("save card: %d %s", r.status, r.raw)
		}
		p = b.post("/settings/balance", url.Values{"low_balance_threshold": {""}, "auto_top_up": {"on"}, "auto_amount": {"100"}, "auto_below": {"25.50"}, "auto_card": {""}})
		if p.status != 200 || p.url != "/settings" {
			t.Fatalf("save auto top-up: %d at %s\n%s", p.status, p.url, p.body)
		}
		r := a.do("GET", "/v1/account", acc.tok, nil)
		if at, _ := r.body["auto_top_up"].(map[string]any); r.body["low_balance_threshold"] != nil || num(at["amount"]) != 10000 || num(at["below"]) != 2550 {
			t.Errorf("after the form: %s", r.raw)
		}
		b.get("/").hasNot(t, `data-testid="low-balance"`)
	})
}
