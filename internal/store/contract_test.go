package store_test

// The store's contract suite, in the style of River's riverdrivertest
// (riverdriver/riverdrivertest: one Exercise that runs every driver method
// against each driver, each method's cases in their own subtest, each case
// in a transaction that is rolled back).
//
// Every exported method of *store.Q and *store.Store, and every exported
// function of the package, has a case in the contract table, named
// "Q.Method", "Store.Method" or "func.Name". TestStoreContract runs the whole
// table against SQLite and PostgreSQL (storetest.Each); TestStoreContractComplete
// fails, naming them, when a method has no case (or a case names a method
// that is gone). To cover a new method, add an entry to the contract map of
// the contract_*_test.go file of its area:
//
//	"Q.InsertThing": func(t *testing.T, st *store.Store) {
//		q := txQ(t, st)
//		...
//	},
//
// What every case checks, on both databases alike: the normal path (what is
// written reads back, times at microsecond precision in UTC, NULLs as the
// zero value), not found (a not_found market.Error, never a nil error with
// a zero value, unless the method documents otherwise), and the mapping of
// unique and CHECK violations to the market.Error codes the store returns.

import (
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// contractCase exercises one method. It gets the store shared by every case
// of a kind: it must write only inside txQ (rolled back when it ends), so
// that the cases do not see each other's rows.
type contractCase func(t *testing.T, st *store.Store)

// contract is the table of cases, by method name, filled by the init of
// each contract_*_test.go file.
var contract = map[string]contractCase{}

func addContract(cases map[string]contractCase) {
	for name, c := range cases {
		if _, dup := contract[name]; dup {
			panic("contract: two cases for " + name)
		}
		contract[name] = c
	}
}

// packageFuncs are the exported functions of package store (reflection does
// not list a package's functions): a new one is added here and to the table.
var packageFuncs = []string{"func.BadText", "func.Migrations", "func.Open"}

// exportedAPI lists the methods of *store.Q and *store.Store by reflection,
// and the package's functions.
func exportedAPI() []string {
	var out []string
	for _, typ := range []reflect.Type{reflect.TypeOf(&store.Q{}), reflect.TypeOf(&store.Store{})} {
		for i := range typ.NumMethod() {
			out = append(out, typ.Elem().Name()+"."+typ.Method(i).Name)
		}
	}
	out = append(out, packageFuncs...)
	sort.Strings(out)
	return out
}

// TestStoreContractComplete fails when an exported method of the store has
// no case in the contract table, or a case names a method that is gone.
func TestStoreContractComplete(t *testing.T) {
	api := exportedAPI()
	var missing, stale []string
	for _, m := range api {
		if contract[m] == nil {
			missing = append(missing, m)
		}
	}
	for name := range contract {
		if !slices.Contains(api, name) {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("%d of %d exported store methods have no contract test; add a case named like these to the contract map of a contract_*_test.go file (see contract_test.go):\n\t%s",
			len(missing), len(api), strings.Join(missing, "\n\t"))
	}
	if len(stale) > 0 {
		t.Errorf("contract cases name methods the store no longer has; remove or rename them:\n\t%s", strings.Join(stale, "\n\t"))
	}
}

// TestStoreContract runs every case of the contract against each database.
// The cases of a kind run one after another on one store (on SQLite a write
// transaction holds the database's write lock); the kinds run in parallel.
func TestStoreContract(t *testing.T) {
	t.Parallel()
	names := make([]string, 0, len(contract))
	for name := range contract {
		names = append(names, name)
	}
	sort.Strings(names)
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		t.Parallel()
		for _, name := range names {
			t.Run(name, func(t *testing.T) { contract[name](t, st) })
		}
	})
}

var errRollback = errors.New("contract: roll back")

// txQ returns a Q inside a transaction of st that is rolled back when the
// test ends (River's executorWithTx). A test holds at most one at a time:
// on SQLite a second would wait for the first's write lock. On PostgreSQL a
// statement that fails aborts the transaction: a case checks an expected
// constraint error last, or in a subtest of its own.
func txQ(t *testing.T, st *store.Store) *store.Q {
	t.Helper()
	qc := make(chan *store.Q, 1)
	done := make(chan struct{})
	finished := make(chan error, 1)
	go func() {
		finished <- st.Tx(ctx, func(q *store.Q) error {
			qc <- q
			<-done
			return errRollback
		})
	}()
	select {
	case q := <-qc:
		t.Cleanup(func() {
			close(done)
			if err := <-finished; !errors.Is(err, errRollback) {
				t.Errorf("roll back: %v", err)
			}
		})
		return q
	case err := <-finished:
		t.Fatalf("begin: %v", err)
		return nil
	}
}

// tµ is a business time with nanoseconds and a zone other than UTC: the
// stores keep microseconds and give times back in UTC.
var tµ = time.Date(2026, 5, 1, 14, 0, 0, 123456789, time.FixedZone("CEST", 2*3600))

// µs is how a stored time reads back.
func µs(at time.Time) time.Time { return at.UTC().Truncate(time.Microsecond) }

func ptr[T any](v T) *T { return &v }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// eq compares a read value with the expected one (times by ==, so their
// location must be UTC as well as the instant equal).
func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// wantCode checks that err is a market.Error of code (and of param, if
// param is not "").
func wantCode(t *testing.T, err error, code market.Code, param string) {
	t.Helper()
	var me *market.Error
	if !errors.As(err, &me) || me.Code != code {
		t.Fatalf("error = %v (%T), want a market.Error %s", err, err, code)
	}
	if param != "" && me.Param != param {
		t.Errorf("error %v: param %q, want %q", err, me.Param, param)
	}
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	wantCode(t, err, market.CodeNotFound, "")
}

// Fixtures: each writes through q and fails the test on error.

func fxCustomer(t *testing.T, q *store.Q, id string) market.Customer {
	t.Helper()
	c := market.Customer{ID: id, Company: "Company " + id, Country: "CH", Currency: "CHF", Email: id + "@x.test", CreatedAt: tµ}
	must(t, q.InsertCustomer(ctx, c))
	c.CreatedAt = µs(tµ)
	return c
}

func fxUser(t *testing.T, q *store.Q, customerID, id, email, hash string) market.User {
	t.Helper()
	u := market.User{ID: id, CustomerID: customerID, Name: "User " + id, Email: email, PasswordHash: hash, Role: "member",
		Extension: id, CreatedAt: tµ}
	must(t, q.InsertUser(ctx, u))
	u.CreatedAt = µs(tµ)
	return u
}

func fxPlan(t *testing.T, q *store.Q, code string) market.Plan {
	t.Helper()
	must(t, q.UpsertProduct(ctx, "prod_"+code, "Product "+code, ""))
	p := market.Plan{Code: code, Product: "prod_" + code, ProductName: "Product " + code, Name: "Plan " + code, Description: "d",
		Rank: 1, MinLicenses: 1, MaxLicenses: 10, Terms: []int{1, 12}, TrialDays: 14, Active: true,
		Prices: []market.Price{{Currency: "CHF", TermMonths: 1, UnitAmount: 1000}, {Currency: "CHF", TermMonths: 12, UnitAmount: 10000}}}
	must(t, q.InsertPlan(ctx, p, tµ))
	return p
}

func fxSub(t *testing.T, q *store.Q, customerID, id, plan string, expires time.Time) market.Subscription {
	t.Helper()
	s := market.Subscription{ID: id, CustomerID: customerID, Product: "prod_" + plan, Plan: plan, TermMonths: 1,
		Status: market.Status("active"), AutoRenew: true, Currency: "CHF", StartedAt: expires.AddDate(0, -1, 0), ExpiresAt: expires,
		Periods: []market.Period{{Seq: 1, Start: expires.AddDate(0, -1, 0), End: expires, Plan: plan, Quantity: 2, UnitAmount: 1000, TermMonths: 1}}}
	must(t, q.InsertSubscription(ctx, s, tµ))
	return s
}

func fxNumber(t *testing.T, q *store.Q, id, e164, area string) market.Number {
	t.Helper()
	n := market.Number{ID: id, Number: e164, Country: "US", State: "NY", Area: area, Type: "local", SetupAmount: 100,
		MonthlyAmount: 200, Currency: "USD", CreatedAt: tµ}
	must(t, q.InsertNumber(ctx, n))
	n.Status, n.CreatedAt = market.NumberAvailable, µs(tµ)
	return n
}

func fxPayment(t *testing.T, q *store.Q, customerID, id string, amount int64, at time.Time) market.Payment {
	t.Helper()
	p := market.Payment{ID: id, CustomerID: customerID, Purpose: market.Purpose("checkout"), Description: "pay " + id, Method: "card",
		Amount: amount, Currency: "CHF", CardBrand: "visa", CardLast4: "4242", CreatedAt: at}
	must(t, q.InsertPayment(ctx, p))
	p.CreatedAt = µs(at)
	return p
}

func fxOrder(t *testing.T, q *store.Q, customerID, id string, total int64) market.Order {
	t.Helper()
	o := market.Order{ID: id, CustomerID: customerID, Status: "paid", Currency: "CHF",
		Totals: market.Totals{Subtotal: total, Total: total}, Source: "api", CreatedAt: tµ,
		Lines: []market.Line{{Type: market.ItemType("balance_top_up"), Description: "Top-up", Quantity: 1, UnitAmount: total,
			Amount: total, TaxRate: money.MustRate("8.1")}}}
	must(t, q.InsertOrder(ctx, o))
	o.CreatedAt = µs(tµ)
	return o
}

// fund posts amount from the adjustments account to a customer's balance.
func fund(t *testing.T, q *store.Q, customerID, txID string, amount int64) {
	t.Helper()
	must(t, q.Post(ctx, market.LedgerTx{ID: txID, CustomerID: customerID, Kind: "adjustment", Description: "fund", Currency: "CHF",
		CreatedAt: tµ, Postings: []market.Posting{{Account: market.BalanceAccount(customerID), Amount: amount},
			{Account: market.SystemAccount("adjustments", "CHF"), Amount: -amount}}}))
}

// The Store's own methods and the package's functions. They get a store of
// their own (of the same kind), as they commit, close or migrate.
func init() {
	own := func(t *testing.T, st *store.Store) *store.Store {
		t.Helper()
		return storetest.Open(t, string(st.Dialect()))
	}
	addContract(map[string]contractCase{
		"func.Open": func(t *testing.T, st *store.Store) {
			s, err := store.Open(ctx, storetest.URL(t, string(st.Dialect())))
			must(t, err)
			defer s.Close()
			eq(t, "dialect", s.Dialect(), st.Dialect())
			if _, err := store.Open(ctx, "sqlite:"); err == nil {
				t.Error("an empty SQLite path opened")
			}
			if _, err := store.Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"); err == nil {
				t.Error("an unreachable PostgreSQL opened")
			}
		},
		"Store.Migrate": func(t *testing.T, st *store.Store) {
			s := own(t, st)
			must(t, s.Migrate(ctx)) // again: nothing to do
			var n int
			must(t, s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM customers`).Scan(&n))
		},
		"func.Migrations": func(t *testing.T, st *store.Store) {
			b, err := fs.ReadFile(store.Migrations(), "00001_core.sql")
			must(t, err)
			if !strings.Contains(string(b), "-- +goose Up") {
				t.Error("00001_core.sql is not a goose migration")
			}
		},
		"Store.WriterStats": func(t *testing.T, st *store.Store) {
			s := own(t, st)
			must(t, s.Tx(ctx, func(q *store.Q) error { return nil }))
			ws, ok := s.WriterStats()
			if s.Dialect() == store.Postgres {
				if ok {
					t.Errorf("PostgreSQL has a writer: %+v", ws)
				}
				return
			}
			if !ok || ws.Transactions < 1 || ws.Commits < 1 || ws.Commits > ws.Transactions || ws.WALRestartFailures != 0 || ws.CheckpointFailures != 0 {
				t.Errorf("WriterStats after a transaction = %+v, %v", ws, ok)
			}
		},
		"Store.Warm": func(t *testing.T, st *store.Store) {
			s := own(t, st)
			must(t, s.Warm(ctx))
			if s.Dialect() == store.Postgres {
				if st := s.DB().Stats(); st.OpenConnections < 32 || st.Idle != st.OpenConnections {
					t.Errorf("after Warm: %d connections open, %d idle; want 32 idle", st.OpenConnections, st.Idle)
				}
				// Its rehearsal of a REGISTER (the nonce it used) was
				// rolled back, and every session is out of its
				// transaction: a pooled one reads what was committed.
				var nonces int
				must(t, s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM sip_nonce_uses`).Scan(&nonces))
				if nonces != 0 {
					t.Errorf("after Warm: %d nonce uses recorded, want 0", nonces)
				}
				var idleInTx int
				must(t, s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
					WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&idleInTx))
				if idleInTx != 0 {
					t.Errorf("after Warm: %d sessions idle in a transaction", idleInTx)
				}
			}
			must(t, s.Ping(ctx))
		},
		"Store.Close": func(t *testing.T, st *store.Store) {
			s := own(t, st)
			must(t, s.Close())
			if err := s.Ping(ctx); err == nil {
				t.Error("a closed store answers")
			}
		},
		"Store.Dialect": func(t *testing.T, st *store.Store) {
			if d := st.Dialect(); d != store.SQLite && d != store.Postgres {
				t.Errorf("dialect %q", d)
			}
		},
		"Store.DB": func(t *testing.T, st *store.Store) {
			must(t, st.DB().PingContext(ctx))
		},
		"Store.Ping": func(t *testing.T, st *store.Store) {
			must(t, st.Ping(ctx))
		},
		"Store.Read": func(t *testing.T, st *store.Store) {
			s := own(t, st)
			must(t, s.Tx(ctx, func(q *store.Q) error {
				fxCustomer(t, q, "cus_read")
				fxPromo(t, q, "READ", 0)
				fxNumber(t, q, "num_2", "+12125550102", "212")
				fxNumber(t, q, "num_1", "+12125550101", "212")
				return q.ClaimNumber(ctx, "num_2", "cus_read", "", tµ, tµ.AddDate(0, 1, 0))
			}))
			// The locking reads work outside a transaction too (no row
			// locks there), and see what was committed.
			r := s.Read()
			c, err := r.LockCustomer(ctx, "cus_read")
			must(t, err)
			eq(t, "customer", c.ID, "cus_read")
			n, err := r.LockNumber(ctx, "cus_read", "num_2")
			must(t, err)
			eq(t, "number", n.Status, market.NumberActive)
			_, err = r.Promo(ctx, "READ", true)
			must(t, err)
			ns, err := r.PickAvailableNumbers(ctx, store.NumberSearch{Country: "US", Area: "212"})
			must(t, err)
			eq(t, "picked", numbersOf(ns), "+12125550101")
			_, err = r.Customer(ctx, "cus_none")
			wantNotFound(t, err)
			_, err = r.Order(ctx, "", "ord_none")
			wantNotFound(t, err)
		},
		"Store.Tx": func(t *testing.T, st *store.Store) {
			s := own(t, st)
			must(t, s.Tx(ctx, func(q *store.Q) error { fxCustomer(t, q, "cus_commit"); return nil }))
			boom := errors.New("boom")
			err := s.Tx(ctx, func(q *store.Q) error { fxCustomer(t, q, "cus_rollback"); return boom })
			if !errors.Is(err, boom) {
				t.Errorf("Tx returned %v, want fn's error", err)
			}
			_, err = s.Read().Customer(ctx, "cus_commit")
			must(t, err)
			_, err = s.Read().Customer(ctx, "cus_rollback")
			wantNotFound(t, err)
			// A market.Error from fn comes back as it is, at the first attempt.
			attempts := 0
			err = s.Tx(ctx, func(q *store.Q) error { attempts++; _, err := q.Customer(ctx, "cus_none"); return err })
			wantNotFound(t, err)
			eq(t, "attempts", attempts, 1)
			// A serialization failure or deadlock runs fn again.
			attempts = 0
			must(t, s.Tx(ctx, func(q *store.Q) error {
				if attempts++; attempts == 1 {
					return &pgconn.PgError{Code: "40001"}
				}
				return nil
			}))
			eq(t, "attempts after a serialization failure", attempts, 2)
		},
		"func.BadText": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			err := q.PutSetting(ctx, "k", "nul\x00byte")
			if st.Dialect() == store.Postgres {
				if !store.BadText(err) {
					t.Errorf("PostgreSQL refusing NUL: BadText(%v) = false", err)
				}
			} else if err != nil || store.BadText(err) {
				t.Errorf("SQLite stores NUL: %v", err)
			}
			if store.BadText(nil) || store.BadText(errors.New("x")) {
				t.Error("BadText of nil or a plain error")
			}
		},
		"Q.Setting": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			v, ok, err := q.Setting(ctx, "absent")
			must(t, err)
			if ok || v != "" { // documented: "" and false, no error
				t.Errorf("absent setting = %q, %v", v, ok)
			}
			must(t, q.PutSetting(ctx, "k", "v1"))
			v, ok, err = q.Setting(ctx, "k")
			must(t, err)
			eq(t, "setting", fmt.Sprintf("%s %v", v, ok), "v1 true")
		},
		"Q.PutSetting": func(t *testing.T, st *store.Store) {
			q := txQ(t, st)
			must(t, q.PutSetting(ctx, "k", "v1"))
			must(t, q.PutSetting(ctx, "k", "")) // replaces; empty is a value
			v, ok, err := q.Setting(ctx, "k")
			must(t, err)
			eq(t, "setting", fmt.Sprintf("%s %v", v, ok), " true")
		},
	})
}

// words prints values separated by spaces (fmt.Sprintln without the
// newline).
func words(vs ...any) string { return strings.TrimSuffix(fmt.Sprintln(vs...), "\n") }
