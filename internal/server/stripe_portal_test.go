package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/payment/stripe/stripetest"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// stripePK is the publishable key the Stripe tests' portal is given.
const stripePK = "pk_test_dialtone"

// policyOf returns the Content-Security-Policy of a portal page.
func policyOf(t *testing.T, b *browser, path string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", b.a.srv.URL+path, nil)
	req.Header.Set("Accept", "text/html")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.Header.Get("Content-Security-Policy")
}

// rawCardInputs are the sandbox form's card fields.
var rawCardInputs = []string{`name="card_number"`, `name="cvc"`, `name="exp_month"`, `name="exp_year"`}

// stripeForm checks that a page takes new cards with Stripe's form only.
func stripeForm(t *testing.T, p page) {
	t.Helper()
	p.has(t, `<script src="https://js.stripe.com/v3/" defer></script>`, `<script src="/static/card-stripe.js" defer></script>`,
		`data-key="`+stripePK+`"`, `name="payment_method"`, `data-testid="stripe-needs-js"`)
	p.hasNot(t, rawCardInputs...)
	p.hasNot(t, "4242 4242 4242 4242") // no sandbox test cards either
}

// TestStripePortalCards: with payments by Stripe the portal's card forms
// (Payment methods, the checkout's new card, the top-up) are Stripe's
// Elements, loaded from js.stripe.com (which the page's policy then
// allows), and post the payment method Stripe.js made; a card number
// posted to them is refused; a bank's authentication goes to the bank and
// back; the balance still pays without any card.
func TestStripePortalCards(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		b := newBrowser(t, a)
		b.signup("elements@acme.test", "CHF")
		tok := b.token("elements@acme.test")
		adr := a.address(tok)

		cards := b.get("/payment-methods")
		stripeForm(t, cards)
		if csp := policyOf(t, b, "/payment-methods"); !strings.Contains(csp, "script-src 'self' https://js.stripe.com") ||
			!strings.Contains(csp, "frame-src https://js.stripe.com") {
			t.Errorf("policy with Stripe: %q", csp)
		}
		key := cards.find(t, `name="key" value="([^"]+)"`)

		// A card number is refused (4xx) and goes nowhere.
		p := b.post("/payment-methods", url.Values{"key": {key}, "card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"},
			"exp_year": {"2030"}, "cvc": {"123"}})
		if p.status < 400 || p.status >= 500 {
			t.Errorf("a card number posted: %d", p.status)
		}
		p.hasNot(t, "4242 4242 4242 4242", `value="123"`)
		if n := count(a, tok, "/v1/payment_methods"); n != 0 || f.Requests("POST /v1/setup_intents") != 0 {
			t.Errorf("after a card number: %d cards, %d setup intents", n, f.Requests("POST /v1/setup_intents"))
		}
		// Without JavaScript nothing but the form's key is posted: refused
		// in words.
		if p := b.post("/payment-methods", url.Values{"key": {b.get("/payment-methods").find(t, `name="key" value="([^"]+)"`)}}); p.status != 400 {
			t.Errorf("nothing posted: %d", p.status)
		}
		// Stripe.js's payment method is saved (a SetupIntent).
		p = b.post("/payment-methods", url.Values{"key": {b.get("/payment-methods").find(t, `name="key" value="([^"]+)"`)},
			"payment_method": {stripetest.PMVisa}})
		if p.status != 200 || !strings.HasPrefix(p.url, "/payment-methods") {
			t.Fatalf("save: %d at %s\n%s", p.status, p.url, p.body)
		}
		p.has(t, `data-last4="4242"`)
		if n := f.Requests("POST /v1/setup_intents"); n != 1 {
			t.Errorf("setup intents = %d, want 1", n)
		}

		// The checkout's new card: paid with a PaymentIntent; not kept
		// unless asked.
		co := b.get("/checkout?type=subscription&plan=business&quantity=2&term=1")
		stripeForm(t, co)
		form := payForm(t, co)
		form.Set("address", adr)
		form.Set("pay", "new")
		form.Set("payment_method", stripetest.PMInsufficient)
		if p := b.post("/checkout", form); p.status != 402 || !strings.Contains(p.body, "insufficient funds") {
			t.Errorf("declined new card: %d at %s", p.status, p.url)
		}
		form = payForm(t, b.get("/checkout?type=subscription&plan=business&quantity=2&term=1"))
		form.Set("address", adr)
		form.Set("pay", "new")
		form.Set("payment_method", stripetest.PMVisa)
		if p := b.post("/checkout", form); p.status != 200 || !strings.HasPrefix(p.url, "/orders/ord_") {
			t.Fatalf("pay with a new card: %d at %s\n%s", p.status, p.url, p.body)
		}
		if n := count(a, tok, "/v1/payment_methods"); n != 1 {
			t.Errorf("cards after paying with a card not to be saved = %d, want 1 (the one saved before)", n)
		}
		// A card number posted to the checkout is refused too.
		form = payForm(t, b.get("/checkout?type=subscription&plan=start&quantity=2&term=1"))
		form.Set("address", adr)
		form.Set("pay", "new")
		form.Set("card_number", "4242424242424242")
		form.Set("cvc", "123")
		form.Set("exp_month", "12")
		form.Set("exp_year", "2030")
		if p := b.post("/checkout", form); p.status < 400 || p.status >= 500 || strings.Contains(p.body, "4242424242424242") {
			t.Errorf("card number at the checkout: %d", p.status)
		}

		// A bank that asks to authenticate: to its page and back.
		form = payForm(t, b.get("/checkout?type=subscription&plan=start&quantity=2&term=1"))
		form.Set("address", adr)
		form.Set("pay", "new")
		form.Set("save", "on")
		form.Set("payment_method", stripetest.PMAuthRequired)
		p = b.post("/checkout", form)
		if p.status != 200 || !strings.HasSuffix(p.url, "/authenticate") {
			t.Fatalf("authentication: %d at %s\n%s", p.status, p.url, p.body)
		}
		in := f.Intents()
		last := in[len(in)-1]
		p.has(t, `href="https://bank.example/3ds/`+last.ID+`"`)
		ord := strings.TrimSuffix(strings.TrimPrefix(p.url, "/orders/"), "/authenticate")
		f.Authenticate(last.ID)
		if done := b.get("/orders/" + ord + "/return?payment_intent=" + last.ID + "&redirect_status=succeeded"); done.url != "/orders/"+ord {
			t.Errorf("back from the bank: %d at %s", done.status, done.url)
		}
		if n := count(a, tok, "/v1/payment_methods"); n != 2 {
			t.Errorf("cards after a saved one = %d, want 2", n)
		}

		// The top-up by a new card.
		rf := b.get("/marketplace/billing/refill?amount=50")
		stripeForm(t, rf)
		p = b.post("/marketplace/billing/refill", url.Values{"key": {rf.find(t, `name="key" value="([^"]+)"`)}, "amount": {"50"},
			"pay": {"new"}, "payment_method": {stripetest.PMVisa}})
		if p.status != 200 || !strings.HasPrefix(p.url, "/orders/ord_") {
			t.Fatalf("top-up: %d at %s\n%s", p.status, p.url, p.body)
		}
		if acct := a.do("GET", "/v1/account", tok, nil); num(acct.body["balance"]) != 5000 {
			t.Errorf("balance after the top-up: %s", acct.raw)
		}

		// The balance pays without any card (and without JavaScript).
		cust := a.do("GET", "/v1/account", tok, nil).body["id"].(string)
		if r := a.do("POST", "/v1/admin/customers/"+cust+"/balance_adjustments", adminToken, map[string]any{"amount": 100000, "reason": "test"}); r.status != 201 {
			t.Fatalf("credit: %d %s", r.status, r.raw)
		}
		form = payForm(t, b.get("/checkout?type=subscription&plan=start&quantity=2&term=1"))
		form.Set("address", adr)
		form.Set("pay", "balance")
		intents := len(f.Intents())
		if p := b.post("/checkout", form); p.status != 200 || !strings.HasPrefix(p.url, "/orders/ord_") || len(f.Intents()) != intents {
			t.Errorf("balance payment: %d at %s, %d intents (was %d)", p.status, p.url, len(f.Intents()), intents)
		}
	})
}

// TestSandboxPortalNoStripe: the sandbox keeps its own card form and never
// loads Stripe.js, nor does its policy allow it.
func TestSandboxPortalNoStripe(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	b := newBrowser(t, a)
	b.signup("sandboxform@acme.test", "CHF")
	for _, path := range []string{"/payment-methods", "/marketplace/billing/refill?amount=50", "/checkout?type=subscription&plan=start&quantity=2&term=1"} {
		p := b.get(path)
		p.has(t, rawCardInputs...)
		p.hasNot(t, "js.stripe.com", "card-stripe.js", `data-stripe-card`)
		if csp := policyOf(t, b, path); strings.Contains(csp, "stripe") {
			t.Errorf("%s: policy %q", path, csp)
		}
	}
}

// TestStripePortalCardNeedsAuthentication: a new card the bank wants
// confirmed before it is saved (3-D Secure on the SetupIntent) sends the
// customer to the bank's page and back to /payment-methods/return, which
// saves it once; from the Payment methods page and from the checkout
// alike. Another account cannot complete it; the sandbox has no such page.
func TestStripePortalCardNeedsAuthentication(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		b := newBrowser(t, a)
		b.signup("setup3ds@acme.test", "CHF")
		tok := b.token("setup3ds@acme.test")
		adr := a.address(tok)

		p := b.post("/payment-methods", url.Values{"key": {b.get("/payment-methods").find(t, `name="key" value="([^"]+)"`)},
			"payment_method": {stripetest.PMSetupAuth}})
		if p.status != 200 || !strings.HasPrefix(p.url, "/payment-methods/return?setup_intent=seti_") {
			t.Fatalf("save: %d at %s\n%s", p.status, p.url, p.body)
		}
		seti := strings.TrimPrefix(p.url, "/payment-methods/return?setup_intent=")
		p.has(t, `href="https://bank.example/3ds/`+seti+`"`, `data-testid="authenticate-card"`)
		if n := count(a, tok, "/v1/payment_methods"); n != 0 {
			t.Errorf("cards before the bank confirmed = %d", n)
		}
		if again := b.get(p.url); again.url != p.url {
			t.Errorf("back before confirming: at %s", again.url)
		}
		// Another account's return finds nothing.
		other := newBrowser(t, a)
		other.signup("setup3ds-other@acme.test", "CHF")
		if o := other.get(p.url); o.status != 404 {
			t.Errorf("another account's return: %d at %s", o.status, o.url)
		}
		f.AuthenticateSetup(seti)
		for i := 0; i < 2; i++ {
			done := b.get("/payment-methods/return?setup_intent=" + seti + "&redirect_status=succeeded")
			if done.status != 200 || done.url != "/payment-methods" {
				t.Fatalf("back from the bank: %d at %s", done.status, done.url)
			}
			done.has(t, `data-last4="3155"`)
		}
		if n := count(a, tok, "/v1/payment_methods"); n != 1 {
			t.Errorf("cards after the return twice = %d, want 1", n)
		}

		// At the checkout: the card is confirmed first, then pays.
		_ = adr
		c := newBrowser(t, a) // another account, whose card is new to it
		c.signup("setup3ds-checkout@acme.test", "CHF")
		ctok := c.token("setup3ds-checkout@acme.test")
		cadr := a.address(ctok)
		form := payForm(t, c.get("/checkout?type=subscription&plan=business&quantity=2&term=1"))
		form.Set("address", cadr)
		form.Set("pay", "new")
		form.Set("payment_method", stripetest.PMSetupAuth)
		p = c.post("/checkout", form)
		if p.status != 200 || !strings.HasPrefix(p.url, "/payment-methods/return?setup_intent=seti_") {
			t.Fatalf("checkout: %d at %s\n%s", p.status, p.url, p.body)
		}
		if n := count(a, ctok, "/v1/orders"); n != 0 {
			t.Errorf("orders before the card was confirmed = %d", n)
		}
		f.AuthenticateSetup(strings.TrimPrefix(p.url, "/payment-methods/return?setup_intent="))
		if done := c.get(p.url); done.url != "/payment-methods" {
			t.Errorf("back from the bank: at %s", done.url)
		}
		cards := dataOf(a.do("GET", "/v1/payment_methods", ctok, nil))
		if len(cards) != 1 {
			t.Fatalf("cards = %v", cards)
		}
		form = payForm(t, c.get("/checkout?type=subscription&plan=business&quantity=2&term=1"))
		form.Set("address", cadr)
		form.Set("pay", cards[0]["id"].(string))
		if p := c.post("/checkout", form); p.status != 200 || !strings.HasPrefix(p.url, "/orders/ord_") {
			t.Errorf("pay with the confirmed card: %d at %s\n%s", p.status, p.url, p.body)
		}
	})
}

func TestSandboxNoCardReturn(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	b := newBrowser(t, a)
	b.signup("sandboxreturn@acme.test", "CHF")
	if p := b.get("/payment-methods/return?setup_intent=seti_x"); p.status != 404 {
		t.Errorf("sandbox card return: %d", p.status)
	}
}
