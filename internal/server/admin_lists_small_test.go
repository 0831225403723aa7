package server_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestOfficeSmallLists: the catalog, the promo codes, the tax rates and a
// customer's balance entries are paginated (limit, Next page), filtered
// (a bad filter is 400 naming it) and exported as CSV like every list.
func TestOfficeSmallLists(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBackOffice(t, st)
		fin := b.operator("lists@op.test", billing.RoleFinance)
		if r := b.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "LISTA", "percent_off": "5"}); r.status != 201 {
			t.Fatalf("promo: %d %s", r.status, r.raw)
		}
		if r := b.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": "LISTB", "percent_off": "7"}); r.status != 201 {
			t.Fatalf("promo: %d %s", r.status, r.raw)
		}
		cus, _, _ := b.customerWithOrder("lists@acme.test")
		next := regexp.MustCompile(`href="([^"]+)" data-testid="next-page"`)
		for _, l := range []struct {
			path, row, filter, bad string
			minRows                int
		}{
			{"/admin/catalog", `data-testid="plan-row"`, "product=contact", "status=gone", 3},
			{"/admin/promo-codes", `data-testid="promo-row"`, "code=list", "status=maybe", 2},
			{"/admin/tax-rates", `data-testid="tax-row"`, "country=C", "", 2},
			{"/admin/customers/" + cus + "/entries", `data-testid="entry-row"`, "", "", 2},
		} {
			all := fin.get(l.path)
			n := strings.Count(all.body, l.row)
			if all.status != 200 || n < l.minRows {
				t.Errorf("%s: %d, %d rows", l.path, all.status, n)
				continue
			}
			// One row a page: Next page until the end gives every row once.
			seen, p := 0, fin.get(l.path+"?limit=1")
			for i := 0; i < 100; i++ {
				seen += strings.Count(p.body, l.row)
				m := next.FindStringSubmatch(p.body)
				if m == nil {
					break
				}
				p = fin.get(strings.ReplaceAll(m[1], "&amp;", "&"))
			}
			if seen != n {
				t.Errorf("%s: %d rows one page at a time, %d at once", l.path, seen, n)
			}
			csv := fin.get(l.path + "?format=csv")
			if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || strings.Count(csv.body, "\n") != n+1 {
				t.Errorf("%s CSV: %d %q %d lines, want %d", l.path, csv.status, csv.header.Get("Content-Type"), strings.Count(csv.body, "\n"), n+1)
			}
			if l.filter != "" {
				f := fin.get(l.path + "?" + l.filter)
				if k := strings.Count(f.body, l.row); f.status != 200 || k == 0 || (k == n && l.path != "/admin/promo-codes") {
					t.Errorf("%s?%s: %d, %d of %d rows", l.path, l.filter, f.status, k, n)
				}
			}
			if l.bad != "" {
				if f := fin.get(l.path + "?" + l.bad); f.status != 400 || !strings.Contains(f.body, "tatus must be one of") {
					t.Errorf("%s?%s: %d", l.path, l.bad, f.status)
				}
			}
		}
		if p := fin.get("/admin/catalog?after=nope"); p.status != 400 {
			t.Errorf("an unknown cursor: %d", p.status)
		}
		if p := fin.get("/admin/customers/cus_nobody/entries"); p.status != 404 {
			t.Errorf("entries of no customer: %d", p.status)
		}
	})
}
