package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
)

func fxNotification(t *testing.T, q *store.Q, customerID, id string, at time.Time) market.Notification {
	t.Helper()
	n := market.Notification{ID: id, CustomerID: customerID, Type: "renewal", Subject: "s " + id, Body: "b", ObjectType: "subscription",
		ObjectID: "sub_1", DedupeKey: "dk_" + id, CreatedAt: at}
	ok, err := q.InsertNotification(ctx, n)
	must(t, err)
	if !ok {
		t.Fatalf("notification %s: not new", id)
	}
	n.CreatedAt = µs(at)
	return n
}

func fxInvoice(t *testing.T, q *store.Q, customerID, id string, year, seq int) market.Invoice {
	t.Helper()
	v := market.Invoice{ID: id, CustomerID: customerID, OrderID: "ord_1", Kind: "invoice", Number: words(year, seq), Year: year, Seq: seq,
		Currency: "CHF", Totals: market.Totals{Subtotal: 100, Tax: 8, Total: 108}, Document: `{"n":1}`, IssuedAt: tµ}
	must(t, q.InsertInvoice(ctx, v))
	v.IssuedAt = µs(tµ)
	return v
}

// Contract: the ledger, payments, orders, invoices, notifications and the
// mail outbox.
func init() {
	addContract(map[string]contractCase{
		"Q.Post": func(t *testing.T, st *store.Store) {
			bal := market.BalanceAccount("cus_1")
			sys := market.SystemAccount("adjustments", "CHF")
			post := func(q *store.Q, id string, amount int64) error {
				return q.Post(ctx, market.LedgerTx{ID: id, CustomerID: "cus_1", Kind: "adjustment", Description: "d", Currency: "CHF",
					CreatedAt: tµ, Postings: []market.Posting{{Account: bal, Amount: amount}, {Account: sys, Amount: -amount}}})
			}
			t.Run("MovesTheBalance", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				must(t, post(q, "ltx_1", 1000))
				must(t, post(q, "ltx_2", -300))
				c, err := q.Customer(ctx, "cus_1")
				must(t, err)
				eq(t, "balance", c.Balance, int64(700))
				s, err := q.AccountSum(ctx, sys)
				must(t, err)
				eq(t, "system account", s, int64(-700))
			})
			t.Run("SystemOnly", func(t *testing.T) { // no customer: no balance, no balance_after
				q := txQ(t, st)
				must(t, q.Post(ctx, market.LedgerTx{ID: "ltx_1", Kind: "transfer", Currency: "CHF", CreatedAt: tµ,
					Postings: []market.Posting{{Account: market.SystemAccount("gateway", "CHF"), Amount: 5}, {Account: sys, Amount: -5}}}))
			})
			t.Run("InsufficientFunds", func(t *testing.T) { // CHECK (balance >= 0)
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				must(t, post(q, "ltx_1", 100))
				wantCode(t, post(q, "ltx_2", -101), market.CodeInsufficientFunds, "")
			})
			t.Run("Unbalanced", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				err := q.Post(ctx, market.LedgerTx{ID: "ltx_1", CustomerID: "cus_1", Currency: "CHF", CreatedAt: tµ,
					Postings: []market.Posting{{Account: bal, Amount: 5}, {Account: sys, Amount: -4}}})
				if err == nil {
					t.Error("an unbalanced transaction was posted")
				}
				if err := q.Post(ctx, market.LedgerTx{ID: "ltx_2", Currency: "CHF", CreatedAt: tµ, Postings: []market.Posting{{Account: sys}}}); err == nil {
					t.Error("a transaction of one posting was posted")
				}
			})
			t.Run("SameID", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				must(t, post(q, "ltx_1", 1))
				if err := post(q, "ltx_1", 1); err == nil {
					t.Error("a transaction ID was posted twice")
				}
			})
		},
		"Q.AccountSum": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			s, err := q.AccountSum(ctx, "system:none:CHF")
			must(t, err)
			eq(t, "sum of no postings", s, int64(0))
			fxCustomer(t, q, "cus_1")
			fund(t, q, "cus_1", "ltx_1", 40)
			fund(t, q, "cus_1", "ltx_2", 2)
			s, err = q.AccountSum(ctx, market.BalanceAccount("cus_1"))
			must(t, err)
			eq(t, "sum", s, int64(42))
		},
		"Q.LedgerImbalance": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			total, unbalanced, err := q.LedgerImbalance(ctx)
			must(t, err)
			eq(t, "empty ledger", words(total, unbalanced), "0 0")
			fxCustomer(t, q, "cus_1")
			fund(t, q, "cus_1", "ltx_1", 40)
			total, unbalanced, err = q.LedgerImbalance(ctx)
			must(t, err)
			eq(t, "balanced ledger", words(total, unbalanced), "0 0")
		},
		"Q.BalanceEntries": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fund(t, q, "cus_1", "ltx_1", 100)
			fund(t, q, "cus_1", "ltx_2", -30)
			es, err := q.BalanceEntries(ctx, "cus_1", store.Page{})
			must(t, err)
			eq(t, "entries, newest first", es, []market.Entry{
				{TransactionID: "ltx_2", Seq: 1, Kind: "adjustment", Description: "fund", Amount: -30, BalanceAfter: 70, Currency: "CHF", CreatedAt: µs(tµ)},
				{TransactionID: "ltx_1", Seq: 1, Kind: "adjustment", Description: "fund", Amount: 100, BalanceAfter: 100, Currency: "CHF", CreatedAt: µs(tµ)}})
			es, err = q.BalanceEntries(ctx, "cus_1", store.Page{After: "ltx_2"})
			must(t, err)
			eq(t, "after ltx_2", len(es), 1)
			es, err = q.BalanceEntries(ctx, "cus_none", store.Page{})
			must(t, err)
			eq(t, "no customer", len(es), 0)
		},
		"Q.HasBalanceEntry": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fund(t, q, "cus_1", "ltx_1", 1)
			for _, c := range []struct {
				cust, tx string
				want     bool
			}{{"cus_1", "ltx_1", true}, {"cus_2", "ltx_1", false}, {"cus_1", "ltx_none", false}} {
				ok, err := q.HasBalanceEntry(ctx, c.cust, c.tx)
				must(t, err)
				eq(t, c.cust+" "+c.tx, ok, c.want)
			}
		},
		"Q.InsertPayment": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			want := fxPayment(t, q, "cus_1", "pay_1", 1000, tµ)
			got, err := q.PaymentByID(ctx, "pay_1")
			must(t, err)
			eq(t, "payment", got, want)
			if err := q.InsertPayment(ctx, market.Payment{ID: "pay_2", CustomerID: "cus_none", CreatedAt: tµ}); err == nil {
				t.Error("a payment of no customer was stored")
			}
		},
		"Q.PaymentByID": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			_, err := q.PaymentByID(ctx, "pay_none")
			wantNotFound(t, err)
		},
		"Q.PaymentsByID": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := fxPayment(t, q, "cus_1", "pay_a", 1, tµ)
			b := fxPayment(t, q, "cus_1", "pay_b", 2, tµ)
			m, err := q.PaymentsByID(ctx, []string{"pay_b", "pay_none", "pay_a"})
			must(t, err)
			eq(t, "found ones", m, map[string]market.Payment{"pay_a": a, "pay_b": b})
			m, err = q.PaymentsByID(ctx, nil)
			must(t, err)
			eq(t, "none asked", m, map[string]market.Payment{})
		},
		"Q.Payments": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPayment(t, q, "cus_1", "pay_1", 1, tµ)
			fxPayment(t, q, "cus_1", "pay_2", 2, tµ.Add(time.Hour))
			p3 := market.Payment{ID: "pay_3", CustomerID: "cus_1", Purpose: market.Purpose("number_renewal"), Description: "r", Method: "balance",
				Amount: 3, Currency: "CHF", CreatedAt: tµ.Add(2 * time.Hour)}
			must(t, q.InsertPayment(ctx, p3))
			ids := func(f store.PaymentFilter) string {
				ps, err := q.Payments(ctx, "cus_1", f)
				must(t, err)
				var s []string
				for _, p := range ps {
					s = append(s, p.ID)
				}
				return strings.Join(s, " ")
			}
			eq(t, "all, newest first", ids(store.PaymentFilter{}), "pay_3 pay_2 pay_1")
			eq(t, "by purpose", ids(store.PaymentFilter{Purpose: "checkout"}), "pay_2 pay_1")
			eq(t, "from (inclusive), to (exclusive)", ids(store.PaymentFilter{From: ptr(tµ.Add(time.Hour)), To: ptr(tµ.Add(2 * time.Hour))}), "pay_2")
			eq(t, "from at µs", ids(store.PaymentFilter{From: ptr(µs(tµ))}), "pay_3 pay_2 pay_1")
			eq(t, "after", ids(store.PaymentFilter{Page: store.Page{After: "pay_3", Limit: 1}}), "pay_2 pay_1")
		},
		"Q.SetPaymentInvoice": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPayment(t, q, "cus_1", "pay_1", 1, tµ)
			must(t, q.SetPaymentInvoice(ctx, "pay_1", "inv_1"))
			p, err := q.PaymentByID(ctx, "pay_1")
			must(t, err)
			eq(t, "invoice", p.InvoiceID, "inv_1")
			wantNotFound(t, q.SetPaymentInvoice(ctx, "pay_none", "inv_1"))
		},
		"Q.SetPaymentGatewayRef": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxPayment(t, q, "cus_1", "pay_1", -1, tµ)
			must(t, q.SetPaymentGatewayRef(ctx, "pay_1", "re_1"))
			p, err := q.PaymentByID(ctx, "pay_1")
			must(t, err)
			eq(t, "ref", p.GatewayRef, "re_1")
			wantNotFound(t, q.SetPaymentGatewayRef(ctx, "pay_none", "re_1"))
		},
		"Q.InsertOrder": func(t *testing.T, st *store.Store) {
			t.Run("ReadsBack", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				o := market.Order{ID: "ord_1", CustomerID: "cus_1", Status: "paid", Currency: "CHF", PromoCode: "SAVE10",
					Totals: market.Totals{Subtotal: 3000, Discount: 300, Tax: 219, Total: 2919}, BillingAddressID: "adr_1", PaymentID: "pay_1",
					Source: "portal", CreatedAt: tµ, Lines: []market.Line{
						{Type: market.ItemType("subscription"), Description: "Plan", Quantity: 2, UnitAmount: 1000, Amount: 2000, Discount: 300,
							TaxRate: money.MustRate("8.1"), Tax: 138, Plan: "pln", TermMonths: 12, SubscriptionID: "sub_1"},
						{Type: market.ItemType("number"), Description: "+1 212", Quantity: 1, UnitAmount: 1000, Amount: 1000,
							TaxRate: money.MustRate("8.1"), Tax: 81, NumberID: "num_1", PhoneNumber: "+12125550100"}}}
				must(t, q.InsertOrder(ctx, o))
				got, err := q.Order(ctx, "cus_1", "ord_1")
				must(t, err)
				o.CreatedAt = µs(tµ)
				eq(t, "order", got, o)
			})
			t.Run("TotalsDoNotAddUp", func(t *testing.T) { // CHECK (total = subtotal - discount + tax)
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				err := q.InsertOrder(ctx, market.Order{ID: "ord_1", CustomerID: "cus_1", Status: "paid", Currency: "CHF",
					Totals: market.Totals{Subtotal: 10, Total: 11}, CreatedAt: tµ})
				if err == nil {
					t.Error("an order whose totals do not add up was stored")
				}
			})
		},
		"Q.Order": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxOrder(t, q, "cus_1", "ord_1", 100)
			o, err := q.Order(ctx, "", "ord_1") // any customer (operator)
			must(t, err)
			eq(t, "lines", len(o.Lines), 1)
			_, err = q.Order(ctx, "cus_2", "ord_1")
			wantNotFound(t, err)
			_, err = q.Order(ctx, "", "ord_none")
			wantNotFound(t, err)
		},
		"Q.Orders": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := fxOrder(t, q, "cus_1", "ord_a", 100)
			b := fxOrder(t, q, "cus_1", "ord_b", 200)
			os, err := q.Orders(ctx, "cus_1", store.Page{})
			must(t, err)
			eq(t, "orders with lines, newest first", os, []market.Order{b, a})
			os, err = q.Orders(ctx, "cus_1", store.Page{After: "ord_b"})
			must(t, err)
			eq(t, "after", os, []market.Order{a})
		},
		"Q.HasPaidOrders": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxOrder(t, q, "cus_1", "ord_1", 100) // a top-up only: no purchase
			ok, err := q.HasPaidOrders(ctx, "cus_1")
			must(t, err)
			eq(t, "after a top-up", ok, false)
			must(t, q.InsertOrder(ctx, market.Order{ID: "ord_2", CustomerID: "cus_1", Status: "paid", Currency: "CHF",
				Totals: market.Totals{Subtotal: 50, Total: 50}, CreatedAt: tµ,
				Lines: []market.Line{{Type: market.ItemType("subscription"), Quantity: 1, UnitAmount: 50, Amount: 50}}}))
			ok, err = q.HasPaidOrders(ctx, "cus_1")
			must(t, err)
			eq(t, "after a purchase", ok, true)
		},
		"Q.AddRefunded": func(t *testing.T, st *store.Store) {
			t.Run("Refunds", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxOrder(t, q, "cus_1", "ord_1", 100)
				must(t, q.AddRefunded(ctx, "ord_1", 40))
				o, err := q.Order(ctx, "cus_1", "ord_1")
				must(t, err)
				eq(t, "partial", words(o.Status, o.Refunded), "partially_refunded 40")
				must(t, q.AddRefunded(ctx, "ord_1", 60))
				o, err = q.Order(ctx, "cus_1", "ord_1")
				must(t, err)
				eq(t, "full", words(o.Status, o.Refunded), "refunded 100")
				wantNotFound(t, q.AddRefunded(ctx, "ord_none", 1))
			})
			t.Run("MoreThanTheTotal", func(t *testing.T) { // CHECK (refunded <= total)
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxOrder(t, q, "cus_1", "ord_1", 100)
				wantCode(t, q.AddRefunded(ctx, "ord_1", 101), market.CodeInvalidRequest, "amount")
			})
		},
		"Q.OrderItemRefunds": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxOrder(t, q, "cus_1", "ord_1", 100)
			got, err := q.OrderItemRefunds(ctx, "ord_1")
			must(t, err)
			eq(t, "a line, nothing refunded", got, []market.ItemRefund{{Seq: 1}})
			got, err = q.OrderItemRefunds(ctx, "ord_none")
			must(t, err)
			eq(t, "unknown order", len(got), 0)
		},
		"Q.AddItemRefund": func(t *testing.T, st *store.Store) {
			t.Run("AddsUpAndRevokesOnce", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxOrder(t, q, "cus_1", "ord_1", 100)
				must(t, q.AddItemRefund(ctx, "ord_1", market.ItemRefund{Seq: 1, Net: 40}))
				at := tµ
				must(t, q.AddItemRefund(ctx, "ord_1", market.ItemRefund{Seq: 1, Net: 60, RevokedAt: &at}))
				got, err := q.OrderItemRefunds(ctx, "ord_1")
				must(t, err)
				rev := µs(tµ)
				eq(t, "refunded and revoked", got, []market.ItemRefund{{Seq: 1, Net: 100, RevokedAt: &rev}})
				wantCode(t, q.AddItemRefund(ctx, "ord_1", market.ItemRefund{Seq: 1, RevokedAt: &at}), market.CodeInvalidRequest, "items")
				wantNotFound(t, q.AddItemRefund(ctx, "ord_1", market.ItemRefund{Seq: 2, Net: 1}))
			})
			t.Run("MoreThanTheLine", func(t *testing.T) { // CHECK (refunded_net <= amount - discount), (refunded_tax <= tax)
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxOrder(t, q, "cus_1", "ord_1", 100)
				wantCode(t, q.AddItemRefund(ctx, "ord_1", market.ItemRefund{Seq: 1, Net: 101}), market.CodeInvalidRequest, "items")
			})
			t.Run("TaxMoreThanTheLine", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxOrder(t, q, "cus_1", "ord_1", 100)
				wantCode(t, q.AddItemRefund(ctx, "ord_1", market.ItemRefund{Seq: 1, Tax: 1}), market.CodeInvalidRequest, "items")
			})
		},
		"Q.NextInvoiceSeq": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			for _, c := range []struct{ year, want int }{{2026, 1}, {2026, 2}, {2027, 1}, {2026, 3}} {
				n, err := q.NextInvoiceSeq(ctx, c.year)
				must(t, err)
				eq(t, words("seq of", c.year), n, c.want)
			}
		},
		"Q.InsertInvoice": func(t *testing.T, st *store.Store) {
			t.Run("ReadsBack", func(t *testing.T) {
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				want := fxInvoice(t, q, "cus_1", "inv_1", 2026, 1)
				got, err := q.Invoice(ctx, "cus_1", "inv_1")
				must(t, err)
				eq(t, "invoice", got, want)
			})
			t.Run("SameNumber", func(t *testing.T) { // UNIQUE (year, seq): the sequence never hands it out twice
				q := txQ(t, st)
				fxCustomer(t, q, "cus_1")
				fxInvoice(t, q, "cus_1", "inv_1", 2026, 1)
				v := market.Invoice{ID: "inv_2", CustomerID: "cus_1", Kind: "invoice", Number: "other", Year: 2026, Seq: 1, IssuedAt: tµ}
				if err := q.InsertInvoice(ctx, v); err == nil {
					t.Error("a second invoice with the number was stored")
				}
			})
		},
		"Q.Invoice": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxInvoice(t, q, "cus_1", "inv_1", 2026, 1)
			_, err := q.Invoice(ctx, "", "inv_1")
			must(t, err)
			_, err = q.Invoice(ctx, "cus_2", "inv_1")
			wantNotFound(t, err)
			_, err = q.Invoice(ctx, "", "inv_none")
			wantNotFound(t, err)
		},
		"Q.Invoices": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := fxInvoice(t, q, "cus_1", "inv_a", 2026, 1)
			b := fxInvoice(t, q, "cus_1", "inv_b", 2026, 2)
			vs, err := q.Invoices(ctx, "cus_1", store.Page{})
			must(t, err)
			eq(t, "newest first", vs, []market.Invoice{b, a})
			vs, err = q.Invoices(ctx, "cus_1", store.Page{After: "inv_b"})
			must(t, err)
			eq(t, "after", vs, []market.Invoice{a})
		},
		"Q.InvoiceNumbers": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxInvoice(t, q, "cus_1", "inv_1", 2027, 1)
			fxInvoice(t, q, "cus_1", "inv_2", 2026, 2)
			fxInvoice(t, q, "cus_1", "inv_3", 2026, 1)
			ns, err := q.InvoiceNumbers(ctx)
			must(t, err)
			eq(t, "in order", ns, [][2]int{{2026, 1}, {2026, 2}, {2027, 1}})
		},
		"Q.InsertNotification": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			want := fxNotification(t, q, "cus_1", "ntf_1", tµ)
			again := want
			again.ID = "ntf_2"
			ok, err := q.InsertNotification(ctx, again) // same dedupe key
			must(t, err)
			eq(t, "new", ok, false)
			ns, err := q.Notifications(ctx, "cus_1", store.Page{})
			must(t, err)
			eq(t, "notifications", ns, []market.Notification{want})
		},
		"Q.Notifications": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := fxNotification(t, q, "cus_1", "ntf_a", tµ)
			b := fxNotification(t, q, "cus_1", "ntf_b", tµ)
			ns, err := q.Notifications(ctx, "cus_1", store.Page{})
			must(t, err)
			eq(t, "newest first", ns, []market.Notification{b, a})
			ns, err = q.Notifications(ctx, "cus_1", store.Page{After: "ntf_b"})
			must(t, err)
			eq(t, "after", ns, []market.Notification{a})
		},
		"Q.HasNotification": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxNotification(t, q, "cus_1", "ntf_1", tµ)
			for _, c := range []struct {
				cust, id string
				want     bool
			}{{"cus_1", "ntf_1", true}, {"cus_2", "ntf_1", false}, {"cus_1", "ntf_none", false}} {
				ok, err := q.HasNotification(ctx, c.cust, c.id)
				must(t, err)
				eq(t, c.cust+" "+c.id, ok, c.want)
			}
		},
		"Q.NotificationSent": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxNotification(t, q, "cus_1", "ntf_1", tµ)
			ok, err := q.NotificationSent(ctx, "dk_ntf_1")
			must(t, err)
			eq(t, "sent", ok, true)
			ok, err = q.NotificationSent(ctx, "dk_none")
			must(t, err)
			eq(t, "not sent", ok, false)
		},
		"Q.InsertOutbox": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxNotification(t, q, "cus_1", "ntf_1", tµ)
			must(t, q.InsertOutbox(ctx, "out_1", "ntf_1", "a@x.test", tµ))
			n, err := q.OutboxPending(ctx)
			must(t, err)
			eq(t, "pending", n, 1)
			if err := q.InsertOutbox(ctx, "out_2", "ntf_none", "a@x.test", tµ); err == nil {
				t.Error("mail of no notification was queued")
			}
		},
		"Q.LeaseOutbox": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxNotification(t, q, "cus_1", "ntf_1", tµ)
			must(t, q.InsertOutbox(ctx, "out_b", "ntf_1", "b@x.test", tµ))
			must(t, q.InsertOutbox(ctx, "out_a", "ntf_1", "a@x.test", tµ))
			must(t, q.InsertOutbox(ctx, "out_c", "ntf_1", "c@x.test", tµ.Add(-time.Microsecond)))
			must(t, q.InsertOutbox(ctx, "out_later", "ntf_1", "l@x.test", tµ.Add(time.Microsecond)))
			ms, err := q.LeaseOutbox(ctx, tµ, tµ.Add(time.Minute), 10)
			must(t, err)
			var ids []string
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			eq(t, "due, by time then ID", strings.Join(ids, " "), "out_c out_a out_b")
			eq(t, "mail", ms[0], market.OutboxMail{ID: "out_c", Recipient: "c@x.test", Type: "renewal", Subject: "s ntf_1", Body: "b",
				ObjectType: "subscription", ObjectID: "sub_1", CustomerID: "cus_1", NotificationID: "ntf_1"})
			ms, err = q.LeaseOutbox(ctx, tµ.Add(time.Second), tµ.Add(time.Minute), 10)
			must(t, err)
			eq(t, "leased ones are left alone", len(ms), 1) // out_later only
			ms, err = q.LeaseOutbox(ctx, tµ.Add(time.Minute), tµ.Add(2*time.Minute), 1)
			must(t, err)
			eq(t, "lease expired, limit 1", len(ms), 1)
		},
		"Q.MarkSent": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxNotification(t, q, "cus_1", "ntf_1", tµ)
			must(t, q.InsertOutbox(ctx, "out_1", "ntf_1", "a@x.test", tµ))
			must(t, q.MarkSent(ctx, "out_1", tµ))
			n, err := q.OutboxPending(ctx)
			must(t, err)
			eq(t, "pending", n, 0)
			ms, err := q.LeaseOutbox(ctx, tµ.Add(time.Hour), tµ.Add(2*time.Hour), 10)
			must(t, err)
			eq(t, "sent mail is not leased", len(ms), 0)
			wantNotFound(t, q.MarkSent(ctx, "out_none", tµ))
		},
		"Q.MarkFailed": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxNotification(t, q, "cus_1", "ntf_1", tµ)
			must(t, q.InsertOutbox(ctx, "out_1", "ntf_1", "a@x.test", tµ))
			must(t, q.MarkFailed(ctx, "out_1", strings.Repeat("x", 600), tµ.Add(time.Hour)))
			ms, err := q.LeaseOutbox(ctx, tµ.Add(time.Minute), tµ.Add(2*time.Hour), 10)
			must(t, err)
			eq(t, "not due before its next attempt", len(ms), 0)
			ms, err = q.LeaseOutbox(ctx, tµ.Add(time.Hour), tµ.Add(2*time.Hour), 10)
			must(t, err)
			eq(t, "due at its next attempt, attempts counted", len(ms) == 1 && ms[0].Attempts == 1, true)
			wantNotFound(t, q.MarkFailed(ctx, "out_none", "x", tµ))
		},
		"Q.OutboxPending": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			n, err := q.OutboxPending(ctx)
			must(t, err)
			eq(t, "empty outbox", n, 0)
		},
	})
}
