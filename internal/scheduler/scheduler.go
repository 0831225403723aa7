// Package scheduler runs dialtone's time-driven work from due dates kept in
// the database: subscription expiry and automatic renewal (and, as they
// come, reminders, trials, dunning and number rentals). Each item of work is
// one transaction that re-checks its due date under the customer's lock, so
// a rerun after a crash, or a second process doing the same scan, does
// nothing twice.
package scheduler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
)

// Scheduler scans for due work.
type Scheduler struct {
	svc *billing.Service
	log *slog.Logger
	mu  sync.Mutex // one scan at a time in this process
}

// New returns a Scheduler.
func New(svc *billing.Service, log *slog.Logger) *Scheduler { return &Scheduler{svc: svc, log: log} }

// RunDue runs every piece of work due at the service's current time, until
// none is left. Errors of single items are logged and skipped (they will be
// retried on the next scan); only a failing scan is returned.
func (s *Scheduler) RunDue(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	failed := map[string]bool{}
	for {
		ids, err := s.svc.Store().Read().DueSubscriptions(ctx, s.svc.Now(), 200)
		if err != nil {
			return err
		}
		progress := false
		for _, id := range ids {
			if failed[id] {
				continue
			}
			if err := s.svc.ProcessSubscription(ctx, id); err != nil {
				s.log.Error("scheduler: subscription", "subscription", id, "err", err)
				failed[id] = true
				continue
			}
			progress = true
		}
		if !progress {
			return nil
		}
	}
}

// Run scans every interval until ctx ends.
func (s *Scheduler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("scheduler scan", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
