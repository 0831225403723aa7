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

// TestOfficePlanCreate: an admin creates a plan on the catalog page; it is
// created deactivated and without prices (nothing is sold before its page
// prices it), audited; bad input is shown next to its field, a code taken
// is refused; support may not.
func TestOfficePlanCreate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOffice(t, st, false)
		form := url.Values{"code": {"night-shift"}, "name": {"Night shift"}, "product": {"contact-center"}, "terms": {"1, 12"},
			"min_licenses": {"1"}, "max_licenses": {"20"}}
		if p := o.post(billing.RoleSupport, "/admin/catalog", form); p.status != 403 {
			t.Errorf("support creates a plan: %d", p.status)
		}
		p := o.post(billing.RoleAdmin, "/admin/catalog", form)
		if p.status != 303 || p.location != "/admin/catalog/night-shift" {
			t.Fatalf("create: %d %q %s", p.status, p.location, p.body)
		}
		plan, err := o.svc.Plan(context.Background(), "night-shift")
		if err != nil || plan.Active || len(plan.Prices) != 0 || plan.ProductName != "Cloud Contact Center" || len(plan.Terms) != 2 {
			t.Errorf("the new plan: %+v %v", plan, err)
		}
		if es := o.audited("plan.create"); len(es) != 1 || es[0].Actor != "admin@op.test" || es[0].Before != "" || !strings.Contains(es[0].After, "night-shift") {
			t.Errorf("audit: %+v", es)
		}
		if p := o.get(billing.RoleAdmin, "/admin/catalog/night-shift"); p.status != 200 || !strings.Contains(p.body, `name="price_CHF_12"`) {
			t.Errorf("its page: %d", p.status)
		}
		form.Set("code", "Bad Code")
		if p := o.post(billing.RoleAdmin, "/admin/catalog", form); p.status != 400 || !strings.Contains(p.body, `id="code-error"`) && !strings.Contains(p.body, `data-field="code"`) {
			t.Errorf("a bad code: %d", p.status)
		}
		form.Set("code", "night-shift")
		if p := o.post(billing.RoleAdmin, "/admin/catalog", form); p.status < 400 || p.status >= 500 {
			t.Errorf("a code taken: %d", p.status)
		}
		form.Set("code", "late-shift")
		form.Set("terms", "0")
		if p := o.post(billing.RoleAdmin, "/admin/catalog", form); p.status != 400 || !strings.Contains(p.body, "between 1 and 120") {
			t.Errorf("a bad term: %d", p.status)
		}
	})
}
