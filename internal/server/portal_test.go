package server_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// browser is a customer's web browser in the portal tests: it keeps
// cookies, follows redirects and posts forms as a same-origin page does.
type browser struct {
	t   testing.TB
	a   *api
	c   *http.Client
	url string // the last page
}

func newBrowser(t testing.TB, a *api) *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: a.checked(nil)}
	return &browser{t: t, a: a, c: c}
}

// page is a response of the portal.
type page struct {
	status int
	url    string
	body   string
}

func (p page) has(t testing.TB, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if !strings.Contains(p.body, s) {
			t.Errorf("%s (%d): want %q in the page", p.url, p.status, s)
		}
	}
}

func (p page) hasNot(t testing.TB, parts ...string) {
	t.Helper()
	for _, s := range parts {
		if strings.Contains(p.body, s) {
			t.Errorf("%s: did not want %q in the page", p.url, s)
		}
	}
}

// find returns the first submatch of re in the page.
func (p page) find(t testing.TB, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("%s: %q not in the page", p.url, re)
	}
	return m[1]
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	p := page{status: res.StatusCode, url: res.Request.URL.RequestURI(), body: string(raw)}
	b.url = p.url
	if p.status >= 500 {
		b.t.Errorf("%s %s: %d\n%s", req.Method, req.URL, p.status, raw)
	}
	return p
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.a.srv.URL+path, nil)
	req.Header.Set("Accept", "text/html")
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.a.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Origin", b.a.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return b.do(req)
}

// signup opens an account through the portal's form and stays logged in.
func (b *browser) signup(email, currency string) page {
	b.t.Helper()
	p := b.post("/signup", url.Values{"email": {email}, "password": {"correct horse"}, "company": {"Acme AG"}, "country": {"CH"}, "currency": {currency}})
	if p.status != 200 || p.url != "/" {
		b.t.Fatalf("signup: %d at %s\n%s", p.status, p.url, p.body)
	}
	return p
}

// token returns an API token for the same login, to check what the API
// says after a portal flow.
func (b *browser) token(email string) string {
	b.t.Helper()
	r := b.a.do("POST", "/v1/sessions", "", map[string]any{"email": email, "password": "correct horse"})
	return r.body["token"].(string)
}

func TestPortalAuth(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	b := newBrowser(t, a)

	p := b.get("/")
	if p.url != "/login?next=%2F" {
		t.Fatalf("a visitor lands on %s, want the log-in page", p.url)
	}
	p = b.get("/static/pico-2.1.1.min.css")
	if p.status != 200 {
		t.Errorf("static: %d", p.status)
	}

	t.Run("ErrSignupFields", func(t *testing.T) {
		p := b.post("/signup", url.Values{"email": {"nope"}, "password": {"short"}, "company": {"X"}, "country": {"CH"}, "currency": {"CHF"}})
		if p.status != 400 {
			t.Errorf("status %d, want 400", p.status)
		}
		p.has(t, `id="email-error"`, `aria-invalid="true"`, "Enter a valid e-mail address")
	})

	p = b.signup("owner@acme.test", "CHF")
	p.has(t, "Sandbox mode", "Welcome to dialtone", "CHF 0.00", "Acme AG")

	p = b.post("/logout", nil)
	if p.url != "/login" {
		t.Fatalf("after log-out: %s", p.url)
	}
	if p := b.get("/marketplace/plans"); !strings.HasPrefix(p.url, "/login") {
		t.Errorf("after log-out /marketplace/plans shows %s", p.url)
	}
	p = b.post("/login", url.Values{"email": {"owner@acme.test"}, "password": {"wrong password"}})
	if p.status != 401 {
		t.Errorf("wrong password: %d", p.status)
	}
	p.has(t, "The e-mail address or the password is wrong.")
	p = b.post("/login", url.Values{"email": {"owner@acme.test"}, "password": {"correct horse"}, "next": {"/marketplace/plans"}})
	if p.url != "/marketplace/plans" {
		t.Errorf("log-in with next: at %s", p.url)
	}
	p = b.post("/login", url.Values{"email": {"owner@acme.test"}, "password": {"correct horse"}, "next": {"//evil.example/"}})
	if p.url != "/" {
		t.Errorf("log-in with a foreign next: at %s, want /", p.url)
	}
	if p := b.get("/nothing-here"); p.status != 404 {
		t.Errorf("unknown page: %d", p.status)
	}
}

// TestPortalBuyPlan is Voiptime's first purchase: Plans, Buy, licenses
// below the minimum refused, a promo code applied, CHECKOUT with a new
// card saved for later, the confirmation, and the API agreeing.
func TestPortalBuyPlan(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	b := newBrowser(t, a)
	b.signup("buyer@acme.test", "CHF")

	p := b.get("/marketplace/plans")
	p.has(t, "Cloud Contact Center", "Business", "Purchased plans", `href="/marketplace/plans/business/buy"`)

	p = b.post("/marketplace/plans/business/buy", url.Values{"quantity": {"1"}, "term": {"12"}, "action": {"checkout"}})
	if p.status != 422 {
		t.Errorf("1 license: %d, want 422", p.status)
	}
	p.has(t, `id="quantity-error"`)

	p = b.post("/marketplace/plans/business/buy", url.Values{"quantity": {"5"}, "term": {"12"}, "promo": {"nosuchcode"}, "action": {"apply"}})
	p.has(t, `id="promo-error"`)

	p = b.post("/marketplace/plans/business/buy", url.Values{"quantity": {"5"}, "term": {"12"}, "action": {"checkout"}})
	if !strings.HasPrefix(p.url, "/checkout?") {
		t.Fatalf("CHECKOUT goes to %s (%d)\n%.300s", p.url, p.status, p.body[strings.Index(p.body, "<main"):])
	}
	p.has(t, "Business", "Total", "New billing address")
	key := p.find(t, `name="key" value="([^"]+)"`)
	tok := p.find(t, `name="quote_token" value="([^"]+)"`)
	total := p.find(t, `data-testid="total">([^<]+)<`)

	form := url.Values{"i_type": {"subscription"}, "i_plan": {"business"}, "i_quantity": {"5"}, "i_term": {"12"}, "key": {key}, "quote_token": {tok},
		"address": {"new"}, "name": {"Acme AG"}, "line1": {"Bahnhofstrasse 1"}, "postal_code": {"80"}, "city": {"Zürich"}, "country": {"CH"},
		"pay": {"new"}, "card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"}, "exp_year": {"2030"}, "cvc": {"123"}, "save": {"on"}}
	p = b.post("/checkout", form)
	if p.status != 400 {
		t.Errorf("bad postal code: %d", p.status)
	}
	p.has(t, `id="postal_code-error"`)

	form.Set("postal_code", "8001")
	p = b.post("/checkout", form)
	p.has(t, "Address verified", "CH", "8.1")
	if p.find(t, `data-testid="total">([^<]+)<`) == total {
		t.Errorf("the total with Swiss tax is still %s", total)
	}
	total = p.find(t, `data-testid="total">([^<]+)<`)
	form.Set("quote_token", p.find(t, `name="quote_token" value="([^"]+)"`))
	form.Set("address", p.find(t, `name="address" value="(adr_[^"]+)" checked`))
	form.Set("card_number", "4000 0000 0000 0002")
	p = b.post("/checkout", form)
	if p.status != 402 {
		t.Errorf("declined card: %d", p.status)
	}
	p.has(t, `data-code="card_declined"`)

	form.Set("card_number", "4242 4242 4242 4242")
	form.Set("key", p.find(t, `name="key" value="([^"]+)"`))
	p = b.post("/checkout", form)
	if !strings.HasPrefix(p.url, "/orders/ord_") {
		t.Fatalf("after paying: %d at %s\n%s", p.status, p.url, p.body)
	}
	p.has(t, "Payment completed", total, `data-testid="home"`)
	// The same form again (a double click) pays nothing more.
	again := b.post("/checkout", form)
	if again.url != p.url {
		t.Errorf("second submit went to %s, want %s", again.url, p.url)
	}

	api := b.token("buyer@acme.test")
	orders := a.do("GET", "/v1/orders", api, nil)
	if n := len(orders.body["data"].([]any)); n != 1 {
		t.Errorf("orders: %d, want 1", n)
	}
	subs := a.do("GET", "/v1/subscriptions", api, nil)
	s0 := subs.body["data"].([]any)[0].(map[string]any)
	if s0["plan"] != "business" || s0["quantity"] != float64(5) || s0["term_months"] != float64(12) {
		t.Errorf("subscription: %v", s0)
	}
	cards := a.do("GET", "/v1/payment_methods", api, nil)
	if n := len(cards.body["data"].([]any)); n != 1 {
		t.Errorf("saved cards: %d, want 1", n)
	}
	p = b.get("/marketplace/plans")
	p.has(t, "Purchased plans", "BUY MORE LICENSES", `data-testid="upgrade-enterprise"`)
}

// TestPortalUpgradeAndLicenses: Upgrade offers only higher plans and
// refuses a lower one in words; BUY MORE LICENSES prices the added
// licenses for the time left; both are paid and the API agrees.
func TestPortalUpgradeAndLicenses(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	b := newBrowser(t, a)
	b.signup("up@acme.test", "CHF")
	tok := b.token("up@acme.test")
	cust := a.do("GET", "/v1/account", tok, nil).body["id"].(string)
	if r := a.do("POST", "/v1/admin/customers/"+cust+"/balance_adjustments", adminToken, map[string]any{"amount": 500000, "reason": "test credit"}); r.status != 201 {
		t.Fatalf("credit: %d %s", r.status, r.raw)
	}
	adr := a.do("POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme AG", "line1": "Bahnhofstrasse 1", "city": "Zürich", "postal_code": "8001", "country": "CH"})
	r := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "business", "quantity": 3, "term_months": 1}},
		"billing_address": adr.body["id"], "payment": map[string]any{"method": "balance"}})
	if r.status != 201 {
		t.Fatalf("buy: %d %s", r.status, r.raw)
	}
	sub := r.body["items"].([]any)[0].(map[string]any)["subscription"].(string)

	p := b.get("/marketplace/subscriptions/" + sub + "/upgrade")
	p.has(t, "Upgrade to Enterprise")
	p.hasNot(t, "Upgrade to Start", "Upgrade to Business")

	t.Run("ErrDowngrade", func(t *testing.T) {
		p := b.get("/marketplace/subscriptions/" + sub + "/upgrade?plan=start")
		p.has(t, `data-testid="quote-error"`)
		p.hasNot(t, `data-testid="pay"`)
	})

	p = b.get("/marketplace/subscriptions/" + sub + "/upgrade?plan=enterprise")
	if !strings.HasPrefix(p.url, "/checkout?") {
		t.Fatalf("upgrade goes to %s", p.url)
	}
	p.has(t, "Upgrade plan", "PAY")
	before := a.do("GET", "/v1/account", tok, nil).body["balance"].(float64)
	total := p.find(t, `data-testid="total">([^<]+)<`)
	form := url.Values{"i_type": {"upgrade"}, "i_subscription": {sub}, "i_plan": {"enterprise"}, "key": {p.find(t, `name="key" value="([^"]+)"`)},
		"quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)}, "address": {adr.body["id"].(string)}, "pay": {"balance"}}
	p = b.post("/checkout", form)
	if !strings.HasPrefix(p.url, "/orders/") {
		t.Fatalf("upgrade paid: %d at %s", p.status, p.url)
	}
	p.has(t, total)
	s := a.do("GET", "/v1/subscriptions/"+sub, tok, nil).body
	if s["plan"] != "enterprise" || s["quantity"] != float64(3) {
		t.Errorf("after upgrade: %v x %v", s["plan"], s["quantity"])
	}
	after := a.do("GET", "/v1/account", tok, nil).body["balance"].(float64)
	orders := a.do("GET", "/v1/orders", tok, nil).body["data"].([]any)
	if paid := orders[0].(map[string]any)["total"].(float64); before-after != paid {
		t.Errorf("balance fell by %v, the upgrade cost %v", before-after, paid)
	}

	t.Run("ErrLicensesZero", func(t *testing.T) {
		p := b.post("/marketplace/subscriptions/"+sub+"/licenses", url.Values{"quantity": {"0"}})
		if p.status != 400 {
			t.Errorf("0 licenses: %d", p.status)
		}
		p.has(t, `id="quantity-error"`)
	})
	p = b.post("/marketplace/subscriptions/"+sub+"/licenses", url.Values{"quantity": {"2"}})
	if !strings.HasPrefix(p.url, "/checkout?") {
		t.Fatalf("licenses go to %s", p.url)
	}
	p.has(t, "Buy more licenses", "CHECKOUT")
	form = url.Values{"i_type": {"licenses"}, "i_subscription": {sub}, "i_quantity": {"2"}, "key": {p.find(t, `name="key" value="([^"]+)"`)},
		"quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)}, "address": {adr.body["id"].(string)}, "pay": {"balance"}}
	if p = b.post("/checkout", form); !strings.HasPrefix(p.url, "/orders/") {
		t.Fatalf("licenses paid: %d at %s", p.status, p.url)
	}
	s = a.do("GET", "/v1/subscriptions/"+sub, tok, nil).body
	if s["quantity"] != float64(5) {
		t.Errorf("after adding 2 licenses: %v, want 5", s["quantity"])
	}

	t.Run("ErrOtherCustomer", func(t *testing.T) {
		other := newBrowser(t, a)
		other.signup("other@acme.test", "CHF")
		for _, path := range []string{"/marketplace/subscriptions/" + sub + "/upgrade", "/marketplace/subscriptions/" + sub + "/licenses", "/orders/" + orders[0].(map[string]any)["id"].(string)} {
			if p := other.get(path); p.status != 404 {
				t.Errorf("%s for another customer: %d, want 404", path, p.status)
			}
		}
	})
}

// TestPortalCheckoutFieldsApart: a number's country and state travel as
// the item's own fields, so a new billing address in another country is
// read as entered (a CHF customer ordering a Bern number with a Berlin
// address).
func TestPortalCheckoutFieldsApart(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	b := newBrowser(t, a)
	b.signup("apart@acme.test", "CHF")
	if r := a.do("POST", "/v1/admin/numbers", adminToken, []map[string]any{{"number": "+41315550101", "country": "CH", "area": "Bern", "type": "local",
		"setup_amount": 300, "monthly_amount": 200, "currency": "CHF"}}); r.status >= 300 {
		t.Fatalf("import: %d %s", r.status, r.raw)
	}
	p := b.get("/checkout?type=phone_number&country=CH&area=Bern")
	form := url.Values{"i_type": {"phone_number"}, "i_country": {"CH"}, "i_area": {"Bern"}, "key": {p.find(t, `name="key" value="([^"]+)"`)},
		"quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)}, "address": {"new"}, "name": {"Acme GmbH"},
		"line1": {"Unter den Linden 1"}, "postal_code": {"10117"}, "city": {"Berlin"}, "country": {"DE"}, "pay": {"balance"}}
	p = b.post("/checkout", form)
	p.has(t, "Address verified", "Tax (DE)", "Bern")
	adrs := a.do("GET", "/v1/billing_addresses", b.token("apart@acme.test"), nil).body["data"].([]any)
	if len(adrs) != 1 || adrs[0].(map[string]any)["country"] != "DE" {
		t.Errorf("addresses: %v, want one in DE", adrs)
	}
}
