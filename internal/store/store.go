// Package store persists dialtone's domain in SQLite or PostgreSQL. One set
// of SQL serves both (see docs/ARCHITECTURE.md, "One SQL for two stores"):
// the schema uses only types both understand, placeholders are $N, and the
// few differences (row locks) are switched on the dialect here.
//
// Concurrency: on SQLite one goroutine writes, on one connection, and
// commits what has queued up together (writer.go); reads use a pool of
// read-only connections (WAL). On
// PostgreSQL transactions run at READ COMMITTED and take explicit row locks
// (SELECT … FOR UPDATE) on the customer row before they read what they will
// change; shared resources (numbers, promo codes, invoice sequences) are
// changed with conditional updates that cannot oversell. Serialization and
// deadlock failures are retried.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect names the database behind a Store.
type Dialect string

// The two dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is a handle on the database.
type Store struct {
	// db is the pool: on SQLite its connections are read-only
	// (query_only) and wdb, one connection, is the writer's.
	db      *sql.DB
	wdb     *sql.DB
	w       *writer
	dialect Dialect
	// ids makes the IDs of rows the store itself adds (a webhook event's
	// deliveries, one per endpoint).
	ids *id.Generator
	// stmts counts the statements sent, hook sees each (counting.go).
	stmts atomic.Int64
	hook  atomic.Pointer[func(query string)]
	// cat is the catalog cache (catalog_cache.go).
	cat catalogCache
	// retries counts the transactions Tx ran again (counting.go Retries).
	retries atomic.Int64
	// reads are the read pool's prepared statements (SQLite).
	reads readStmts
}

// pgPool is how many connections a process keeps to PostgreSQL.
const pgPool = 32

// Open connects to url: a PostgreSQL URL ("postgres://…"), "sqlite:PATH", or
// a plain file path for SQLite. It does not migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	s := Store{ids: id.NewGenerator(time.Now)}
	var err error
	var path string // SQLite's file
	switch {
	case strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://"):
		s.dialect = Postgres
		s.db, err = sql.Open("pgx", url)
		if err == nil {
			// As many idle as open: a connection closed for being one
			// too many idle is a new session (and its prepared
			// statements) at the next burst.
			s.db.SetMaxOpenConns(pgPool)
			s.db.SetMaxIdleConns(pgPool)
			s.db.SetConnMaxIdleTime(5 * time.Minute)
		}
	default:
		path = strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return nil, errors.New("store: empty database path")
		}
		s.dialect = SQLite
		// synchronous(FULL): a commit is on disk before an order is
		// answered "paid". (The writer's own connection commits with
		// NORMAL and its syncer syncs the WAL before anyone is answered,
		// which keeps that promise off the writer's path: wal_sync.go.)
		// The writer's busy_timeout only matters when
		// another process (a backup, the sqlite3 shell) holds the lock.
		// temp_store(MEMORY): the statement journal of the savepoints a
		// group commit puts around each of its jobs stays in memory (by
		// default it spills to a temporary file past 64 KiB, a pwrite per
		// page); it is never needed after a crash, only to roll back one
		// job of a live transaction.
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(20000)" +
			"&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_pragma=temp_store(MEMORY)&_txlock=immediate"
		s.wdb, err = sql.Open("sqlite", dsn+"&_pragma=wal_autocheckpoint(0)")
		if err == nil {
			// The writer keeps one connection for itself and its
			// checkpointer another (checkpoint.go); the third serves
			// migrations and tests (DB), which wait on the database's
			// lock as any other process would.
			s.wdb.SetMaxOpenConns(3)
			s.wdb.SetMaxIdleConns(3)
			s.wdb.SetConnMaxIdleTime(0)
			s.db, err = sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
		}
		if err == nil {
			s.db.SetMaxOpenConns(8)
			s.db.SetMaxIdleConns(8)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if s.wdb == nil {
		s.wdb = s.db
	}
	// The writer's connection first: it creates the file and sets WAL.
	if err := s.wdb.PingContext(ctx); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.closeDBs()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if s.dialect == SQLite {
		if s.w, err = newWriter(ctx, &s, s.wdb, path); err != nil {
			s.closeDBs()
			return nil, err
		}
	}
	return &s, nil
}

// Warm opens the connections of the PostgreSQL pool before the first
// requests need them, so that a burst at start (every phone of an office
// registering after a power cut) does not wait for 32 sessions to be
// started one by one, each a new server process that must then read the
// description of every table it meets. SQLite has nothing to warm: its
// connections are files opened already.
func (s *Store) Warm(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	var tables []string
	rows, err := s.db.QueryContext(ctx, `SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("store: warm: %w", err)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("store: warm: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: warm: %w", err)
	}
	// Planning a query of a table loads its and its indexes' descriptions
	// into the session's caches, which a new session otherwise does at
	// its first statement of each table (milliseconds each).
	var touch strings.Builder
	for _, t := range tables {
		touch.WriteString("SELECT 1 FROM " + t + " LIMIT 0;\n")
	}
	conns := make([]*sql.Conn, pgPool)
	errs := make([]error, pgPool)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Go(func() {
			if conns[i], errs[i] = s.db.Conn(ctx); errs[i] == nil && len(tables) > 0 {
				_, errs[i] = conns[i].ExecContext(ctx, touch.String())
				if errs[i] == nil {
					errs[i] = warmRegisterPG(ctx, conns[i])
				}
			}
		})
	}
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			c.Close() // back to the pool, idle (MaxIdleConns is pgPool)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: warm: %w", err)
	}
	return nil
}

// Migrate brings the schema up to date, one migration per transaction.
func (s *Store) Migrate(ctx context.Context) error {
	d := goose.DialectSQLite3
	if s.dialect == Postgres {
		d = goose.DialectPostgres
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(d, s.wdb, sub)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// Close stops the writer (what is queued is answered first) and closes the
// database.
func (s *Store) Close() error {
	if s.w != nil {
		s.w.close()
	}
	s.reads.close()
	return s.closeDBs()
}

func (s *Store) closeDBs() error {
	err := s.db.Close()
	if s.wdb != nil && s.wdb != s.db {
		err = errors.Join(err, s.wdb.Close())
	}
	return err
}

// Dialect returns which database this is.
func (s *Store) Dialect() Dialect { return s.dialect }

// DB returns a pool that may write, for tests and health checks.
func (s *Store) DB() *sql.DB { return s.wdb }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Q runs queries, inside a transaction (from Tx) or not (from Read).
type Q struct {
	ex      execer
	dialect Dialect
	inTx    bool
	ids     *id.Generator
	// after holds what runs once the transaction committed (AfterCommit).
	after *[]func()
	// cache is the store's copy of the catalog, cat a transaction's memo
	// of it (catalog_cache.go).
	cache *catalogCache
	cat   *txCatalog
	// batch keeps a batched run's writes (batch.go).
	batch *writeBatch
	// once holds AfterCommitOnce's keys.
	once map[string]bool
	// later keeps writes for the COMMIT (later.go).
	later *laterWrites
	// locked holds the customers this transaction locked, their balances
	// as it moved them, while it keeps its writes (pipelined.go).
	locked map[string]market.Customer
	// balSets holds balance settings read in a pipelined transaction's
	// first round trip, until a statement names balance_settings.
	balSets map[string]market.BalanceSettings
}

// Read returns a Q for reads outside a transaction. On SQLite its reads use
// the read-only pool and a statement that writes (Exec) is handed to the
// writer, as a transaction of its own.
func (s *Store) Read() *Q {
	if s.w != nil {
		return &Q{ex: counted{readOrWrite{s}, s}, dialect: s.dialect, ids: s.ids, cache: &s.cat}
	}
	return &Q{ex: counted{s.db, s}, dialect: s.dialect, ids: s.ids, cache: &s.cat}
}

// Tx runs fn in one transaction and commits it if fn returns nil. On
// PostgreSQL a serialization failure or deadlock reruns fn (up to 10 times,
// with jittered backoff), so fn must not have effects outside the
// transaction that it cannot repeat.
func (s *Store) Tx(ctx context.Context, fn func(q *Q) error) error {
	return s.retrying(ctx, func() error { return s.tx(ctx, fn) })
}

// retrying runs attempt, and again (up to 10 times in all, with
// jittered backoff) while it fails with a serialization failure or a
// deadlock.
func (s *Store) retrying(ctx context.Context, attempt func() error) error {
	var err error
	for n := 0; n < 10; n++ {
		err = attempt()
		if !retryable(err) {
			return err
		}
		s.retries.Add(1)
		if err := retryWait(ctx, n); err != nil {
			return err
		}
	}
	return err
}

// handTx takes a pooled connection for a transaction sent by hand on
// PostgreSQL (BEGIN in a pgx batch: RegisterSIP, TxPipelined); end gives
// it back, rolling the transaction back first when *err is set.
func (s *Store) handTx(ctx context.Context) (conn *sql.Conn, end func(err *error), err error) {
	conn, err = s.db.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("store: connect: %w", err)
	}
	return conn, func(err *error) {
		if *err != nil {
			rollbackRaw(ctx, conn)
		}
		_ = conn.Close()
	}, nil
}

// retryWait waits before the retry after attempt (from 0) of a
// transaction that failed retryably: 1 ms doubling to 64 ms, and as much
// again at random. Error: the context's, when it ends first.
func retryWait(ctx context.Context, attempt int) error {
	backoff := time.Duration(1<<min(attempt, 6)) * time.Millisecond
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(backoff + time.Duration(rand.Int64N(int64(backoff)+1))):
		return nil
	}
}

func (s *Store) tx(ctx context.Context, fn func(q *Q) error) (err error) {
	if s.w != nil {
		return s.w.do(ctx, fn)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var after []func()
	q := s.txQ(tx, &after)
	if err = fn(q); err != nil {
		return err
	}
	if err = q.FlushBatch(ctx); err != nil { // what a batch kept, if fn left it
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	for _, f := range after {
		f()
	}
	return nil
}

// txQ is the Q of a transaction on ex, whichever runs it (Tx here, the
// SQLite writer, the pipelined SIP registration): its statements counted,
// the catalog cache with the transaction's own memo, and after collecting
// what runs once it committed.
func (s *Store) txQ(ex execer, after *[]func()) *Q {
	return &Q{ex: counted{ex, s}, dialect: s.dialect, inTx: true, ids: s.ids, after: after, cache: &s.cat, cat: &txCatalog{}}
}

func retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40001" || pg.Code == "40P01"
	}
	return false
}

// forUpdate returns the row-lock clause of the dialect inside a transaction.
func (q *Q) forUpdate() string {
	if q.dialect == Postgres && q.inTx {
		return " FOR UPDATE"
	}
	return ""
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed") ||
		strings.Contains(err.Error(), "constraint failed: UNIQUE")
}

// uniqueOn reports whether err is a unique violation of the named index
// (PostgreSQL names it; SQLite says "UNIQUE constraint failed: index 'name'"
// for an index on an expression).
func uniqueOn(err error, index string) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505" && pg.ConstraintName == index
	}
	return err != nil && strings.Contains(err.Error(), "'"+index+"'")
}

// uniqueOnColumns reports whether err is a unique violation of the named
// index on columns: PostgreSQL names the index; SQLite names the columns of
// an index on columns ("UNIQUE constraint failed: users.email"), so columns
// is that list, "table.col" joined by ", ".
func uniqueOnColumns(err error, index, columns string) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505" && pg.ConstraintName == index
	}
	if !isUnique(err) {
		return false
	}
	msg := err.Error()
	i := strings.Index(msg, "UNIQUE constraint failed: ")
	if i < 0 {
		return false
	}
	rest := strings.TrimPrefix(msg[i:], "UNIQUE constraint failed: ")
	return rest == columns || strings.HasPrefix(rest, columns+" ")
}

// BadText reports whether err is PostgreSQL refusing text it cannot store:
// a NUL character or invalid UTF-8 (SQLite stores both). The server
// refuses such input before it reaches a store; this is the backstop.
func BadText(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "22021" || pg.Code == "22P05")
}

// isCheck reports whether err is a CHECK-constraint violation.
func isCheck(err error) bool {
	if err == nil {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23514"
	}
	return strings.Contains(err.Error(), "CHECK constraint failed")
}

// notFound maps sql.ErrNoRows to a not_found error for kind.
func notFound(err error, kind string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return market.NotFound(kind)
	}
	return err
}

// ts converts a time to the stored microseconds.
func ts(t time.Time) int64 { return t.UnixMicro() }

// tsp converts an optional time.
func tsp(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// fromTS converts stored microseconds to a UTC time.
func fromTS(v int64) time.Time { return time.UnixMicro(v).UTC() }

// fromNull converts an optional stored time.
func fromNull(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromTS(v.Int64)
	return &t
}

// Setting returns a stored setting, or "" and false.
func (q *Q) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := q.ex.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// PutSetting stores a setting.
func (q *Q) PutSetting(ctx context.Context, key, value string) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Migrations returns the embedded migration files (for test templates).
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}
