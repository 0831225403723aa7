package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/payment/stripe/stripetest"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// lostAnswer puts a form key back as a crash between its use case's
// commit and the stored answer leaves it: in progress, its result named.
func lostAnswer(t *testing.T, st *store.Store, key string) {
	t.Helper()
	res, err := st.DB().Exec(`UPDATE idempotency_keys SET status = 0, response = '', content_type = '' WHERE key = $1 OR key LIKE $2`, key, key+".%")
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("key %s: %d rows, %v", key, n, err)
	}
}

// TestFormKeysAfterCrash: the portal's payment forms and the back
// office's adjustment form use the keys the use cases take into their
// transaction. A form sent again after a crash lost the first answer (the
// key in progress, its order or payment committed) goes where the first
// went and pays nothing more; one whose first submission died before its
// order committed (a claim in progress without a result) is done, not
// refused as "already being processed".
func TestFormKeysAfterCrash(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		acc := newAccount(t, a, "crash-forms@acme.test", 1_000_000)
		b := acc.b
		adr := a.address(acc.tok)
		b.post("/buy", url.Values{"plan": {"start"}, "quantity": {"2"}, "term": {"12"}})
		p := b.get("/cart/payment?address=" + adr)
		form := url.Values{"address": {adr}, "pay": {"balance"}, "key": {p.find(t, `name="key" value="([^"]+)"`)},
			"quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)}}
		first := b.post("/cart/payment", form)
		if !strings.HasPrefix(first.url, "/orders/ord_") {
			t.Fatalf("checkout: %d at %s", first.status, first.url)
		}
		bal, orders := holdings(t, a, acc.tok)
		lostAnswer(t, st, form.Get("key"))
		again := b.post("/cart/payment", form)
		if again.url != first.url {
			t.Errorf("the checkout sent again after the crash: %d at %s, want %s", again.status, again.url, first.url)
		}
		if b2, n := holdings(t, a, acc.tok); b2 != bal || n != orders {
			t.Errorf("after the second checkout: balance %d, %d orders; want %d, %d", b2, n, bal, orders)
		}

		// A claim whose order never committed: the form is done.
		if _, err := st.DB().Exec(`INSERT INTO idempotency_keys (scope, key, request_hash, status, created_at) VALUES ($1, 'died', 'form', 0, 0)`,
			"portal:"+acc.id); err != nil {
			t.Fatal(err)
		}
		b.post("/buy", url.Values{"plan": {"ivr"}, "quantity": {"1"}, "term": {"1"}})
		p = b.get("/cart/payment?address=" + adr)
		form = url.Values{"address": {adr}, "pay": {"balance"}, "key": {"died"}, "quote_token": {p.find(t, `name="quote_token" value="([^"]+)"`)}}
		if p = b.post("/cart/payment", form); !strings.HasPrefix(p.url, "/orders/ord_") || p.url == first.url {
			t.Errorf("a checkout whose first submission died: %d at %s", p.status, p.url)
		}
		if _, n := holdings(t, a, acc.tok); n != orders+1 {
			t.Errorf("%d orders, want %d", n, orders+1)
		}
	})
}

// TestBackOfficeAdjustmentAfterCrash: the adjustment form sent again after
// a crash lost its answer adjusts once and goes where the first went.
func TestBackOfficeAdjustmentAfterCrash(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBackOffice(t, st)
		support := b.operator("crash@op.test", "support")
		cus, tok, _ := b.customerWithOrder("crash-adjust@acme.test")
		page := support.get("/admin/customers/" + cus)
		key := officeFormKeys(t, page.body)["/admin/customers/"+cus+"/balance-adjustments"]
		before := b.balance(tok)
		adjust := url.Values{"amount": {"10.00"}, "reason": {"goodwill"}, "form_key": {key}}
		first := support.post("/admin/customers/"+cus+"/balance-adjustments", adjust)
		if first.status != 303 {
			t.Fatalf("adjust: %d %s", first.status, first.body)
		}
		lostAnswer(t, st, key)
		again := support.post("/admin/customers/"+cus+"/balance-adjustments", adjust)
		if again.status != 303 || again.location != first.location {
			t.Errorf("the form sent again after the crash: %d to %q, want 303 to %q", again.status, again.location, first.location)
		}
		if got := b.balance(tok); got != before+1000 {
			t.Errorf("balance %d, want %d (one credit)", got, before+1000)
		}
		if es := b.audit("object_type=customer&object_id=" + cus); len(es) != 1 {
			t.Errorf("%d audit entries of the adjustment, want 1", len(es))
		}
	})
}

// TestPendingOrderAfterCrash: an order whose card payment waits for the
// bank binds its key to the pending order, so a retry after a crash that
// lost the first answer is the pending order's answer (402
// authentication_required, the same order and bank page), not a second
// payment that waits too.
func TestPendingOrderAfterCrash(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeAPI(t, st)
		tok := a.signup("sca-crash@acme.test", "CHF")
		adr := a.address(tok)
		pm := saveStripeCard(t, a, tok, stripetest.PMAuthRequired)
		first := a.do("POST", "/v1/orders", tok, businessByCard(adr, pm), "Idempotency-Key", "sca-1")
		if first.status != 402 || first.errCode() != "authentication_required" {
			t.Fatalf("order: %d %s", first.status, first.raw)
		}
		lostAnswer(t, st, "sca-1")
		again := a.do("POST", "/v1/orders", tok, businessByCard(adr, pm), "Idempotency-Key", "sca-1")
		e1, _ := first.body["error"].(map[string]any)
		e2, _ := again.body["error"].(map[string]any)
		if again.status != 402 || again.errCode() != "authentication_required" || e2["order"] != e1["order"] || e2["next_action_url"] != e1["next_action_url"] {
			t.Errorf("retry after the crash: %d %s; want the pending order's %s", again.status, again.raw, first.raw)
		}
		if n := len(f.Intents()); n != 1 {
			t.Errorf("%d payment intents, want 1", n)
		}
	})
}
