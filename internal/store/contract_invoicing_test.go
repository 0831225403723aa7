package store_test

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// fxQueued queues an unnumbered invoice.
func fxQueued(t *testing.T, q *store.Q, customerID, id string, at time.Time) market.Invoice {
	t.Helper()
	v := market.Invoice{ID: id, CustomerID: customerID, OrderID: "ord_" + id, Kind: "invoice", Currency: "CHF",
		Totals: market.Totals{Subtotal: 100, Discount: 1, Tax: 8, Total: 107}, Document: `{"number":""}`, IssuedAt: at}
	must(t, q.QueueInvoice(ctx, v))
	v.IssuedAt, v.Year = µs(at), at.Year()
	return v
}

// Contract: the invoice sequencer's queue (invoice_queue.go), the
// after-commit hook and the statement counter.
func init() {
	addContract(map[string]contractCase{
		"Q.QueueInvoice": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			want := fxQueued(t, q, "cus_1", "inv_1", tµ)
			got, err := q.QueuedInvoices(ctx, 10)
			must(t, err)
			eq(t, "queued", got, []market.Invoice{want})
			// Not an invoice anyone can read until it is numbered.
			_, err = q.Invoice(ctx, "", "inv_1")
			wantNotFound(t, err)
			vs, err := q.Invoices(ctx, "cus_1", store.Page{})
			must(t, err)
			eq(t, "listed", len(vs), 0)
		},
		"Q.QueuedInvoices": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			c := fxQueued(t, q, "cus_1", "inv_c", tµ.Add(time.Second))
			a := fxQueued(t, q, "cus_1", "inv_a", tµ)
			b := fxQueued(t, q, "cus_1", "inv_b", tµ)
			got, err := q.QueuedInvoices(ctx, 10)
			must(t, err)
			eq(t, "oldest first", got, []market.Invoice{a, b, c})
			got, err = q.QueuedInvoices(ctx, 2)
			must(t, err)
			eq(t, "limited", got, []market.Invoice{a, b})
		},
		"Q.TakeInvoiceSeqs": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			for _, c := range []struct{ year, n, want int }{{2026, 3, 1}, {2026, 1, 4}, {2027, 2, 1}, {2026, 5, 5}} {
				first, err := q.TakeInvoiceSeqs(ctx, c.year, c.n)
				must(t, err)
				eq(t, words("first of", c.n, "in", c.year), first, c.want)
			}
			n, err := q.NextInvoiceSeq(ctx, 2026)
			must(t, err)
			eq(t, "next after the ranges", n, 10)
		},
		"Q.InsertInvoices": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			a := fxQueued(t, q, "cus_1", "inv_a", tµ)
			b := fxQueued(t, q, "cus_1", "inv_b", tµ)
			fxQueued(t, q, "cus_1", "inv_c", tµ)
			must(t, q.InsertInvoices(ctx, nil))
			a.Number, a.Seq, a.Document = "2026-000001", 1, `{"number":"2026-000001"}`
			b.Number, b.Seq = "2026-000002", 2
			must(t, q.InsertInvoices(ctx, []market.Invoice{a, b}))
			got, err := q.Invoice(ctx, "cus_1", "inv_a")
			must(t, err)
			eq(t, "numbered", got, a)
			left, err := q.QueuedInvoices(ctx, 10)
			must(t, err)
			eq(t, "left queued", len(left), 1)
			eq(t, "left", left[0].ID, "inv_c")
		},
		"Q.InvoiceRecipients": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			for _, id := range []string{"cus_owner", "cus_billing", "cus_off", "cus_blank"} {
				fxCustomer(t, q, id)
			}
			must(t, q.SetMailSettings(ctx, market.MailSettings{CustomerID: "cus_billing", InvoiceEmails: true, BillingEmail: "ap@x.test"}))
			must(t, q.SetMailSettings(ctx, market.MailSettings{CustomerID: "cus_off", BillingEmail: "ap@x.test"}))
			must(t, q.SetMailSettings(ctx, market.MailSettings{CustomerID: "cus_blank", InvoiceEmails: true}))
			got, err := q.InvoiceRecipients(ctx, []string{"cus_owner", "cus_billing", "cus_off", "cus_blank", "cus_none"})
			must(t, err)
			eq(t, "recipients", got, map[string]string{"cus_owner": "cus_owner@x.test", "cus_billing": "ap@x.test",
				"cus_off": "", "cus_blank": "cus_blank@x.test"})
			got, err = q.InvoiceRecipients(ctx, nil)
			must(t, err)
			eq(t, "none", len(got), 0)
		},
		"Q.LockInvoicing": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.LockInvoicing(ctx))
			must(t, q.LockInvoicing(ctx)) // held already: no wait
		},
		"Q.NumbersInline": func(t *testing.T, st *store.Store) {
			eq(t, "inline", st.Read().NumbersInline(), st.Dialect() == store.SQLite)
		},
		"Q.AfterCommit": func(t *testing.T, st *store.Store) {
			var ran atomic.Int32
			st.Read().AfterCommit(func() { ran.Add(1) })
			eq(t, "outside a transaction: at once", ran.Load(), int32(1))
			err := st.Tx(ctx, func(q *store.Q) error {
				q.AfterCommit(func() { ran.Add(10) })
				return errRollback
			})
			eq(t, "rolled back", err, errRollback)
			eq(t, "not after a rollback", ran.Load(), int32(1))
			must(t, st.Tx(ctx, func(q *store.Q) error {
				q.AfterCommit(func() { ran.Add(100) })
				if ran.Load() != 1 {
					t.Error("ran before the commit")
				}
				return nil
			}))
			eq(t, "after the commit", ran.Load(), int32(101))
		},
		"Store.Statements": func(t *testing.T, st *store.Store) {
			before := st.Statements()
			_, _, err := st.Read().Setting(ctx, "none")
			must(t, err)
			eq(t, "counted", st.Statements()-before, int64(1))
		},
		"Store.OnStatement": func(t *testing.T, st *store.Store) {
			var seen atomic.Value
			st.OnStatement(func(q string) { seen.Store(q) })
			_, _, err := st.Read().Setting(ctx, "none")
			st.OnStatement(nil)
			must(t, err)
			if s, _ := seen.Load().(string); !strings.Contains(s, "FROM settings") {
				t.Errorf("seen %q", s)
			}
			seen.Store("")
			_, _, _ = st.Read().Setting(ctx, "none")
			eq(t, "no longer", seen.Load(), "")
		},
	})
}
