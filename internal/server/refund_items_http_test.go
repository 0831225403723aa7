package server_test

import (
	"context"
	"testing"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestRefundItems (API.md "POST /v1/admin/orders/{id}/refunds", items):
// a refund by items takes back only what those lines had — a license
// line's refund takes no top-up credit of another line — and no line is
// refunded past what it had or revoked twice (400 naming items, nothing
// moves); a full refund after partial ones refunds only what remains of
// each line. Each credit note shows exactly the refunded lines, and the
// ledger stays balanced: the revenue, tax and balance accounts move by
// the refund's net, tax and balance_debited.
func TestRefundItems(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("items@acme.test", "CHF")
		addr := a.address(tok)
		// 1: a 100.00 top-up; 2: a subscription (taxed).
		o := a.do("POST", "/v1/orders", tok, map[string]any{"billing_address": addr, "payment": map[string]any{"method": "card", "card": card},
			"items": []any{map[string]any{"type": "balance_top_up", "amount": 10000},
				map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 12}}})
		if o.status != 201 {
			t.Fatalf("order: %d %s", o.status, o.raw)
		}
		id := o.body["id"].(string)
		items := o.body["items"].([]any)
		sub := items[1].(map[string]any)
		subTotal, subTax := num(sub["total"]), num(sub["tax"])
		subID := sub["subscription"].(string)
		customer := a.do("GET", "/v1/account", tok, nil).body["id"].(string)
		acct := func(name string) int64 {
			t.Helper()
			s, err := st.Read().AccountSum(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		type sums struct{ revenue, tax, balance int64 }
		ledger := func() sums {
			t.Helper()
			if total, unbalanced, err := st.Read().LedgerImbalance(context.Background()); err != nil || total != 0 || unbalanced != 0 {
				t.Errorf("ledger: imbalance %d, %d unbalanced transactions, %v", total, unbalanced, err)
			}
			b := acct(market.BalanceAccount(customer))
			if api := num(a.do("GET", "/v1/account", tok, nil).body["balance"]); api != b {
				t.Errorf("balance %d, postings sum to %d", api, b)
			}
			return sums{acct(market.SystemAccount("revenue", "CHF")), acct(market.SystemAccount("tax", "CHF")), b}
		}
		refund := func(body map[string]any) resp {
			t.Helper()
			return a.do("POST", "/v1/admin/orders/"+id+"/refunds", adminToken, body)
		}
		// check checks a refund against the ledger's moves and its credit note's lines.
		check := func(what string, before sums, r resp, amount, net, tax, balance int64, lines int) {
			t.Helper()
			if r.status != 201 {
				t.Fatalf("%s: %d %s", what, r.status, r.raw)
			}
			if num(r.body["amount"]) != amount || num(r.body["net"]) != net || num(r.body["tax"]) != tax || num(r.body["balance_debited"]) != balance {
				t.Errorf("%s: %s; want amount %d = net %d + tax %d + balance %d", what, r.raw, amount, net, tax, balance)
			}
			after := ledger()
			if d := (sums{before.revenue - after.revenue, before.tax - after.tax, before.balance - after.balance}); d != (sums{net, tax, balance}) {
				t.Errorf("%s: the ledger moved revenue, tax, balance by %+v; want %d, %d, %d", what, d, net, tax, balance)
			}
			cn := a.do("GET", "/v1/invoices/"+r.body["credit_note"].(string), tok, nil)
			ls, _ := cn.body["lines"].([]any)
			var sum, lineTax int64
			for _, l := range ls {
				sum += num(l.(map[string]any)["total"])
				lineTax += num(l.(map[string]any)["tax"])
			}
			if len(ls) != lines || sum != -amount || lineTax != -tax || num(cn.body["total"]) != -amount || num(cn.body["tax"]) != -tax {
				t.Errorf("%s: credit note %s; want %d lines summing to %d, tax %d", what, cn.raw, lines, -amount, -tax)
			}
		}
		unchanged := func(what string, before sums, r resp, param string) {
			t.Helper()
			if r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != param {
				t.Errorf("%s: %d %s; want 400 invalid_request naming %s", what, r.status, r.raw, param)
			}
			if after := ledger(); after != before {
				t.Errorf("%s: a refused refund moved the ledger: %+v, was %+v", what, after, before)
			}
		}

		// 10.00 of item 2, revoked: no top-up credit goes; the subscription ends.
		l := ledger()
		r := refund(map[string]any{"reason": "part", "items": []int{2}, "amount": 1000, "revoke": true})
		tax1 := (1000*subTax + subTotal/2) / subTotal // round(10.00 x tax / total)
		check("10.00 of item 2", l, r, 1000, 1000-tax1, tax1, 0, 1)
		if s := a.do("GET", "/v1/subscriptions/"+subID, tok, nil); s.body["status"] != "canceled" {
			t.Errorf("revoked subscription: %s", s.raw)
		}
		// Item 2 again with revoke: revoked already.
		l = ledger()
		unchanged("item 2 revoked again", l, refund(map[string]any{"reason": "again", "items": []int{2}, "revoke": true}), "items[0]")
		// More than is left of item 2.
		unchanged("more than item 2 has", l, refund(map[string]any{"reason": "much", "items": []int{2}, "amount": subTotal - 999}), "amount")
		// The rest of item 2.
		r = refund(map[string]any{"reason": "rest of 2", "items": []int{2}})
		check("the rest of item 2", l, r, subTotal-1000, subTotal-subTax-(1000-tax1), subTax-tax1, 0, 1)
		// Item 2 has nothing left.
		l = ledger()
		unchanged("item 2 once more", l, refund(map[string]any{"reason": "more", "items": []int{2}}), "items[0]")
		// All that is left: the top-up, nothing of item 2.
		r = refund(map[string]any{"reason": "all"})
		check("the rest", l, r, 10000, 0, 0, 10000, 1)
		if r.body["order_status"] != "refunded" || num(r.body["refundable"]) != 0 {
			t.Errorf("after the last refund: %s", r.raw)
		}
	})
}
