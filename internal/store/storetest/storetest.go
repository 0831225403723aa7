// Package storetest gives tests a fresh, migrated database of each kind:
// SQLite always, PostgreSQL when DIALTONE_TEST_POSTGRES_URL is set. Under
// CI=true a missing PostgreSQL fails the test instead of skipping it.
//
// PostgreSQL databases are cloned from a template migrated once per schema
// version, so each test gets its own database in a few milliseconds.
package storetest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/store"
)

// PostgresEnv names the variable holding the PostgreSQL server URL.
const PostgresEnv = "DIALTONE_TEST_POSTGRES_URL"

// Kinds returns the store kinds to test: "sqlite" and, when configured,
// "postgres".
func Kinds(t testing.TB) []string {
	kinds := []string{"sqlite"}
	if os.Getenv(PostgresEnv) != "" {
		kinds = append(kinds, "postgres")
	} else if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set under CI=true: the PostgreSQL suite must run", PostgresEnv)
	}
	return kinds
}

// Each runs f as a subtest against a fresh store of every kind.
func Each(t *testing.T, f func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, k := range Kinds(t) {
		t.Run(k, func(t *testing.T) {
			f(t, Open(t, k))
		})
	}
}

// Open returns a fresh migrated store of a kind, closed and removed when the
// test ends.
func Open(t testing.TB, kind string) *store.Store {
	t.Helper()
	u := URL(t, kind)
	ctx := context.Background()
	st, err := store.Open(ctx, u)
	if err != nil {
		t.Fatalf("open %s: %v", kind, err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", kind, err)
	}
	return st
}

// URL returns the address of a fresh database of a kind (migrated for
// PostgreSQL, empty for SQLite), removed when the test ends.
func URL(t testing.TB, kind string) string {
	t.Helper()
	if kind == "sqlite" {
		return "sqlite:" + filepath.Join(t.TempDir(), "dialtone.db")
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Fatalf("%s is not set", PostgresEnv)
	}
	tmpl, err := template(base)
	if err != nil {
		t.Fatalf("postgres template: %v", err)
	}
	name := "dt_" + strings.ReplaceAll(id.Secret(10), "-", "")
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for i := 0; ; i++ {
		_, err = admin.Exec(fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl))
		if err == nil || i > 50 || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(time.Duration(20+i*10) * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	return withDatabase(base, name)
}

var (
	tmplOnce sync.Once
	tmplName string
	tmplErr  error
)

// template creates (once per schema version) a migrated database to clone.
func template(base string) (string, error) {
	tmplOnce.Do(func() {
		h := sha256.New()
		_ = fs.WalkDir(store.Migrations(), ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := fs.ReadFile(store.Migrations(), p)
				h.Write(b)
			}
			return nil
		})
		tmplName = "dialtone_tmpl_" + hex.EncodeToString(h.Sum(nil))[:12]
		tmplErr = makeTemplate(base, tmplName)
	})
	return tmplName, tmplErr
}

func makeTemplate(base, name string) error {
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Serialize template creation across test processes.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(736201)`); err != nil {
		return err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(736201)`)
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	building := name + "_building"
	_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`)
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building); err != nil {
		return err
	}
	st, err := store.Open(ctx, withDatabase(base, building))
	if err != nil {
		return err
	}
	err = st.Migrate(ctx)
	st.Close()
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+name)
	return err
}

func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

// Column runs a query of one text column on st's database and returns its
// rows; a failing query fails the test.
func Column(t testing.TB, st *store.Store, query string) []string {
	t.Helper()
	rows, err := st.DB().QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
