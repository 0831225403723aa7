package billing

import (
	"context"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// The operator's reads across customers, for the back office and the
// admin API: customer search, a customer's whole picture, orders and
// subscriptions filtered, an order with its payment, refunds and invoices.
// Lists return one more row than the page's limit when there are more.

// The store's filters the back office names (aliases: the back office does
// not import the store).
type (
	OrderFilter        = store.OrderFilter
	SubscriptionFilter = store.SubscriptionFilter
)

// overviewRows is how many rows of each list a customer's page shows.
const overviewRows = 50

// CustomerOverview is everything the operator sees of a customer.
type CustomerOverview struct {
	Customer      market.Customer
	Balance       BalanceView
	Entries       []market.Entry
	Subscriptions []market.Subscription
	Numbers       []market.Number
	SIPAccounts   []SIPAccountState
	Orders        []market.Order
	Invoices      []market.Invoice
	Notifications []market.Notification
	Logins        []market.User
	// More says which lists have more rows than shown.
	More map[string]bool
}

// SIPAccountState is a SIP account with its registrations now.
type SIPAccountState struct {
	market.SIPAccount
	Registrations []market.SIPBinding
}

// Connected reports whether the account has an unexpired registration.
func (a SIPAccountState) Connected() bool { return len(a.Registrations) > 0 }

// SearchCustomers finds customers by ID, company, e-mail (the account's
// or a login's) or phone number; "" lists them all. Error: invalid_request
// (starting_after) for a cursor that is no customer.
func (s *Service) SearchCustomers(ctx context.Context, term string, page Page) ([]market.Customer, error) {
	q := s.store.Read()
	if page.After != "" {
		if _, err := q.Customer(ctx, page.After); market.IsCode(err, market.CodeNotFound) {
			return nil, market.Invalid("starting_after", "starting_after must be the id of a customer")
		} else if err != nil {
			return nil, err
		}
	}
	if len(term) > 200 {
		return nil, market.Invalid("q", "the search must be at most 200 characters")
	}
	return q.SearchCustomers(ctx, term, page)
}

// CustomerOverview reads a customer's balance and its entries,
// subscriptions with their periods, numbers, SIP accounts with their
// registration state, orders, invoices, notifications and logins (the
// newest 50 of each). Error: not_found.
func (s *Service) CustomerOverview(ctx context.Context, customerID string) (CustomerOverview, error) {
	q := s.store.Read()
	c, err := q.Customer(ctx, customerID)
	if err != nil {
		return CustomerOverview{}, err
	}
	v := CustomerOverview{Customer: c, More: map[string]bool{}}
	page := store.Page{Limit: overviewRows}
	now := s.now()
	var accts []market.SIPAccount
	var binds []market.SIPBinding
	// The reads are independent: they run at once on the read pool (as
	// the dashboard's), so the page waits for the slowest, not the sum of
	// a dozen round trips.
	err = concurrently(
		func() (err error) { v.Balance, err = s.Balance(ctx, c); return err },
		func() (err error) { v.Entries, err = q.BalanceEntries(ctx, c.ID, page); return err },
		func() (err error) { v.Subscriptions, err = q.Subscriptions(ctx, c.ID, page); return err },
		// The newest (a customer may hold thousands).
		func() (err error) { v.Numbers, err = q.NewestCustomerNumbers(ctx, c.ID, overviewRows+1); return err },
		func() (err error) { accts, err = q.SIPAccounts(ctx, c.ID); return err },
		func() (err error) { binds, err = q.CustomerSIPBindings(ctx, c.ID, s.wallNow()); return err },
		func() (err error) { v.Orders, err = q.Orders(ctx, c.ID, page); return err },
		func() (err error) { v.Invoices, err = q.Invoices(ctx, c.ID, page); return err },
		func() (err error) { v.Notifications, err = q.Notifications(ctx, c.ID, page); return err },
		func() (err error) { v.Logins, err = q.Logins(ctx, c.ID); return err },
	)
	if err != nil {
		return v, err
	}
	cut := func(name string, n int) int {
		if n > overviewRows {
			v.More[name] = true
			return overviewRows
		}
		return n
	}
	v.Entries = v.Entries[:cut("entries", len(v.Entries))]
	v.Subscriptions = v.Subscriptions[:cut("subscriptions", len(v.Subscriptions))]
	for i := range v.Subscriptions {
		v.Subscriptions[i].Status = v.Subscriptions[i].StatusAt(now)
	}
	v.Numbers = v.Numbers[:cut("numbers", len(v.Numbers))]
	for _, a := range accts {
		st := SIPAccountState{SIPAccount: a}
		st.Password = ""
		for _, b := range binds {
			if b.SIPAccountID == a.ID {
				st.Registrations = append(st.Registrations, b)
			}
		}
		v.SIPAccounts = append(v.SIPAccounts, st)
	}
	v.Orders = v.Orders[:cut("orders", len(v.Orders))]
	v.Invoices = v.Invoices[:cut("invoices", len(v.Invoices))]
	v.Notifications = v.Notifications[:cut("notifications", len(v.Notifications))]
	for i := range v.Logins {
		v.Logins[i].PasswordHash = ""
	}
	return v, nil
}

// NewOrderFilter reads the filters of the operator's order list: customer,
// status (paid, refunded, partially_refunded…), purpose (of the order's
// payment: subscription, renewal, upgrade, licenses, phone_number, refill,
// order) and from/to, each a date (YYYY-MM-DD, the day included) or an
// RFC 3339 time (to exclusive), in business time. Errors: invalid_request
// (from, to, purpose).
func NewOrderFilter(customer, status, purpose, from, to string) (OrderFilter, error) {
	f := OrderFilter{CustomerID: strings.TrimSpace(customer), Status: strings.TrimSpace(status), Purpose: strings.TrimSpace(purpose)}
	var err error
	if f.From, err = parseBound("from", from, false); err != nil {
		return f, err
	}
	if f.To, err = parseBound("to", to, true); err != nil {
		return f, err
	}
	switch market.Purpose(f.Purpose) {
	case "", market.PurposeSubscription, market.PurposeRenewal, market.PurposeUpgrade, market.PurposeLicenses,
		market.PurposePhoneNumber, market.PurposeRefill, market.PurposeOrder:
	default:
		return f, market.Invalid("purpose", "purpose must be subscription_purchase, renewal, upgrade, licenses, phone_number, balance_refill or order")
	}
	return f, nil
}

// parseBound reads a date (YYYY-MM-DD; as an upper bound the whole day is
// included) or an RFC 3339 time. Error: invalid_request naming the field.
func parseBound(name, v string, upper bool) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse("2006-01-02", v); err == nil {
		if upper {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, market.Invalid(name, "%s must be a date like 2027-02-10 or an RFC 3339 time", name)
	}
	return t.UTC(), nil
}

// AllOrders lists the orders that match f, newest first. Error:
// invalid_request (starting_after) for a cursor that is no order.
func (s *Service) AllOrders(ctx context.Context, f OrderFilter) ([]market.Order, error) {
	q := s.store.Read()
	if f.After != "" {
		if _, err := q.Order(ctx, "", f.After); market.IsCode(err, market.CodeNotFound) {
			return nil, market.Invalid("starting_after", "starting_after must be the id of an order")
		} else if err != nil {
			return nil, err
		}
	}
	return q.AllOrders(ctx, f)
}

// AllSubscriptions lists the subscriptions that match f (its status at
// the service's time), newest first. Errors: invalid_request (status,
// starting_after).
func (s *Service) AllSubscriptions(ctx context.Context, f SubscriptionFilter) ([]market.Subscription, error) {
	q := s.store.Read()
	if f.After != "" {
		if _, err := q.Subscription(ctx, "", f.After); market.IsCode(err, market.CodeNotFound) {
			return nil, market.Invalid("starting_after", "starting_after must be the id of a subscription")
		} else if err != nil {
			return nil, err
		}
	}
	f.Now = s.now()
	subs, err := q.AllSubscriptions(ctx, f)
	for i := range subs {
		subs[i].Status = subs[i].StatusAt(f.Now)
	}
	return subs, err
}

// OrderDetail is an order as the operator sees it.
type OrderDetail struct {
	Order    market.Order
	Customer market.Customer
	Payment  *market.Payment
	// Refunds are the order's refunds, newest first.
	Refunds []market.Payment
	// Invoice is the order's invoice; CreditNotes those of its refunds.
	Invoice     *market.Invoice
	CreditNotes []market.Invoice
}

// Refundable is what is left to refund.
func (d OrderDetail) Refundable() int64 { return d.Order.Totals.Total - d.Order.Refunded }

// OrderDetail reads an order with its customer, payment, refunds, invoice
// and credit notes. Error: not_found.
func (s *Service) OrderDetail(ctx context.Context, orderID string) (OrderDetail, error) {
	q := s.store.Read()
	o, err := q.Order(ctx, "", orderID)
	if err != nil {
		return OrderDetail{}, err
	}
	d := OrderDetail{Order: o}
	if d.Customer, err = q.Customer(ctx, o.CustomerID); err != nil {
		return d, err
	}
	if o.PaymentID != "" {
		pays, err := q.PaymentsByID(ctx, []string{o.PaymentID})
		if err != nil {
			return d, err
		}
		if p, ok := pays[o.PaymentID]; ok {
			d.Payment = &p
		}
		if d.Refunds, err = q.RefundsOf(ctx, o.PaymentID); err != nil {
			return d, err
		}
	}
	invs, err := q.OrderInvoices(ctx, o.ID)
	if err != nil {
		return d, err
	}
	for _, inv := range invs {
		if inv.Kind == "credit_note" {
			d.CreditNotes = append(d.CreditNotes, inv)
		} else {
			d.Invoice = &inv
		}
	}
	return d, nil
}
