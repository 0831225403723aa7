package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// A transaction is answered only once the WAL holding its commit has been
// synced; until then another reader may already see it. The groups that
// committed while a sync ran are answered after one more.
func TestWriterAnswersAfterTheSync(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	ws := s.w.syncer
	if ws == nil {
		t.Fatal("a database file has no syncer")
	}
	var entered, synced atomic.Int64
	gate := make(chan struct{})
	var opened sync.Once
	open := func() { opened.Do(func() { close(gate) }) }
	t.Cleanup(open) // a failure before the gate opens must not hang the store's Close
	ws.syncFn = func() error {
		entered.Add(1)
		<-gate
		synced.Add(1)
		return ws.sync()
	}
	answered := make(chan error, 5)
	for i := range 5 {
		go func() {
			answered <- s.Tx(ctx, func(q *Q) error {
				_, err := q.ex.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, 1)`, fmt.Sprint("k", i))
				return err
			})
		}()
		// Each commits on its own (the writer is idle when it comes), and
		// waits: the first in the sync, the others behind it.
		waitFor(t, "the commit", func() bool { return len(count(t, s)) == i+1 })
	}
	// The syncer may have taken the second group into its first sync too,
	// if it came before the syncer ran (the writer's work after a group can
	// delay it): the groups after those wait in its queue.
	waitFor(t, "groups behind the first sync", func() bool { return entered.Load() == 1 && len(ws.in) >= 1 })
	select {
	case err := <-answered:
		t.Fatalf("answered before the sync: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	open()
	for range 5 {
		if err := <-answered; err != nil {
			t.Fatal(err)
		}
	}
	if n := synced.Load(); n != 2 {
		t.Fatalf("%d syncs for five commits, want 2 (the first, then one for the four that waited)", n)
	}
}

// A failed sync answers the committed transactions with an error: their
// callers must not be told they are on disk. A transaction that failed on
// its own keeps its own error.
func TestWriterSyncFailure(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	broken := errors.New("disk on fire")
	s.w.syncer.syncFn = func() error { return broken }
	err := s.Tx(ctx, func(q *Q) error {
		_, err := q.ex.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ('a', 1)`)
		return err
	})
	if !errors.Is(err, broken) {
		t.Fatalf("Tx = %v, want the sync's error", err)
	}
	own := errors.New("refused")
	if err := s.Tx(ctx, func(q *Q) error { return own }); !errors.Is(err, own) {
		t.Fatalf("Tx = %v, want its own error", err)
	}
}

// writerPragma reads a pragma's value on the writer's connection.
func writerPragma(t *testing.T, s *Store, name string) int {
	t.Helper()
	ctx := context.Background()
	var v int
	if err := s.Tx(ctx, func(q *Q) error {
		return q.ex.QueryRowContext(ctx, `PRAGMA `+name).Scan(&v)
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

// The writer's own connection leaves the sync to the syncer; every other
// connection of a database file syncs in its commits (FULL).
func TestWriterConnectionSync(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	if mode := writerPragma(t, s, "synchronous"); mode != 1 {
		t.Fatalf("writer synchronous = %d, want 1 (NORMAL)", mode)
	}
	var mode int
	if err := s.DB().QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != 2 {
		t.Fatalf("other connections synchronous = %d, want 2 (FULL)", mode)
	}
}

// The writer's connection does not checkpoint; the checkpointer does,
// behind it, until the WAL is all in the database file.
func TestCheckpointsBehindTheWriter(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	for i := range 50 {
		if err := s.Tx(ctx, func(q *Q) error {
			_, err := q.ex.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, 1)`, fmt.Sprint("k", i))
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if auto := writerPragma(t, s, "wal_autocheckpoint"); auto != 0 {
		t.Fatalf("writer wal_autocheckpoint = %d, want 0", auto)
	}
	cp := s.w.cp
	waitFor(t, "a checkpoint of the whole WAL", func() bool {
		return cp.runs.Load() > 0 && cp.log.Load() > 0 && cp.copied.Load() == cp.log.Load()
	})
	if n := cp.failures.Load(); n != 0 {
		t.Fatalf("%d checkpoints failed", n)
	}
}

// Under a steady load the checkpointer never copies the whole WAL (the
// writer appends meanwhile), so the writer finishes the copy itself between
// two groups and its next transaction starts the WAL again: the WAL file
// stays a small part of what was committed, readers or not.
func TestWriterStartsTheWALAgain(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	cp := s.w.cp
	cp.every = time.Hour // one checkpoint alongside, at the first commit
	cp.restartEvery, cp.retryEvery = 2*time.Millisecond, time.Millisecond
	stop := make(chan struct{})
	var reads sync.WaitGroup
	reads.Add(1)
	go func() { // a reader now and then, as the portal's pages are
		defer reads.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			var n int
			if err := s.Read().ex.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	const commits = 600
	value := strings.Repeat("x", 3000) // a page of its own, at least, per commit
	for i := range commits {
		if err := s.Tx(ctx, func(q *Q) error {
			_, err := q.ex.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, 1)`, fmt.Sprint(i, value))
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	reads.Wait()
	st, err := os.Stat(s.w.syncer.wal)
	if err != nil {
		t.Fatal(err)
	}
	// Each commit appends a frame of a page at the least (about seven
	// here): a WAL that is never started again is that big or bigger
	// (17 MB here without the writer's checkpoints, 0.2–0.7 MB with them).
	appended := int64(commits) * (4096 + 24)
	if st.Size() >= appended {
		t.Errorf("the WAL is %d bytes after %d commits that appended %d or more: it was not started again", st.Size(), commits, appended)
	}
	t.Logf("the WAL: %d bytes; the writer copied it whole %d times, partly %d", st.Size(), cp.whole.Load(), cp.partial.Load())
	if cp.whole.Load() < 2 {
		t.Errorf("the writer copied the whole WAL %d times, want 2 or more (%d partial copies, %d failures)",
			cp.whole.Load(), cp.partial.Load(), cp.writerFailures.Load())
	}
	if got := len(count(t, s)); got != commits {
		t.Fatalf("%d rows, want %d", got, commits)
	}
	ws, ok := s.WriterStats()
	if !ok || ws.WALRestarts != cp.whole.Load() || ws.Transactions < commits || ws.Commits < 1 || ws.WALRestartFailures != 0 {
		t.Errorf("WriterStats = %+v, %v", ws, ok)
	}
}
