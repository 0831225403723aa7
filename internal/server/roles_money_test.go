package server_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/mailtest"
	"github.com/dialtone/dialtone/internal/notify"
	stripegw "github.com/dialtone/dialtone/internal/payment/stripe"
	"github.com/dialtone/dialtone/internal/payment/stripe/stripetest"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// newStripeLoginsAPI is a server on the scripted fake Stripe whose mails
// (invitations) reach a test SMTP server.
func newStripeLoginsAPI(t *testing.T, st *store.Store) (*loginsAPI, *stripetest.Fake) {
	t.Helper()
	f := stripetest.NewFake(t)
	gw, err := stripegw.New(stripegw.Config{SecretKey: "sk_test_123", WebhookSecret: stripetest.WebhookSecretTest, APIURL: f.URL})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, gw, log, billing.Config{PublicURL: "https://portal.example",
		Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if _, err := svc.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := server.New(svc, log, prometheus.NewRegistry(), server.Config{AdminToken: adminToken, Sandbox: true, SandboxClock: clk, GatewayEvents: gw})
	box := mailtest.Start(t)
	m, err := notify.NewSMTP("smtp://"+box.Addr+"?tls=none", "dialtone <no-reply@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	return &loginsAPI{api: served(t, h, clk), svc: svc, box: box, mailer: m}, f
}

// TestConfirmByRole (PRODUCT.md "Logins and the operator": billing logins
// handle payments): POST /v1/orders/{id}/confirm completes an order whose
// card payment waited for the bank for the owner, an admin and a billing
// login alike; a viewer gets 403 and the order still waits.
func TestConfirmByRole(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a, f := newStripeLoginsAPI(t, st)
		owner := a.signup("confirm@acme.test", "CHF")
		adr := a.address(owner)
		pm := saveStripeCard(t, a.api, owner, stripetest.PMAuthRequired)
		tokens := map[string]string{"owner": owner, "admin": a.invite(owner, "ada@acme.test", "admin"),
			"billing": a.invite(owner, "bill@acme.test", "billing"), "viewer": a.invite(owner, "vic@acme.test", "viewer")}
		for _, role := range []string{"owner", "admin", "billing", "viewer"} {
			r := a.do("POST", "/v1/orders", owner, businessByCard(adr, pm))
			if r.status != 402 || r.errCode() != "authentication_required" {
				t.Fatalf("%s: order: %d %s", role, r.status, r.raw)
			}
			ord := r.body["error"].(map[string]any)["order"].(string)
			is := f.Intents()
			f.Authenticate(is[len(is)-1].ID)
			c := a.do("POST", "/v1/orders/"+ord+"/confirm", tokens[role], nil)
			if role == "viewer" {
				if c.status != 403 || c.errCode() != "forbidden" {
					t.Errorf("viewer confirms: %d %s", c.status, c.raw)
				}
				if g := a.do("GET", "/v1/orders/"+ord, owner, nil); g.status != 404 {
					t.Errorf("after the viewer's confirm the order is %d %s, want still waiting", g.status, g.raw)
				}
				continue
			}
			if c.status != 200 || c.body["id"] != ord || c.body["status"] != "paid" {
				t.Errorf("%s confirms: %d %s", role, c.status, c.raw)
			}
		}
	})
}

// TestDeleteLoginSelfAndOwner: no login deletes itself (an admin would
// lock itself out mid-session), and the owner's login — the account's
// one owner — is never deleted, by itself or an admin: 400 in words
// naming id, nothing changes.
func TestDeleteLoginSelfAndOwner(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newLoginsAPI(t, st, billing.Config{})
		owner := a.signup("self@acme.test", "CHF")
		admin := a.invite(owner, "adm@acme.test", "admin")
		ids := map[string]string{}
		for _, l := range dataOf(a.do("GET", "/v1/logins", owner, nil)) {
			ids[l["role"].(string)] = l["id"].(string)
		}
		for _, c := range []struct{ who, tok, target, words string }{
			{"the admin itself", admin, ids["admin"], "your own login"},
			{"the owner itself", owner, ids["owner"], "owner"},
			{"the owner by the admin", admin, ids["owner"], "owner"},
		} {
			r := a.do("DELETE", "/v1/logins/"+c.target, c.tok, nil)
			if r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != "id" || !strings.Contains(string(r.raw), c.words) {
				t.Errorf("delete %s: %d %s; want 400 naming id, saying %q", c.who, r.status, r.raw, c.words)
			}
		}
		if r := a.do("GET", "/v1/account", admin, nil); r.status != 200 {
			t.Errorf("the admin's session after the refusals: %d", r.status)
		}
		if n := len(dataOf(a.do("GET", "/v1/logins", owner, nil))); n != 2 {
			t.Errorf("%d logins after the refusals, want 2", n)
		}
	})
}
