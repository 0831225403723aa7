package store_test

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Contract: the operator's lists across customers (the back office).
func init() {
	addContract(map[string]contractCase{
		"Q.SearchCustomers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			a := fxCustomer(t, q, "cus_1")
			must(t, q.SetCompany(ctx, "cus_1", "Acme 100% GmbH"))
			a.Company = "Acme 100% GmbH"
			b := fxCustomer(t, q, "cus_2")
			c := fxCustomer(t, q, "cus_3")
			fxLogin(t, q, "cus_2", "usr_2", "Colleague@Beta.test", "admin", "h")
			fxSIP(t, q, "cus_3", "sip_3", "trunk", "")
			fxNumber(t, q, "num_1", "+12125550123", "New York")
			must(t, q.ClaimNumber(ctx, "num_1", "cus_3", "sip_3", tµ, tµ.AddDate(0, 1, 0)))
			ids := func(term string, p store.Page) []string {
				cs, err := q.SearchCustomers(ctx, term, p)
				must(t, err)
				var out []string
				for _, c := range cs {
					out = append(out, c.ID)
				}
				return out
			}
			eq(t, "all", ids("", store.Page{}), []string{c.ID, b.ID, a.ID})
			eq(t, "page", ids("", store.Page{Limit: 1, After: "cus_3"}), []string{b.ID, a.ID})
			eq(t, "id", ids("cus_2", store.Page{}), []string{b.ID})
			eq(t, "company, any case, % literal", ids("ACME 100%", store.Page{}), []string{a.ID})
			eq(t, "wildcard is literal", ids("%", store.Page{}), []string{a.ID})
			eq(t, "account e-mail", ids("cus_1@x", store.Page{}), []string{a.ID})
			eq(t, "login e-mail", ids("colleague@beta", store.Page{}), []string{b.ID})
			eq(t, "phone number", ids("+1 212 555-0123", store.Page{}), []string{c.ID})
			eq(t, "part of a number", ids("5550123", store.Page{}), []string{c.ID})
			eq(t, "none", ids("nobody", store.Page{}), []string(nil))
		},
		"Q.OrderInvoices": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			inv := fxInvoice(t, q, "cus_1", "inv_1", 2026, 1) // of ord_1
			cn := market.Invoice{ID: "inv_2", CustomerID: "cus_1", OrderID: "ord_1", Kind: "credit_note", Number: "2026-000002", Year: 2026, Seq: 2,
				Currency: "CHF", Totals: market.Totals{Subtotal: -100, Tax: -8, Total: -108}, Document: `{"n":2}`, IssuedAt: tµ}
			must(t, q.InsertInvoice(ctx, cn))
			other := market.Invoice{ID: "inv_3", CustomerID: "cus_1", OrderID: "ord_2", Kind: "invoice", Number: "2026-000003", Year: 2026, Seq: 3,
				Currency: "CHF", Document: `{"n":3}`, IssuedAt: tµ}
			must(t, q.InsertInvoice(ctx, other))
			got, err := q.OrderInvoices(ctx, "ord_1")
			must(t, err)
			inv.Document, cn.Document, cn.IssuedAt = "", "", µs(tµ)
			eq(t, "the order's, newest first, without documents", got, []market.Invoice{cn, inv})
			got, err = q.OrderInvoices(ctx, "")
			must(t, err)
			eq(t, "no order", len(got), 0)
		},
		"Q.RefundsOf": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPayment(t, q, "cus_1", "pay_1", 1000, tµ)
			fxPayment(t, q, "cus_1", "pay_2", 500, tµ)
			refund := func(id, of string, amount int64) market.Payment {
				p := market.Payment{ID: id, CustomerID: "cus_1", Purpose: market.PurposeRefund, Description: "refund " + id, Method: "card",
					Amount: -amount, Currency: "CHF", RefundOf: of, CreatedAt: tµ}
				must(t, q.InsertPayment(ctx, p))
				p.CreatedAt = µs(tµ)
				return p
			}
			r1, r2 := refund("pay_3", "pay_1", 100), refund("pay_4", "pay_1", 200)
			refund("pay_5", "pay_2", 50)
			got, err := q.RefundsOf(ctx, "pay_1")
			must(t, err)
			eq(t, "refunds of pay_1, newest first", got, []market.Payment{r2, r1})
			got, err = q.RefundsOf(ctx, "")
			must(t, err)
			eq(t, "none for no payment", len(got), 0)
		},
		"Q.AllOrders": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxOrder(t, q, "cus_1", "ord_1", 1000)
			o2 := market.Order{ID: "ord_2", CustomerID: "cus_2", Status: "refunded", Currency: "CHF", PaymentID: "pay_2",
				Totals: market.Totals{Subtotal: 500, Total: 500}, Refunded: 500, Source: "api", CreatedAt: tµ.Add(48 * time.Hour),
				Lines: []market.Line{{Type: market.ItemRenewal, Description: "Renewal", Quantity: 1, UnitAmount: 500, Amount: 500}}}
			must(t, q.InsertOrder(ctx, o2))
			fxPayment(t, q, "cus_2", "pay_2", -500, tµ)
			must(t, q.InsertPayment(ctx, market.Payment{ID: "pay_3", CustomerID: "cus_1", Purpose: market.PurposeRenewal, Description: "r",
				Method: "balance", Amount: -700, Currency: "CHF", CreatedAt: tµ}))
			o3 := market.Order{ID: "ord_3", CustomerID: "cus_1", Status: "paid", Currency: "CHF", PaymentID: "pay_3",
				Totals: market.Totals{Subtotal: 700, Total: 700}, Source: "portal", CreatedAt: tµ.Add(24 * time.Hour),
				Lines: []market.Line{{Type: market.ItemRenewal, Description: "Renewal", Quantity: 1, UnitAmount: 700, Amount: 700}}}
			must(t, q.InsertOrder(ctx, o3))
			ids := func(f store.OrderFilter) []string {
				os, err := q.AllOrders(ctx, f)
				must(t, err)
				var out []string
				for _, o := range os {
					if len(o.Lines) != 1 {
						t.Errorf("order %s has %d lines, want 1", o.ID, len(o.Lines))
					}
					out = append(out, o.ID)
				}
				return out
			}
			eq(t, "all", ids(store.OrderFilter{}), []string{"ord_3", "ord_2", "ord_1"})
			eq(t, "page", ids(store.OrderFilter{Page: store.Page{Limit: 1, After: "ord_3"}}), []string{"ord_2", "ord_1"})
			eq(t, "customer", ids(store.OrderFilter{CustomerID: "cus_1"}), []string{"ord_3", "ord_1"})
			eq(t, "status", ids(store.OrderFilter{Status: "refunded"}), []string{"ord_2"})
			eq(t, "purpose", ids(store.OrderFilter{Purpose: string(market.PurposeRenewal)}), []string{"ord_3"})
			eq(t, "from", ids(store.OrderFilter{From: tµ.Add(time.Hour)}), []string{"ord_3", "ord_2"})
			eq(t, "to (exclusive)", ids(store.OrderFilter{To: tµ.Add(24 * time.Hour)}), []string{"ord_1"})
			eq(t, "none", ids(store.OrderFilter{CustomerID: "cus_9"}), []string(nil))
		},
		"Q.AllSubscriptions": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxPlan(t, q, "pro")
			fxPlan(t, q, "basic")
			now := tµ
			fxSub(t, q, "cus_1", "sub_1", "pro", now.AddDate(0, 1, 0))    // active
			fxSub(t, q, "cus_2", "sub_2", "basic", now.AddDate(0, 0, -1)) // expired
			s3 := fxSub(t, q, "cus_1", "sub_3", "basic", now.AddDate(0, 2, 0))
			s3.Status = market.StatusCanceled
			must(t, q.UpdateSubscription(ctx, s3, now))
			ids := func(f store.SubscriptionFilter) []string {
				f.Now = now
				subs, err := q.AllSubscriptions(ctx, f)
				must(t, err)
				var out []string
				for _, s := range subs {
					out = append(out, s.ID)
				}
				return out
			}
			eq(t, "all", ids(store.SubscriptionFilter{}), []string{"sub_3", "sub_2", "sub_1"})
			eq(t, "page", ids(store.SubscriptionFilter{Page: store.Page{Limit: 1, After: "sub_3"}}), []string{"sub_2", "sub_1"})
			eq(t, "customer", ids(store.SubscriptionFilter{CustomerID: "cus_1"}), []string{"sub_3", "sub_1"})
			eq(t, "plan", ids(store.SubscriptionFilter{Plan: "basic"}), []string{"sub_3", "sub_2"})
			eq(t, "active", ids(store.SubscriptionFilter{Status: "active"}), []string{"sub_1"})
			eq(t, "expired", ids(store.SubscriptionFilter{Status: "expired"}), []string{"sub_2"})
			eq(t, "canceled", ids(store.SubscriptionFilter{Status: "canceled"}), []string{"sub_3"})
			eq(t, "trialing", ids(store.SubscriptionFilter{Status: "trialing"}), []string(nil))
			eq(t, "expires before", ids(store.SubscriptionFilter{ExpiresBefore: now.AddDate(0, 1, 1)}), []string{"sub_2", "sub_1"})
			_, err := q.AllSubscriptions(ctx, store.SubscriptionFilter{Status: "sleeping"})
			wantCode(t, err, market.CodeInvalidRequest, "status")
		},
	})
}
