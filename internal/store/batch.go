package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/dialtone/dialtone/internal/market"
)

// A write batch (issue 18) lets one transaction do the work of many
// renewals with a few statements. Between BeginBatch and FlushBatch:
//
//   - the plain inserts of the order path (periods, payments, ledger
//     transactions, accounts and postings, revenue rows, orders and their
//     lines, notifications and mails) and the updates of subscriptions and
//     of customers' balances are kept in memory, in the order they were
//     made, and written as one multi-row statement per kind of statement;
//   - the reads the batch preloaded (PreloadRenewals: the customers,
//     subscriptions with periods and users, billing addresses and balance
//     settings of the claimed work) are answered from memory, the
//     customers' balances as the batch moved them;
//   - any other statement writes what is kept first, so that it sees the
//     transaction as if every statement had run at once.
//
// What the database would refuse (a period paid twice, a negative balance)
// is refused when the batch is written, and fails the whole transaction:
// a batch is all or nothing, and its caller redoes its work one at a time.

// writeBatch is a transaction's batch state.
type writeBatch struct {
	inner   execer       // the transaction's own execer (q.ex is batchEx)
	groups  []*stmtGroup // kept statements, by first use
	byText  map[string]*stmtGroup
	deltas  map[string]int64 // balance moves not written yet, per customer
	dOrder  []string
	err     error // the first failure of an implicit write
	cust    map[string]market.Customer
	subs    map[string]market.Subscription // with periods and users
	known   map[string]bool                // subscriptions read by the batch (they exist)
	addrs   map[string][]market.BillingAddress
	balSets map[string]market.BalanceSettings
	nums    map[string]market.Number // the claimed numbers, as locked
}

// stmtGroup is one statement's kept rows: an INSERT's "head VALUES (…) tail",
// or an update by key (upd set).
type stmtGroup struct {
	head, tail string
	upd        *keyedUpdate
	rows       [][]any
}

// keyedUpdate is an UPDATE of table's columns by its key: each row's args
// are the key, then the columns, cast to types.
type keyedUpdate struct {
	table, key string
	cols       []string
	types      []string // SQL types of key and columns, for the row literals
}

// batchEx is q.ex inside a batch: every statement that reaches it writes
// what the batch keeps first.
type batchEx struct{ q *Q }

func (e batchEx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := e.q.FlushBatch(ctx); err != nil {
		return nil, err
	}
	return e.q.batch.inner.ExecContext(ctx, query, args...)
}

func (e batchEx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := e.q.FlushBatch(ctx); err != nil {
		return nil, err
	}
	return e.q.batch.inner.QueryContext(ctx, query, args...)
}

func (e batchEx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if err := e.q.FlushBatch(ctx); err != nil && e.q.batch.err == nil {
		e.q.batch.err = err // FlushBatch at the end reports it
	}
	return e.q.batch.inner.QueryRowContext(ctx, query, args...)
}

// BeginBatch starts a write batch in q's transaction (see the file's
// comment); FlushBatch must be called before the transaction commits.
func (q *Q) BeginBatch() {
	if q.batch != nil || !q.inTx {
		return
	}
	q.batch = &writeBatch{inner: q.ex, byText: map[string]*stmtGroup{}, deltas: map[string]int64{},
		cust: map[string]market.Customer{}, subs: map[string]market.Subscription{}, known: map[string]bool{}, addrs: map[string][]market.BillingAddress{},
		balSets: map[string]market.BalanceSettings{}, nums: map[string]market.Number{}}
	q.ex = batchEx{q}
}

// FlushBatch writes what the batch keeps: the balances, then each kind of
// statement in the order of its first use, as multi-row statements.
func (q *Q) FlushBatch(ctx context.Context) error {
	b := q.batch
	if b == nil {
		return nil
	}
	if b.err != nil {
		return b.err
	}
	if err := q.flushBalances(ctx); err != nil {
		b.err = err
		return err
	}
	groups := b.groups
	b.groups, b.byText = nil, map[string]*stmtGroup{}
	for _, g := range groups {
		if err := g.write(ctx, b.inner, q.dialect); err != nil {
			b.err = err
			return err
		}
	}
	return nil
}

// insert runs (or, in a batch, keeps) "head (args) tail", head being
// "INSERT INTO t (cols) VALUES"; it returns the rows inserted (1 for a
// kept row).
func (q *Q) insert(ctx context.Context, head, tail string, args ...any) (int64, error) {
	return q.insertRows(ctx, head, tail, [][]any{args})
}

// insertRows inserts (or keeps) several rows in one statement.
func (q *Q) insertRows(ctx context.Context, head, tail string, rows [][]any) (int64, error) {
	return q.insertWith(ctx, head, tail, rows, insertOpts{})
}

// insertOpts are how an insert's caller reads its outcome: mapErr turns
// its failure into the caller's error (also when a kept write fails
// later); counted asks for the true rows inserted, so that a transaction
// that keeps counts (later.go) runs it at once.
type insertOpts struct {
	mapErr  func(error) error
	counted bool
}

func (q *Q) insertWith(ctx context.Context, head, tail string, rows [][]any, o insertOpts) (int64, error) {
	if b := q.batch; b != nil && b.err == nil {
		g := b.group(head+"\x00"+tail, func() *stmtGroup { return &stmtGroup{head: head, tail: tail} })
		g.rows = append(g.rows, rows...)
		return int64(len(rows)), nil
	}
	var sb strings.Builder
	var args []any
	sb.WriteString(head)
	sb.WriteByte(' ')
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(marks(q.dialect, len(args), len(r)))
		args = append(args, r...)
	}
	if tail != "" {
		sb.WriteByte(' ')
		sb.WriteString(tail)
	}
	if q.later != nil && !(o.counted && q.keepsCounts()) {
		return int64(len(rows)), q.execLaterMapped(ctx, o.mapErr, sb.String(), args...)
	}
	res, err := q.ex.ExecContext(ctx, sb.String(), args...)
	if err != nil {
		return 0, statement{mapErr: o.mapErr}.fail(err)
	}
	return res.RowsAffected()
}

func (b *writeBatch) group(key string, mk func() *stmtGroup) *stmtGroup {
	g := b.byText[key]
	if g == nil {
		g = mk()
		b.byText[key] = g
		b.groups = append(b.groups, g)
	}
	return g
}

// marks returns the parameters n+1 to n+k of a statement, "($n+1, …)" on
// PostgreSQL and "(?, …)" on SQLite, whose parser looks each "$n" up among
// the names before it (a statement of many rows would spend most of its
// time there).
func marks(d Dialect, n, k int) string {
	var sb strings.Builder
	sb.WriteByte('(')
	for i := range k {
		if i > 0 {
			sb.WriteString(", ")
		}
		if d == Postgres {
			fmt.Fprintf(&sb, "$%d", n+i+1)
		} else {
			sb.WriteByte('?')
		}
	}
	sb.WriteByte(')')
	return sb.String()
}

// mark is marks' one parameter n.
func mark(d Dialect, n int) string {
	if d == Postgres {
		return fmt.Sprintf("$%d", n)
	}
	return "?"
}

// maxArgs bounds one statement's arguments (SQLite allows 32,766).
const maxArgs = 30000

func (g *stmtGroup) write(ctx context.Context, ex execer, d Dialect) error {
	rows := g.rows
	if g.upd == nil && strings.Contains(g.tail, "DO NOTHING") {
		rows = uniqueRows(rows) // one statement may not insert a key twice
	}
	for len(rows) > 0 {
		per := max(maxArgs/max(len(rows[0]), 1), 1)
		chunk := rows[:min(per, len(rows))]
		rows = rows[len(chunk):]
		var sb strings.Builder
		args := make([]any, 0, len(chunk)*len(chunk[0]))
		if g.upd != nil {
			g.upd.statement(&sb, chunk, d)
		} else {
			sb.WriteString(g.head)
			sb.WriteByte(' ')
			for i, r := range chunk {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString(marks(d, len(args), len(r)))
				args = append(args, r...)
			}
			sb.WriteByte(' ')
			sb.WriteString(g.tail)
		}
		if g.upd != nil {
			for _, r := range chunk {
				args = append(args, r...)
			}
		}
		res, err := ex.ExecContext(ctx, sb.String(), args...)
		if err != nil {
			return err
		}
		if g.upd != nil {
			if n, _ := res.RowsAffected(); int(n) != len(chunk) {
				return fmt.Errorf("store: batch: %d of %d %s rows updated", n, len(chunk), g.upd.table)
			}
		}
	}
	return nil
}

func uniqueRows(rows [][]any) [][]any {
	seen := map[string]bool{}
	out := rows[:0:0]
	for _, r := range rows {
		k := fmt.Sprintf("%#v", r) // exact: Sprint would join "ab", "" and "a", "b" alike
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// statement writes "UPDATE t SET c = v.c … FROM (SELECT CAST($1 AS …) AS
// key, … UNION ALL …) v WHERE t.key = v.key", which both databases run.
func (u *keyedUpdate) statement(sb *strings.Builder, rows [][]any, d Dialect) {
	fmt.Fprintf(sb, "UPDATE %s SET ", u.table)
	for i, c := range u.cols {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(sb, "%s = v.%s", c, c)
	}
	sb.WriteString(" FROM (")
	n := 0
	names := append([]string{u.key}, u.cols...)
	for i := range rows {
		if i > 0 {
			sb.WriteString(" UNION ALL ")
		}
		sb.WriteString("SELECT ")
		for j, c := range names {
			if j > 0 {
				sb.WriteString(", ")
			}
			n++
			fmt.Fprintf(sb, "CAST(%s AS %s) AS %s", mark(d, n), u.types[j], c)
		}
	}
	fmt.Fprintf(sb, ") v WHERE %s.%s = v.%s", u.table, u.key, u.key)
}

// update keeps an update by key in the batch; it reports false outside one.
func (q *Q) update(u *keyedUpdate, args ...any) bool {
	b := q.batch
	if b == nil || b.err != nil {
		return false
	}
	g := b.group("update "+u.table+" "+strings.Join(u.cols, ","), func() *stmtGroup { return &stmtGroup{upd: u} })
	// A row updated twice before the batch is written: the last values
	// win, as they would one statement after the other (one UPDATE may
	// not join a row to two of its sources).
	for i, r := range g.rows {
		if r[0] == args[0] {
			g.rows[i] = args
			return true
		}
	}
	g.rows = append(g.rows, args)
	return true
}

// moveBalance moves a preloaded customer's balance in the batch and
// returns the new one; ok is false when the customer is not the batch's
// (the caller runs its statement). The schema's CHECK refuses a negative
// balance when it is written; the batch refuses it at once.
func (q *Q) moveBalance(customerID string, amount int64) (bal int64, ok bool, err error) {
	b := q.batch
	if b == nil || b.err != nil {
		return 0, false, nil
	}
	c, ok := b.cust[customerID]
	if !ok {
		return 0, false, nil
	}
	if c.Balance+amount < 0 {
		return 0, true, shortOfFunds()
	}
	c.Balance += amount
	b.cust[customerID] = c
	if _, seen := b.deltas[customerID]; !seen {
		b.dOrder = append(b.dOrder, customerID)
	}
	b.deltas[customerID] += amount
	return c.Balance, true, nil
}

func (q *Q) flushBalances(ctx context.Context) error {
	b := q.batch
	if len(b.dOrder) == 0 {
		return nil
	}
	ids := b.dOrder
	slices.Sort(ids) // one order of locks for every batch
	var sb strings.Builder
	args := make([]any, 0, 2*len(ids))
	sb.WriteString("UPDATE customers SET balance = customers.balance + v.d FROM (")
	for i, id := range ids {
		if i > 0 {
			sb.WriteString(" UNION ALL ")
		}
		fmt.Fprintf(&sb, "SELECT CAST(%s AS TEXT) AS id, CAST(%s AS BIGINT) AS d", mark(q.dialect, 2*i+1), mark(q.dialect, 2*i+2))
		args = append(args, id, b.deltas[id])
	}
	sb.WriteString(") v WHERE customers.id = v.id")
	res, err := b.inner.ExecContext(ctx, sb.String(), args...)
	if isCheck(err) {
		return shortOfFunds()
	}
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); int(n) != len(ids) {
		return fmt.Errorf("store: batch: %d of %d balances moved", n, len(ids))
	}
	b.dOrder, b.deltas = nil, map[string]int64{}
	return nil
}

// PreloadRenewals reads, in a few statements, what renewing the claimed
// subscriptions reads one by one: their customers (locked on PostgreSQL,
// as LockCustomer does), the subscriptions (locked too) with periods and
// users, the customers' billing addresses and balance settings. Inside a
// batch only.
func (q *Q) PreloadRenewals(ctx context.Context, due []DueItem) error {
	ids, err := q.preloadCustomers(ctx, due)
	if err != nil || len(ids) == 0 {
		return err
	}
	b, ex := q.batch, q.batch.inner
	sin, sargs := q.in(ids)
	if err := eachRow(ctx, ex, `SELECT `+subCols+` FROM subscriptions WHERE id IN `+sin+q.forUpdate(), sargs, func(r *sql.Rows) error {
		s, err := scanSub(r)
		s.Periods = []market.Period{}
		b.subs[s.ID] = s
		b.known[s.ID] = true
		return err
	}); err != nil {
		return err
	}
	if err := eachRow(ctx, ex, `SELECT subscription_id, seq, start_at, end_at, plan, quantity, unit_amount, term_months, trial,
		COALESCE(order_id, '') FROM periods WHERE subscription_id IN `+sin+` ORDER BY subscription_id, seq`, sargs, func(r *sql.Rows) error {
		var id string
		var p market.Period
		var start, end int64
		if err := r.Scan(&id, &p.Seq, &start, &end, &p.Plan, &p.Quantity, &p.UnitAmount, &p.TermMonths, &p.Trial, &p.OrderID); err != nil {
			return err
		}
		p.Start, p.End = fromTS(start), fromTS(end)
		s := b.subs[id]
		s.Periods = append(s.Periods, p)
		b.subs[id] = s
		return nil
	}); err != nil {
		return err
	}
	return eachRow(ctx, ex, `SELECT subscription_id, COUNT(*) FROM users WHERE subscription_id IN `+sin+` GROUP BY subscription_id`, sargs, func(r *sql.Rows) error {
		var id string
		var n int
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		s := b.subs[id]
		s.Users = n
		b.subs[id] = s
		return nil
	})
}

// PreloadRentals reads what charging the claimed numbers' months reads one
// by one: their customers, the numbers (both locked on PostgreSQL), the
// customers' billing addresses and balance settings. Inside a batch only.
func (q *Q) PreloadRentals(ctx context.Context, due []DueItem) error {
	ids, err := q.preloadCustomers(ctx, due)
	if err != nil || len(ids) == 0 {
		return err
	}
	b := q.batch
	nin, nargs := q.in(ids)
	return eachRow(ctx, b.inner, `SELECT `+numberCols+` FROM numbers WHERE id IN `+nin+` ORDER BY id`+q.forUpdate(), nargs, func(r *sql.Rows) error {
		n, err := scanNumber(r)
		b.nums[n.ID] = n
		return err
	})
}

// preloadCustomers reads the due items' customers (locked), billing
// addresses and balance settings into the batch, and returns the items'
// IDs.
func (q *Q) preloadCustomers(ctx context.Context, due []DueItem) (ids []string, err error) {
	b := q.batch
	if b == nil || len(due) == 0 {
		return nil, nil
	}
	if err := q.FlushBatch(ctx); err != nil {
		return nil, err
	}
	var custs []string
	for _, d := range due {
		if !slices.Contains(custs, d.CustomerID) {
			custs = append(custs, d.CustomerID)
		}
		ids = append(ids, d.ID)
	}
	slices.Sort(custs)
	ex := b.inner
	cin, cargs := q.in(custs)
	if err := eachRow(ctx, ex, `SELECT `+customerCols+` FROM customers WHERE id IN `+cin+` ORDER BY id`+q.forUpdate(), cargs, func(r *sql.Rows) error {
		c, err := scanCustomer(r)
		b.cust[c.ID] = c
		return err
	}); err != nil {
		return nil, err
	}
	for _, c := range custs {
		b.addrs[c] = []market.BillingAddress{}
		b.balSets[c] = market.BalanceSettings{CustomerID: c}
	}
	if err := eachRow(ctx, ex, `SELECT `+addrCols+` FROM billing_addresses WHERE customer_id IN `+cin+` AND deleted_at IS NULL ORDER BY id`, cargs, func(r *sql.Rows) error {
		a, err := scanAddr(r)
		b.addrs[a.CustomerID] = append(b.addrs[a.CustomerID], a)
		return err
	}); err != nil {
		return nil, err
	}
	return ids, eachRow(ctx, ex, `SELECT `+balanceSettingsCols+` FROM balance_settings WHERE customer_id IN `+cin, cargs, func(r *sql.Rows) error {
		s, err := scanBalanceSettings(r)
		b.balSets[s.CustomerID] = s
		return err
	})
}

// in returns "(marks)" and the arguments of an IN list.
func (q *Q) in(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return marks(q.dialect, 0, len(ids)), args
}

func eachRow(ctx context.Context, ex execer, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := ex.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// The batch's answers to the reads it preloaded; ok false: read the
// database.

func (q *Q) batchCustomer(id string) (market.Customer, bool) {
	if b := q.batch; b != nil {
		c, ok := b.cust[id]
		return c, ok
	}
	return market.Customer{}, false
}

func (q *Q) batchSub(customerID, id string) (market.Subscription, bool) {
	if b := q.batch; b != nil {
		if s, ok := b.subs[id]; ok && (customerID == "" || s.CustomerID == customerID) {
			s.Periods = slices.Clone(s.Periods)
			return s, true
		}
	}
	return market.Subscription{}, false
}

// batchKnows reports whether the batch read a subscription.
func (q *Q) batchKnows(id string) bool { return q.batch != nil && q.batch.known[id] }

// forgetSub drops a subscription the batch changes from its memory: a
// later read of it writes the batch first and reads the database.
func (q *Q) forgetSub(id string) {
	if b := q.batch; b != nil {
		delete(b.subs, id)
	}
}

func (q *Q) batchAddrs(customerID string) ([]market.BillingAddress, bool) {
	if b := q.batch; b != nil {
		as, ok := b.addrs[customerID]
		return slices.Clone(as), ok
	}
	return nil, false
}

func (q *Q) batchBalanceSettings(customerID string) (market.BalanceSettings, bool) {
	if b := q.batch; b != nil {
		s, ok := b.balSets[customerID]
		return s, ok
	}
	return market.BalanceSettings{}, false
}

// batchNumber returns a number the batch locked, of a customer ("" =
// any).
func (q *Q) batchNumber(customerID, id string) (market.Number, bool) {
	if b := q.batch; b != nil {
		n, ok := b.nums[id]
		return n, ok && (customerID == "" || n.CustomerID == customerID)
	}
	return market.Number{}, false
}
