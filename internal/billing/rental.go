package billing

// The monthly life of a phone number (PRODUCT.md "Phone numbers"), run by
// the scheduler from the due dates in the numbers table:
//
//   - A held number renews on its monthly date, renews_at. The dates are
//     calendar months from the purchase, clamped to the month's end (bought
//     on Jan 31: Feb 28, Mar 31, Apr 30, …), so a short month does not pull
//     the later dates forward.
//   - The rental is the number's monthly amount, net, plus tax at the rate of
//     the country of the customer's latest billing address (its sign-up
//     country when none is left), rounded once, like an order line. It is
//     paid from the prepaid balance only. Each paid month is a row of
//     number_rentals, whose key (number, period start) stops a month being
//     charged twice; a payment with purpose "number_rental" and its invoice
//     (no order); and a ledger transaction: balance −total, revenue +net,
//     tax +tax.
//   - When the balance does not cover the rental, the number goes into grace
//     until 7 days after the missed date, with a number_grace notice (once
//     per number and date). Every scan tries the charge again: once a top-up
//     covers it, the missed month is paid and the next date is one month
//     after the missed one.
//   - At the end of the grace the number is released, with a number_released
//     notice, into quarantine for 90 days from the end of the grace; then it
//     is available again.
//
// Each step is one transaction that locks the customer, then the number, and
// re-checks that the step is still due, so a rerun or a second scheduler
// does nothing twice. Steps are stamped with the service's clock (the
// sandbox clock in sandbox mode); periods and deadlines come from the stored
// dates, so a late scan charges the same months and releases on the same
// day as a punctual one.

import (
	"context"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
)

// NumberGrace is how long a number whose rental the balance did not cover
// stays with its customer, counted from the missed monthly date.
const NumberGrace = 7 * 24 * time.Hour

// quarantineBatch is how many numbers one transaction frees from quarantine.
const quarantineBatch = 500

// ProcessNumber does the next step of what is due for a held number at the
// service's current time: charge the month that began at its monthly date,
// or — when the balance does not cover it — put it into grace, or release
// it once the grace is over. It reports whether it changed anything; the
// scheduler calls it until it does not, which catches up on several months
// after a long pause. Errors: not_found (no such number), and the store's.
func (s *Service) ProcessNumber(ctx context.Context, numberID string) (bool, error) {
	var changed bool
	err := s.store.Tx(ctx, func(q *store.Q) error {
		changed = false
		n, err := q.Number(ctx, numberID)
		if err != nil || n.CustomerID == "" {
			return err
		}
		cust, err := q.LockCustomer(ctx, n.CustomerID)
		if err != nil {
			return err
		}
		n, err = q.LockNumber(ctx, cust.ID, numberID)
		if market.IsCode(err, market.CodeNotFound) {
			return nil // released (and maybe sold again) meanwhile
		}
		if err != nil {
			return err
		}
		now := s.now()
		if n.RenewsAt == nil || now.Before(*n.RenewsAt) || (n.Status != store.NumberActive && n.Status != store.NumberGrace) {
			return nil // paid or released by someone else meanwhile
		}
		r, err := rentalOf(ctx, q, cust, n)
		if err != nil {
			return err
		}
		if cust.Balance >= r.totals.Total {
			changed = true
			return s.chargeRental(ctx, q, cust, n, r, now)
		}
		changed, err = s.rentalUnpaid(ctx, q, cust, n, r, now)
		return err
	})
	return changed, err
}

// rental is one month of a number, priced.
type rental struct {
	start, end time.Time
	line       market.Line
	totals     market.Totals
	addr       *store.BillingAddress
}

// rentalOf prices the month of n that begins at its monthly date. A
// number priced in another currency than the account's renews at the
// price list's monthly amount of the day (the list is followed, as
// subscriptions renew at today's prices).
func rentalOf(ctx context.Context, q *store.Q, cust store.Customer, n store.Number) (rental, error) {
	r := rental{start: *n.RenewsAt}
	_, monthly, ok, err := q.NumberPriceFor(ctx, n, cust.Currency)
	if err != nil {
		return r, err
	}
	if !ok {
		return r, fmt.Errorf("number %s is priced in %s and the price list has no %s price for it (customer %s)", n.ID, n.Currency, cust.Currency, cust.ID)
	}
	n.MonthlyAmount = monthly
	r.end = nextRenewal(n.PurchasedAt, r.start)
	addrs, err := q.BillingAddresses(ctx, cust.ID)
	if err != nil {
		return r, err
	}
	country := cust.Country
	if len(addrs) > 0 {
		r.addr = &addrs[len(addrs)-1]
		country = r.addr.Country
	}
	rate, err := q.TaxRateFor(ctx, country)
	if err != nil {
		return r, err
	}
	lines := []market.Line{{Type: market.ItemPhoneNumber, Quantity: 1, UnitAmount: n.MonthlyAmount, Amount: n.MonthlyAmount,
		NumberID: n.ID, PhoneNumber: n.Number, Start: r.start, End: r.end,
		Description: fmt.Sprintf("Phone number %s (%s): monthly rental %s", n.Number, n.Area, dateRange(r.start, r.end))}}
	market.ApplyTax(lines, rate)
	r.line, r.totals = lines[0], market.Sum(lines)
	return r, nil
}

// nextRenewal returns the first monthly date after due: purchase plus a
// whole number of calendar months, clamped to the month's end.
func nextRenewal(purchase *time.Time, due time.Time) time.Time {
	if purchase == nil {
		return market.AddMonths(due, 1)
	}
	// Months between the two dates: the series can only pass due from here.
	k := max(1, (due.Year()-purchase.Year())*12+int(due.Month())-int(purchase.Month()))
	for {
		if t := market.AddMonths(*purchase, k); t.After(due) {
			return t
		}
		k++
	}
}

// chargeRental pays the month r from the balance and moves the number's
// date one month on (ending any grace).
func (s *Service) chargeRental(ctx context.Context, q *store.Q, cust store.Customer, n store.Number, r rental, now time.Time) error {
	pm := store.Payment{ID: s.ids.New("pay"), CustomerID: cust.ID, InvoiceID: s.ids.New("inv"), Purpose: market.PurposeNumberRental,
		Description: r.line.Description, Method: "balance", Amount: r.totals.Total, Currency: cust.Currency, CreatedAt: now}
	if r.totals.Total == 0 {
		pm.ID = "" // a free number: the month is recorded, nothing is charged
	}
	fresh, err := q.RecordNumberRental(ctx, store.NumberRental{NumberID: n.ID, CustomerID: cust.ID, PeriodStart: r.start,
		PaymentID: pm.ID, CreatedAt: now})
	if err != nil {
		return err
	}
	if !fresh {
		// This month is paid already, yet the date did not move: move it
		// without charging again.
		s.log.Warn("number rental already recorded", "number", n.ID, "period_start", r.start)
	} else if pm.ID != "" {
		if err := s.recordRentalPayment(ctx, q, cust, n, r, pm, now); err != nil {
			return err
		}
	}
	n.Status, n.RenewsAt, n.GraceUntil = store.NumberActive, &r.end, nil
	return q.UpdateNumberLifecycle(ctx, n)
}

// recordRentalPayment writes a paid month's payment, ledger transaction and
// invoice.
func (s *Service) recordRentalPayment(ctx context.Context, q *store.Q, cust store.Customer, n store.Number, r rental, pm store.Payment, now time.Time) error {
	if err := q.InsertPayment(ctx, pm); err != nil {
		return err
	}
	cur := cust.Currency
	if err := post(ctx, q, store.LedgerTx{ID: s.ids.New("ltx"), CustomerID: cust.ID, Kind: "number_rental",
		Description: r.line.Description, PaymentID: pm.ID, Currency: cur, CreatedAt: now},
		market.Movement{Payer: market.PayerBalance, Total: r.totals.Total, Revenue: r.totals.Subtotal - r.totals.Discount, Tax: r.totals.Tax}); err != nil {
		return err
	}
	l := r.line
	doc := InvoiceDoc{Kind: "invoice", IssuedAt: now, Seller: s.cfg.Seller, Currency: cur,
		Subtotal: r.totals.Subtotal, Discount: r.totals.Discount, Tax: r.totals.Tax, Total: r.totals.Total,
		PaymentNote: paymentNote(pm), Reference: fmt.Sprintf("Rental of phone number %s (%s)", n.Number, n.ID),
		Lines: []InvoiceLine{{Description: l.Description, Quantity: l.Quantity, UnitAmount: l.UnitAmount, Amount: l.Amount,
			Discount: l.Discount, TaxRate: l.TaxRate.String(), Tax: l.Tax, Total: l.Total()}}}
	doc.BuyerName, doc.BuyerLines, doc.BuyerVATID = buyerOf(cust, r.addr)
	_, err := s.storeInvoice(ctx, q, cust.ID, "", pm.InvoiceID, doc, now)
	return err
}

// rentalUnpaid handles a month the balance does not cover: grace from the
// missed date (with its notice), and release at the grace's end.
func (s *Service) rentalUnpaid(ctx context.Context, q *store.Q, cust store.Customer, n store.Number, r rental, now time.Time) (bool, error) {
	changed := false
	if n.Status == store.NumberActive || n.GraceUntil == nil {
		until := r.start.Add(NumberGrace)
		n.Status, n.GraceUntil = store.NumberGrace, &until
		if err := q.UpdateNumberLifecycle(ctx, n); err != nil {
			return false, err
		}
		f := func(v int64) string { return money.Format(money.New(v, cust.Currency)) }
		if err := s.notifyTx(ctx, q, cust.ID, "number_grace", "Your phone number "+n.Number+" could not be renewed",
			fmt.Sprintf("The monthly rental of %s (%s) of %s was due on %s, and your balance of %s does not cover it. "+
				"Top up by %s to keep the number; after that it is released.", n.Number, n.Area, f(r.totals.Total),
				r.start.Format(time.DateOnly), f(cust.Balance), until.Format(time.DateOnly)),
			"number", n.ID, fmt.Sprintf("number_grace:%s:%d", n.ID, r.start.Unix())); err != nil {
			return false, err
		}
		changed = true
	}
	if now.Before(*n.GraceUntil) {
		return changed, nil
	}
	rel := quarantined(n, *n.GraceUntil)
	if err := q.UpdateNumberLifecycle(ctx, rel); err != nil {
		return false, err
	}
	if err := s.emitNumberReleased(ctx, q, n, rel); err != nil {
		return false, err
	}
	err := s.notifyTx(ctx, q, cust.ID, "number_released", "Your phone number "+n.Number+" was released",
		fmt.Sprintf("The monthly rental of %s (%s), due on %s, was not paid by %s, so the number has been released.",
			n.Number, n.Area, r.start.Format(time.DateOnly), n.GraceUntil.Format(time.DateOnly)),
		"number", n.ID, fmt.Sprintf("number_released:%s:%d", n.ID, r.start.Unix()))
	return true, err
}

// EndNumberQuarantines makes the numbers whose quarantine is over at the
// service's current time available again, and returns how many.
func (s *Service) EndNumberQuarantines(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.store.Tx(ctx, func(q *store.Q) error {
			var err error
			n, err = q.EndQuarantines(ctx, s.now(), quarantineBatch)
			return err
		})
		if err != nil {
			return total, err
		}
		if total += n; n < quarantineBatch {
			return total, nil
		}
	}
}
