package store_test

import (
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

func dueIDs(ds []store.DueItem) string {
	var s []any
	for _, d := range ds {
		s = append(s, d.ID+"/"+d.CustomerID)
	}
	return words(s...)
}

// Contract: the scheduler's batched runs (store/renewals.go), and the
// mailbox's attachments kept by reference (migration 00034).
func init() {
	addContract(map[string]contractCase{
		"Q.KeepAttachment": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxInvoice(t, q, "cus_1", "inv_1", 2030, 7)
			m := market.MailboxMail{ID: "mbx_1", OutboxID: "out_1", CustomerID: "cus_1", To: "a@x.test", Subject: "s", CreatedAt: tµ,
				Attachments: []market.MailAttachment{{Filename: "invoice.pdf", ContentType: "application/pdf", InvoiceID: "inv_1"},
					{Filename: "kept.txt", ContentType: "text/plain", Content: []byte("bytes")}}}
			_, err := q.InsertMailbox(ctx, m)
			must(t, err)
			got, err := q.MailboxMail(ctx, "cus_1", "mbx_1")
			must(t, err)
			eq(t, "kept by reference: no content until kept", got.Attachments, []market.MailAttachment{
				{Filename: "invoice.pdf", ContentType: "application/pdf", InvoiceID: "inv_1"},
				{Filename: "kept.txt", ContentType: "text/plain", Size: 5, Content: []byte("bytes")}})
			kept, err := q.KeepAttachment(ctx, "mbx_1", 1, []byte("%PDF 2030 7"))
			must(t, err)
			eq(t, "kept", string(kept), "%PDF 2030 7")
			kept, err = q.KeepAttachment(ctx, "mbx_1", 1, []byte("%PDF rendered again"))
			must(t, err)
			eq(t, "a second reader gets the first one kept", string(kept), "%PDF 2030 7")
			if _, err := q.KeepAttachment(ctx, "mbx_1", 3, []byte("x")); !market.IsCode(err, market.CodeNotFound) {
				t.Errorf("KeepAttachment of no attachment = %v, want not_found", err)
			}
			got, err = q.MailboxMail(ctx, "cus_1", "mbx_1")
			must(t, err)
			eq(t, "read again: the kept content", got.Attachments, []market.MailAttachment{
				{Filename: "invoice.pdf", ContentType: "application/pdf", Size: int64(len("%PDF 2030 7")), Content: []byte("%PDF 2030 7"), InvoiceID: "inv_1"},
				{Filename: "kept.txt", ContentType: "text/plain", Size: 5, Content: []byte("bytes")}})
			ls, err := q.Mailbox(ctx, "cus_1", store.Page{Limit: 10})
			must(t, err)
			eq(t, "in lists once read: rendered and kept", ls[0].Attachments[0], market.MailAttachment{Filename: "invoice.pdf",
				ContentType: "application/pdf", Size: int64(len("%PDF 2030 7")), InvoiceID: "inv_1"})
			m.ID, m.OutboxID = "mbx_2", "out_2"
			_, err = q.InsertMailbox(ctx, m)
			must(t, err)
			ls, err = q.Mailbox(ctx, "cus_1", store.Page{Limit: 1})
			must(t, err)
			eq(t, "in lists before it is read: not rendered, size unknown", ls[0].Attachments[0], market.MailAttachment{Filename: "invoice.pdf",
				ContentType: "application/pdf", InvoiceID: "inv_1"})
		},
		"Q.ClaimDueRenewals": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxPlan(t, q, "pln")
			fxSub(t, q, "cus_2", "sub_b", "pln", tµ)
			fxSub(t, q, "cus_1", "sub_a", "pln", tµ)
			fxSub(t, q, "cus_1", "sub_c", "pln", tµ.Add(-time.Hour))
			fxSub(t, q, "cus_1", "sub_later", "pln", tµ.Add(time.Microsecond)) // not due yet
			manual := fxSub(t, q, "cus_1", "sub_manual", "pln", tµ.Add(-time.Hour))
			manual.AutoRenew = false
			must(t, q.UpdateSubscription(ctx, manual, tµ))
			ending := fxSub(t, q, "cus_1", "sub_ending", "pln", tµ.Add(-time.Hour))
			ending.CancelAtPeriodEnd = true
			must(t, q.UpdateSubscription(ctx, ending, tµ))
			waiting := fxSub(t, q, "cus_2", "sub_waiting", "pln", tµ.Add(-2*time.Hour)) // past due, retry later
			waiting.Status, waiting.NextAttemptAt = market.StatusPastDue, ptr(tµ.Add(time.Hour))
			must(t, q.UpdateSubscription(ctx, waiting, tµ))
			retry := fxSub(t, q, "cus_2", "sub_retry", "pln", tµ.Add(-3*time.Hour)) // past due, retry due
			retry.Status, retry.NextAttemptAt = market.StatusPastDue, ptr(tµ)
			must(t, q.UpdateSubscription(ctx, retry, tµ))
			ds, err := q.ClaimDueRenewals(ctx, tµ, store.DueItem{}, 10)
			must(t, err)
			eq(t, "due automatic renewals, by due time then ID", dueIDs(ds), "sub_retry/cus_2 sub_c/cus_1 sub_a/cus_1 sub_b/cus_2")
			eq(t, "due time", ds[1].DueAt, µs(tµ.Add(-time.Hour)))
			ds, err = q.ClaimDueRenewals(ctx, tµ, ds[1], 2)
			must(t, err)
			eq(t, "after the cursor, limited", dueIDs(ds), "sub_a/cus_1 sub_b/cus_2")
			n, err := q.CountDueRenewals(ctx, tµ)
			must(t, err)
			eq(t, "counted", n, 4)
		},
		"Q.SubscriptionRow": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxPlan(t, q, "pln")
			s := fxSub(t, q, "cus_1", "sub_a", "pln", tµ)
			got, err := q.SubscriptionRow(ctx, "cus_1", "sub_a")
			must(t, err)
			want := µsSub(s)
			want.Periods = nil
			eq(t, "the row without periods", got, want)
			got, err = q.SubscriptionRow(ctx, "", "sub_a")
			must(t, err)
			eq(t, "any customer's", got.ID, "sub_a")
			if _, err := q.SubscriptionRow(ctx, "cus_2", "sub_a"); !market.IsCode(err, market.CodeNotFound) {
				t.Errorf("another customer's: %v", err)
			}
		},
		"Q.CountDueRenewals": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			n, err := q.CountDueRenewals(ctx, tµ)
			must(t, err)
			eq(t, "none", n, 0)
			fxCustomer(t, q, "cus_1")
			fxPlan(t, q, "pln")
			fxSub(t, q, "cus_1", "sub_a", "pln", tµ)
			fxSub(t, q, "cus_1", "sub_b", "pln", tµ.Add(time.Hour))
			n, err = q.CountDueRenewals(ctx, tµ)
			must(t, err)
			eq(t, "one due", n, 1)
		},
		"Q.ClaimDueRentals": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxCustomer(t, q, "cus_2")
			fxInventory(t, q)
			must(t, q.ClaimNumber(ctx, "num_3", "cus_2", "", tµ, tµ))
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ))
			must(t, q.ClaimNumber(ctx, "num_7", "cus_1", "", tµ, tµ.Add(-time.Microsecond)))
			must(t, q.ClaimNumber(ctx, "num_8", "cus_1", "", tµ, tµ.Add(time.Microsecond))) // not due yet
			ds, err := q.ClaimDueRentals(ctx, tµ, store.DueItem{}, 10)
			must(t, err)
			eq(t, "due rentals, by date then ID", dueIDs(ds), "num_7/cus_1 num_1/cus_1 num_3/cus_2")
			ds, err = q.ClaimDueRentals(ctx, tµ, ds[1], 1)
			must(t, err)
			eq(t, "after the cursor", dueIDs(ds), "num_3/cus_2")
			eq(t, "due time", ds[0].DueAt, µs(tµ))
		},
		"Q.CountDueRentals": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			fxInventory(t, q)
			must(t, q.ClaimNumber(ctx, "num_1", "cus_1", "", tµ, tµ))
			must(t, q.ClaimNumber(ctx, "num_8", "cus_1", "", tµ, tµ.Add(time.Microsecond)))
			n, err := q.CountDueRentals(ctx, tµ)
			must(t, err)
			eq(t, "one due", n, 1)
		},
	})
}
