package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestPortalWords: the refill page says a decline once and without the
// balance, reads "50,00", names the top-up limits in the currency; a free
// trial shows no payment method, and Hosted PBX is named once.
func TestPortalWords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		b := newBrowser(t, a)
		b.signup("words@acme.test", "EUR")
		tok := b.token("words@acme.test")
		key := b.get("/marketplace/billing/refill").find(t, `name="key" value="([^"]+)"`)
		form := func(amount, card string) url.Values {
			return url.Values{"key": {key}, "amount": {amount}, "pay": {"new"}, "card_number": {card}, "exp_month": {"12"}, "exp_year": {"2030"}, "cvc": {"123"}}
		}

		t.Run("ErrDeclined", func(t *testing.T) {
			p := b.post("/marketplace/billing/refill", form("20.00", "4000000000000002"))
			p.has(t, "The card was declined by its bank. Try another card.")
			p.hasNot(t, "the card was declined", "pay from your balance")
		})
		t.Run("ErrNoFunds", func(t *testing.T) {
			p := b.post("/marketplace/billing/refill", form("20.00", "4000000000009995"))
			p.has(t, "The card was declined for insufficient funds. Try another card.")
			p.hasNot(t, "the card was declined:", "pay from your balance")
		})
		t.Run("ErrTooSmall", func(t *testing.T) {
			b.post("/marketplace/billing/refill", form("0,50", "4242424242424242")).has(t, "A top-up is between €1.00 and €100,000.00")
		})
		t.Run("ErrAmbiguous", func(t *testing.T) {
			b.post("/marketplace/billing/refill", form("1,000", "4242424242424242")).has(t, "could mean one or a thousand")
		})
		t.Run("Amounts", func(t *testing.T) {
			for _, tc := range []struct {
				in       string
				currency string
				want     int64
				msg      string
			}{
				{"50", "EUR", 5000, ""},
				{"50.00", "EUR", 5000, ""},
				{"50,00", "EUR", 5000, ""},
				{"50,5", "EUR", 5050, ""},
				{" 12.34 ", "EUR", 1234, ""},
				{"1'000.00", "EUR", 100000, ""},
				{"1’000.50", "EUR", 100050, ""},
				{"1 000,00", "EUR", 100000, ""},
				{"1,000.00", "EUR", 100000, ""},
				{"1.000,00", "EUR", 100000, ""},
				{"1,000,000", "EUR", 0, "A top-up is between €1.00 and €100,000.00"},
				{"99.999,5", "EUR", 9999950, ""},
				{"", "EUR", 0, "Enter the amount to top up, e.g. 50.00."},
				{"1,000", "EUR", 0, "“1,000” could mean one or a thousand: write it without a thousands separator, such as 1000 or 1000.00."},
				{"1.000", "EUR", 0, "“1.000” could mean one or a thousand: write it without a thousands separator, such as 1000 or 1000.00."},
				{"1,00,000.00", "EUR", 0, "Separate thousands in groups of three digits, such as 1,000.00, or leave them out: 1000.00."},
				{"1,,000.00", "EUR", 0, "Separate thousands in groups of three digits, such as 1,000.00, or leave them out: 1000.00."},
				{"50.005", "EUR", 0, "“50.005” could mean one or a thousand: write it without a thousands separator, such as 1000 or 1000.00."},
				{"1,000.005", "EUR", 0, "Amounts in EUR have 2 decimal places: enter e.g. 50.00."},
				{"-5", "EUR", 0, "Enter an amount above zero, such as 50.00."},
				{"fifty", "EUR", 0, "Enter an amount in EUR such as 50.00 or 50,00."},
				{"50,", "EUR", 0, "Enter an amount in EUR such as 50.00 or 50,00."},
				{"5e3", "EUR", 0, "Enter an amount in EUR such as 50.00 or 50,00."},
			} {
				f := form(tc.in, "4242424242424242")
				f.Set("key", "k-"+tc.in)
				p := b.post("/marketplace/billing/refill", f)
				if tc.msg != "" {
					p.has(t, tc.msg)
					continue
				}
				p.has(t, fmt.Sprintf("Your balance was topped up by %s.", money.Format(money.New(tc.want, tc.currency))))
			}
		})
		t.Run("OKDecimalComma", func(t *testing.T) {
			b.post("/marketplace/billing/refill", form("50,00", "4242424242424242")).has(t, "Your balance was topped up by €50.00.")
			f := form("50,00", "4242424242424242")
			f.Set("key", "k-comma-2")
			before := a.do("GET", "/v1/account", tok, nil).body["balance"].(float64)
			b.post("/marketplace/billing/refill", f)
			if after := a.do("GET", "/v1/account", tok, nil).body["balance"].(float64); after-before != 5000 {
				t.Errorf("balance grew by %v, want 5000", after-before)
			}
		})

		adr := a.address(tok)
		r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "hosted-pbx",
			"quantity": 1, "term_months": 1, "trial": true}}, "billing_address": adr, "payment": map[string]any{"method": "balance"}})
		if r.status != 201 {
			t.Fatalf("trial: %d %s", r.status, r.raw)
		}
		sub := r.body["items"].([]any)[0].(map[string]any)["subscription"]
		t.Run("FreeTrialMethod", func(t *testing.T) {
			for _, path := range []string{"/", "/marketplace/billing"} {
				p := b.get(path)
				p.has(t, `data-label="Method">—`)
				p.hasNot(t, `data-label="Method">none`)
			}
		})
		t.Run("NameOnce", func(t *testing.T) {
			b.get("/users").has(t, ">Hosted PBX — 0 of 1 licenses used<")
			if s, ok := sub.(string); ok {
				p := b.get("/marketplace/subscriptions/" + s + "/licenses")
				p.has(t, "Hosted PBX: 1 licenses")
				p.hasNot(t, "Hosted PBX Hosted PBX")
			}
		})
	})
}

// TestPortalCheckoutTopUpDecimalComma: the checkout reads a top-up amount
// as the refill form does, with a decimal comma too.
func TestPortalCheckoutTopUpDecimalComma(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	b := newBrowser(t, a)
	b.signup("comma@acme.test", "EUR")
	p := b.get("/checkout?" + url.Values{"type": {"balance_top_up"}, "amount": {"50,00"}}.Encode())
	if p.status != 200 {
		t.Fatalf("status %d\n%.800s", p.status, p.body)
	}
	p.has(t, "€50.00")
	p.hasNot(t, `data-testid="form-error"`)
	// A declined card on a top-up's checkout: the balance is no way to
	// pay a top-up, so it is not suggested.
	form := payForm(t, p)
	for k, v := range map[string]string{"pay": "new", "card_number": "4000000000000002", "exp_month": "12", "exp_year": "2030", "cvc": "123"} {
		form.Set(k, v)
	}
	d := b.post("/checkout", form)
	d.has(t, "The card was declined by its bank. Try another card.")
	d.hasNot(t, "pay from your balance")
	if p := b.get("/checkout?" + url.Values{"type": {"balance_top_up"}, "amount": {"1.000"}}.Encode()); p.status != 400 {
		t.Errorf("an ambiguous 1.000: status %d, want 400", p.status)
	}
}

// TestPortalCartAfterTrial: the cart says what happens when a trial in it
// ends, as the checkout does.
func TestPortalCartAfterTrial(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	b := newBrowser(t, a)
	b.signup("carttrial@acme.test", "CHF")
	tok := b.token("carttrial@acme.test")
	if r := a.do("POST", "/v1/cart/items", tok, map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 2, "term_months": 3,
		"trial": true, "auto_renew": true}); r.status != 201 {
		t.Fatalf("add to cart: %d %s", r.status, r.raw)
	}
	note := b.get("/cart").find(t, `data-testid="after-trial">([^<]+)<`)
	if !strings.Contains(note, "After the trial (until 9 Apr 2026)") || !strings.Contains(note, "per 3 months for 2 licenses") ||
		!strings.Contains(note, "renewed automatically") {
		t.Errorf("cart says %q", note)
	}
}
