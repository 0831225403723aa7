package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// On SQLite one goroutine writes. Tx hands its function to the writer's
// queue and waits; the writer takes whatever has queued up meanwhile and
// runs it in one transaction (group commit), each function inside a
// savepoint of its own: a function that fails rolls back to its savepoint
// and only its caller sees the error, the others commit together with one
// fsync. Nobody polls the database's write lock, and a commit costs one
// sync however many orders it carries.
//
// A function runs on the writer's goroutine with a Q whose statements do
// not observe their context's cancellation: SQLite answers an interrupted
// write inside a transaction by rolling back the whole transaction, which
// would take the neighbours down. A caller whose context is done before its
// turn is answered ctx.Err() without running.
//
// When anything goes wrong with the group itself (a savepoint that cannot
// be rolled back to, a failed commit) the group is rolled back and every
// function that had succeeded is run again alone; Tx's contract already
// asks functions to be repeatable (PostgreSQL reruns them on a
// serialization failure).

// maxGroup bounds the functions one group transaction carries.
const maxGroup = 64

type writeJob struct {
	ctx  context.Context
	fn   func(q *Q) error
	done chan writeResult
}

type writeResult struct {
	err      error
	panicked any
	hasPanic bool
}

type writer struct {
	db      *sql.DB // one connection
	s       *Store
	jobs    chan *writeJob
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once
	// groups and jobs count the transactions committed or rolled back and
	// the functions they carried.
	groups, ran atomic.Int64
}

func (w *writer) stats() (groups, jobs int64) { return w.groups.Load(), w.ran.Load() }

var errClosed = errors.New("store: closed")

func newWriter(s *Store, db *sql.DB) *writer {
	w := &writer{db: db, s: s, jobs: make(chan *writeJob, maxGroup),
		quit: make(chan struct{}), stopped: make(chan struct{})}
	go w.loop()
	return w
}

// do queues fn and waits for its outcome. A panic in fn is raised again on
// the caller's goroutine.
func (w *writer) do(ctx context.Context, fn func(q *Q) error) error {
	job := &writeJob{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	select {
	case w.jobs <- job:
	case <-w.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the job is answered: the writer drains the queue before
	// it stops, and a job is never abandoned half-run.
	r := <-job.done
	if r.hasPanic {
		panic(r.panicked)
	}
	return r.err
}

func (w *writer) close() {
	w.once.Do(func() { close(w.quit) })
	<-w.stopped
}

func (w *writer) loop() {
	defer close(w.stopped)
	for {
		var first *writeJob
		select {
		case first = <-w.jobs:
		case <-w.quit:
			// Answer what is still queued, then stop.
			for {
				select {
				case j := <-w.jobs:
					j.done <- writeResult{err: errClosed}
				default:
					return
				}
			}
		}
		group := []*writeJob{first}
	drain:
		for len(group) < maxGroup {
			select {
			case j := <-w.jobs:
				group = append(group, j)
			default:
				break drain
			}
		}
		w.run(group)
	}
}

// run commits a group; each job gets its result.
func (w *writer) run(group []*writeJob) {
	live := group[:0:0]
	for _, j := range group {
		if err := j.ctx.Err(); err != nil {
			j.done <- writeResult{err: err}
			continue
		}
		live = append(live, j)
	}
	w.ran.Add(int64(len(live)))
	if len(live) > 0 {
		w.groups.Add(1)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		live[0].done <- w.alone(live[0])
		return
	}
	results, ok := w.together(live)
	if !ok {
		// The group failed as a whole: run the ones that had succeeded
		// alone, and keep the others' own failures.
		for i, j := range live {
			if results[i].err == nil && !results[i].hasPanic {
				results[i] = w.alone(j)
			}
		}
	}
	for i, j := range live {
		j.done <- results[i]
	}
}

// alone runs one job in its own transaction.
func (w *writer) alone(j *writeJob) writeResult {
	tx, err := w.db.BeginTx(context.WithoutCancel(j.ctx), nil)
	if err != nil {
		return writeResult{err: fmt.Errorf("store: begin: %w", err)}
	}
	r := w.call(j, tx)
	if r.err != nil || r.hasPanic {
		_ = tx.Rollback()
		return r
	}
	if err := tx.Commit(); err != nil {
		return writeResult{err: fmt.Errorf("store: commit: %w", err)}
	}
	return r
}

// together runs the jobs in one transaction, a savepoint each. ok is false
// when the transaction itself failed (nothing committed).
func (w *writer) together(jobs []*writeJob) (results []writeResult, ok bool) {
	results = make([]writeResult, len(jobs))
	ctx := context.Background()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return results, false
	}
	for i, j := range jobs {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT dialtone_job`); err != nil {
			_ = tx.Rollback()
			return results, false
		}
		results[i] = w.call(j, tx)
		if results[i].err != nil || results[i].hasPanic {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO dialtone_job`); err != nil {
				_ = tx.Rollback()
				return results, false
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE dialtone_job`); err != nil {
			_ = tx.Rollback()
			return results, false
		}
	}
	if err := tx.Commit(); err != nil {
		return results, false
	}
	return results, true
}

// call runs a job's function on tx, catching a panic.
func (w *writer) call(j *writeJob, tx *sql.Tx) (r writeResult) {
	defer func() {
		if p := recover(); p != nil {
			r = writeResult{panicked: p, hasPanic: true}
		}
	}()
	q := &Q{ex: uncancelled{tx}, dialect: w.s.dialect, inTx: true, ids: w.s.ids}
	return writeResult{err: j.fn(q)}
}

// uncancelled runs statements on a transaction without letting their
// context's cancellation or deadline interrupt them (its values still
// reach the driver).
type uncancelled struct{ tx *sql.Tx }

func (u uncancelled) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return u.tx.ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (u uncancelled) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return u.tx.QueryContext(context.WithoutCancel(ctx), query, args...)
}

func (u uncancelled) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return u.tx.QueryRowContext(context.WithoutCancel(ctx), query, args...)
}

// readOrWrite is Read's execer on SQLite: queries on the read-only pool,
// Exec through the writer.
type readOrWrite struct{ s *Store }

func (r readOrWrite) ExecContext(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	err = r.s.w.do(ctx, func(q *Q) error {
		res, err = q.ex.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

func (r readOrWrite) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.s.db.QueryContext(ctx, query, args...)
}

func (r readOrWrite) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.s.db.QueryRowContext(ctx, query, args...)
}
