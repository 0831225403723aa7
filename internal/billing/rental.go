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
	"github.com/dialtone/dialtone/internal/payment"
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
		if n.RenewsAt == nil || now.Before(*n.RenewsAt) || (n.Status != market.NumberActive && n.Status != market.NumberGrace) {
			return nil // paid or released by someone else meanwhile
		}
		in, pr, err := s.priceRental(ctx, q, cust, n, now)
		if err != nil {
			return err
		}
		if cust.Balance >= pr.totals.Total {
			changed = true
			return s.payRental(ctx, q, pr, in)
		}
		changed, err = s.rentalUnpaid(ctx, q, cust, n, pr.lines[0], pr.totals.Total, now)
		return err
	})
	return changed, err
}

// priceRental prices the month of n that begins at its monthly date as
// an order of the scheduler's, paid from the balance: one number_rental
// item (numberRentalKind).
func (s *Service) priceRental(ctx context.Context, q *store.Q, cust market.Customer, n market.Number, now time.Time) (OrderInput, *pricing, error) {
	in := OrderInput{Items: []ItemInput{{Type: string(itemNumberRental), held: &n}}, Payment: PaymentInput{Method: "balance"}}
	pr, err := s.build(ctx, q, cust, in, now)
	return in, pr, err
}

// payRental pays a priced month from the balance through the checkout
// engine (pay, fulfil): the month's row, the number's next date, and the
// payment with its ledger transaction and invoice.
func (s *Service) payRental(ctx context.Context, q *store.Q, pr *pricing, in OrderInput) error {
	var charge *payment.Charge
	pay, err := s.pay(ctx, q, pr, in.Payment, nil, "", &charge)
	if err != nil {
		return err
	}
	_, err = s.fulfil(ctx, q, pr, "", pay, "auto_rental")
	return err
}

// numberRentalKind is a month of a held number (the file's comment): an
// item of the scheduler's orders only, paid without an order (a payment
// with purpose number_rental, its ledger transaction and invoice).
type numberRentalKind struct{ kindBase }

func (numberRentalKind) Purpose() market.Purpose { return market.PurposeNumberRental }
func (numberRentalKind) Show() Show              { return Show{Label: "Number rental", Nav: "numbers"} }
func (numberRentalKind) orderable() bool         { return false }
func (numberRentalKind) validate(*ItemInput) error {
	return nil
}

// price prices the month of the held number that begins at its monthly
// date, taxed at the country of the customer's latest billing address
// (its sign-up country when none is left). A number priced in another
// currency than the account's renews at the price list's monthly amount
// of the day (the list is followed, as subscriptions renew at today's
// prices).
func (numberRentalKind) price(ctx context.Context, pr *pricing, it ItemInput) (market.Line, error) {
	n, cust := *it.held, pr.cust
	_, monthly, ok, err := pr.q.NumberPriceFor(ctx, n, cust.Currency)
	if err != nil {
		return market.Line{}, err
	}
	if !ok {
		return market.Line{}, fmt.Errorf("number %s is priced in %s and the price list has no %s price for it (customer %s)", n.ID, n.Currency, cust.Currency, cust.ID)
	}
	start := *n.RenewsAt
	end := nextRenewal(n.PurchasedAt, start)
	addrs, err := pr.q.BillingAddresses(ctx, cust.ID)
	if err != nil {
		return market.Line{}, err
	}
	pr.taxCountry = cust.Country
	if len(addrs) > 0 {
		pr.addr = &addrs[len(addrs)-1]
		pr.taxCountry = pr.addr.Country
	}
	if pr.held == nil {
		pr.held = map[string]market.Number{}
	}
	pr.held[n.ID] = n
	return market.Line{Type: itemNumberRental, Quantity: 1, UnitAmount: monthly, Amount: monthly,
		NumberID: n.ID, PhoneNumber: n.Number, Start: start, End: end,
		Description: fmt.Sprintf("Phone number %s (%s): monthly rental %s", n.Number, n.Area, dateRange(start, end))}, nil
}

// fulfil records the paid month (number_rentals' key, number and period
// start, stops a month being charged twice) and moves the number's date
// one month on, ending any grace. A month recorded already, or a free
// one, is not paid again: nothing more is recorded.
func (numberRentalKind) fulfil(ctx context.Context, q *store.Q, pr *pricing, l *market.Line, o market.Order) error {
	n := pr.held[l.NumberID]
	paymentID := o.PaymentID
	if pr.totals.Total == 0 {
		paymentID = "" // a free number: the month is recorded, nothing is charged
	}
	fresh, err := q.RecordNumberRental(ctx, market.NumberRental{NumberID: n.ID, CustomerID: pr.cust.ID, PeriodStart: l.Start,
		PaymentID: paymentID, CreatedAt: pr.now})
	if err != nil {
		return err
	}
	if !fresh {
		// This month is paid already, yet the date did not move: move it
		// without charging again.
		pr.s.log.Warn("number rental already recorded", "number", n.ID, "period_start", l.Start)
	}
	pr.unrecorded = !fresh || paymentID == ""
	end := l.End
	n.Status, n.RenewsAt, n.GraceUntil = market.NumberActive, &end, nil
	return q.UpdateNumberLifecycle(ctx, n)
}

// receipt is the invoice's reference of a paid month.
func (numberRentalKind) receipt(l market.Line) string {
	return fmt.Sprintf("Rental of phone number %s (%s)", l.PhoneNumber, l.NumberID)
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

// rentalUnpaid handles a month the balance does not cover: grace from the
// missed date (with its notice), and release at the grace's end.
func (s *Service) rentalUnpaid(ctx context.Context, q *store.Q, cust market.Customer, n market.Number, r market.Line, total int64, now time.Time) (bool, error) {
	changed := false
	if n.Status == market.NumberActive || n.GraceUntil == nil {
		until := r.Start.Add(NumberGrace)
		n.Status, n.GraceUntil = market.NumberGrace, &until
		if err := q.UpdateNumberLifecycle(ctx, n); err != nil {
			return false, err
		}
		f := func(v int64) string { return money.Format(money.New(v, cust.Currency)) }
		if err := s.notifyTx(ctx, q, cust.ID, "number_grace", "Your phone number "+n.Number+" could not be renewed",
			fmt.Sprintf("The monthly rental of %s (%s) of %s was due on %s, and your balance of %s does not cover it. "+
				"Top up by %s to keep the number; after that it is released.", n.Number, n.Area, f(total),
				r.Start.Format(time.DateOnly), f(cust.Balance), until.Format(time.DateOnly)),
			"number", n.ID, fmt.Sprintf("number_grace:%s:%d", n.ID, r.Start.Unix())); err != nil {
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
			n.Number, n.Area, r.Start.Format(time.DateOnly), n.GraceUntil.Format(time.DateOnly)),
		"number", n.ID, fmt.Sprintf("number_released:%s:%d", n.ID, r.Start.Unix()))
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
