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
// many commits between two checkpoints is copied once. (The balance-paid
// order load: 1.05 times the orders/s, p99 a few milliseconds lower:
// docs/BENCHMARKS.md.)
//
// Durability is the WAL's: a commit is synced there (wal_sync.go) before
// it is answered, and SQLite syncs the WAL before a checkpoint copies it; a
// crash before a checkpoint is recovered from the WAL at the next open, as
// it always was. The WAL is reused from its start once a checkpoint has
// copied all of it, as with the default.

// checkpointEvery is the least time between two checkpoints.
const checkpointEvery = 500 * time.Millisecond

type checkpointer struct {
	conn  *sql.Conn
	dirty chan struct{}
	quit  chan struct{}
	done  chan struct{}
	// runs counts the checkpoints run; log and copied are the WAL's
	// frames and the frames copied into the database after the last one.
	runs, log, copied atomic.Int64
	// failures counts checkpoints that failed (logged by nobody: a failed
	// PASSIVE checkpoint is tried again at the next commit).
	failures atomic.Int64
}

func newCheckpointer(ctx context.Context, db *sql.DB) (*checkpointer, error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	cp := &checkpointer{conn: c, dirty: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go cp.loop()
	return cp, nil
}

// committed tells the checkpointer that the WAL grew.
func (cp *checkpointer) committed() {
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
		case <-time.After(checkpointEvery):
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

func (cp *checkpointer) close() {
	close(cp.quit)
	<-cp.done
	_ = cp.conn.Close()
}
