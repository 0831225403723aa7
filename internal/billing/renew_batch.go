package billing

// Batched renewal runs (issue #18): the scheduler renews many due,
// balance-paid automatic renewals — and charges many due number rentals —
// per transaction instead of one transaction each.
//
//   - A batch's transaction claims its due work with the customers locked
//     (store.ClaimDueRenewals / ClaimDueRentals: on PostgreSQL FOR UPDATE
//     SKIP LOCKED, so schedulers in several processes take disjoint
//     batches), re-reads every item under that lock and re-checks that it
//     is still due.
//   - An item the balance covers is renewed by the order path's own pricing
//     and fulfilment (build, pay, fulfil: today's prices, the billing
//     address's tax, the period from the due time) with its success notice,
//     or charged as a rental (priceRental, payRental: the same engine).
//   - Everything else — a card payment, a balance that does not cover it, a
//     price that is gone, an expiry, a cancellation, a grace or release — is
//     left untouched and handed back, for the one-at-a-time path
//     (ProcessSubscription, ProcessNumber), which charges cards outside any
//     batch and writes the failure notices and dunning retries.
//   - The batch's invoices are numbered last, in one block of the year's
//     gapless sequence (numberInvoices), and inserted in one statement: the
//     sequence's row is locked only from there to the commit.
//   - A batch is all or nothing: if its transaction fails, nothing of it
//     stays and the scheduler runs its items one at a time.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// Batch is what one batch did.
type Batch struct {
	// Claimed are the items the batch claimed, in claim order; the last is
	// the cursor of the next batch. Set also when the batch failed.
	Claimed []store.DueItem
	// Done counts the items renewed (or charged) by the batch; Gone those
	// no longer due when the batch got to them (done by someone else).
	Done, Gone int
	// Rest are the claimed items the batch left for the one-at-a-time path.
	Rest []string
}

// RenewBatch renews up to limit due automatic renewals after the cursor
// that the balance covers, in one transaction (see the file's comment).
// On error nothing of the batch stays; Claimed says what it had claimed.
func (s *Service) RenewBatch(ctx context.Context, after store.DueItem, limit int) (Batch, error) {
	return s.runBatch(ctx, func(q *store.Q, now time.Time) ([]store.DueItem, error) {
		due, err := q.ClaimDueRenewals(ctx, now, after, limit)
		if err != nil {
			return nil, err
		}
		return due, q.PreloadRenewals(ctx, due)
	}, s.renewInBatch)
}

// RentBatch charges up to limit due number rentals after the cursor that
// the balance covers, in one transaction, as RenewBatch does.
func (s *Service) RentBatch(ctx context.Context, after store.DueItem, limit int) (Batch, error) {
	return s.runBatch(ctx, func(q *store.Q, now time.Time) ([]store.DueItem, error) {
		due, err := q.ClaimDueRentals(ctx, now, after, limit)
		if err != nil {
			return nil, err
		}
		return due, q.PreloadRentals(ctx, due)
	}, s.rentInBatch)
}

func (s *Service) runBatch(ctx context.Context, claim func(*store.Q, time.Time) ([]store.DueItem, error),
	one func(context.Context, *store.Q, store.DueItem, time.Time) (outcome, error)) (Batch, error) {
	var b Batch
	err := s.store.Tx(ctx, func(q *store.Q) error {
		b = Batch{}
		now := s.now()
		// The batch's writes kept and written together, its reads done
		// for all its items at once by the claim (store/batch.go).
		q.BeginBatch()
		due, err := claim(q, now)
		b.Claimed = due
		if err != nil {
			return err
		}
		ib := &invoiceBatch{}
		bctx := context.WithValue(ctx, invoiceBatchKey{}, ib)
		for _, d := range due {
			res, err := one(bctx, q, d, now)
			if err != nil {
				return fmt.Errorf("batch: %s: %w", d.ID, err)
			}
			switch res {
			case paidInBatch:
				b.Done++
			case notDue:
				b.Gone++
			default:
				b.Rest = append(b.Rest, d.ID)
			}
		}
		if err := s.numberInvoices(ctx, q, ib.items); err != nil {
			return err
		}
		return q.FlushBatch(ctx)
	})
	if err != nil {
		b.Done, b.Gone, b.Rest = 0, 0, nil
	}
	return b, err
}

// outcome is what a batch did with one item.
type outcome int

const (
	leftForOne  outcome = iota // left for the one-at-a-time path
	paidInBatch                // renewed or charged
	notDue                     // no longer due: done by someone else meanwhile
)

// renewInBatch renews one claimed subscription from the balance, or
// leaves it (leftForOne) to ProcessSubscription. Its customer is locked.
// A subscription no longer due (renewed meanwhile) is notDue.
func (s *Service) renewInBatch(ctx context.Context, q *store.Q, d store.DueItem, now time.Time) (outcome, error) {
	sub, err := q.SubscriptionRow(ctx, d.CustomerID, d.ID)
	if err != nil {
		return leftForOne, err
	}
	due := (sub.Status == market.StatusActive || sub.Status == market.StatusTrialing) && !now.Before(sub.ExpiresAt) ||
		sub.Status == market.StatusPastDue && sub.NextAttemptAt != nil && !now.Before(*sub.NextAttemptAt)
	if !due {
		return notDue, nil
	}
	if !sub.AutoRenew || sub.CancelAtPeriodEnd {
		return leftForOne, nil
	}
	cust, err := q.LockCustomer(ctx, sub.CustomerID)
	if err != nil {
		return leftForOne, err
	}
	in := OrderInput{Items: []ItemInput{{Type: string(market.ItemRenewal), Subscription: sub.ID, ifExpiresAt: sub.ExpiresAt,
		renewFrom: renewalDue(sub)}}, Payment: PaymentInput{Method: "balance"}}
	addrs, err := q.BillingAddresses(ctx, sub.CustomerID)
	if err != nil {
		return leftForOne, err
	}
	if len(addrs) > 0 {
		in.BillingAddress = addrs[len(addrs)-1].ID
	}
	pr, err := s.build(ctx, q, cust, in, now)
	if errors.Is(err, errAlreadyRenewed) {
		return notDue, nil
	}
	if err != nil {
		if market.ErrorCode(err) == market.CodeInternal {
			return leftForOne, err
		}
		return leftForOne, nil // it cannot be priced: the one-at-a-time path says why
	}
	if cust.Balance < pr.totals.Total {
		return leftForOne, nil // a card, or a failure notice
	}
	orderID := s.ids.New("ord")
	var charge *payment.Charge
	pay, err := s.pay(ctx, q, pr, in.Payment, nil, orderID, &charge)
	if err != nil {
		return leftForOne, nil
	}
	if _, err := s.fulfil(ctx, q, pr, orderID, pay, "auto_renewal"); err != nil {
		return leftForOne, err
	}
	total := money.New(pr.totals.Total, cust.Currency)
	until := ""
	if n := len(pr.lines); n > 0 && !pr.lines[n-1].End.IsZero() {
		until = " until " + pr.lines[n-1].End.Format(time.DateOnly)
	}
	// The plan as priced (subName would read it again) and the owner's
	// e-mail as locked: fewer statements than notifyTx, the same notice.
	pl, err := pr.plan(ctx, sub.Plan)
	if err != nil {
		pl = market.Plan{Code: sub.Plan}
	}
	// The licenses as the subscription had them (its stored periods, as
	// priced; sub was read without them).
	if w := pr.subs[sub.ID]; w != nil {
		sub.Periods = w.sub.Periods[:w.orig]
	}
	return paidInBatch, s.notifyToTx(ctx, q, sub.CustomerID, cust.Email, "renewal_succeeded", "Your subscription was renewed",
		fmt.Sprintf("%s was renewed automatically%s. We charged %s %s.", subWords(pl, sub.Quantity(now)), until, money.Format(total),
			"from your prepaid balance"),
		"subscription", sub.ID, fmt.Sprintf("renewal_succeeded:%s:%d", sub.ID, sub.ExpiresAt.Unix()))
}

// rentInBatch charges one claimed number's due month from the balance, or
// leaves it (grace, release, a missing price) to ProcessNumber; notDue once
// charged or released meanwhile.
func (s *Service) rentInBatch(ctx context.Context, q *store.Q, d store.DueItem, now time.Time) (outcome, error) {
	cust, err := q.LockCustomer(ctx, d.CustomerID)
	if err != nil {
		return leftForOne, err
	}
	n, err := q.LockNumber(ctx, cust.ID, d.ID)
	if market.IsCode(err, market.CodeNotFound) {
		return notDue, nil // released meanwhile
	}
	if err != nil {
		return leftForOne, err
	}
	if n.RenewsAt == nil || now.Before(*n.RenewsAt) || (n.Status != market.NumberActive && n.Status != market.NumberGrace) {
		return notDue, nil
	}
	in, pr, err := s.priceRental(ctx, q, cust, n, now)
	if err != nil || cust.Balance < pr.totals.Total {
		return leftForOne, nil
	}
	return paidInBatch, s.payRental(ctx, q, pr, in)
}

// invoiceBatch is what a batch's transaction keeps while it runs: its
// invoices, unnumbered, for numberInvoices.
type invoiceBatch struct {
	items []batchedInvoice
}

type batchedInvoice struct {
	v   market.Invoice
	doc InvoiceDoc
}

type invoiceBatchKey struct{}

// deferInvoice keeps an invoice for its batch's numberInvoices when ctx is
// a batch's, and reports whether it did (storeInvoice's hook).
func deferInvoice(ctx context.Context, v market.Invoice, doc InvoiceDoc) bool {
	b, ok := ctx.Value(invoiceBatchKey{}).(*invoiceBatch)
	if ok {
		b.items = append(b.items, batchedInvoice{v: v, doc: doc})
	}
	return ok
}

// numberInvoices numbers a batch's invoices and stores them with their
// e-mails (issueNumbered, as the sequencer's pass does): the one place the
// batched runs take invoice numbers, as the last statements of the
// transaction.
func (s *Service) numberInvoices(ctx context.Context, q *store.Q, items []batchedInvoice) error {
	return s.issueNumbered(ctx, q, items)
}
