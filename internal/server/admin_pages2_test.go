package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestOfficePromoCodes: a promo code is created with its restrictions,
// edited, redeemed by a customer, and its page lists the redemption.
func TestOfficePromoCodes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOffice(t, st, true)
		form := url.Values{"code": {"spring15"}, "kind": {"percent"}, "percent_off": {"15"}, "plans": {"start", "business"},
			"terms": {"1"}, "valid_until": {"2026-12-31"}, "max_redemptions": {"10"}, "max_per_customer": {"1"}, "min_quantity": {"2"},
			"active": {"yes"}}
		if p := o.post(billing.RoleSupport, "/admin/promo-codes", form); p.status != 403 {
			t.Errorf("support creates a promo code: %d", p.status)
		}
		if p := o.post(billing.RoleAdmin, "/admin/promo-codes", form); p.status != 303 || p.location != "/admin/promo-codes/SPRING15" {
			t.Fatalf("create: %d %s %s", p.status, p.location, p.body)
		}
		pr, err := o.svc.Promo(context.Background(), "SPRING15")
		if err != nil || pr.MaxRedemptions != 10 || pr.MinQuantity != 2 || len(pr.Plans) != 2 || pr.ValidUntil == nil || pr.Renewals {
			t.Fatalf("saved: %+v %v", pr, err)
		}
		// A bad restriction is shown next to its field.
		bad := url.Values{"code": {"x y"}, "kind": {"percent"}, "percent_off": {"150"}}
		if p := o.post(billing.RoleAdmin, "/admin/promo-codes", bad); p.status != 400 || !strings.Contains(p.body, `data-field="percent_off"`) {
			t.Errorf("bad promo: %d", p.status)
		}
		form.Set("renewals", "yes")
		form.Set("max_redemptions", "20")
		if p := o.post(billing.RoleAdmin, "/admin/promo-codes/SPRING15", form); p.status != 303 {
			t.Fatalf("edit: %d %s", p.status, p.body)
		}
		if pr, _ := o.svc.Promo(context.Background(), "SPRING15"); !pr.Renewals || pr.MaxRedemptions != 20 {
			t.Errorf("edited: %+v", pr)
		}
		if es := o.audited("promo_code.update"); len(es) != 1 || !strings.Contains(es[0].Before, `"MaxRedemptions":10`) {
			t.Errorf("audit: %+v", es)
		}
		tok := o.signup("promo@acme.test", "CHF")
		adr := o.address(tok)
		o.do("POST", "/v1/orders", tok, topUp(500000))
		r := o.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1}},
			"billing_address": adr, "promo_code": "spring15", "payment": map[string]any{"method": "balance"}})
		if r.status != 201 {
			t.Fatalf("order: %d %s", r.status, r.raw)
		}
		p := o.get(billing.RoleFinance, "/admin/promo-codes/SPRING15")
		if p.status != 200 || strings.Count(p.body, `data-testid="redemption-row"`) != 1 || !strings.Contains(p.body, r.body["id"].(string)) {
			t.Errorf("redemptions: %d %s", p.status, p.body)
		}
		if p := o.get(billing.RoleAdmin, "/admin/promo-codes/SPRING15?format=csv"); !strings.Contains(p.body, r.body["id"].(string)) {
			t.Errorf("redemptions CSV: %s", p.body)
		}
	})
}

// TestOfficeNumbers: a CSV upload reports each row it left out; the
// search finds by number, country, area and status and shows the holder;
// a reserved number is not offered to customers, a retired one never sold.
func TestOfficeNumbers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOffice(t, st, true)
		csv := "number,country,state,area,type,setup_amount,monthly_amount,currency\n" +
			"+41315550101,CH,,Bern,local,0,500,CHF\n+41315550102,CH,,Bern,local,0,500,CHF\n+41315550103,CH,,Bern,local,0,500,CHF\n" +
			"+41315550101,CH,,Bern,local,0,500,CHF\nnot a number,CH,,Bern,local,0,500,CHF\n"
		if p := o.upload(billing.RoleSupport, "/admin/numbers/import", "file", "n.csv", csv); p.status != 403 {
			t.Errorf("support uploads: %d", p.status)
		}
		p := o.upload(billing.RoleAdmin, "/admin/numbers/import", "file", "n.csv", csv)
		if p.status != 200 || !strings.Contains(p.body, `data-testid="imported">3<`) || strings.Count(p.body, `data-testid="rejected-row"`) != 2 ||
			!strings.Contains(p.body, "already in the inventory") {
			t.Fatalf("upload: %d %s", p.status, p.body)
		}
		tok := o.signup("nums@acme.test", "CHF")
		adr := o.address(tok)
		o.do("POST", "/v1/orders", tok, topUp(500000))
		if r := o.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "phone_number", "number": "+41315550101"}},
			"billing_address": adr, "payment": map[string]any{"method": "balance"}}); r.status != 201 {
			t.Fatalf("buy: %d %s", r.status, r.raw)
		}
		p = o.get(billing.RoleFinance, "/admin/numbers?country=ch&area=Bern&status=active")
		if p.status != 200 || strings.Count(p.body, `data-testid="number-row"`) != 1 || !strings.Contains(p.body, "nums@acme.test") {
			t.Fatalf("search held: %d %s", p.status, p.body)
		}
		if p := o.get(billing.RoleAdmin, "/admin/numbers?number=4131555010&format=csv"); strings.Count(p.body, "+4131555010") != 3 {
			t.Errorf("CSV: %s", p.body)
		}
		if p := o.get(billing.RoleAdmin, "/admin/numbers?status=nonsense"); p.status != 400 {
			t.Errorf("bad status filter: %d", p.status)
		}
		id := func(num string) string {
			ns, err := o.svc.SearchNumbers(context.Background(), billing.NumberFilter{Number: num}, billing.Page{Limit: 1})
			if err != nil || len(ns) == 0 {
				t.Fatalf("%s: %v", num, err)
			}
			return ns[0].ID
		}
		offered := func() string {
			r := o.do("GET", "/v1/numbers/available?country=CH&area=Bern", tok, nil)
			return string(r.raw)
		}
		if p := o.post(billing.RoleAdmin, "/admin/numbers/"+id("+41315550102")+"/reserve", nil); p.status != 303 {
			t.Fatalf("reserve: %d %s", p.status, p.body)
		}
		if p := o.post(billing.RoleAdmin, "/admin/numbers/"+id("+41315550103")+"/retire", nil); p.status != 303 {
			t.Fatalf("retire: %d %s", p.status, p.body)
		}
		if s := offered(); strings.Contains(s, "+41315550102") || strings.Contains(s, "+41315550103") {
			t.Errorf("reserved or retired numbers are offered: %s", s)
		}
		if r := o.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "phone_number", "number": "+41315550103"}},
			"billing_address": adr, "payment": map[string]any{"method": "balance"}}); r.status < 400 {
			t.Errorf("a retired number was sold: %d", r.status)
		}
		if p := o.post(billing.RoleAdmin, "/admin/numbers/"+id("+41315550101")+"/retire", nil); p.status != 409 {
			t.Errorf("retire a held number: %d", p.status)
		}
		if p := o.post(billing.RoleAdmin, "/admin/numbers/"+id("+41315550103")+"/unreserve", nil); p.status != 409 {
			t.Errorf("a retired number back on sale: %d", p.status)
		}
		if p := o.post(billing.RoleAdmin, "/admin/numbers/"+id("+41315550102")+"/unreserve", nil); p.status != 303 || !strings.Contains(offered(), "+41315550102") {
			t.Errorf("unreserve: %d", p.status)
		}
		if es := o.audited("number.retire"); len(es) != 1 || !strings.Contains(es[0].Before, `"Status":"available"`) || !strings.Contains(es[0].After, `"Status":"retired"`) {
			t.Errorf("audit: %+v", es)
		}
		if len(o.audited("number.import")) != 1 {
			t.Errorf("the import is not audited")
		}
	})
}

// TestOfficeTaxesWebhooksClock: tax rates are set, a webhook endpoint is
// created (its secret shown once) and deleted, a delivery retried; the
// sandbox clock moves by days, and is not found outside the sandbox.
func TestOfficeTaxesWebhooksClock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOffice(t, st, true)
		if p := o.post(billing.RoleAdmin, "/admin/tax-rates", url.Values{"country": {"at"}, "percent": {"20"}}); p.status != 303 {
			t.Fatalf("tax: %d %s", p.status, p.body)
		}
		if p := o.get(billing.RoleFinance, "/admin/tax-rates"); !strings.Contains(p.body, `data-country="AT"`) {
			t.Errorf("tax list: %s", p.body)
		}
		if p := o.post(billing.RoleAdmin, "/admin/tax-rates", url.Values{"country": {"XX"}, "percent": {"5"}}); p.status != 400 || !strings.Contains(p.body, `data-field="country"`) {
			t.Errorf("bad country: %d", p.status)
		}
		if es := o.audited("tax_rate.set"); len(es) != 1 || !strings.Contains(es[0].After, `"percent":"20"`) {
			t.Errorf("tax audit: %+v", es)
		}
		p := o.post(billing.RoleAdmin, "/admin/webhooks", url.Values{"url": {"https://pbx.example.com/hook"}, "events": {"order.paid"}})
		if p.status != 201 || !strings.Contains(p.body, "whsec_") {
			t.Fatalf("webhook: %d %s", p.status, p.body)
		}
		eps, _ := o.svc.WebhookEndpoints(context.Background(), billing.Page{Limit: 10})
		if len(eps) != 1 {
			t.Fatalf("%d endpoints", len(eps))
		}
		if p := o.get(billing.RoleAdmin, "/admin/webhooks"); strings.Contains(p.body, "whsec_") {
			t.Errorf("the secret shows again")
		}
		if es := o.audited("webhook_endpoint.create"); len(es) != 1 || strings.Contains(es[0].After, "whsec_") {
			t.Errorf("webhook audit: %+v", es)
		}
		tok := o.signup("hook@acme.test", "CHF")
		o.do("POST", "/v1/orders", tok, topUp(10000))
		ds, err := o.svc.WebhookDeliveries(context.Background(), eps[0].ID, billing.Page{Limit: 10})
		if err != nil || len(ds) == 0 {
			t.Fatalf("deliveries: %v %v", ds, err)
		}
		if p := o.get(billing.RoleAdmin, "/admin/webhooks/"+eps[0].ID); !strings.Contains(p.body, `data-testid="delivery-row"`) {
			t.Errorf("deliveries page: %s", p.body)
		}
		if p := o.post(billing.RoleAdmin, "/admin/webhooks/"+eps[0].ID+"/deliveries/"+ds[0].ID+"/retry", nil); p.status != 303 {
			t.Errorf("retry: %d %s", p.status, p.body)
		}
		if p := o.post(billing.RoleAdmin, "/admin/webhooks/"+eps[0].ID+"/delete", nil); p.status != 303 {
			t.Errorf("delete: %d", p.status)
		}
		if eps, _ := o.svc.WebhookEndpoints(context.Background(), billing.Page{Limit: 10}); len(eps) != 0 {
			t.Errorf("still %d endpoints", len(eps))
		}
		before := o.svc.Now()
		if p := o.post(billing.RoleFinance, "/admin/clock", url.Values{"days": {"2"}}); p.status != 403 {
			t.Errorf("finance moves the clock: %d", p.status)
		}
		if p := o.post(billing.RoleAdmin, "/admin/clock", url.Values{"days": {"2"}}); p.status != 303 {
			t.Fatalf("clock: %d %s", p.status, p.body)
		}
		if d := o.svc.Now().Sub(before); d.Hours() != 48 {
			t.Errorf("moved %v", d)
		}
		if p := o.post(billing.RoleAdmin, "/admin/clock", url.Values{"days": {"-1"}}); p.status != 400 || !strings.Contains(p.body, `data-field="days"`) {
			t.Errorf("bad days: %d", p.status)
		}
		if p := o.post(billing.RoleAdmin, "/admin/clock", url.Values{"days": {""}, "to": {"2026-01-01"}}); p.status != 400 {
			t.Errorf("back in time: %d", p.status)
		}
		live := newOffice(t, storetest.Open(t, "sqlite"), false)
		if p := live.get(billing.RoleAdmin, "/admin/clock"); p.status != 404 {
			t.Errorf("clock outside the sandbox: %d", p.status)
		}
	})
}

// TestOfficeRoles: finance is refused every change, support every change
// of prices, catalog, promo codes, taxes, numbers, webhooks and the clock,
// whatever the form says (403 before the form is read); nothing changes.
func TestOfficeRoles(t *testing.T) {
	t.Parallel()
	o := newOffice(t, storetest.Open(t, "sqlite"), true)
	posts := []string{"/admin/catalog/start", "/admin/promo-codes", "/admin/promo-codes/X", "/admin/numbers/import",
		"/admin/numbers/num_1/retire", "/admin/tax-rates", "/admin/webhooks", "/admin/webhooks/we_1/delete",
		"/admin/webhooks/we_1/deliveries/wd_1/retry", "/admin/clock"}
	for _, role := range []string{billing.RoleSupport, billing.RoleFinance} {
		for _, path := range posts {
			if p := o.post(role, path, url.Values{"country": {"CH"}, "percent": {"1"}, "days": {"1"}}); p.status != 403 {
				t.Errorf("%s POST %s: %d", role, path, p.status)
			}
		}
		for _, path := range []string{"/admin/", "/admin/catalog", "/admin/catalog/start", "/admin/promo-codes", "/admin/numbers",
			"/admin/tax-rates", "/admin/webhooks", "/admin/clock"} {
			p := o.get(role, path)
			if p.status != 200 {
				t.Errorf("%s GET %s: %d", role, path, p.status)
			}
			if strings.Contains(p.body, `type="submit">Save`) || strings.Contains(p.body, "Set rate") || strings.Contains(p.body, "Upload") {
				t.Errorf("%s sees a button it cannot use on %s", role, path)
			}
		}
	}
	if rates, _ := o.svc.TaxRates(context.Background()); len(rates) == 0 {
		t.Fatal("no seeded rates")
	} else {
		for _, r := range rates {
			if r.Country == "CH" && r.Rate.String() == "1" {
				t.Errorf("a refused post changed the rate")
			}
		}
	}
	if p := o.post(billing.RoleAdmin, "/admin/tax-rates", url.Values{"country": {"CH"}, "percent": {"8.1"}}); p.status != 303 {
		t.Errorf("admin sets a rate: %d", p.status)
	}
}
