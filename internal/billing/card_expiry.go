package billing

import (
	"context"
	"fmt"
	"time"
)

// cardExpiryBatch is how many expiring cards one read of the scan takes.
const cardExpiryBatch = 200

// SendCardExpiryNotices tells each account whose saved card expires at
// the end of the business month (the sandbox clock's) that it does, once
// per card and month (the notice's dedupe key), with the e-mail of every
// notice; a card the bank's updater renewed meanwhile (Stripe's
// payment_method.automatically_updated) has a later expiry and is not
// named. It returns how many notices it sent.
func (s *Service) SendCardExpiryNotices(ctx context.Context) (int, error) {
	now := s.now().UTC()
	month := now.Format("2006-01")
	sent, after := 0, ""
	for {
		cards, err := s.store.Read().CardsExpiring(ctx, now.Year(), int(now.Month()), after, cardExpiryBatch)
		if err != nil || len(cards) == 0 {
			return sent, err
		}
		for _, pm := range cards {
			after = pm.ID
			key := "card_expiring:" + pm.ID + ":" + month
			if done, err := s.store.Read().NotificationSent(ctx, key); err != nil || done {
				if err != nil {
					return sent, err
				}
				continue
			}
			last := time.Date(now.Year(), now.Month()+1, 0, 0, 0, 0, 0, time.UTC).Format("2 January 2006")
			body := fmt.Sprintf("Your saved card %s expires at the end of this month (%02d/%d, last day %s). "+
				"Add a new card under Payment methods and make it the default, so that automatic renewals and top-ups go on.",
				cardWords(pm), pm.ExpMonth, pm.ExpYear, last)
			if err := s.notify(ctx, pm.CustomerID, "card_expiring", "Your saved card expires this month", body,
				"payment_method", pm.ID, key); err != nil {
				return sent, err
			}
			sent++
		}
	}
}
