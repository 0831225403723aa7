package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// planValues is the edit form of a plan as the page fills it.
func planValues(t *testing.T, o *office, code string) url.Values {
	t.Helper()
	p := o.get(billing.RoleAdmin, "/admin/catalog/"+code)
	if p.status != 200 {
		t.Fatalf("plan page: %d", p.status)
	}
	v := url.Values{}
	for _, chunk := range strings.Split(p.body, "<input ")[1:] {
		name, val := attr(chunk, "name"), attr(chunk, "value")
		if name == "" || strings.Contains(chunk[:strings.Index(chunk, ">")], `type="checkbox"`) && !strings.Contains(chunk[:strings.Index(chunk, ">")], "checked") {
			continue
		}
		v.Set(name, val)
	}
	return v
}

func attr(tag, name string) string {
	end := strings.Index(tag, ">")
	if end < 0 {
		return ""
	}
	tag = tag[:end]
	i := strings.Index(tag, name+`="`)
	if i < 0 {
		return ""
	}
	rest := tag[i+len(name)+2:]
	return strings.ReplaceAll(rest[:strings.Index(rest, `"`)], "&#43;", "+")
}

// TestOfficeCatalogPriceChange: the operator changes a price on the plan's
// page; the confirm step says what it applies to and nothing is saved
// before it is confirmed; the change is audited with before and after; a
// plan is deactivated, not deleted. Support and finance are refused.
func TestOfficeCatalogPriceChange(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOffice(t, st, true)
		if p := o.get(billing.RoleFinance, "/admin/catalog"); p.status != 200 || !strings.Contains(p.body, `data-code="start"`) {
			t.Fatalf("catalog: %d", p.status)
		}
		v := planValues(t, o, "start")
		if v.Get("price_CHF_1") != "25.00" || v.Get("active") != "yes" {
			t.Fatalf("form: CHF 1 = %q active = %q", v.Get("price_CHF_1"), v.Get("active"))
		}
		v.Set("price_CHF_1", "30.00")
		for _, role := range []string{billing.RoleSupport, billing.RoleFinance} {
			if p := o.post(role, "/admin/catalog/start", v); p.status != 403 {
				t.Errorf("%s saves a price: %d", role, p.status)
			}
		}
		confirm := o.post(billing.RoleAdmin, "/admin/catalog/start", v)
		if confirm.status != 200 || !strings.Contains(confirm.body, "new purchases, renewals, upgrades and licenses added from now on") ||
			!strings.Contains(confirm.body, "CHF 25.00") || !strings.Contains(confirm.body, "CHF 30.00") {
			t.Fatalf("confirm step: %d %s", confirm.status, confirm.body)
		}
		if p, _ := o.svc.Plan(context.Background(), "start"); price(p.Prices, "CHF", 1) != 2500 {
			t.Fatalf("saved before the confirmation: %d", price(p.Prices, "CHF", 1))
		}
		v.Set("confirm", "yes")
		if p := o.post(billing.RoleAdmin, "/admin/catalog/start", v); p.status != 303 {
			t.Fatalf("confirmed: %d %s", p.status, p.body)
		}
		if p, _ := o.svc.Plan(context.Background(), "start"); price(p.Prices, "CHF", 1) != 3000 {
			t.Errorf("CHF 1 month = %d, want 3000", price(p.Prices, "CHF", 1))
		}
		es := o.audited("plan.update")
		if len(es) != 1 || es[0].Actor != "admin@op.test" || !strings.Contains(es[0].Before, "2500") || !strings.Contains(es[0].After, "3000") {
			t.Errorf("audit: %+v", es)
		}
		// A bad price is shown next to its field; nothing changes.
		v.Set("price_EUR_6", "abc")
		if p := o.post(billing.RoleAdmin, "/admin/catalog/start", v); p.status != 400 || !strings.Contains(p.body, `data-field="price_EUR_6"`) {
			t.Errorf("bad price: %d", p.status)
		}
		// Deactivating (no price change: no confirm step).
		v = planValues(t, o, "start")
		v.Del("active")
		if p := o.post(billing.RoleAdmin, "/admin/catalog/start", v); p.status != 303 {
			t.Fatalf("deactivate: %d %s", p.status, p.body)
		}
		if p, err := o.svc.Plan(context.Background(), "start"); err != nil || p.Active {
			t.Errorf("deactivated plan: %+v %v", p.Active, err)
		}
		if p := o.get(billing.RoleAdmin, "/admin/catalog"); !strings.Contains(p.body, "Deactivated") {
			t.Errorf("the catalog does not show the deactivated plan")
		}
	})
}

func price(ps []market.Price, cur string, term int) int64 {
	for _, p := range ps {
		if p.Currency == cur && p.TermMonths == term {
			return p.UnitAmount
		}
	}
	return -1
}
