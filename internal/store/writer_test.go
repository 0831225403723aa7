package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func openSQLite(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.DB().ExecContext(ctx, `CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return s
}

func count(t *testing.T, s *Store) map[string]int {
	t.Helper()
	rows, err := s.Read().ex.QueryContext(context.Background(), `SELECT k, v FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]int{}
	for rows.Next() {
		var k string
		var v int
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		got[k] = v
	}
	return got
}

// One group carries many transactions; a failing one, a panicking one and
// one whose caller gave up do not take their neighbours down, and each
// keeps its all-or-nothing.
func TestWriterGroupCommit(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	insert := func(q *Q, k string) error {
		_, err := q.ex.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ($1, 1)`, k)
		return err
	}

	// Hold the writer on a first transaction until the others have queued,
	// so that they run as one group.
	release, started := make(chan struct{}), make(chan struct{})
	var first sync.WaitGroup
	first.Add(1)
	go func() {
		defer first.Done()
		if err := s.Tx(ctx, func(q *Q) error { close(started); <-release; return insert(q, "first") }); err != nil {
			t.Error(err)
		}
	}()
	<-started

	const n = 20
	boom := errors.New("boom")
	errs := make([]error, n)
	panics := make([]any, n)
	canceled, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			c := ctx
			if i == 5 {
				c = canceled
			}
			errs[i] = s.Tx(c, func(q *Q) error {
				// Two writes: a failure after the first undoes it.
				if err := insert(q, fmt.Sprintf("a%d", i)); err != nil {
					return err
				}
				switch i {
				case 3:
					return boom
				case 7:
					panic("seven")
				case 11:
					return insert(q, "first") // a unique violation, in SQL (the first one committed before this group)
				}
				return insert(q, fmt.Sprintf("b%d", i))
			})
		}()
	}
	for len(s.w.jobs) < n {
		time.Sleep(time.Millisecond)
	}
	cancel()
	groupsBefore, _ := s.w.stats()
	close(release)
	wg.Wait()
	first.Wait()
	groups, jobs := s.w.stats()
	if groups-groupsBefore > 3 {
		t.Errorf("%d transactions took %d groups, want them together", n, groups-groupsBefore)
	}
	if jobs < n {
		t.Errorf("writer ran %d jobs, want at least %d", jobs, n)
	}

	got := count(t, s)
	for i := 0; i < n; i++ {
		a, b := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
		switch i {
		case 3:
			if !errors.Is(errs[i], boom) {
				t.Errorf("tx 3: %v, want boom", errs[i])
			}
		case 5:
			if !errors.Is(errs[i], context.Canceled) {
				t.Errorf("tx 5 (canceled before its turn): %v, want context.Canceled", errs[i])
			}
		case 7:
			if panics[i] != "seven" {
				t.Errorf("tx 7: panic %v, want it raised in its caller", panics[i])
			}
		case 11:
			if errs[i] == nil || !isUnique(errs[i]) {
				t.Errorf("tx 11: %v, want a unique violation", errs[i])
			}
		default:
			if errs[i] != nil || panics[i] != nil {
				t.Errorf("tx %d: %v %v", i, errs[i], panics[i])
			}
			if got[a] != 1 || got[b] != 1 {
				t.Errorf("tx %d committed %v/%v", i, got[a], got[b])
			}
			continue
		}
		if _, ok := got[a]; ok {
			t.Errorf("tx %d failed but its first write stayed", i)
		}
		if _, ok := got[b]; ok {
			t.Errorf("tx %d failed but its second write stayed", i)
		}
	}
	if got["first"] != 1 {
		t.Error("the first transaction did not commit")
	}
}

// A write through Read goes through the writer; a statement that writes on
// the read-only pool is refused.
func TestWriterReadPoolIsReadOnly(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	if _, err := s.Read().ex.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ('r', 1)`); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s); got["r"] != 1 {
		t.Fatalf("write through Read: %v", got)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO t (k, v) VALUES ('x', 1)`); err == nil {
		t.Fatal("the read pool wrote")
	}
}

// Close answers what is queued and refuses what comes after.
func TestWriterClose(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	if err := s.Tx(ctx, func(q *Q) error { return nil }); err != nil {
		t.Fatal(err)
	}
	s.w.close()
	if err := s.Tx(ctx, func(q *Q) error { return nil }); !errors.Is(err, errClosed) {
		t.Fatalf("Tx after close: %v, want errClosed", err)
	}
}

// The read pool keeps at most maxStmts prepared statements, however many
// callers prepare at once, and counts exactly those it keeps.
func TestReadStmtsBound(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range maxStmts/8 + 10 {
				q := fmt.Sprintf(`SELECT k FROM t WHERE v = %d`, g*10000+i)
				if st := s.reads.stmt(ctx, s.db, q, nil); st == nil && s.reads.n.Load() < maxStmts {
					t.Errorf("%s not kept with %d kept", q, s.reads.n.Load())
				}
			}
		})
	}
	wg.Wait()
	kept := 0
	s.reads.m.Range(func(_, _ any) bool { kept++; return true })
	if kept > maxStmts || int64(kept) != s.reads.n.Load() {
		t.Fatalf("kept %d statements, counted %d, bound %d", kept, s.reads.n.Load(), maxStmts)
	}
}
