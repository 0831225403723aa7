package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
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
// sync however many orders it carries; the sync itself is the syncer's
// (wal_sync.go), so the writer runs the next group while the disk works,
// and a caller is answered once its commit is on disk.
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
	// after is what the function asked to run once committed (AfterCommit);
	// reset before each run of the function.
	after []func()
}

type writeResult struct {
	err      error
	panicked any
	hasPanic bool
}

type writer struct {
	db *sql.DB
	// conn is the writer's own connection, and stmts its prepared
	// statements by SQL text (at most maxStmts; the SQL of a few queries
	// is built per call and those are not kept).
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	cp    *checkpointer
	// syncer, if any, makes the commits durable and answers them
	// (wal_sync.go).
	syncer  *walSyncer
	s       *Store
	jobs    chan *writeJob
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once
	// closing is held for reading while a job is queued and for writing
	// by close, so no job is queued after the writer stopped.
	closing sync.RWMutex
	closed  bool
	// groups and jobs count the transactions committed or rolled back and
	// the functions they carried.
	groups, ran atomic.Int64
}

func (w *writer) stats() (groups, jobs int64) { return w.groups.Load(), w.ran.Load() }

var errClosed = errors.New("store: closed")

// maxStmts bounds the writer's prepared statements.
const maxStmts = 1024

func newWriter(ctx context.Context, s *Store, db *sql.DB, path string) (*writer, error) {
	w := &writer{db: db, s: s, jobs: make(chan *writeJob, maxGroup), stmts: map[string]*sql.Stmt{},
		quit: make(chan struct{}), stopped: make(chan struct{})}
	var err error
	if w.syncer, err = newWALSyncer(path); err != nil {
		return nil, err
	}
	if err := w.connect(ctx); err != nil {
		if w.syncer != nil {
			w.syncer.close()
		}
		return nil, err
	}
	if w.cp, err = newCheckpointer(ctx, db); err != nil {
		_ = w.conn.Close()
		if w.syncer != nil {
			w.syncer.close()
		}
		return nil, fmt.Errorf("store: checkpointer connection: %w", err)
	}
	go w.loop()
	return w, nil
}

// connect takes the writer's connection (again, after it broke).
func (w *writer) connect(ctx context.Context) error {
	for _, st := range w.stmts {
		_ = st.Close()
	}
	clear(w.stmts)
	if w.conn != nil {
		_ = w.conn.Close()
	}
	c, err := w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: writer connection: %w", err)
	}
	if w.syncer != nil {
		// The syncer syncs the WAL after the commit (wal_sync.go).
		if _, err := c.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
			_ = c.Close()
			return fmt.Errorf("store: writer connection: %w", err)
		}
	}
	w.conn = c
	return nil
}

// begin starts a transaction on the writer's connection, taking a new
// connection once if the old one is gone.
func (w *writer) begin() error {
	ctx := context.Background()
	_, err := w.conn.ExecContext(ctx, `BEGIN IMMEDIATE`)
	if err != nil && (errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn)) {
		if err = w.connect(ctx); err == nil {
			_, err = w.conn.ExecContext(ctx, `BEGIN IMMEDIATE`)
		}
	}
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	return nil
}

// exec runs one of the writer's own statements (SAVEPOINT, RELEASE,
// COMMIT…), prepared once: a group commit sends two per job.
func (w *writer) exec(query string) error {
	ctx := context.Background()
	st, err := w.stmt(ctx, query)
	if err != nil {
		_, err = w.conn.ExecContext(ctx, query)
		return err
	}
	_, err = st.ExecContext(ctx)
	return err
}

func (w *writer) rollback() { _ = w.exec(`ROLLBACK`) }

// stmt returns the prepared statement of query, preparing it on the
// writer's connection the first time.
// caches reports whether a statement is kept prepared: not a batch's
// many-row statement (batch.go), and only while the cache has room (a
// statement prepared and not kept would never be closed).
func (w *writer) caches(query string, args []any) bool {
	if _, ok := w.stmts[query]; ok {
		return true
	}
	return len(args) <= 64 && len(w.stmts) < maxStmts
}

func (w *writer) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = st
	return st, nil
}

// do queues fn and waits for its outcome. A panic in fn is raised again on
// the caller's goroutine.
func (w *writer) do(ctx context.Context, fn func(q *Q) error) error {
	job := &writeJob{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	w.closing.RLock()
	if w.closed {
		w.closing.RUnlock()
		return errClosed
	}
	select {
	case w.jobs <- job:
	case <-ctx.Done():
		w.closing.RUnlock()
		return ctx.Err()
	}
	w.closing.RUnlock()
	// Once queued the job is answered: the writer drains the queue before
	// it stops, and a job is never abandoned half-run.
	r := <-job.done
	if r.hasPanic {
		panic(r.panicked)
	}
	if r.err == nil {
		for _, f := range job.after {
			f()
		}
	}
	return r.err
}

func (w *writer) close() {
	w.once.Do(func() {
		w.closing.Lock()
		w.closed = true
		w.closing.Unlock()
		close(w.quit)
		<-w.stopped
		w.cp.close()
		for _, st := range w.stmts {
			_ = st.Close()
		}
		_ = w.conn.Close()
	})
	<-w.stopped
}

func (w *writer) loop() {
	defer close(w.stopped)
	if w.syncer != nil {
		defer w.syncer.close()
	}
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
		if w.syncer != nil {
			w.restartWAL()
		}
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
		r := w.alone(live[0])
		w.answer(live, []writeResult{r}, r.err == nil && !r.hasPanic)
		return
	}
	results, ok := w.together(live)
	committed := ok
	if !ok {
		// The group failed as a whole: run the ones that had succeeded
		// alone, and keep the others' own failures.
		for i, j := range live {
			if results[i].err == nil && !results[i].hasPanic {
				results[i] = w.alone(j)
				committed = committed || results[i].err == nil && !results[i].hasPanic
			}
		}
	}
	w.answer(live, results, committed)
}

// answer gives the jobs their results: through the syncer, once what was
// committed is on disk, or at once without one (synchronous(FULL) synced
// it in the COMMIT).
func (w *writer) answer(jobs []*writeJob, results []writeResult, committed bool) {
	if w.syncer != nil {
		w.syncer.in <- syncBatch{jobs: jobs, results: results, committed: committed}
		return
	}
	for i, j := range jobs {
		j.done <- results[i]
	}
}

// alone runs one job in its own transaction.
func (w *writer) alone(j *writeJob) writeResult {
	if err := w.begin(); err != nil {
		return writeResult{err: err}
	}
	r := w.call(j)
	if r.err != nil || r.hasPanic {
		w.rollback()
		return r
	}
	if err := w.exec(`COMMIT`); err != nil {
		w.rollback()
		return writeResult{err: fmt.Errorf("store: commit: %w", err)}
	}
	w.cp.committed()
	return r
}

// together runs the jobs in one transaction, a savepoint each. ok is false
// when the transaction itself failed (nothing committed).
func (w *writer) together(jobs []*writeJob) (results []writeResult, ok bool) {
	results = make([]writeResult, len(jobs))
	if err := w.begin(); err != nil {
		return results, false
	}
	for i, j := range jobs {
		if err := w.exec(`SAVEPOINT dialtone_job`); err != nil {
			w.rollback()
			return results, false
		}
		results[i] = w.call(j)
		if results[i].err != nil || results[i].hasPanic {
			if err := w.exec(`ROLLBACK TO dialtone_job`); err != nil {
				w.rollback()
				return results, false
			}
		}
		if err := w.exec(`RELEASE dialtone_job`); err != nil {
			w.rollback()
			return results, false
		}
	}
	if err := w.exec(`COMMIT`); err != nil {
		w.rollback()
		return results, false
	}
	w.cp.committed()
	return results, true
}

// call runs a job's function in the open transaction, catching a panic.
func (w *writer) call(j *writeJob) (r writeResult) {
	defer func() {
		if p := recover(); p != nil {
			r = writeResult{panicked: p, hasPanic: true}
		}
	}()
	j.after = j.after[:0]
	q := w.s.txQ(inWriter{w}, &j.after)
	err := j.fn(q)
	if err == nil {
		err = q.FlushBatch(j.ctx) // what a batch kept, if fn left it
	}
	return writeResult{err: err}
}

// inWriter runs statements in the writer's open transaction, prepared once,
// without letting their context's cancellation or deadline interrupt them
// (its values still reach the driver).
type inWriter struct{ w *writer }

func (x inWriter) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if !x.w.caches(query, args) {
		return x.w.conn.ExecContext(ctx, query, args...)
	}
	st, err := x.w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (x inWriter) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if !x.w.caches(query, args) {
		return x.w.conn.QueryContext(ctx, query, args...)
	}
	st, err := x.w.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (x inWriter) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if !x.w.caches(query, args) {
		return x.w.conn.QueryRowContext(ctx, query, args...)
	}
	st, err := x.w.stmt(ctx, query)
	if err != nil {
		// A Row carrying the error: QueryRowContext on the connection
		// prepares the same text again and fails alike.
		return x.w.conn.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
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
	if st := r.s.reads.stmt(ctx, r.s.db, query, args); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.s.db.QueryContext(ctx, query, args...)
}

func (r readOrWrite) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.s.reads.stmt(ctx, r.s.db, query, args); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.s.db.QueryRowContext(ctx, query, args...)
}

// readStmts are the read pool's prepared statements on SQLite, by SQL
// text (at most maxStmts): the driver prepares a query's text again at
// every call otherwise, a tenth of an order's CPU for its two reads (the
// session, the payment). database/sql prepares a Stmt on each pooled
// connection the first time it runs there and keeps it. (pgx keeps its
// own cache on PostgreSQL.)
type readStmts struct {
	m sync.Map // string → *sql.Stmt
	n atomic.Int64
}

// stmt returns query's statement, preparing it the first time; nil when
// it is not kept (too many texts, many arguments: a built query) or
// cannot be prepared (the plain call then reports the error).
func (rs *readStmts) stmt(ctx context.Context, db *sql.DB, query string, args []any) *sql.Stmt {
	if st, ok := rs.m.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if len(args) > 64 {
		return nil
	}
	// A place is taken before preparing, so that callers preparing at
	// once cannot keep more than maxStmts between them.
	if rs.n.Add(1) > maxStmts {
		rs.n.Add(-1)
		return nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		rs.n.Add(-1)
		return nil
	}
	if was, loaded := rs.m.LoadOrStore(query, st); loaded {
		rs.n.Add(-1)
		_ = st.Close()
		return was.(*sql.Stmt)
	}
	return st
}

// close closes the statements (before their database).
func (rs *readStmts) close() {
	rs.m.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close()
		rs.m.Delete(k)
		return true
	})
	rs.n.Store(0)
}
