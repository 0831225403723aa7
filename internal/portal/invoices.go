package portal

import (
	"net/http"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
)

// Main settings -> Notifications (what was sent to the customer) and
// Invoices (invoices and credit notes, each shown inside the portal with
// links to its PDF and its print view). Both lists are paged, newest first.

// accountPageSize is how many rows a page of Notifications or Invoices
// shows.
const accountPageSize = 50

// afterParam returns a list's starting_after if it looks like an ID with
// the prefix, else "" (the first page).
func afterParam(r *http.Request, prefix string) string {
	a := r.URL.Query().Get("starting_after")
	if len(a) > 64 || !strings.HasPrefix(a, prefix) {
		return ""
	}
	return a
}

// notificationRow is a notification as the page lists it.
type notificationRow struct {
	market.Notification
	TypeLabel string
	// Object says what it concerns, Link where to see it ("" = no link).
	Object, Link string
	// Email is the page of its kept e-mail ("" when none was kept).
	Email string
}

// notificationsData is the Notifications page: a page of the list, and
// what becomes of e-mails (so that the page claims no e-mail that was
// not sent).
type notificationsData struct {
	listData[notificationRow]
	Mail string // "smtp", "mailbox" or "off"
}

// mailWord names a billing.MailMode for the templates.
func mailWord(m billing.MailMode) string {
	switch m {
	case billing.MailSMTP:
		return "smtp"
	case billing.MailMailbox:
		return "mailbox"
	}
	return "off"
}

// listData is a page of a list with its paging links.
type listData[T any] struct {
	Rows []T
	// Older is the next page's address ("" on the last page); Newest the
	// first page's, once the customer has paged.
	Older, Newest string
}

// notificationLabel says a notification's type in words.
func notificationLabel(typ string) string {
	switch typ {
	case "renewal_reminder":
		return "Renewal reminder"
	case "renewal_upcoming":
		return "Automatic renewal ahead"
	case "renewal_succeeded":
		return "Renewed"
	case "renewal_failed":
		return "Renewal failed"
	case "subscription_expired":
		return "Subscription expired"
	case "subscription_canceled":
		return "Subscription ended"
	case "trial_ending":
		return "Trial ending"
	case "number_grace":
		return "Number rental unpaid"
	case "number_released":
		return "Number released"
	case "sip_account_registered":
		return "SIP account connected"
	case "sip_account_unregistered":
		return "SIP account disconnected"
	case "balance_low":
		return "Low balance"
	case "auto_top_up_failed":
		return "Automatic top-up failed"
	case "invoice_paid":
		return "Invoice"
	case "credit_note_issued":
		return "Credit note"
	}
	return statusLabel(typ)
}

func (s *Handler) NotificationsPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	after := afterParam(r, "ntf_")
	rows, err := s.svc.Reads().Notifications(ctx, p.CustomerID, billing.Page{Limit: accountPageSize, After: after})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := notificationsData{Mail: mailWord(s.svc.MailMode())}
	if len(rows) > accountPageSize {
		rows = rows[:accountPageSize]
		d.Older = pageLink("/notifications", rows[len(rows)-1].ID)
	}
	ids := make([]string, len(rows))
	for i, n := range rows {
		ids[i] = n.ID
	}
	mails, err := s.svc.Reads().MailsOfNotifications(ctx, p.CustomerID, ids)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	if after != "" {
		d.Newest = "/notifications"
	}
	subs, err := s.subRows(ctx, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	subName := make(map[string]string, len(subs))
	for _, row := range subs {
		subName[row.ID] = row.Name()
	}
	nums, err := s.svc.Numbers(ctx, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	number := make(map[string]string, len(nums))
	for _, n := range nums {
		number[n.ID] = n.Number
	}
	sips, err := s.svc.SIPAccounts(ctx, p)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	sipName := make(map[string]string, len(sips))
	for _, a := range sips {
		sipName[a.ID] = "SIP account " + a.Username
		if a.Kind == "trunk" {
			sipName[a.ID] = "SIP trunk " + a.Username
		}
	}
	for _, n := range rows {
		row := notificationRow{Notification: n, TypeLabel: notificationLabel(n.Type), Object: n.ObjectID}
		if _, ok := mails[n.ID]; ok {
			row.Email = "/notifications/" + n.ID + "/email"
		}
		switch n.ObjectType {
		case "invoice":
			row.Link = "/invoices/" + n.ObjectID
		case "subscription":
			if name, ok := subName[n.ObjectID]; ok {
				row.Object, row.Link = name, "/subscriptions/"+n.ObjectID
			}
		case "sip_account":
			row.Link = "/sip/" + n.ObjectID
			if name, ok := sipName[n.ObjectID]; ok {
				row.Object = name
			}
		case "number":
			// A released number is no longer the customer's: no link.
			if num, ok := number[n.ObjectID]; ok {
				row.Object, row.Link = num, "/marketplace/numbers#purchased"
			}
		}
		d.Rows = append(d.Rows, row)
	}
	s.render(w, r, http.StatusOK, "notifications", view{Title: "Notifications", Nav: "notifications", Data: d})
}

// invoiceRow is an invoice or credit note as the list shows it.
type invoiceRow struct {
	market.Invoice
	KindLabel string
	Net       int64
	// For says what it was for (its lines in short).
	For string
}

func kindLabel(kind string) string {
	if kind == "credit_note" {
		return "Credit note"
	}
	return "Invoice"
}

func (s *Handler) InvoicesPage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	after := afterParam(r, "inv_")
	rows, err := s.svc.Invoices(r.Context(), p, billing.Page{Limit: accountPageSize, After: after})
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var d listData[invoiceRow]
	if len(rows) > accountPageSize {
		rows = rows[:accountPageSize]
		d.Older = pageLink("/invoices", rows[len(rows)-1].ID)
	}
	if after != "" {
		d.Newest = "/invoices"
	}
	for _, v := range rows {
		row := invoiceRow{Invoice: v, KindLabel: kindLabel(v.Kind), Net: v.Totals.Subtotal - v.Totals.Discount}
		if _, doc, err := s.svc.Invoice(r.Context(), p, v.ID); err == nil {
			row.For = doc.Summary()
		}
		d.Rows = append(d.Rows, row)
	}
	s.render(w, r, http.StatusOK, "invoices", view{Title: "Invoices", Nav: "invoices", Data: d})
}

// invoiceData is one invoice shown in the portal.
type invoiceData struct {
	Invoice   market.Invoice
	Doc       billing.InvoiceDoc
	KindLabel string
	// Discounted: some line has a discount (the column is shown).
	Discounted bool
	IssuedAt   time.Time
}

func (s *Handler) InvoicePage(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	v, doc, err := s.svc.Invoice(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	d := invoiceData{Invoice: v, Doc: doc, KindLabel: kindLabel(doc.Kind), IssuedAt: doc.IssuedAt}
	for _, l := range doc.Lines {
		d.Discounted = d.Discounted || l.Discount != 0
	}
	s.render(w, r, http.StatusOK, "invoices_view", view{Title: d.KindLabel + " " + doc.Number, Nav: "invoices", Data: d})
}
