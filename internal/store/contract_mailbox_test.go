package store_test

import (
	"testing"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// Contract: the sandbox mailbox and the invoice e-mail settings
// (migration 00021).
func init() {
	fxMail := func(t *testing.T, q *store.Q, id, outbox, customer string) market.MailboxMail {
		t.Helper()
		m := market.MailboxMail{ID: id, OutboxID: outbox, CustomerID: customer, NotificationID: "ntf_" + id, To: "ann@acme.test",
			Subject: "Subject " + id, Text: "text " + id, HTML: "<p>html " + id + "</p>", CreatedAt: tµ,
			Attachments: []market.MailAttachment{{Filename: "invoice.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.3 \x00\xff")}}}
		ok, err := q.InsertMailbox(ctx, m)
		must(t, err)
		eq(t, "new "+id, ok, true)
		m.Attachments[0].Size = int64(len(m.Attachments[0].Content))
		m.CreatedAt = µs(tµ)
		return m
	}
	list := func(m market.MailboxMail) market.MailboxMail {
		a := append([]market.MailAttachment{}, m.Attachments...)
		for i := range a {
			a[i].Content = nil
		}
		m.Attachments = a
		return m
	}
	addContract(map[string]contractCase{
		"Q.InsertMailbox": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			m := fxMail(t, q, "mbx_1", "out_1", "cus_1")
			again := m
			again.ID = "mbx_2"
			ok, err := q.InsertMailbox(ctx, again) // the same outbox row
			must(t, err)
			eq(t, "kept twice", ok, false)
			got, err := q.MailboxMail(ctx, "", "mbx_1")
			must(t, err)
			eq(t, "read back", got, m)
		},
		"Q.Mailbox": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			a := fxMail(t, q, "mbx_a", "out_a", "cus_1")
			b := fxMail(t, q, "mbx_b", "out_b", "cus_2")
			got, err := q.Mailbox(ctx, "", store.Page{})
			must(t, err)
			eq(t, "all, newest first", got, []market.MailboxMail{list(b), list(a)})
			got, err = q.Mailbox(ctx, "", store.Page{After: "mbx_b"})
			must(t, err)
			eq(t, "after", got, []market.MailboxMail{list(a)})
			got, err = q.Mailbox(ctx, "cus_1", store.Page{})
			must(t, err)
			eq(t, "one customer's", got, []market.MailboxMail{list(a)})
		},
		"Q.MailboxMail": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			m := fxMail(t, q, "mbx_1", "out_1", "cus_1")
			got, err := q.MailboxMail(ctx, "cus_1", "mbx_1")
			must(t, err)
			eq(t, "own", got, m)
			_, err = q.MailboxMail(ctx, "cus_2", "mbx_1")
			eq(t, "another customer's", market.IsCode(err, market.CodeNotFound), true)
			_, err = q.MailboxMail(ctx, "", "mbx_none")
			eq(t, "unknown", market.IsCode(err, market.CodeNotFound), true)
		},
		"Q.MailsOfNotifications": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxMail(t, q, "mbx_1", "out_1", "cus_1")
			fxMail(t, q, "mbx_2", "out_2", "cus_2")
			got, err := q.MailsOfNotifications(ctx, "cus_1", []string{"ntf_mbx_1", "ntf_mbx_2", "ntf_none"})
			must(t, err)
			eq(t, "own only", got, map[string]string{"ntf_mbx_1": "mbx_1"})
		},
		"Q.MailSettings": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			got, err := q.MailSettings(ctx, "cus_none")
			must(t, err)
			eq(t, "never set", got, market.MailSettings{CustomerID: "cus_none", InvoiceEmails: true})
		},
		"Q.SetMailSettings": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			fxCustomer(t, q, "cus_1")
			for _, want := range []market.MailSettings{{CustomerID: "cus_1", BillingEmail: "books@acme.test"},
				{CustomerID: "cus_1", InvoiceEmails: true}} {
				must(t, q.SetMailSettings(ctx, want))
				got, err := q.MailSettings(ctx, "cus_1")
				must(t, err)
				eq(t, "read back", got, want)
			}
			err := q.SetMailSettings(ctx, market.MailSettings{CustomerID: "cus_none"})
			if err == nil {
				t.Error("settings of an unknown customer: no error")
			}
		},
	})
}
