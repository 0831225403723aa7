package server_test

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestAPIUsersUniqueAndBounded: a user's name is at most 100 characters
// and its e-mail at most 254 (400 naming the field); an e-mail is one
// user's per account, whatever its case (409 conflict on e-mail), also
// when many creates race; another account may use it.
func TestAPIUsersUniqueAndBounded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("seats@acme.test", "CHF")
		adr := a.address(tok)
		a.do("POST", "/v1/orders", tok, topUp(1_000_000))
		sub := a.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 20, "term_months": 1}},
			"billing_address": adr, "payment": map[string]any{"method": "balance"}}).body["items"].([]any)[0].(map[string]any)["subscription"].(string)
		user := func(name, email string) resp {
			return a.do("POST", "/v1/users", tok, map[string]any{"name": name, "email": email, "subscription": sub})
		}
		for _, tt := range []struct {
			name, uname, email, param string
		}{
			{"ErrLongName", strings.Repeat("n", 10000), "long@acme.test", "name"},
			{"ErrName101", strings.Repeat("é", 101), "long@acme.test", "name"},
			{"ErrLongEmail", "Ann", strings.Repeat("a", 250) + "@acme.test", "email"},
			{"ErrNotEmail", "Ann", "ann at acme", "email"},
		} {
			if r := user(tt.uname, tt.email); r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != tt.param {
				t.Errorf("%s: %d %.300s, want 400 %s", tt.name, r.status, r.raw, tt.param)
			}
		}
		if r := user(strings.Repeat("é", 100), "hundred@acme.test"); r.status != 201 {
			t.Errorf("a 100-character name: %d %s", r.status, r.raw)
		}
		if r := user("Ann", "ann@acme.test"); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		for _, e := range []string{"ann@acme.test", "ANN@Acme.Test", " ann@acme.test ", "seats@acme.test"} {
			r := user("Ann Again", e)
			if r.status != 409 || r.errCode() != "conflict" || r.errParam() != "email" || !strings.Contains(r.body["error"].(map[string]any)["message"].(string), "already") {
				t.Errorf("same e-mail %q: %d %s, want 409 conflict on email", e, r.status, r.raw)
			}
		}
		// Racing creates of one e-mail: one wins.
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = user("Racer", "race@acme.test").status
			}()
		}
		wg.Wait()
		won := 0
		for _, s := range statuses {
			switch s {
			case 201:
				won++
			case 409:
			default:
				t.Errorf("racing create: %d", s)
			}
		}
		if won != 1 {
			t.Errorf("%d racing creates of one e-mail succeeded, want 1", won)
		}
		n := 0
		for _, u := range dataOf(a.do("GET", "/v1/users", tok, nil)) {
			if u["email"] == "race@acme.test" || u["email"] == "ann@acme.test" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d users with ann@ or race@, want 2", n)
		}
		// Another account may have its own Ann.
		other := a.signup("seats-other@acme.test", "CHF")
		oadr := a.address(other)
		a.do("POST", "/v1/orders", other, topUp(100000))
		osub := a.do("POST", "/v1/orders", other, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 1, "term_months": 1}},
			"billing_address": oadr, "payment": map[string]any{"method": "balance"}}).body["items"].([]any)[0].(map[string]any)["subscription"].(string)
		if r := a.do("POST", "/v1/users", other, map[string]any{"name": "Ann", "email": "ann@acme.test", "subscription": osub}); r.status != 201 {
			t.Errorf("ann@ on another account: %d %s", r.status, r.raw)
		}
	})
}

// TestPortalUsersUniqueAndBounded: the Users form refuses a long name, a
// long e-mail and an e-mail already used on the account next to the
// field; long names wrap on the Users and SIP manager pages.
func TestPortalUsersUniqueAndBounded(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	acc := newAccount(t, a, "portal-seats@acme.test", 500000)
	b := acc.b
	adr := a.address(acc.tok)
	o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "hosted-pbx", "quantity": 5, "term_months": 1})
	sub := o["items"].([]any)[0].(map[string]any)["subscription"].(string)

	for _, tt := range []struct {
		name, uname, email, field, words string
		status                           int
	}{
		{"ErrLongName", strings.Repeat("n", 10000), "long@acme.test", "name", "at most 100 characters", 400},
		{"ErrLongEmail", "Ann", strings.Repeat("a", 250) + "@acme.test", "email", "at most 254 characters", 400},
	} {
		p := b.post("/users", url.Values{"name": {tt.uname}, "email": {tt.email}, "subscription": {sub}, "key": {"k-" + tt.name}})
		if p.status != tt.status {
			t.Errorf("%s: %d", tt.name, p.status)
		}
		p.has(t, `id="`+tt.field+`-error"`, tt.words)
	}
	p := b.post("/users", url.Values{"name": {"Ann"}, "email": {"ann@acme.test"}, "subscription": {sub}, "key": {"k-ann"}})
	p.has(t, "User Ann was created")
	p = b.post("/users", url.Values{"name": {"Ann Two"}, "email": {"Ann@acme.test"}, "subscription": {sub}, "key": {"k-ann2"}})
	if p.status != 409 {
		t.Errorf("same e-mail: %d, want 409", p.status)
	}
	p.has(t, `id="email-error"`, "already", `value="Ann Two"`)
	if n := len(dataOf(a.do("GET", "/v1/users", acc.tok, nil))); n != 2 {
		t.Errorf("users: %d, want the owner and Ann", n)
	}
	// A long (100-character) name wraps instead of pushing the columns
	// off the page.
	long := strings.Repeat("Bartholomew", 9)
	b.post("/users", url.Values{"name": {long}, "email": {"bart@acme.test"}, "subscription": {sub}, "key": {"k-bart"}}).has(t, "User "+long+" was created")
	for _, path := range []string{"/users", "/sip"} {
		p := b.get(path)
		p.has(t, `class="wrap"`)
	}
	css := b.get("/static/portal.css")
	css.has(t, ".wrap {", "overflow-wrap: anywhere")
}

// TestSignupBounded: the sign-up's e-mail is at most 254 characters and
// the company at most 100 (characters, not bytes), each refused naming
// its field.
func TestSignupBounded(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	body := func(email, company string) map[string]any {
		return map[string]any{"email": email, "password": "correct horse", "company": company, "country": "CH", "currency": "CHF"}
	}
	for _, tt := range []struct {
		name, email, company, param, words string
	}{
		{"ErrLongEmail", strings.Repeat("a", 250) + "@acme.test", "Acme", "email", "at most 254 characters"},
		{"ErrLongCompany", "long-company@acme.test", strings.Repeat("c", 101), "company", "at most 100 characters"},
	} {
		r := a.do("POST", "/v1/signup", "", body(tt.email, tt.company))
		if r.status != 400 || r.errParam() != tt.param || !strings.Contains(string(r.raw), tt.words) {
			t.Errorf("%s: %d %.200s, want 400 %s %q", tt.name, r.status, r.raw, tt.param, tt.words)
		}
	}
	if r := a.do("POST", "/v1/signup", "", body("umlauts@acme.test", strings.Repeat("ü", 100))); r.status != 201 {
		t.Errorf("a company of 100 characters (200 bytes): %d %s", r.status, r.raw)
	}
}
