package billing

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/notify"
	"github.com/dialtone/dialtone/internal/store"
)

// mailRetry is how long to wait after the n-th failed delivery.
func mailRetry(n int) time.Duration {
	d := time.Minute << min(n, 10)
	return min(d, 6*time.Hour)
}

// DeliverMail sends the outbox's due mails through m, after the
// transactions that queued them committed. A mail whose delivery fails is
// retried with backoff. Delivery is at least once: a crash between sending
// and recording it sends that mail again.
func (s *Service) DeliverMail(ctx context.Context, m notify.Mailer) (sent int, err error) {
	// The e-mails of invoices still being numbered are queued with their
	// numbers: wait for them.
	if err := s.awaitNumbers(ctx); err != nil {
		s.log.Warn("invoice numbering failed; their e-mails wait for the next pass", "err", err)
	}
	for {
		now := s.now()
		var batch []market.OutboxMail
		err := s.store.Tx(ctx, func(q *store.Q) error {
			var err error
			batch, err = q.LeaseOutbox(ctx, now, now.Add(5*time.Minute), 20)
			return err
		})
		if err != nil || len(batch) == 0 {
			return sent, err
		}
		for _, o := range batch {
			action, label := s.actionFor(o)
			mail, err := notify.Compose(o.Recipient, o.Subject, o.Body, action, label)
			mail.CustomerID, mail.NotificationID, mail.OutboxID = o.CustomerID, o.NotificationID, o.ID
			if err == nil && o.ObjectType == "invoice" {
				var a notify.Attachment
				if a, err = s.invoiceAttachment(ctx, o, keepsReferences(m)); err == nil {
					mail.Attachments = append(mail.Attachments, a)
				}
			}
			if err == nil {
				err = m.Send(ctx, mail)
			}
			at := s.now()
			if err != nil {
				s.log.Warn("mail not sent; will retry", "outbox", o.ID, "attempt", o.Attempts+1, "err", err)
				if err := s.store.Tx(ctx, func(q *store.Q) error { return q.MarkFailed(ctx, o.ID, err.Error(), at.Add(mailRetry(o.Attempts))) }); err != nil {
					return sent, err
				}
				continue
			}
			if err := s.store.Tx(ctx, func(q *store.Q) error {
				if err := q.MarkSent(ctx, o.ID, at); err != nil {
					return err
				}
				return q.ForgetMailSecret(ctx, o.ID)
			}); err != nil {
				return sent, err
			}
			sent++
		}
	}
}

// actionFor says what the customer should do about a notification, as a
// link into the portal.
func (s *Service) actionFor(o market.OutboxMail) (string, string) {
	base := s.cfg.PublicURL
	switch o.Type {
	case "renewal_reminder", "trial_ending", "subscription_expired":
		return base + "/subscriptions/" + o.ObjectID, "Renew now"
	case "renewal_failed", "number_grace", "balance_low", "auto_top_up_failed":
		return base + "/marketplace/billing/refill", "Top up your balance"
	case "login_invitation":
		return base + "/invitations/" + o.ObjectID, "Choose your password"
	case "password_reset":
		return base + "/password_resets/" + o.ObjectID, "Choose a new password"
	case "renewal_upcoming":
		return base + "/marketplace/billing/balance", "Check your balance"
	case "invoice_paid", "credit_note_issued":
		return base + "/invoices/" + o.ObjectID, "View it in the portal"
	}
	return base + "/", "Open your account"
}
