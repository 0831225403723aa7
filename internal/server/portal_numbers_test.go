package server_test

import (
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// demoNumbers loads the demo number inventory (as `dialtone serve --demo`
// does) through the operator's API.
func demoNumbers(t testing.TB, a *api) {
	t.Helper()
	var rows []map[string]any
	for _, r := range inventory.Demo() {
		rows = append(rows, map[string]any{"number": r.Number, "country": r.Country, "state": r.State, "area": r.Area, "type": r.Type,
			"setup_amount": r.SetupAmount, "monthly_amount": r.MonthlyAmount, "currency": r.Currency})
	}
	if r := a.do("POST", "/v1/admin/numbers", adminToken, rows); r.status >= 300 {
		t.Fatalf("import the demo numbers: %d %.300s", r.status, r.raw)
	}
}

// href returns the unescaped link of the element with data-testid testid.
func (p page) href(t testing.TB, testid string) string {
	t.Helper()
	return html.UnescapeString(p.find(t, `href="([^"]+)"[^>]*data-testid="`+testid+`"`))
}

// esc is s as html/template writes it in a page ("+" as "&#43;").
func esc(s string) string { return strings.ReplaceAll(html.EscapeString(s), "+", "&#43;") }

// TestPortalNumbersCascade: the State step appears only for countries
// that file numbers by state; a stale state or area (the country changed)
// is dropped; bad filters are shown next to their fields.
func TestPortalNumbersCascade(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	demoNumbers(t, a)
	// A number is sold in its price's currency: each account sees the
	// countries it can buy in (demo: CH in CHF, DE and UA in EUR, US, CA
	// and AU in USD).
	browsers := map[string]*browser{}
	for _, cur := range []string{"CHF", "EUR", "USD"} {
		browsers[cur] = newBrowser(t, a)
		browsers[cur].signup("cascade-"+cur+"@acme.test", cur)
	}
	b := browsers["CHF"]

	p := b.get("/marketplace/numbers")
	p.has(t, "SIP Number", `id="country"`, "Switzerland", "Purchased numbers", `href="/sip"`,
		"To check whether the number is connected, go to")
	p.hasNot(t, `id="area"`, `data-testid="order-phone"`, "Germany", "United States")
	browsers["USD"].get("/marketplace/numbers").has(t, "United States", "Canada", "Australia")

	for _, tc := range []struct {
		currency  string
		country   string
		hasStates bool
		state     string // a state of the country, if any
		area      string // an area of the state or country
	}{
		{"USD", "US", true, "NY", "New York"},
		{"USD", "CA", true, "QC", "Montreal"},
		{"USD", "AU", true, "VIC", "Melbourne"},
		{"EUR", "DE", false, "", "Berlin"},
		{"CHF", "CH", false, "", "Zürich"},
	} {
		t.Run(tc.country, func(t *testing.T) {
			b := browsers[tc.currency]
			p := b.get("/marketplace/numbers?country=" + tc.country)
			if got := strings.Contains(p.body, `id="state"`); got != tc.hasStates {
				t.Errorf("%s: State shown %v, want %v", tc.country, got, tc.hasStates)
			}
			if tc.hasStates {
				// The Area step waits for the state.
				p.hasNot(t, `id="area"`)
				p = b.get("/marketplace/numbers?" + url.Values{"country": {tc.country}, "state": {tc.state}}.Encode())
			}
			p.has(t, `id="area"`, ">"+tc.area+" (")
			p.hasNot(t, `data-testid="order-phone"`)
			p = b.get("/marketplace/numbers?" + url.Values{"country": {tc.country}, "state": {tc.state}, "area": {tc.area}}.Encode())
			p.has(t, `data-testid="available"`, "Order")
		})
	}

	t.Run("StaleStateDropped", func(t *testing.T) {
		p := browsers["EUR"].get("/marketplace/numbers?" + url.Values{"country": {"DE"}, "state": {"NY"}, "area": {"New York"}}.Encode())
		if p.status != 200 {
			t.Errorf("status %d", p.status)
		}
		p.hasNot(t, `id="state"`, `data-testid="free-numbers"`)
		p.has(t, `id="area"`, ">Berlin (")
	})
	t.Run("OtherCurrency", func(t *testing.T) {
		// Germany's numbers are in euros: a CHF account is told so at the
		// Country step, not after choosing an area.
		p := b.get("/marketplace/numbers?" + url.Values{"country": {"DE"}, "area": {"Berlin"}}.Encode())
		p.has(t, `id="country-error"`, "CHF")
		p.hasNot(t, `data-testid="order-phone"`, `data-testid="available"`)
	})
	t.Run("TypeAndContains", func(t *testing.T) {
		p := b.get("/marketplace/numbers?" + url.Values{"country": {"CH"}, "area": {"Mobile"}, "type": {"mobile"}, "contains": {"79"}}.Encode())
		p.has(t, esc("+4179"), "Mobile")
		p = b.get("/marketplace/numbers?" + url.Values{"country": {"CH"}, "area": {"Zürich"}, "type": {"toll_free"}}.Encode())
		p.has(t, `data-testid="no-free"`)
	})
	for _, tc := range []struct {
		name, query, field string
	}{
		{"ErrContains", "country=CH&area=Z%C3%BCrich&contains=44x", "contains"},
		{"ErrType", "country=CH&type=fax", "type"},
		{"ErrCountry", "country=XX", "country"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.get("/marketplace/numbers?" + tc.query)
			if p.status != 400 {
				t.Errorf("status %d, want 400", p.status)
			}
			p.has(t, `id="`+tc.field+`-error"`, `aria-invalid="true"`)
			p.hasNot(t, `data-testid="available"`)
		})
	}
}

// TestPortalOrderNumber is Voiptime's "Purchasing SIP phone number" with an
// empty balance: ORDER PHONE, the checkout sends the customer to top up
// what is missing, the card top-up returns to the checkout, paying shows
// the number; then Purchased numbers, Assign and Release, and the API
// agreeing at each step.
func TestPortalOrderNumber(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	demoNumbers(t, a)
	b := newBrowser(t, a)
	b.signup("numbers@acme.test", "CHF")
	tok := b.token("numbers@acme.test")

	p := b.get("/marketplace/numbers?" + url.Values{"country": {"CH"}, "area": {"Zürich"}}.Encode())
	p.has(t, "ORDER PHONE", `data-testid="available"`, "CHF 3.00", "CHF 2.00")
	order := p.href(t, "order-phone")
	if !strings.HasPrefix(order, "/checkout?") || !strings.Contains(order, "area=Z%C3%BCrich") || !strings.Contains(order, "back=") {
		t.Fatalf("ORDER PHONE links to %s", order)
	}

	p = b.get(order)
	p.has(t, "Order phone number", "Phone numbers are paid from the balance", "New billing address")
	form := url.Values{"i_type": {"phone_number"}, "i_country": {"CH"}, "i_area": {"Zürich"}, "i_back": {p.find(t, `name="i_back" value="([^"]+)"`)},
		"key": {p.find(t, `name="key" value="([^"]+)"`)}, "quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)},
		"address": {"new"}, "name": {"Acme AG"}, "line1": {"Bahnhofstrasse 1"}, "postal_code": {"8001"}, "city": {"Zürich"}, "country": {"CH"}, "pay": {"balance"}}
	form.Set("back", html.UnescapeString(form.Get("i_back")))
	p = b.post("/checkout", form)
	p.has(t, "Address verified", "8.1")
	// CHF 3.00 setup + CHF 2.00 first month + 8.1 % tax (0.405, rounded to 0.41).
	p.has(t, `data-testid="total">CHF 5.41<`)
	form.Set("address", p.find(t, `name="address" value="(adr_[^"]+)" checked`))
	form.Set("quote_token", p.find(t, `name="quote_token" value="([^"]+)"`))
	p = b.post("/checkout", form)
	if !strings.HasPrefix(p.url, "/marketplace/billing/refill?") {
		t.Fatalf("paying with an empty balance lands on %s (%d)", p.url, p.status)
	}
	p.has(t, `value="5.41"`, "Your balance is not enough for this number", "Save this payment information for future payments")
	p.hasNot(t, `data-testid="pay-balance"`)
	ret := html.UnescapeString(p.find(t, `name="return" value="([^"]+)"`))
	if !strings.HasPrefix(ret, "/checkout?") {
		t.Fatalf("the top-up returns to %q", ret)
	}

	refill := url.Values{"amount": {"50.00"}, "return": {ret}, "key": {p.find(t, `name="key" value="([^"]+)"`)}, "pay": {"new"},
		"card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"}, "exp_year": {"2030"}, "cvc": {"123"}, "save": {"on"}}
	p = b.post("/marketplace/billing/refill", refill)
	if !strings.HasPrefix(p.url, "/checkout?") {
		t.Fatalf("after the top-up: %s (%d)", p.url, p.status)
	}
	p.has(t, "Your balance was topped up by CHF 50.00", "Order phone number", "CHF 50.00")
	// The same refill form again (a reload) tops up nothing more.
	if again := b.post("/marketplace/billing/refill", refill); again.url != p.url {
		t.Errorf("second submit of the refill went to %s", again.url)
	}
	if bal := num(a.do("GET", "/v1/account", tok, nil).body["balance"]); bal != 5000 {
		t.Fatalf("balance after the top-up: %d, want 5000", bal)
	}
	if cards := a.do("GET", "/v1/payment_methods", tok, nil).body["data"].([]any); len(cards) != 1 {
		t.Errorf("saved cards: %d, want 1", len(cards))
	}

	pay := url.Values{"i_type": {"phone_number"}, "i_country": {"CH"}, "i_area": {"Zürich"}, "i_back": {form.Get("i_back")},
		"key": {p.find(t, `name="key" value="([^"]+)"`)}, "quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)},
		"address": {form.Get("address")}, "pay": {"balance"}}
	p = b.post("/checkout", pay)
	if !strings.HasPrefix(p.url, "/orders/ord_") {
		t.Fatalf("paying the number: %d at %s", p.status, p.url)
	}
	number := html.UnescapeString(p.find(t, `<strong>((?:\+|&#43;)41[0-9]+)</strong>`))
	p.has(t, "Payment completed", "CHF 5.41")

	nums := a.do("GET", "/v1/numbers", tok, nil).body["data"].([]any)
	if len(nums) != 1 {
		t.Fatalf("/v1/numbers: %v", nums)
	}
	n0 := nums[0].(map[string]any)
	if n0["number"] != number || n0["status"] != "active" || n0["renews_at"] != "2026-04-10T09:00:00Z" {
		t.Errorf("number %v %v renews %v, want %s active renewing 2026-04-10T09:00:00Z", n0["number"], n0["status"], n0["renews_at"], number)
	}
	orders := a.do("GET", "/v1/orders", tok, nil).body["data"].([]any)
	o := orders[0].(map[string]any)
	setup, monthly, tax := num(n0["setup_amount"]), num(n0["monthly_amount"]), num(o["tax"])
	if bal := num(a.do("GET", "/v1/account", tok, nil).body["balance"]); bal != 5000-(setup+monthly+tax) || bal != 4459 {
		t.Errorf("balance %d, want 5000 - (%d + %d + %d) = 4459", bal, setup, monthly, tax)
	}

	numID := n0["id"].(string)
	var trunk string
	for _, x := range a.do("GET", "/v1/sip_accounts", tok, nil).body["data"].([]any) {
		if s := x.(map[string]any); s["kind"] == "trunk" {
			trunk = s["id"].(string)
		}
	}
	p = b.get("/marketplace/numbers")
	p.has(t, `data-testid="purchased-numbers"`, esc(number), "Switzerland", "Zürich", "Active", "10 Apr 2026", "CHF 2.00", "SIP trunk")

	t.Run("Assign", func(t *testing.T) {
		for _, sip := range []string{"", trunk} {
			p := b.post("/marketplace/numbers/"+numID+"/assign", url.Values{"sip_account": {sip}})
			if p.url != "/marketplace/numbers" || p.status != 200 {
				t.Fatalf("assign %q: %d at %s", sip, p.status, p.url)
			}
			p.has(t, `data-testid="flash"`)
			if got := a.do("GET", "/v1/numbers", tok, nil).body["data"].([]any)[0].(map[string]any)["sip_account"]; (got == nil && sip != "") || (got != nil && got != sip) {
				t.Errorf("after assigning %q the API says %v", sip, got)
			}
		}
		p := b.post("/marketplace/numbers/"+numID+"/assign", url.Values{"sip_account": {"sip_nosuch"}})
		if p.status != 404 {
			t.Errorf("unknown SIP account: %d, want 404 (the API's status)", p.status)
		}
		p.has(t, `id="sip_`+numID+`-error"`, "There is no such SIP account")
	})

	t.Run("ErrOtherCustomer", func(t *testing.T) {
		other := newBrowser(t, a)
		other.signup("other-numbers@acme.test", "CHF")
		for _, r := range []page{
			other.get("/marketplace/numbers/" + numID + "/release"),
			other.post("/marketplace/numbers/"+numID+"/release", url.Values{"confirm": {"on"}}),
			other.post("/marketplace/numbers/"+numID+"/assign", url.Values{"sip_account": {""}}),
		} {
			if r.status != 404 {
				t.Errorf("%s for another customer: %d, want 404", r.url, r.status)
			}
		}
		other.get("/marketplace/numbers").hasNot(t, esc(number))
	})

	p = b.get("/marketplace/numbers/" + numID + "/release")
	p.has(t, "Release number "+esc(number), "90 days", "quarantine", `name="confirm"`)
	p = b.post("/marketplace/numbers/"+numID+"/release", nil)
	if p.status != 400 {
		t.Errorf("release without confirming: %d, want 400", p.status)
	}
	p.has(t, `id="confirm-error"`)
	if n := len(a.do("GET", "/v1/numbers", tok, nil).body["data"].([]any)); n != 1 {
		t.Fatalf("an unconfirmed release released the number")
	}
	p = b.post("/marketplace/numbers/"+numID+"/release", url.Values{"confirm": {"on"}})
	if p.url != "/marketplace/numbers" {
		t.Fatalf("release: %d at %s", p.status, p.url)
	}
	p.has(t, "was released", "90 days", `data-testid="no-numbers"`)
	for _, x := range a.do("GET", "/v1/numbers", tok, nil).body["data"].([]any) {
		if n := x.(map[string]any); n["id"] == numID && n["status"] == "active" {
			t.Errorf("released number still active: %v", n)
		}
	}
	if p := b.get("/marketplace/numbers/" + numID + "/release"); p.status != 404 {
		t.Errorf("release page of a released number: %d", p.status)
	}
}
