package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// The writer's commits are made durable off the writer's goroutine.
//
// With synchronous(FULL) SQLite syncs the WAL inside every COMMIT, and the
// writer waits for the disk before it can start the next group: on the
// standard box that was more than half of the writer's time, while the
// orders queued behind it had nothing to do. So the writer's own
// connection commits with synchronous(NORMAL) (the commit is written to
// the WAL, not yet synced), hands the group's answers to the syncer and
// goes on with the next group; the syncer syncs the WAL file and only then
// answers the group's callers. A sync covers every commit written before it
// started, so the syncer takes all the groups waiting and answers them
// after one sync, in commit order.
//
// What a caller is told is what FULL promised: a transaction answered
// committed is on disk (and so is everything it read: the WAL is synced as
// a whole, in order). What another request may see earlier is a commit
// written but not yet synced, as a reader of PostgreSQL with
// synchronous_commit off would; a power cut in that window loses that
// transaction, whose caller was not answered yet. SQLite's checkpoints still
// sync the WAL before they copy it (NORMAL does), so the database file is
// never ahead of it.
//
// A database that is not a file of its own (":memory:") keeps FULL and has
// no syncer.

// syncBatch is a group's answers, waiting for the sync of its commit.
type syncBatch struct {
	jobs    []*writeJob
	results []writeResult
	// committed: the group's transaction committed (a rolled-back group
	// needs no sync, but is answered in its turn).
	committed bool
}

type walSyncer struct {
	wal, db string
	in      chan syncBatch
	done    chan struct{}
	// syncFn syncs the WAL (tests count or fail it).
	syncFn func() error
}

// newWALSyncer returns the syncer of the SQLite database at path, or nil
// when path is not a file (the writer keeps synchronous(FULL) then).
func newWALSyncer(path string) (*walSyncer, error) {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return nil, nil //nolint:nilerr // not a file of its own: no syncer
	}
	s := &walSyncer{wal: path + "-wal", db: path, in: make(chan syncBatch, maxGroup), done: make(chan struct{})}
	s.syncFn = s.sync
	// The WAL's directory entry: SQLite made the file before the writer
	// came; a commit synced into a file whose name is not is not durable.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		err = d.Sync()
		_ = d.Close()
		if err != nil {
			return nil, fmt.Errorf("store: sync the database's directory: %w", err)
		}
	}
	go s.loop()
	return s, nil
}

// sync syncs the WAL file. It is opened anew each time: SQLite may remove
// and make it again (when the last connection closes), and a descriptor of
// a removed file syncs nothing of the new one. Without a WAL (checkpointed
// into the database and removed) the database file is synced.
func (s *walSyncer) sync() error {
	f, err := os.OpenFile(s.wal, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = os.OpenFile(s.db, os.O_RDWR, 0)
	}
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (s *walSyncer) loop() {
	defer close(s.done)
	for b := range s.in {
		batches := []syncBatch{b}
	drain:
		for {
			select {
			case b, ok := <-s.in:
				if !ok {
					break drain
				}
				batches = append(batches, b)
			default:
				break drain
			}
		}
		var err error
		if slices.ContainsFunc(batches, func(b syncBatch) bool { return b.committed }) {
			if err = s.syncFn(); err != nil {
				err = fmt.Errorf("store: sync the WAL: %w", err)
			}
		}
		for _, b := range batches {
			for i, j := range b.jobs {
				r := b.results[i]
				if err != nil && b.committed && r.err == nil && !r.hasPanic {
					// Committed but maybe not on disk: the caller must
					// not be told it is.
					r.err = err
				}
				j.done <- r
			}
		}
	}
}

// close answers what is waiting and stops.
func (s *walSyncer) close() {
	close(s.in)
	<-s.done
}
