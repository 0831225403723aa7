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
var ReminderOffsets = []time.Duration{14 * day, 7 * day, 1 * day}

// SendReminders sends every reminder due now that has not been sent: each
// once per subscription period (the notification's dedupe key names the
// subscription, its expires_at and the offset), however often it runs.
func (s *Service) SendReminders(ctx context.Context) error {
	now := s.now()
	subs, err := s.store.Read().EndingBetween(ctx, now, now.Add(ReminderOffsets[0]))
	if err != nil {
		return err
	}
	for _, u := range subs {
		for _, off := range ReminderOffsets {
			if now.Before(u.ExpiresAt.Add(-off)) {
				continue
			}
			days := int(off / day)
			key := fmt.Sprintf("%s:%d:%d", u.ID, u.ExpiresAt.Unix(), days)
			typ := "renewal_reminder"
			switch {
			case u.Status == market.StatusTrialing:
				typ = "trial_ending"
			case u.AutoRenew:
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
			var err error
			switch {
			case u.Status == market.StatusTrialing:
				if days == 14 {
					continue
				}
				what := "It then ends."
				if u.AutoRenew {
					what = "It then turns into a paid subscription, renewed automatically."
				}
				err = s.notify(ctx, u.CustomerID, "trial_ending", fmt.Sprintf("Your free trial ends in %s", plural(days, "day", "days")),
					fmt.Sprintf("The free trial of subscription %s (%s) ends on %s. %s Renew it under Subscriptions to keep it.",
						u.ID, u.Plan, u.ExpiresAt.Format(time.DateOnly), what), "subscription", u.ID, "trial_ending:"+key)
			case u.AutoRenew:
				if days != 7 {
					continue
				}
				err = s.notifyUpcoming(ctx, u.CustomerID, u.ID, u.Plan, u.ExpiresAt, "renewal_upcoming:"+key)
			default:
				err = s.notify(ctx, u.CustomerID, "renewal_reminder", fmt.Sprintf("Your subscription ends in %s", plural(days, "day", "days")),
					fmt.Sprintf("Subscription %s (%s) ends on %s and will not renew by itself. Renew it under Subscriptions → Renew/Change, "+
						"or switch on automatic renewal.", u.ID, u.Plan, u.ExpiresAt.Format(time.DateOnly)), "subscription", u.ID, "renewal_reminder:"+key)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// notifyUpcoming tells an auto-renewing customer what the renewal will cost
// and how it will be paid.
func (s *Service) notifyUpcoming(ctx context.Context, customerID, subID, plan string, expires time.Time, key string) error {
	p := Principal{CustomerID: customerID, Role: "owner"}
	in := OrderInput{Items: []ItemInput{{Type: string(market.ItemRenewal), Subscription: subID}}}
	if addrs, err := s.store.Read().BillingAddresses(ctx, customerID); err == nil && len(addrs) > 0 {
		in.BillingAddress = addrs[len(addrs)-1].ID
	}
	body := fmt.Sprintf("Subscription %s (%s) renews automatically on %s.", subID, plan, expires.Format(time.DateOnly))
	q, err := s.Quote(ctx, p, in)
	if err == nil {
		cust, err := s.store.Read().Customer(ctx, customerID)
		if err != nil {
			return err
		}
		total := money.Format(money.New(q.Totals.Total, q.Currency))
		how := "from your prepaid balance"
		if cust.Balance < q.Totals.Total {
			if pm, err := s.store.Read().DefaultPaymentMethod(ctx, customerID); err == nil {
				how = fmt.Sprintf("by your card %s •••• %s (your balance does not cover it)", titleBrand(pm.Brand), pm.Last4)
			} else {
				how = "— but your balance does not cover it and no card is saved: top up your balance before then"
			}
		}
		body += fmt.Sprintf(" We will charge %s %s.", total, how)
	} else {
		body += " We could not price the renewal now (" + market.ErrorCode(err).String() + "): check the subscription."
	}
	return s.notify(ctx, customerID, "renewal_upcoming", "Your subscription renews in 7 days", body, "subscription", subID, key)
}
