package store

import (
	"context"
	"database/sql"
	"sync/atomic"
	"time"
)

// On SQLite a commit appends the pages it changed to the WAL; a checkpoint
// copies them into the database file and syncs it. By default the
// connection that commits runs the checkpoint once the WAL passes 1,000
// pages, inside that commit: on the writer's goroutine, with the groups
// queued behind it waiting for a copy of up to 1,000 pages and two syncs.
// The writer's connection therefore does not checkpoint
// (wal_autocheckpoint(0)); a checkpointer of its own, on a connection of
// its own, does, at most every checkpointEvery while there are commits, in
// PASSIVE mode: it copies what no reader still needs without taking the
// write lock, so the writer commits on meanwhile, and a page changed by
// many commits between two checkpoints is copied once.
//
// A checkpoint alongside the writer never finishes under a steady load,
// though: by the time it has copied the WAL, the writer has appended more.
// SQLite starts the WAL again from its beginning only when a write
// transaction begins on a WAL copied to its end, so without more the WAL
// grows for as long as the load lasts: 1.2 GB in 8 seconds of the
// balance-paid order load, each commit's pages appended to the end of a
// longer file (the file system allocating as it goes) instead of written
// over the last ones. So the writer finishes the job between two groups, at
// most every walRestartEvery: a PASSIVE checkpoint on its own connection,
// with no commit running, copies the little the checkpointer has not (a
// few milliseconds), and the writer's next transaction starts the WAL
// again. A reader still on an older snapshot keeps the copy from
// finishing; the writer then tries again after walRetryEvery. (The order
// load: docs/BENCHMARKS.md, session 9.)
//
// Durability is the WAL's: a commit is synced there (wal_sync.go) before
// it is answered, and SQLite syncs the WAL before a checkpoint copies it
// and the database before the WAL is used again; a crash before a
// checkpoint is recovered from the WAL at the next open, as it always was.

// checkpointEvery is the least time between two of the checkpointer's
// checkpoints; walRestartEvery the least between two of the writer's, and
// walRetryEvery the wait after one of those that could not copy the whole
// WAL.
const (
	checkpointEvery = 100 * time.Millisecond
	walRestartEvery = 250 * time.Millisecond
	walRetryEvery   = 25 * time.Millisecond
)

type checkpointer struct {
	conn  *sql.Conn
	dirty chan struct{}
	quit  chan struct{}
	done  chan struct{}
	// runs counts the checkpoints run; log and copied are the WAL's
	// frames and the frames copied into the database after the last one.
	runs, log, copied atomic.Int64
	// failures counts the checkpointer's checkpoints that failed, and
	// writerFailures the writer's (a failed PASSIVE checkpoint is tried
	// again at the next commit; both are in /metrics: WriterStats).
	failures, writerFailures atomic.Int64
	// The writer's checkpoints (restartWAL), run on its goroutine: when
	// the next is due, and whether a commit came since the last. whole
	// counts those that copied the whole WAL (so the next transaction
	// starts it again), partial those that could not.
	restartAt      time.Time
	dirtySince     bool
	whole, partial atomic.Int64
	// every, restartEvery and retryEvery are checkpointEvery,
	// walRestartEvery and walRetryEvery (tests shorten them before the
	// first commit).
	every, restartEvery, retryEvery time.Duration
}

func newCheckpointer(ctx context.Context, db *sql.DB) (*checkpointer, error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	cp := &checkpointer{conn: c, dirty: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		every: checkpointEvery, restartEvery: walRestartEvery, retryEvery: walRetryEvery}
	go cp.loop()
	return cp, nil
}

// committed tells the checkpointer that the WAL grew. Writer's goroutine.
func (cp *checkpointer) committed() {
	cp.dirtySince = true
	select {
	case cp.dirty <- struct{}{}:
	default:
	}
}

func (cp *checkpointer) loop() {
	defer close(cp.done)
	for {
		select {
		case <-cp.dirty:
		case <-cp.quit:
			return
		}
		cp.run()
		select {
		case <-time.After(cp.every):
		case <-cp.quit:
			return
		}
	}
}

func (cp *checkpointer) run() {
	var busy, log, copied int64
	err := cp.conn.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &copied)
	cp.runs.Add(1)
	if err != nil {
		cp.failures.Add(1)
		return
	}
	cp.log.Store(log)
	cp.copied.Store(copied)
}

// restartWAL runs the writer's checkpoint on its connection, when one is
// due: between two groups, with no transaction open. Writer's goroutine.
func (w *writer) restartWAL() {
	cp := w.cp
	if !cp.dirtySince || time.Now().Before(cp.restartAt) {
		return
	}
	var busy, log, copied int64
	err := w.conn.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &copied)
	switch {
	case err != nil:
		cp.writerFailures.Add(1)
		cp.restartAt = time.Now().Add(cp.retryEvery)
	case busy != 0 || copied < log:
		// The checkpointer held the checkpoint, or a reader the end of the
		// WAL.
		cp.partial.Add(1)
		cp.restartAt = time.Now().Add(cp.retryEvery)
	default:
		cp.whole.Add(1)
		cp.dirtySince = false
		cp.restartAt = time.Now().Add(cp.restartEvery)
	}
}

func (cp *checkpointer) close() {
	close(cp.quit)
	<-cp.done
	_ = cp.conn.Close()
}

// WriterStats are the SQLite writer's counters since the store opened, for
// /metrics (Store.WriterStats).
type WriterStats struct {
	// Transactions counts the Tx functions run by the writer, Commits the
	// group transactions that carried them.
	Transactions, Commits int64
	// Checkpoints and CheckpointFailures are the checkpointer's (alongside
	// the writer); WALRestarts the writer's checkpoints that copied the
	// whole WAL (so that it starts again), WALRestartMisses those a reader
	// or the checkpointer kept from it, WALRestartFailures those that
	// failed.
	Checkpoints, CheckpointFailures                   int64
	WALRestarts, WALRestartMisses, WALRestartFailures int64
	// WALFrames is how many frames the WAL held at the checkpointer's last
	// checkpoint.
	WALFrames int64
}

// WriterStats returns the SQLite writer's counters; ok is false on
// PostgreSQL, which has no writer.
func (s *Store) WriterStats() (st WriterStats, ok bool) {
	if s.w == nil {
		return st, false
	}
	cp := s.w.cp
	st.Commits, st.Transactions = s.w.stats()
	st.Checkpoints, st.CheckpointFailures = cp.runs.Load(), cp.failures.Load()
	st.WALRestarts, st.WALRestartMisses, st.WALRestartFailures = cp.whole.Load(), cp.partial.Load(), cp.writerFailures.Load()
	st.WALFrames = max(cp.log.Load(), 0)
	return st, true
}
