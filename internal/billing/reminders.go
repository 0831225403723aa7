package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

const day = 24 * time.Hour

// ReminderOffsets are how long before expires_at reminders go out: 14, 7
// and 1 days for subscriptions that will not renew by themselves, 7 days for
// the notice of an automatic renewal, 7 and 1 days before a trial ends.
func ReminderOffsets() []time.Duration { return []time.Duration{14 * day, 7 * day, 1 * day} }

// SendReminders sends every reminder due now that has not been sent: each
// once per subscription period (the notification's dedupe key names the
// subscription, its expires_at and the offset), however often it runs.
func (s *Service) SendReminders(ctx context.Context) error {
	now := s.now()
	subs, err := s.store.Read().EndingBetween(ctx, now, now.Add(ReminderOffsets()[0]))
	if err != nil {
		return err
	}
	for _, u := range subs {
		for _, off := range ReminderOffsets() {
			if now.Before(u.ExpiresAt.Add(-off)) {
				continue
			}
			days := int(off / day)
			key := fmt.Sprintf("%s:%d:%d", u.ID, u.ExpiresAt.Unix(), days)
			typ := "renewal_reminder"
			switch {
			case u.Status == market.StatusTrialing:
				typ = "trial_ending"
			case u.AutoRenew && !u.Canceled:
				typ = "renewal_upcoming"
			}
			// Skip what was sent before doing any work for it: a scan runs
			// often and most of what it finds is done.
			if sent, err := s.store.Read().NotificationSent(ctx, typ+":"+key); err != nil || sent {
				if err != nil {
					return err
				}
				continue
			}
			if u.Status == market.StatusTrialing && days == 14 || u.Status != market.StatusTrialing && typ == "renewal_upcoming" && days != 7 {
				continue
			}
			sub, err := s.store.Read().Subscription(ctx, u.CustomerID, u.ID)
			if err != nil {
				return err
			}
			name := s.subName(ctx, s.store.Read(), sub)
			ends := u.ExpiresAt.Format(time.DateOnly)
			in := plural(days, "day", "days")
			switch {
			case u.Status == market.StatusTrialing:
				body := fmt.Sprintf("The free trial of %s ends on %s. It then expires and its users are suspended. "+
					"To keep it, renew it under Subscriptions → Renew/Change, or switch on automatic renewal.", name, ends)
				if u.AutoRenew && !u.Canceled {
					body = fmt.Sprintf("The free trial of %s ends on %s. It then continues as a paid subscription of %s, renewed automatically. %s",
						name, ends, monthsWords(sub.TermMonths), s.chargeWords(ctx, u.CustomerID, u.ID))
				}
				err = s.notify(ctx, u.CustomerID, "trial_ending", "Your free trial ends in "+in, body, "subscription", u.ID, "trial_ending:"+key)
			case u.Canceled:
				// A canceled subscription gets the reminders of one that
				// will not renew (14, 7 and 1 days), saying it was canceled
				// and how to keep it; never the notice of a renewal.
				err = s.notify(ctx, u.CustomerID, "renewal_reminder", "Your subscription ends in "+in,
					fmt.Sprintf("%s ends on %s, as you canceled it: it will not renew and its users are then suspended. "+
						"To keep it, undo the cancellation under Subscriptions.", name, ends), "subscription", u.ID, "renewal_reminder:"+key)
			case u.AutoRenew:
				err = s.notify(ctx, u.CustomerID, "renewal_upcoming", "Your subscription renews in 7 days",
					fmt.Sprintf("%s renews automatically on %s for %s. %s", name, ends, monthsWords(sub.TermMonths),
						s.chargeWords(ctx, u.CustomerID, u.ID)), "subscription", u.ID, "renewal_upcoming:"+key)
			default:
				err = s.notify(ctx, u.CustomerID, "renewal_reminder", "Your subscription ends in "+in,
					fmt.Sprintf("%s ends on %s and will not renew by itself. Renew it under Subscriptions → Renew/Change, "+
						"or switch on automatic renewal.", name, ends), "subscription", u.ID, "renewal_reminder:"+key)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// cannotPrice is what a notice says of a renewal that cannot be priced now.
const cannotPrice = "We cannot price the renewal at the moment: please check the subscription under Subscriptions → Renew/Change."

// chargeWords says what the automatic renewal of a subscription will cost
// and how it will be paid: "We will charge €120.00 from your prepaid
// balance." It says so when the balance does not cover it and no card is
// saved, and when the renewal cannot be priced now.
func (s *Service) chargeWords(ctx context.Context, customerID, subID string) string {
	p := Principal{CustomerID: customerID, Role: "owner"}
	in := OrderInput{Items: []ItemInput{{Type: string(market.ItemRenewal), Subscription: subID}}}
	if addrs, err := s.store.Read().BillingAddresses(ctx, customerID); err == nil && len(addrs) > 0 {
		in.BillingAddress = addrs[len(addrs)-1].ID
	}
	q, err := s.Quote(ctx, p, in)
	if err != nil {
		return cannotPrice
	}
	cust, err := s.store.Read().Customer(ctx, customerID)
	if err != nil {
		return cannotPrice
	}
	total := money.Format(money.New(q.Totals.Total, q.Currency))
	if cust.Balance >= q.Totals.Total {
		return fmt.Sprintf("We will charge %s from your prepaid balance.", total)
	}
	if pm, err := s.store.Read().DefaultPaymentMethod(ctx, customerID); err == nil {
		return fmt.Sprintf("We will charge %s to your card %s, as your prepaid balance does not cover it.", total, cardWords(pm))
	}
	short := money.Format(money.New(q.Totals.Total-cust.Balance, q.Currency))
	return fmt.Sprintf("It costs %s, but your prepaid balance is short by %s and no card is saved: "+
		"top up your balance or save a card under Payment methods before then.", total, short)
}

// monthsWords says a term: "1 month", "12 months".
func monthsWords(n int) string { return plural(n, "month", "months") }
