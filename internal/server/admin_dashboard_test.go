package server_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestOfficeDashboardReconciles: the dashboard's revenue and balances are
// the sums of the ledger's postings; MRR, subscriptions and renewals
// count what was bought, on the business clock.
func TestOfficeDashboardReconciles(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOffice(t, st, true)
		buy := func(email string, topup, qty int, autoRenew bool) {
			tok := o.signup(email, "CHF")
			adr := o.address(tok)
			o.do("POST", "/v1/orders", tok, topUp(topup))
			r := o.do("POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "subscription", "plan": "start", "quantity": qty, "term_months": 1}},
				"billing_address": adr, "payment": map[string]any{"method": "balance"}})
			if r.status != 201 {
				t.Fatalf("order: %d %s", r.status, r.raw)
			}
			sub := r.body["items"].([]any)[0].(map[string]any)["subscription"].(string)
			o.do("PATCH", "/v1/subscriptions/"+sub, tok, map[string]any{"auto_renew": autoRenew})
		}
		buy("rich@acme.test", 500000, 2, true) // the balance covers the renewal
		buy("poor@acme.test", 8200, 3, true)   // 75.00 + tax paid, too little left
		buy("off@acme.test", 10000, 2, false)  // not renewing
		// The periods end on 10 April: move the clock into their last 30 days.
		if p := o.post(billing.RoleAdmin, "/admin/clock", url.Values{"days": {"2"}}); p.status != 303 {
			t.Fatalf("clock: %d", p.status)
		}
		p := o.get(billing.RoleFinance, "/admin/")
		if p.status != 200 {
			t.Fatalf("dashboard: %d %s", p.status, p.body)
		}
		ctx := context.Background()
		q := st.Read()
		revenue, err := q.AccountSum(ctx, market.SystemAccount("revenue", "CHF"))
		if err != nil {
			t.Fatal(err)
		}
		var balances int64
		cs, err := q.Customers(ctx, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			s, err := q.AccountSum(ctx, market.BalanceAccount(c.ID))
			if err != nil {
				t.Fatal(err)
			}
			balances += s
		}
		// The current month's total revenue is the last row's last cell.
		tbl := section(p.body, `data-testid="revenue-CHF"`, "</table>")
		rows := regexp.MustCompile(`(?s)<tr>.*?</tr>`).FindAllString(tbl, -1)
		cells := regexp.MustCompile(`data-v="([^"]*)"`).FindAllStringSubmatch(rows[len(rows)-1], -1)
		if got := minor(t, cells[len(cells)-1][1]); got != revenue || revenue == 0 {
			t.Errorf("revenue this month %d, ledger %d", got, revenue)
		}
		bal := regexp.MustCompile(`data-currency="CHF"><td>CHF</td><td>3</td><td data-minor="(\d+)"`).FindStringSubmatch(p.body)
		if bal == nil || bal[1] != strconv.FormatInt(balances, 10) || balances == 0 {
			t.Errorf("balances %v, ledger %d", bal, balances)
		}
		// MRR: 7 licenses of Start at 25.00 a month.
		if !strings.Contains(p.body, `data-product="contact-center" data-currency="CHF"><th scope="row">contact-center</th><td>CHF</td><td>3</td><td data-minor="17500"`) {
			t.Errorf("MRR: %s", section(p.body, `data-testid="mrr"`, "</table>"))
		}
		subs := section(p.body, `data-testid="subscriptions"`, "</table>")
		if !strings.Contains(subs, `Mar 2026</th><td data-v="3">3</td><td data-v="0">0</td>`) {
			t.Errorf("new subscriptions in March: %s", subs)
		}
		sums := section(p.body, `data-testid="renewal-sums"`, "</table>")
		if !strings.Contains(sums, `data-paid-by="balance"><td>CHF</td><td>Balance covers it</td><td>1</td>`) ||
			!strings.Contains(sums, `data-paid-by="neither"><td>CHF</td><td>Neither: will fail</td><td>1</td>`) {
			t.Errorf("renewals: %s", sums)
		}
		// The sums (priced in the database) are the renewals priced one by
		// one (the list of the soonest): one renewal each way here.
		shown := regexp.MustCompile(`<td>([^<]*)</td><td>(balance|card|neither)</td></tr>`).FindAllStringSubmatch(
			section(p.body, `data-testid="renewals"`, "</table>"), -1)
		if len(shown) != 2 {
			t.Errorf("soonest renewals: %v", shown)
		}
		for _, r := range shown {
			if !strings.Contains(sums, `data-paid-by="`+r[2]+`"><td>CHF</td>`) || !strings.Contains(sums, `<td>1</td><td>`+r[1]+`</td></tr>`) {
				t.Errorf("renewal paid by %s of %s: sums %s", r[2], r[1], sums)
			}
		}
		if !strings.Contains(p.body, `src="/admin/static/uPlot-1.6.31.iife.min.js"`) {
			t.Errorf("no chart library")
		}
		if r := o.get(billing.RoleAdmin, "/admin/static/uPlot-1.6.31.iife.min.js"); r.status != 200 {
			t.Errorf("uPlot: %d", r.status)
		}
	})
}

func section(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// minor reads "1234.50" as 123450.
func minor(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	if neg {
		v = -v
	}
	return v
}
