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
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/notify"
)

// Scheduler scans for due work.
type Scheduler struct {
	svc *billing.Service
	log *slog.Logger
	mu  sync.Mutex // one scan at a time in this process
	// Mailer, if set, delivers the outbox's e-mails after each scan.
	Mailer notify.Mailer
	// Workers is how many subscriptions of a scan are processed at once
	// (0: defaultWorkers, 8).
	Workers int
	// BatchSize is how many due renewals (or rentals) one batch
	// transaction claims (0: defaultBatchSize, defaultBatchSizePostgres on
	// PostgreSQL; negative: no batches, every item one at a time);
	// BatchWorkers how many batches run at once (0: defaultBatchWorkers,
	// defaultBatchWorkersPostgres on PostgreSQL). See batch.go.
	BatchSize, BatchWorkers int
	m                       runMetrics
}

// New returns a Scheduler.
func New(svc *billing.Service, log *slog.Logger) *Scheduler { return &Scheduler{svc: svc, log: log} }

// RunDue runs every piece of work due at the service's current time, until
// none is left. Errors of single items are logged and skipped (they will be
// retried on the next scan); only a failing scan is returned.
func (s *Scheduler) RunDue(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Due automatic renewals first, in batches; what the batches leave
	// (expiries, cancellations, retries that failed) the scan below does.
	s.runBatches(ctx, s.renewals())
	failed := map[string]bool{}
	for {
		ids, err := s.svc.Store().Read().DueSubscriptions(ctx, s.svc.Now(), 200)
		if err != nil {
			return err
		}
		var todo []string
		for _, id := range ids {
			if !failed[id] {
				todo = append(todo, id)
			}
		}
		bad := s.each(ctx, todo, s.svc.ProcessSubscription)
		for _, id := range bad {
			failed[id] = true
		}
		progress := len(todo) > len(bad)
		if !progress {
			if err := s.runNumbers(ctx); err != nil {
				return err
			}
			if _, err := s.svc.RunTopUps(ctx); err != nil {
				return err
			}
			// The renewals and sales of the scan left a row each in the
			// dashboard's tallies: fold them (a failure costs the
			// dashboard a little time, not a figure).
			if _, err := s.svc.CompactTallies(ctx); err != nil {
				s.log.Error("scheduler: compact tallies", "err", err)
			}
			if err := s.svc.SendReminders(ctx); err != nil {
				return err
			}
			if _, err := s.svc.SendCardExpiryNotices(ctx); err != nil {
				return err
			}
			if s.Mailer != nil {
				if _, err := s.svc.DeliverMail(ctx, s.Mailer); err != nil {
					return err
				}
			}
			_, err := s.svc.DeliverWebhooks(ctx)
			return err
		}
	}
}

// defaultWorkers is how many items of one scan run at once: each is its
// own transaction under its customer's lock, so they may overlap (on SQLite
// the store's writer commits them together, on PostgreSQL they use several
// connections). Eight doubled the renewals per second on both stores in
// BenchmarkRenewals (docs/BENCHMARKS.md).
const defaultWorkers = 8

// each runs fn for every ID, workers at a time, and returns the IDs whose
// work failed (logged).
func (s *Scheduler) each(ctx context.Context, ids []string, fn func(context.Context, string) error) []string {
	var (
		mu     sync.Mutex
		failed []string
		wg     sync.WaitGroup
		next   = make(chan string)
	)
	workers := s.Workers
	if workers <= 0 {
		workers = defaultWorkers
	}
	for range min(workers, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range next {
				if err := fn(ctx, id); err != nil {
					s.log.Error("scheduler: subscription", "subscription", id, "err", err)
					mu.Lock()
					failed = append(failed, id)
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		next <- id
	}
	close(next)
	wg.Wait()
	return failed
}

// NextEvent returns the earliest time after the service's now at which
// some work becomes due, and false if nothing is scheduled.
func (s *Scheduler) NextEvent(ctx context.Context) (time.Time, bool, error) {
	now := s.svc.Now()
	offs := billing.ReminderOffsets()
	next, ok, err := s.svc.Store().Read().NextSubscriptionEvent(ctx, now, offs)
	if err != nil {
		return next, ok, err
	}
	n, nok, err := s.svc.Store().Read().NextNumberEvent(ctx, now)
	if err != nil {
		return next, ok, err
	}
	if nok && (!ok || n.Before(next)) {
		next, ok = n, true
	}
	w, wok, err := s.svc.Store().Read().NextWebhookAttempt(ctx, now)
	if err != nil {
		return next, ok, err
	}
	if wok && (!ok || w.Before(next)) {
		return w, true, nil
	}
	return next, ok, nil
}

// Advance moves a sandbox clock forward by d, stopping at every moment work
// becomes due on the way and running it there, so that one long move gives
// the same result as many short ones.
func (s *Scheduler) Advance(ctx context.Context, clk *clock.Sandbox, d time.Duration) error {
	target := s.svc.Now().Add(d)
	for steps := 0; ; steps++ {
		if err := s.RunDue(ctx); err != nil {
			return err
		}
		next, ok, err := s.NextEvent(ctx)
		if err != nil {
			return err
		}
		now := s.svc.Now()
		// Step to whole minutes: work falling due within one minute runs
		// together, in one pass, wherever the move started.
		if m := next.Truncate(time.Minute); m.Before(next) {
			next = m.Add(time.Minute)
		}
		if !ok || next.After(target) || steps > 100000 {
			break
		}
		clk.Advance(next.Sub(now))
	}
	if now := s.svc.Now(); target.After(now) {
		clk.Advance(target.Sub(now))
	}
	return s.RunDue(ctx)
}

// Run scans every interval until ctx ends.
func (s *Scheduler) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("scheduler scan", "err", err)
		}
		if !s.waitTick(ctx, t) {
			return
		}
	}
}

// waitTick waits for the next tick, delivering the mails meanwhile queued
// to go out at once (an invitation, a reset link); false when ctx ends.
func (s *Scheduler) waitTick(ctx context.Context, t *time.Ticker) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		case <-s.svc.MailQueued():
			if s.Mailer != nil {
				if _, err := s.svc.DeliverMail(ctx, s.Mailer); err != nil && ctx.Err() == nil {
					s.log.Error("scheduler: mail", "err", err)
				}
			}
		}
	}
}
