package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// checkoutForm is the posted checkout form of page p for a new address
// in Zürich and a new card.
func checkoutForm(t *testing.T, p page, item url.Values) url.Values {
	t.Helper()
	f := url.Values{"key": {p.find(t, `name="key" value="([^"]+)"`)}, "quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)},
		"address": {"new"}, "name": {"Acme AG"}, "line1": {"Bahnhofstrasse 1"}, "postal_code": {"8001"}, "city": {"Zürich"}, "country": {"CH"},
		"pay": {"new"}, "card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"}, "exp_year": {"2030"}, "cvc": {"123"}}
	for k, v := range item {
		f["i_"+k] = v
	}
	return f
}

// TestPortalCheckoutFriction (issue 17 "Checkout friction"): after
// "Address verified and saved" the typed card number and CVC are still in
// their fields (no look-filled placeholder), and a declined card is asked
// for anew; field errors are summed up at the top with links to their
// fields and shown next to each; the Buy page shows the total before
// Apply; a new address defaults to the account's country.
func TestPortalCheckoutFriction(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "friction@acme.test", 0)
	b := acc.b
	item := url.Values{"type": {"subscription"}, "plan": {"business"}, "quantity": {"2"}, "term": {"1"}}

	// The Buy page shows its total at once.
	b.get("/marketplace/plans/business/buy").has(t, `data-testid="total">CHF `)

	p := b.get("/checkout?" + item.Encode())
	p.has(t, `<option value="CH" selected>`) // the account's country
	p.hasNot(t, `placeholder="4242 4242 4242 4242"`)

	t.Run("ErrSummary", func(t *testing.T) {
		f := checkoutForm(t, p, item)
		f.Set("postal_code", "80")
		p := b.post("/checkout", f)
		if p.status != 400 {
			t.Errorf("bad address: %d", p.status)
		}
		p.has(t, `data-testid="error-summary"`, `href="#postal_code"`, `id="postal_code-error"`, `value="4242 4242 4242 4242"`, `value="123"`)
		if s, e := strings.Index(p.body, `data-testid="error-summary"`), strings.Index(p.body, `id="postal_code"`); s < 0 || s > e {
			t.Errorf("the summary is not above the fields (%d, %d)", s, e)
		}
	})

	p = b.post("/checkout", checkoutForm(t, p, item))
	if p.status != 200 {
		t.Fatalf("verify address: %d", p.status)
	}
	p.has(t, "Address verified and saved", `value="4242 4242 4242 4242"`, `value="123"`, `value="new" checked`, "Tax (CH)")

	t.Run("ErrDeclinedForgetsCard", func(t *testing.T) {
		f := checkoutForm(t, p, item)
		f.Set("address", p.find(t, `name="address" value="(adr_[^"]+)" checked`))
		f.Set("card_number", "4000000000000002")
		p := b.post("/checkout", f)
		if p.status != 402 {
			t.Errorf("declined: %d", p.status)
		}
		p.hasNot(t, `value="4000000000000002"`, `value="123"`)
	})

	f := checkoutForm(t, p, item)
	f.Set("address", p.find(t, `name="address" value="(adr_[^"]+)" checked`))
	if p = b.post("/checkout", f); !strings.HasPrefix(p.url, "/orders/") {
		t.Fatalf("pay: %d at %s", p.status, p.url)
	}
}

// TestPortalSecondSubscriptionWarning (issue 17 "Checkout friction"):
// buying Start while holding Enterprise warns before paying and asks for
// a tick (409 and nothing bought without it); with the tick it is bought.
// The cart says so on the line.
func TestPortalSecondSubscriptionWarning(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "second@acme.test", 1000000)
	adr := a.address(acc.tok)
	buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "enterprise", "quantity": 3, "term_months": 1})
	b := acc.b
	item := url.Values{"type": {"subscription"}, "plan": {"start"}, "quantity": {"2"}, "term": {"1"}}
	p := b.get("/checkout?" + item.Encode())
	p.has(t, `data-testid="held-warning"`, "You already have Cloud Contact Center Enterprise (3 licenses", `name="held" value="1"`, `id="confirm_second"`)
	f := url.Values{"key": {p.find(t, `name="key" value="([^"]+)"`)}, "quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)},
		"address": {adr}, "pay": {"balance"}, "held": {"1"}}
	for k, v := range item {
		f["i_"+k] = v
	}
	p = b.post("/checkout", f)
	if p.status != 409 {
		t.Errorf("without the tick: %d at %s", p.status, p.url)
	}
	p.has(t, `id="confirm_second-error"`, `href="#confirm_second"`)
	if n := len(dataOf(a.do("GET", "/v1/subscriptions", acc.tok, nil))); n != 1 {
		t.Fatalf("%d subscriptions after the refused checkout, want 1", n)
	}
	f.Set("confirm_second", "on")
	if p = b.post("/checkout", f); !strings.HasPrefix(p.url, "/orders/") {
		t.Fatalf("with the tick: %d at %s", p.status, p.url)
	}
	if n := len(dataOf(a.do("GET", "/v1/subscriptions", acc.tok, nil))); n != 2 {
		t.Errorf("%d subscriptions, want 2", n)
	}

	// Another product: no warning.
	b.get("/checkout?type=subscription&plan=ivr&quantity=1&term=1").hasNot(t, `data-testid="held-warning"`)
	// The cart warns on the line.
	if p := b.post("/buy", url.Values{"plan": {"business"}, "quantity": {"2"}, "term": {"1"}}); p.url != "/cart" {
		t.Fatalf("add to cart: %d at %s", p.status, p.url)
	}
	b.get("/cart").has(t, `data-testid="held-warning"`, "a second, separate subscription of Cloud Contact Center")
}

// TestPortalBalanceShortBeforePay (issue 17 "Checkout friction"): an
// order the balance cannot cover says so before Pay, with the shortfall,
// a top-up link for it that returns to the checkout, and the card; a
// number (paid from the balance only) offers the top-up alone.
func TestPortalBalanceShortBeforePay(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "short@acme.test", 1000)
	a.address(acc.tok)
	// 2 x CHF 40.00 + 8.1 % = CHF 86.48; the balance has CHF 10.00.
	p := acc.b.get("/checkout?type=subscription&plan=business&quantity=2&term=1")
	p.has(t, `data-testid="balance-short"`, `data-missing="7648"`, "CHF 76.48</strong> short", "Top up CHF 76.48", "or pay by card",
		`/marketplace/billing/refill?amount=76.48&amp;return=%2fcheckout%3f`)
	if s, pay := strings.Index(p.body, `data-testid="balance-short"`), strings.Index(p.body, `data-testid="pay"`); s < 0 || s > pay {
		t.Errorf("the shortfall is not said before Pay (%d, %d)", s, pay)
	}
	// Enough balance: nothing is said.
	acc.b.get("/checkout?type=subscription&plan=ivr&quantity=1&term=1").hasNot(t, `data-testid="balance-short"`)

	if r := a.do("POST", "/v1/admin/numbers", adminToken, []map[string]any{{"number": "+41315550199", "country": "CH", "area": "Bern", "type": "local",
		"setup_amount": 1500, "monthly_amount": 500, "currency": "CHF"}}); r.status >= 300 {
		t.Fatalf("import: %d %s", r.status, r.raw)
	}
	p = acc.b.get("/checkout?type=phone_number&number=%2B41315550199")
	p.has(t, `data-testid="balance-short"`, "Top up CHF")
	p.hasNot(t, "or pay by card")
}
