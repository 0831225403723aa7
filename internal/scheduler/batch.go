package scheduler

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store"
)

// defaultBatchSize is how many due items one batch transaction claims
// (billing/renew_batch.go), and defaultBatchWorkers how many batches a
// process runs at once.
//
// On SQLite the writer runs a batch as one job, so a batch delays the
// orders queued behind it: 50 renewals take a few tens of milliseconds
// there; the writer runs the workers' batches one after the other, and
// overlapping them hides the readers' work behind the writer's.
//
// On PostgreSQL each batch is a transaction on its own connection, their
// claims skip each other's customers, and a batch delays no order; but
// every batch takes its invoices' numbers from the year's gapless
// sequence as its last statements, and holds that row to its commit, so
// the batches of all workers and processes pass there one at a time (a
// quarter of the samples of pg_stat_activity in a run of 150 × 4 waited
// on it). Fewer, larger batches pass there fewer times a renewal: 100,000
// renewals with two processes took 28.4–30.9 s with 2 workers of 300
// against 31.1–39.7 s with 4 of 150, and one process renewed 40,000 in
// 15.4 s against 23.2 s (docs/BENCHMARKS.md, session 9).
const (
	defaultBatchSize            = 50
	defaultBatchWorkers         = 4
	defaultBatchSizePostgres    = 300
	defaultBatchWorkersPostgres = 2
)

// progressEvery is how often a run logs its progress.
const progressEvery = 5 * time.Second

// kind is a batched workload: subscription renewals or number rentals.
type kind struct {
	name  string // "renewals", "rentals"
	run   func(ctx context.Context, after store.DueItem, limit int) (billing.Batch, error)
	one   func(ctx context.Context, id string) error
	count func(ctx context.Context) (int, error)
}

// runBatches renews (or charges) the due items of k batch by batch, with
// batch workers each following its own cursor, until none is left after
// it; items a batch leaves (card payments, failures) and the items of a
// failed batch are then done one at a time by the worker, before its next
// batch. It logs progress every few seconds and a summary, and keeps the
// metrics.
func (s *Scheduler) runBatches(ctx context.Context, k kind) {
	if s.BatchSize < 0 {
		return // batches off: everything one at a time
	}
	var done, failed, rest, gone atomic.Int64
	start := time.Now()
	due := -1
	if k.count != nil {
		if n, err := k.count(ctx); err == nil {
			due = n
		}
	}
	m := s.m.of(k.name)
	m.due.Set(float64(max(due, 0)))
	if due == 0 {
		return
	}
	stop := make(chan struct{})
	var logged sync.WaitGroup
	logged.Add(1)
	go func() {
		defer logged.Done()
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n := done.Load() + rest.Load()
				remaining := max(int64(due)-n-failed.Load()-gone.Load(), 0)
				m.due.Set(float64(remaining))
				s.log.Info("scheduler: "+k.name+" in progress", "done", done.Load(), "one_at_a_time", rest.Load(),
					"failed", failed.Load(), "remaining", remaining, "per_second", int(float64(n)/time.Since(start).Seconds()))
			}
		}
	}()
	pg := s.svc.Store().Dialect() == store.Postgres
	workers := s.BatchWorkers
	if workers <= 0 {
		workers = defaultBatchWorkers
		if pg {
			workers = defaultBatchWorkersPostgres
		}
	}
	size := s.BatchSize
	if size <= 0 {
		size = defaultBatchSize
		if pg {
			size = defaultBatchSizePostgres
		}
	}
	// The workers' cursors start together: a batch may claim an item
	// another worker's batch left for the one-at-a-time path a moment ago
	// (and still due). Each such item is done once per process.
	var leftMu sync.Mutex
	left := map[string]bool{}
	firstTime := func(id string) bool {
		leftMu.Lock()
		defer leftMu.Unlock()
		if left[id] {
			return false
		}
		left[id] = true
		return true
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var after store.DueItem
			for ctx.Err() == nil {
				b, err := k.run(ctx, after, size)
				if err != nil {
					s.log.Warn("scheduler: batch failed; one at a time", "work", k.name, "items", len(b.Claimed), "err", err)
					for _, d := range b.Claimed {
						b.Rest = append(b.Rest, d.ID)
					}
				}
				if len(b.Claimed) == 0 {
					if err != nil && ctx.Err() == nil {
						// The claim itself failed: the one-at-a-time scan
						// after the batches picks the work up.
						failed.Add(1)
					}
					return
				}
				after = b.Claimed[len(b.Claimed)-1]
				done.Add(int64(b.Done))
				gone.Add(int64(b.Gone))
				m.total.WithLabelValues("batched").Add(float64(b.Done))
				for _, id := range b.Rest {
					if !firstTime(id) {
						continue
					}
					if err := k.one(ctx, id); err != nil {
						s.log.Error("scheduler: "+k.name, "id", id, "err", err)
						failed.Add(1)
						m.total.WithLabelValues("error").Inc()
						continue
					}
					rest.Add(1)
					m.total.WithLabelValues("one_at_a_time").Inc()
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	logged.Wait()
	m.due.Set(0)
	el := time.Since(start)
	if n := done.Load() + rest.Load() + failed.Load(); n > 0 {
		s.log.Info("scheduler: "+k.name+" run done", "batched", done.Load(), "one_at_a_time", rest.Load(), "failed", failed.Load(),
			"seconds", el.Seconds(), "per_second", int(float64(done.Load()+rest.Load())/el.Seconds()))
	}
}

func (s *Scheduler) renewals() kind {
	return kind{name: "renewals", run: s.svc.RenewBatch, one: s.svc.ProcessSubscription,
		count: func(ctx context.Context) (int, error) { return s.svc.Store().Read().CountDueRenewals(ctx, s.svc.Now()) }}
}

func (s *Scheduler) rentals() kind {
	return kind{name: "rentals", run: s.svc.RentBatch,
		one:   func(ctx context.Context, id string) error { _, err := s.svc.ProcessNumber(ctx, id); return err },
		count: func(ctx context.Context) (int, error) { return s.svc.Store().Read().CountDueRentals(ctx, s.svc.Now()) }}
}
