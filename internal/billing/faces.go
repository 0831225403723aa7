package billing

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// The faces (the API, the portal, the back office) reach data through
// this package only: these are the store's filters they name, and Reads the
// plain reads they make that need no use case (the caller's own objects,
// by the customer ID of its principal).
type (
	PaymentFilter = store.PaymentFilter
	NumberSearch  = store.NumberSearch
)

// BadText reports whether err is a store's refusal of text it cannot
// keep alike on both stores (a NUL character, invalid UTF-8).
func BadText(err error) bool { return store.BadText(err) }

// Reads are the faces' plain reads (Service.Reads).
type Reads struct{ q *store.Q }

// Reads returns the plain reads of the faces.
func (s *Service) Reads() Reads { return Reads{q: s.store.Read()} }

// PaymentByID is a payment by its ID.
func (r Reads) PaymentByID(ctx context.Context, id string) (market.Payment, error) {
	return r.q.PaymentByID(ctx, id)
}

// PaymentsByID are payments by their IDs.
func (r Reads) PaymentsByID(ctx context.Context, ids []string) (map[string]market.Payment, error) {
	return r.q.PaymentsByID(ctx, ids)
}

// HasBalanceEntry reports whether the customer's balance has an entry of
// the transaction.
func (r Reads) HasBalanceEntry(ctx context.Context, customerID, transactionID string) (bool, error) {
	return r.q.HasBalanceEntry(ctx, customerID, transactionID)
}

// AdminNumbers is the number inventory by status (the operator's).
func (r Reads) AdminNumbers(ctx context.Context, status string, p Page) ([]market.Number, error) {
	return r.q.AdminNumbers(ctx, status, p)
}

// MailsOfNotifications are the sandbox mailbox's e-mails of notifications.
func (r Reads) MailsOfNotifications(ctx context.Context, customerID string, notificationIDs []string) (map[string]string, error) {
	return r.q.MailsOfNotifications(ctx, customerID, notificationIDs)
}

// MailboxMail is one e-mail of the sandbox mailbox.
func (r Reads) MailboxMail(ctx context.Context, customerID, id string) (market.MailboxMail, error) {
	return mailWithAttachments(ctx, r.q, customerID, id)
}

// NumberCountries are the countries with numbers priced in currency.
func (r Reads) NumberCountries(ctx context.Context, currency string) ([]market.Facet, error) {
	return r.q.NumberCountries(ctx, currency)
}

// NumberStates are a country's states with numbers priced in currency.
func (r Reads) NumberStates(ctx context.Context, country, currency string) ([]market.Facet, error) {
	return r.q.NumberStates(ctx, country, currency)
}

// NumberAreas are a country's (and state's) areas with numbers priced in
// currency.
func (r Reads) NumberAreas(ctx context.Context, country, state, currency string) ([]market.Facet, error) {
	return r.q.NumberAreas(ctx, country, state, currency)
}

// AvailableNumbers are the numbers for sale that match a search.
func (r Reads) AvailableNumbers(ctx context.Context, s NumberSearch) ([]market.Number, error) {
	return r.q.AvailableNumbers(ctx, s)
}

// Number is a number by its ID.
func (r Reads) Number(ctx context.Context, id string) (market.Number, error) {
	return r.q.Number(ctx, id)
}

// CustomerNumber is a number the customer holds.
func (r Reads) CustomerNumber(ctx context.Context, customerID, id string) (market.Number, error) {
	return r.q.CustomerNumber(ctx, customerID, id)
}

// CustomerSIPBindings are the registrations of the customer's SIP accounts.
func (r Reads) CustomerSIPBindings(ctx context.Context, customerID string, now time.Time) ([]market.SIPBinding, error) {
	return r.q.CustomerSIPBindings(ctx, customerID, now)
}

// HasNotification reports whether the customer has the notification.
func (r Reads) HasNotification(ctx context.Context, customerID, id string) (bool, error) {
	return r.q.HasNotification(ctx, customerID, id)
}

// Notifications are what was sent to the customer, newest first.
func (r Reads) Notifications(ctx context.Context, customerID string, p Page) ([]market.Notification, error) {
	return r.q.Notifications(ctx, customerID, p)
}

// Invoice is one of the customer's invoices.
func (r Reads) Invoice(ctx context.Context, customerID, id string) (market.Invoice, error) {
	return r.q.Invoice(ctx, customerID, id)
}

// CartCount is how many items the customer's cart holds.
func (r Reads) CartCount(ctx context.Context, customerID string) (int, error) {
	return r.q.CartCount(ctx, customerID)
}

// NotificationMail returns the kept e-mail of one of the customer's
// notifications. Error: not_found (no such notification, or no e-mail
// kept for it: with SMTP the e-mail went out and is not kept).
func (r Reads) NotificationMail(ctx context.Context, customerID, notificationID string) (market.MailboxMail, error) {
	ids, err := r.MailsOfNotifications(ctx, customerID, []string{notificationID})
	if err != nil {
		return market.MailboxMail{}, err
	}
	id, ok := ids[notificationID]
	if !ok {
		return market.MailboxMail{}, market.NotFound("e-mail of the notification")
	}
	return r.MailboxMail(ctx, customerID, id)
}

// SIPRegistrations reads the live SIP bindings of a customer's accounts.
// Bindings expire on the wall clock, not the business clock: a phone's
// registration is real-world protocol time (internal/sip).
func (r Reads) SIPRegistrations(ctx context.Context, customerID string) ([]market.SIPBinding, error) {
	return r.CustomerSIPBindings(ctx, customerID, time.Now())
}

// SIPLines are a customer's SIP accounts as a face shows them: the
// accounts, the numbers the customer holds (each routed to one account or
// none) and the live bindings of its accounts (SIPRegistrations).
type SIPLines struct {
	Accounts []market.SIPAccount
	Numbers  []market.Number
	Bindings []market.SIPBinding
}

// SIPLines reads a customer's SIP accounts with its numbers and the live
// bindings.
func (r Reads) SIPLines(ctx context.Context, customerID string) (SIPLines, error) {
	var l SIPLines
	var err error
	if l.Accounts, err = r.q.SIPAccounts(ctx, customerID); err != nil {
		return SIPLines{}, err
	}
	if l.Numbers, err = r.q.CustomerNumbers(ctx, customerID); err != nil {
		return SIPLines{}, err
	}
	if l.Bindings, err = r.SIPRegistrations(ctx, customerID); err != nil {
		return SIPLines{}, err
	}
	return l, nil
}

// ConnectedSince maps each of the customer's SIP accounts that is
// reachable now (has a live binding) to since when: its oldest live
// binding's first registration.
func (r Reads) ConnectedSince(ctx context.Context, customerID string) (map[string]time.Time, error) {
	regs, err := r.SIPRegistrations(ctx, customerID)
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	for _, b := range regs {
		if at, ok := out[b.SIPAccountID]; !ok || b.CreatedAt.Before(at) {
			out[b.SIPAccountID] = b.CreatedAt
		}
	}
	return out, nil
}
