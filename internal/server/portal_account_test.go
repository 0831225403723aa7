package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// The Main settings pages: Users, SIP manager, Notifications, Invoices,
// Payment methods, Billing addresses and Account settings.

// account is a customer of these tests: a portal browser, an API token
// and the customer's ID.
type account struct {
	b     *browser
	tok   string
	id    string
	email string
}

// newAccount signs up through the portal (CHF, Switzerland) and credits
// the balance with credit minor units.
func newAccount(t *testing.T, a *api, email string, credit int64) account {
	t.Helper()
	b := newBrowser(t, a)
	b.signup(email, "CHF")
	tok := b.token(email)
	acc := account{b: b, tok: tok, id: a.do("GET", "/v1/account", tok, nil).body["id"].(string), email: email}
	if credit > 0 {
		if r := a.do("POST", "/v1/admin/customers/"+acc.id+"/balance_adjustments", adminToken, map[string]any{"amount": credit, "reason": "test credit"}); r.status != 201 {
			t.Fatalf("credit: %d %s", r.status, r.raw)
		}
	}
	return acc
}

// buy pays an order of one item from the balance and returns the order.
func buy(t *testing.T, a *api, acc account, adr string, item map[string]any) map[string]any {
	t.Helper()
	r := a.do("POST", "/v1/orders", acc.tok, map[string]any{"items": []any{item}, "billing_address": adr, "payment": map[string]any{"method": "balance"}})
	if r.status != 201 {
		t.Fatalf("order %v: %d %s", item, r.status, r.raw)
	}
	return r.body
}

func chfs(minor int64) string { return money.Format(money.New(minor, "CHF")) }

func dataOf(r resp) []map[string]any {
	var out []map[string]any
	for _, x := range r.body["data"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// cheapArgon are argon2id parameters for tests only.
var cheapArgon = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// memberLogin gives a customer a second login that is not an admin (the
// API has no way to make one yet, so the test writes it into the store)
// and logs it in through the portal.
func memberLogin(t *testing.T, a *api, st *store.Store, customerID, email string) *browser {
	t.Helper()
	hash, err := argon2id.CreateHash("member horse", cheapArgon)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Tx(context.Background(), func(q *store.Q) error {
		return q.InsertUser(context.Background(), market.User{ID: "usr_member" + customerID[4:], CustomerID: customerID, Name: "Mia Member", Email: email,
			PasswordHash: hash, Role: "member", Extension: "900", CreatedAt: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)})
	})
	if err != nil {
		t.Fatal(err)
	}
	m := newBrowser(t, a)
	if p := m.post("/login", url.Values{"email": {email}, "password": {"member horse"}}); p.url != "/" {
		t.Fatalf("member log-in: %d at %s", p.status, p.url)
	}
	return m
}

// TestPortalUsers: the create form offers the subscriptions with their
// licenses in use, refuses bad fields and a user past the licenses in
// words next to the field (with a link to buy more), lists what the API
// lists, and deletes after a confirmation; another customer's user is not
// found and a member login may look but not change.
func TestPortalUsers(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	a := newAPI(t, st)
	acc := newAccount(t, a, "users@acme.test", 500000)
	b := acc.b

	p := b.get("/users")
	p.has(t, "<h1>Users</h1>", `data-testid="no-licenses"`, `href="/marketplace/plans"`, "users@acme.test", "(account owner)")

	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)

	p = b.get("/users")
	p.has(t, `data-testid="user-form"`, "Cloud Contact Center Business — 0 of 2 licenses used", `novalidate`)
	key := p.find(t, `name="key" value="([^"]+)"`)

	t.Run("ErrFields", func(t *testing.T) {
		p := b.post("/users", url.Values{"name": {""}, "email": {"ann@acme.test"}, "subscription": {sub}, "key": {"k-name"}})
		if p.status != 400 {
			t.Errorf("no name: %d", p.status)
		}
		p.has(t, `id="name-error"`, "A name is required", `value="ann@acme.test"`)
		p = b.post("/users", url.Values{"name": {"Ann"}, "email": {"nope"}, "subscription": {sub}, "key": {"k-email"}})
		p.has(t, `id="email-error"`, "Enter a valid e-mail address", `value="Ann"`)
	})

	p = b.post("/users", url.Values{"name": {"Ann Example"}, "email": {"ann@acme.test"}, "subscription": {sub}, "key": {key}})
	if !strings.HasPrefix(p.url, "/users") || p.status != 200 {
		t.Fatalf("create: %d at %s", p.status, p.url)
	}
	p.has(t, `data-testid="flash"`, "User Ann Example was created with extension")
	// The same form again (a double click) creates nobody more.
	b.post("/users", url.Values{"name": {"Ann Example"}, "email": {"ann@acme.test"}, "subscription": {sub}, "key": {key}})
	p = b.post("/users", url.Values{"name": {"Bob Example"}, "email": {"bob@acme.test"}, "subscription": {sub}, "key": {"k-bob"}})
	p.has(t, "User Bob Example was created")

	users := dataOf(a.do("GET", "/v1/users", acc.tok, nil))
	if len(users) != 3 {
		t.Fatalf("API users: %d, want the owner, Ann and Bob", len(users))
	}
	sips := map[string]string{}
	for _, s := range dataOf(a.do("GET", "/v1/sip_accounts", acc.tok, nil)) {
		sips[s["id"].(string)] = s["username"].(string)
	}
	p = b.get("/users")
	for _, u := range users[1:] {
		p.has(t, u["name"].(string), u["email"].(string), `<td data-testid="user-extension">`+u["extension"].(string)+`</td>`, sips[u["sip_account"].(string)])
		if u["status"] != "active" || u["subscription"] != sub {
			t.Errorf("API user %v", u)
		}
	}
	p.has(t, "Cloud Contact Center Business — 2 of 2 licenses used", `class="status-active" data-testid="user-status">Active`)

	t.Run("ErrLicenseLimit", func(t *testing.T) {
		p := b.post("/users", url.Values{"name": {"Cy"}, "email": {"cy@acme.test"}, "subscription": {sub}, "key": {"k-cy"}})
		if p.status != 409 {
			t.Errorf("past the licenses: %d, want 409", p.status)
		}
		p.has(t, `id="subscription-error"`, "All 2 licenses of Business are in use.", `href="/marketplace/subscriptions/`+sub+`/licenses"`, "Buy more licenses")
		if n := len(dataOf(a.do("GET", "/v1/users", acc.tok, nil))); n != 3 {
			t.Errorf("API users after the refusal: %d, want 3", n)
		}
	})

	ann := users[1]["id"].(string)
	p = b.get("/users/" + ann + "/delete")
	p.has(t, "Delete user Ann Example", "frees their license", `data-testid="confirm-delete"`)
	p = b.post("/users/"+ann+"/delete", nil)
	if p.url != "/users" {
		t.Fatalf("delete: at %s", p.url)
	}
	p.has(t, "User Ann Example was deleted", "1 of 2 licenses used")
	p.hasNot(t, "ann@acme.test")
	if n := len(dataOf(a.do("GET", "/v1/users", acc.tok, nil))); n != 2 {
		t.Errorf("API users after the deletion: %d, want 2", n)
	}
	if p := b.post("/users/"+users[0]["id"].(string)+"/delete", nil); p.status != 400 {
		t.Errorf("delete the owner: %d, want 400", p.status)
	}

	t.Run("ErrOtherCustomer", func(t *testing.T) {
		other := newAccount(t, a, "users-other@acme.test", 0)
		bob := users[2]["id"].(string)
		if p := other.b.get("/users/" + bob + "/delete"); p.status != 404 {
			t.Errorf("another customer's user: %d, want 404", p.status)
		}
		if p := other.b.post("/users/"+bob+"/delete", nil); p.status != 404 {
			t.Errorf("delete another customer's user: %d, want 404", p.status)
		}
		if n := len(dataOf(a.do("GET", "/v1/users", acc.tok, nil))); n != 2 {
			t.Errorf("API users: %d, want 2", n)
		}
		if p := other.b.post("/users", url.Values{"name": {"Eve"}, "email": {"eve@acme.test"}, "subscription": {sub}}); p.status != 400 {
			t.Errorf("a user on another customer's subscription: %d, want 400", p.status)
		}
	})

	t.Run("ErrMember", func(t *testing.T) {
		m := memberLogin(t, a, st, acc.id, "member@acme.test")
		p := m.get("/users")
		p.has(t, "Bob Example", `data-testid="users-forbidden"`)
		p.hasNot(t, `data-testid="user-form"`, `data-testid="delete-`)
		p = m.post("/users", url.Values{"name": {"Mal"}, "email": {"mal@acme.test"}, "subscription": {sub}})
		if p.status != 403 {
			t.Errorf("member creates a user: %d, want 403", p.status)
		}
		p.has(t, "Only the account&#39;s owner or an admin may do this.")
		if p := m.post("/users/"+users[2]["id"].(string)+"/delete", nil); p.status != 403 {
			t.Errorf("member deletes a user: %d, want 403", p.status)
		}
		for _, s := range dataOf(a.do("GET", "/v1/sip_accounts", acc.tok, nil)) {
			if s["kind"] == "trunk" {
				p := m.get("/sip/" + s["id"].(string))
				p.has(t, `data-testid="password-hidden"`)
				p.hasNot(t, `data-testid="cred-password"`)
			}
		}
	})
}

// TestPortalSIP: the SIP manager lists the trunk and the users' accounts
// with their numbers and whether they are connected, as the API does; an
// account's page shows its credentials with the password the API gives.
func TestPortalSIP(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "sip@acme.test", 500000)
	adr := a.address(acc.tok)
	if r := a.do("POST", "/v1/admin/numbers", adminToken, []map[string]any{{"number": "+41445550101", "country": "CH", "area": "Zürich", "type": "local",
		"setup_amount": 300, "monthly_amount": 200, "currency": "CHF"}}); r.status >= 300 {
		t.Fatalf("import: %d %s", r.status, r.raw)
	}
	buy(t, a, acc, adr, map[string]any{"type": "phone_number", "number": "+41445550101"})
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	if r := a.do("POST", "/v1/users", acc.tok, map[string]any{"name": "Ann Example", "email": "ann@acme.test", "subscription": sub}); r.status != 201 {
		t.Fatalf("user: %d %s", r.status, r.raw)
	}
	var trunk map[string]any
	for _, s := range dataOf(a.do("GET", "/v1/sip_accounts", acc.tok, nil)) {
		if s["kind"] == "trunk" {
			trunk = s
		}
	}
	nums := dataOf(a.do("GET", "/v1/numbers", acc.tok, nil))
	if r := a.do("PATCH", "/v1/numbers/"+nums[0]["id"].(string), acc.tok, map[string]any{"sip_account": trunk["id"]}); r.status != 200 {
		t.Fatalf("assign: %d %s", r.status, r.raw)
	}

	p := acc.b.get("/sip")
	p.has(t, "<h1>SIP manager</h1>", "SIP trunk", trunk["username"].(string), trunk["domain"].(string), esc("+41445550101"),
		"Ann Example", `class="status-disconnected" data-testid="sip-connected">Not connected`)
	if n := strings.Count(p.body, `data-testid="sip-row"`); n != 2 {
		t.Errorf("SIP accounts listed: %d, want the trunk and Ann's", n)
	}

	// The password is shown once (here the API's GET), then only its HA1s
	// are kept: the page says so and offers a rotation.
	api := a.do("GET", "/v1/sip_accounts/"+trunk["id"].(string), acc.tok, nil).body
	p = acc.b.get("/sip/" + trunk["id"].(string))
	p.has(t, `data-testid="cred-username">`+trunk["username"].(string), `data-testid="password-seen"`, `data-testid="rotate-password"`,
		"Configure a phone", "port 5060", esc("+41445550101"))
	p.hasNot(t, api["password"].(string))

	t.Run("ErrOtherCustomer", func(t *testing.T) {
		other := newAccount(t, a, "sip-other@acme.test", 0)
		p := other.b.get("/sip/" + trunk["id"].(string))
		if p.status != 404 {
			t.Errorf("another customer's SIP account: %d, want 404", p.status)
		}
		p.hasNot(t, api["password"].(string))
	})
}

// TestPortalNotifications: reminders and the expiry of a subscription are
// listed newest first with their type in words and a link to the
// subscription; long lists are paged.
func TestPortalNotifications(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	a := newAPI(t, st)
	acc := newAccount(t, a, "notes@acme.test", 500000)
	p := acc.b.get("/notifications")
	p.has(t, `data-testid="no-notifications"`)

	adr := a.address(acc.tok)
	// Hosted PBX, not the IVR add-on: the IVR's licenses take no users.
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 1, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)
	if r := a.do("POST", "/v1/users", acc.tok, map[string]any{"name": "Ivy Example", "email": "ivy@acme.test", "subscription": sub}); r.status != 201 {
		t.Fatalf("user: %d %s", r.status, r.raw)
	}
	// Bought on 10 March for a month: reminders on 27 March, 3 and 9 April,
	// expired on 10 April. The test server has no scheduler: a service on
	// the same store and clock does the scheduler's work day by day.
	sched := billing.New(st, a.clk, payment.NewSandbox(), slog.New(slog.NewTextHandler(io.Discard, nil)), billing.Config{Argon2: cheapArgon})
	for day := 0; day < 32; day++ {
		a.clk.Advance(24 * time.Hour)
		if err := sched.SendReminders(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := sched.ProcessSubscription(context.Background(), sub); err != nil {
			t.Fatal(err)
		}
	}
	// A month on (sessions live on wall-clock time and outlast the move),
	// log in again all the same.
	acc.tok = acc.b.token(acc.email)
	acc.b.post("/login", url.Values{"email": {acc.email}, "password": {"correct horse"}})
	api := dataOf(a.do("GET", "/v1/notifications", acc.tok, nil))
	if len(api) < 4 {
		t.Fatalf("API notifications: %d, want 3 reminders and the expiry", len(api))
	}
	p = acc.b.get("/notifications")
	p.has(t, "Renewal reminder", "Subscription expired", `href="/subscriptions/`+sub+`"`, "Hosted PBX")
	for _, n := range api {
		p.has(t, n["subject"].(string))
	}
	if i, j := strings.Index(p.body, "Subscription expired"), strings.Index(p.body, "Renewal reminder"); i > j {
		t.Errorf("the expiry (newest) comes after the reminders")
	}
	if n := strings.Count(p.body, `data-testid="notification-row"`); n != len(api) {
		t.Errorf("rows %d, API %d", n, len(api))
	}
	// The expired subscription's user is suspended, as the API says.
	if u := dataOf(a.do("GET", "/v1/users", acc.tok, nil))[1]; u["status"] != "suspended" {
		t.Errorf("API user after the expiry: %v", u["status"])
	}
	acc.b.get("/users").has(t, "Ivy Example", `class="status-suspended" data-testid="user-status">Suspended`)

	t.Run("Pages", func(t *testing.T) {
		ctx := context.Background()
		err := st.Tx(ctx, func(q *store.Q) error {
			for i := 0; i < 60; i++ {
				if _, err := q.InsertNotification(ctx, market.Notification{ID: fmt.Sprintf("ntf_zz%03d", i), CustomerID: acc.id, Type: "number_grace",
					Subject: fmt.Sprintf("Notice %03d", i), DedupeKey: fmt.Sprintf("test:%d", i), ObjectType: "number", ObjectID: "num_gone",
					CreatedAt: time.Date(2026, 4, 12, 0, i, 0, 0, time.UTC)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		p := acc.b.get("/notifications")
		if n := strings.Count(p.body, `data-testid="notification-row"`); n != 50 {
			t.Errorf("first page: %d rows, want 50", n)
		}
		p.has(t, "Notice 059", "Number rental unpaid", "<code>num_gone</code>")
		p.hasNot(t, "Notice 009", `data-testid="newest"`)
		p = acc.b.get(p.href(t, "older"))
		p.has(t, "Notice 009", "Renewal reminder", `data-testid="newest"`)
		p.hasNot(t, "Notice 010", `data-testid="older"`)
	})
}

// TestPortalInvoices: invoices and credit notes with their amounts as the
// API has them; an invoice's page shows its lines and totals with links
// to the PDF and the print view; another customer's invoice is not found.
func TestPortalInvoices(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "inv@acme.test", 500000)
	p := acc.b.get("/invoices")
	p.has(t, `data-testid="no-invoices"`)

	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "business", "quantity": 3, "term_months": 12})
	small := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "ivr", "quantity": 1, "term_months": 1})
	if r := a.do("POST", "/v1/admin/orders/"+small["id"].(string)+"/refunds", adminToken, map[string]any{"reason": "test"}); r.status != 201 {
		t.Fatalf("refund: %d %s", r.status, r.raw)
	}
	invs := dataOf(a.do("GET", "/v1/invoices", acc.tok, nil))
	if len(invs) != 3 {
		t.Fatalf("API invoices: %d, want 2 invoices and a credit note", len(invs))
	}
	p = acc.b.get("/invoices")
	for _, v := range invs {
		p.has(t, v["number"].(string), `href="/v1/invoices/`+v["id"].(string)+`.pdf"`, `data-testid="invoice-total">`+chfs(num(v["total"]))+"<",
			chfs(num(v["tax"])))
	}
	p.has(t, "Credit note", `data-testid="invoice-total">-CHF`)

	inv := o["invoice"].(string)
	var v map[string]any
	for _, x := range invs {
		if x["id"] == inv {
			v = x
		}
	}
	p = acc.b.get("/invoices/" + inv)
	p.has(t, "Invoice "+v["number"].(string), "Business — 3 licenses × 12 months", `data-testid="invoice-line"`,
		`data-testid="invoice-subtotal">`+chfs(num(o["subtotal"])), `data-testid="invoice-tax">`+chfs(num(o["tax"])),
		`data-testid="invoice-total">`+chfs(num(o["total"])), "8.1 %", "Bahnhofstrasse 1", "Dialtone Telecom AG",
		`href="/v1/invoices/`+inv+`.pdf"`, `href="/v1/invoices/`+inv+`.html"`, "Download PDF", "Print view")
	if pdf := acc.b.get("/v1/invoices/" + inv + ".pdf"); pdf.status != 200 || !strings.HasPrefix(pdf.body, "%PDF") {
		t.Errorf("the PDF link with the portal's session: %d %.10q", pdf.status, pdf.body)
	}

	t.Run("ErrOtherCustomer", func(t *testing.T) {
		other := newAccount(t, a, "inv-other@acme.test", 0)
		p := other.b.get("/invoices/" + inv)
		if p.status != 404 {
			t.Errorf("another customer's invoice: %d, want 404", p.status)
		}
		p.hasNot(t, v["number"].(string))
		if p := other.b.get("/invoices"); strings.Contains(p.body, inv) {
			t.Errorf("another customer's list shows %s", inv)
		}
	})
}

// TestPortalCards: a card with a wrong number is refused next to the
// field and never shown again; cards are added, made default and removed
// as the API then says; another customer's card is not found.
func TestPortalCards(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "cards@acme.test", 0)
	b := acc.b
	p := b.get("/payment-methods")
	p.has(t, "<h1>Payment methods</h1>", `data-testid="no-cards"`, "Sandbox cards", `id="card_number"`, `novalidate`)
	key := p.find(t, `name="key" value="([^"]+)"`)

	t.Run("ErrNumber", func(t *testing.T) {
		p := b.post("/payment-methods", url.Values{"card_number": {"4242 4242 4242 4241"}, "exp_month": {"12"}, "exp_year": {"2030"}, "cvc": {"987"}, "key": {"k-bad"}})
		if p.status != 400 {
			t.Errorf("bad number: %d", p.status)
		}
		p.has(t, `id="card_number-error"`, "The card number is not valid", `value="2030"`)
		p.hasNot(t, "4241", "987")
		p = b.post("/payment-methods", url.Values{"card_number": {"4242 4242 4242 4242"}, "exp_month": {"13"}, "exp_year": {"2030"}, "cvc": {"987"}, "key": {"k-month"}})
		p.has(t, `id="exp_month-error"`)
		p.hasNot(t, `value="4242`, "4242424242424242", "987")
		p = b.post("/payment-methods", url.Values{"card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"}, "exp_year": {"2030"}, "cvc": {"9"}, "key": {"k-cvc"}})
		p.has(t, `id="cvc-error"`)
	})

	p = b.post("/payment-methods", url.Values{"card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"}, "exp_year": {"2030"}, "cvc": {"123"}, "key": {key}})
	p.has(t, "Visa •••• 4242 was saved.", `data-testid="default-badge"`, "12/2030")
	b.post("/payment-methods", url.Values{"card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"}, "exp_year": {"2030"}, "cvc": {"123"}, "key": {key}})
	p = b.post("/payment-methods", url.Values{"card_number": {"5555 5555 5555 4444"}, "exp_month": {"3"}, "exp_year": {"2031"}, "cvc": {"123"}, "key": {"k-mc"}})
	p.has(t, "Mastercard •••• 4444 was saved.", "03/2031", `data-testid="make-default-4444"`)
	cards := dataOf(a.do("GET", "/v1/payment_methods", acc.tok, nil))
	if len(cards) != 2 {
		t.Fatalf("API cards: %d, want 2 (the double submit saved one)", len(cards))
	}
	byLast4 := map[string]map[string]any{}
	for _, c := range cards {
		byLast4[c["last4"].(string)] = c
	}
	mc := byLast4["4444"]["id"].(string)
	p = b.post("/payment-methods/"+mc+"/default", nil)
	p.has(t, "Mastercard •••• 4444 is now your default card.", `data-testid="make-default-4242"`)
	p.hasNot(t, `data-testid="make-default-4444"`)
	for _, c := range dataOf(a.do("GET", "/v1/payment_methods", acc.tok, nil)) {
		if want := c["last4"] == "4444"; c["default"] != want {
			t.Errorf("API card %v default %v, want %v", c["last4"], c["default"], want)
		}
	}

	t.Run("ErrOtherCustomer", func(t *testing.T) {
		other := newAccount(t, a, "cards-other@acme.test", 0)
		for _, path := range []string{"/payment-methods/" + mc + "/default", "/payment-methods/" + mc + "/delete"} {
			if p := other.b.post(path, nil); p.status != 404 {
				t.Errorf("%s by another customer: %d, want 404", path, p.status)
			}
		}
		if n := len(dataOf(a.do("GET", "/v1/payment_methods", acc.tok, nil))); n != 2 {
			t.Errorf("API cards: %d, want 2", n)
		}
	})

	p = b.post("/payment-methods/"+mc+"/delete", nil)
	p.has(t, "Mastercard •••• 4444 was removed.", "Visa •••• 4242", `data-testid="default-badge"`)
	cards = dataOf(a.do("GET", "/v1/payment_methods", acc.tok, nil))
	if len(cards) != 1 || cards[0]["last4"] != "4242" || cards[0]["default"] != true {
		t.Errorf("API cards after removing the default: %v, want the Visa as the default", cards)
	}
}

// TestPortalAddresses: an address is verified (postal code format, state
// for the US, VAT ID format) with each error next to its field, saved,
// edited and deleted, as the API then says; another customer's address is
// not found.
func TestPortalAddresses(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "adr@acme.test", 0)
	b := acc.b
	p := b.get("/addresses")
	p.has(t, "<h1>Billing addresses</h1>", `data-testid="no-addresses"`, `<option value="CH" selected>`)

	form := url.Values{"name": {"Acme GmbH"}, "line1": {"Unter den Linden 1"}, "postal_code": {"1011"}, "city": {"Berlin"}, "country": {"DE"}}
	p = b.post("/addresses", form)
	if p.status != 400 {
		t.Errorf("bad postal code: %d", p.status)
	}
	p.has(t, `id="postal_code-error"`, `value="Unter den Linden 1"`, `<option value="DE" selected>`)

	t.Run("ErrState", func(t *testing.T) {
		p := b.post("/addresses", url.Values{"name": {"Acme Inc"}, "line1": {"1 Main St"}, "postal_code": {"10001"}, "city": {"New York"}, "country": {"US"}})
		p.has(t, `id="state-error"`)
	})
	t.Run("ErrVATID", func(t *testing.T) {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("postal_code", "10117")
		f.Set("vat_id", "DE12")
		p := b.post("/addresses", f)
		p.has(t, `id="vat_id-error"`)
		p.hasNot(t, `id="postal_code-error"`)
	})
	if n := len(dataOf(a.do("GET", "/v1/billing_addresses", acc.tok, nil))); n != 0 {
		t.Fatalf("API addresses after the refusals: %d", n)
	}

	form.Set("postal_code", "10117")
	p = b.post("/addresses", form)
	p.has(t, "The address was verified and saved.", "Unter den Linden 1", "10117</span> Berlin", "Germany")
	adrs := dataOf(a.do("GET", "/v1/billing_addresses", acc.tok, nil))
	if len(adrs) != 1 || adrs[0]["postal_code"] != "10117" {
		t.Fatalf("API addresses: %v", adrs)
	}
	id := adrs[0]["id"].(string)

	p = b.get("/addresses/" + id + "/edit")
	p.has(t, "Edit billing address", `value="Unter den Linden 1"`, `value="10117"`)
	form.Set("postal_code", "ABC")
	p = b.post("/addresses/"+id+"/edit", form)
	p.has(t, `id="postal_code-error"`, `value="ABC"`)
	form.Set("postal_code", "80331")
	form.Set("city", "München")
	p = b.post("/addresses/"+id+"/edit", form)
	p.has(t, "80331</span> München")
	if got := a.do("GET", "/v1/billing_addresses/"+id, acc.tok, nil).body; got["city"] != "München" || got["postal_code"] != "80331" {
		t.Errorf("API address after the edit: %v", got)
	}

	t.Run("ErrOtherCustomer", func(t *testing.T) {
		other := newAccount(t, a, "adr-other@acme.test", 0)
		if p := other.b.get("/addresses/" + id + "/edit"); p.status != 404 {
			t.Errorf("another customer's address: %d, want 404", p.status)
		}
		for _, path := range []string{"/addresses/" + id + "/edit", "/addresses/" + id + "/delete"} {
			if p := other.b.post(path, form); p.status != 404 {
				t.Errorf("%s by another customer: %d, want 404", path, p.status)
			}
		}
	})

	p = b.post("/addresses/"+id+"/delete", nil)
	p.has(t, "The address was deleted.", `data-testid="no-addresses"`)
	if n := len(dataOf(a.do("GET", "/v1/billing_addresses", acc.tok, nil))); n != 0 {
		t.Errorf("API addresses after the deletion: %d", n)
	}
}

// TestPortalSettings: the account's facts, and the change of password
// with each error next to its field; afterwards the old password no longer
// logs in, the new one does, this session stays and the others end.
func TestPortalSettings(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "settings@acme.test", 0)
	b := acc.b
	p := b.get("/settings")
	p.has(t, "<h1>Account settings</h1>", acc.id, "Acme AG", "Switzerland (CH)", `data-testid="account-currency">CHF`,
		"fixed when the account was opened", "settings@acme.test", `type="password"`)

	for _, tc := range []struct {
		name, current, next, repeat, field string
		status                             int
	}{
		{"ErrCurrent", "wrong horse", "battery staple", "battery staple", "current_password", 400},
		{"ErrShort", "correct horse", "short", "short", "new_password", 400},
		{"ErrRepeat", "correct horse", "battery staple", "battery stapel", "repeat_password", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.post("/settings/password", url.Values{"current_password": {tc.current}, "new_password": {tc.next}, "repeat_password": {tc.repeat}})
			if p.status != tc.status {
				t.Errorf("status %d, want %d", p.status, tc.status)
			}
			p.has(t, `id="`+tc.field+`-error"`)
			p.hasNot(t, tc.current, tc.next)
		})
	}

	p = b.post("/settings/password", url.Values{"current_password": {"correct horse"}, "new_password": {"battery staple"}, "repeat_password": {"battery staple"}})
	if p.url != "/settings" || p.status != 200 {
		t.Fatalf("change: %d at %s", p.status, p.url)
	}
	p.has(t, "Your password was changed.")
	if r := a.do("GET", "/v1/account", acc.tok, nil); r.status != 401 {
		t.Errorf("the API token of before: %d, want 401 (sessions ended)", r.status)
	}
	if r := a.do("POST", "/v1/sessions", "", map[string]any{"email": acc.email, "password": "correct horse"}); r.status != 401 {
		t.Errorf("the old password: %d, want 401", r.status)
	}
	if r := a.do("POST", "/v1/sessions", "", map[string]any{"email": acc.email, "password": "battery staple"}); r.status != 201 {
		t.Errorf("the new password: %d, want 201", r.status)
	}
	if p := b.get("/settings"); p.url != "/settings" {
		t.Errorf("this session after the change: at %s, want still logged in", p.url)
	}
}
