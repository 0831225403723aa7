package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

const numberCols = `id, number, country, state, area, type, setup_amount, monthly_amount, currency, status,
	COALESCE(customer_id, ''), COALESCE(sip_account_id, ''), purchased_at, renews_at, grace_until, quarantine_until, created_at`

func scanNumber(row interface{ Scan(...any) error }) (market.Number, error) {
	var n market.Number
	var purchased, renews, grace, quarantine sql.NullInt64
	var created int64
	err := row.Scan(&n.ID, &n.Number, &n.Country, &n.State, &n.Area, &n.Type, &n.SetupAmount, &n.MonthlyAmount, &n.Currency,
		&n.Status, &n.CustomerID, &n.SIPAccountID, &purchased, &renews, &grace, &quarantine, &created)
	n.PurchasedAt, n.RenewsAt, n.GraceUntil, n.QuarantineUntil = fromNull(purchased), fromNull(renews), fromNull(grace), fromNull(quarantine)
	n.CreatedAt = fromTS(created)
	return n, err
}

// InsertNumber adds a number to the inventory, available. Error: conflict
// if the number exists.
func (q *Q) InsertNumber(ctx context.Context, n market.Number) error {
	added, err := q.InsertNumbers(ctx, []market.Number{n})
	if err != nil {
		return err
	}
	if len(added) == 0 {
		return &market.Error{Code: market.CodeConflict, Param: "number", Message: "number " + n.Number + " is already in the inventory"}
	}
	return nil
}

// insertBatch is how many numbers one INSERT statement carries (10 values a
// row stays below both databases' limits on bound parameters).
const insertBatch = 1000

// InsertNumbers adds numbers to the inventory, available, in multi-row
// statements, and skips those whose number is there already. It returns the
// numbers it added. A duplicate never aborts the transaction (ON CONFLICT DO
// NOTHING), so the caller may go on.
func (q *Q) InsertNumbers(ctx context.Context, ns []market.Number) ([]string, error) {
	var added []string
	var free []freeNumber
	stock := map[numberGroup]int64{}
	byNumber := make(map[string]numberGroup, len(ns))
	var sb strings.Builder
	args := make([]any, 0, insertBatch*11)
	for start := 0; start < len(ns); start += insertBatch {
		batch := ns[start:min(start+insertBatch, len(ns))]
		sb.Reset()
		args = args[:0]
		sb.WriteString(`INSERT INTO numbers (id, number, country, state, area, type, setup_amount, monthly_amount,
			currency, status, created_at) VALUES `)
		for _, n := range batch {
			args = q.appendRow(&sb, args, n.ID, n.Number, n.Country, n.State, n.Area, n.Type, n.SetupAmount, n.MonthlyAmount,
				n.Currency, market.NumberAvailable, ts(n.CreatedAt))
			byNumber[n.Number] = numberGroup{n.Country, n.State, n.Area, n.Type, n.Currency}
		}
		sb.WriteString(" ON CONFLICT (number) DO NOTHING RETURNING number")
		rows, err := q.ex.QueryContext(ctx, sb.String(), args...)
		if err != nil {
			return added, err
		}
		for rows.Next() {
			var num string
			if err := rows.Scan(&num); err != nil {
				rows.Close()
				return added, err
			}
			added = append(added, num)
			stock[byNumber[num]]++
			free = append(free, freeNumber{numberGroup: byNumber[num], Number: num})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return added, err
		}
	}
	if err := q.moveStocks(ctx, stock); err != nil {
		return added, err
	}
	if err := q.addGrams(ctx, free); err != nil {
		return added, err
	}
	return added, q.countGrams(ctx, free)
}

// appendRow writes one row of a multi-row VALUES list to sb, its
// placeholders numbered after args, and returns args with vals added. On
// SQLite the placeholders are plain ? (bound in order): it looks each $N up
// in a list, which is quadratic in a statement of thousands of them.
func (q *Q) appendRow(sb *strings.Builder, args []any, vals ...any) []any {
	if len(args) > 0 {
		sb.WriteString(", ")
	}
	sb.WriteByte('(')
	for i := range vals {
		if i > 0 {
			sb.WriteString(", ")
		}
		if q.dialect == SQLite {
			sb.WriteByte('?')
		} else {
			fmt.Fprintf(sb, "$%d", len(args)+i+1)
		}
	}
	sb.WriteByte(')')
	return append(args, vals...)
}

// numberGroup is one cell of the cascade: what number_stock counts. A
// number is sold in the currency it is priced in, so the currency is part
// of the cell: a customer's cascade shows what it can buy.
type numberGroup struct {
	Country, State, Area, Type, Currency string
}

// moveStocks moves the counts of several groups, in the groups' order:
// two transactions that change the same rows of number_stock lock them in
// the same order, so that they queue instead of deadlocking on PostgreSQL
// (a map's order differs from one range to the next).
func (q *Q) moveStocks(ctx context.Context, deltas map[numberGroup]int64) error {
	groups := slices.SortedFunc(maps.Keys(deltas), func(a, b numberGroup) int {
		return cmp.Or(strings.Compare(a.Country, b.Country), strings.Compare(a.State, b.State),
			strings.Compare(a.Area, b.Area), strings.Compare(a.Type, b.Type), strings.Compare(a.Currency, b.Currency))
	})
	for _, g := range groups {
		if err := q.moveStock(ctx, g, deltas[g]); err != nil {
			return err
		}
	}
	return nil
}

// moveStock adds delta to a group's count of available numbers, creating
// the group's row at need. Every change of a number's status to or from
// available goes through here, in the same transaction.
func (q *Q) moveStock(ctx context.Context, g numberGroup, delta int64) error {
	if delta == 0 {
		return nil
	}
	if delta < 0 {
		// An upsert would check the negative row it proposes against
		// available >= 0 before it found the conflict.
		res, err := q.ex.ExecContext(ctx, `UPDATE number_stock SET available = available + $6
			WHERE country = $1 AND state = $2 AND area = $3 AND type = $4 AND currency = $5`, g.Country, g.State, g.Area, g.Type, g.Currency, delta)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: number stock of %v is missing", g)
		}
		return nil
	}
	_, err := q.ex.ExecContext(ctx, `INSERT INTO number_stock (country, state, area, type, currency, available) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (country, state, area, type, currency) DO UPDATE SET available = number_stock.available + excluded.available`,
		g.Country, g.State, g.Area, g.Type, g.Currency, delta)
	return err
}

// RebuildNumberStock recounts the available numbers of every group (and
// the others per country and status, number_tally) from the numbers
// table and indexes them for contains searches anew (after a bulk load
// that bypassed InsertNumbers, or to check the counts).
func (q *Q) RebuildNumberStock(ctx context.Context) error {
	if _, err := q.ex.ExecContext(ctx, `DELETE FROM number_stock`); err != nil {
		return err
	}
	_, err := q.ex.ExecContext(ctx, `INSERT INTO number_stock (country, state, area, type, currency, available)
		SELECT country, state, area, type, currency, SUM(CASE WHEN status = 'available' THEN 1 ELSE 0 END)
		FROM numbers GROUP BY country, state, area, type, currency`)
	if err != nil {
		return err
	}
	if err := q.recountNumbers(ctx); err != nil {
		return err
	}
	return q.rebuildGrams(ctx)
}

func (q *Q) numbers(ctx context.Context, query string, args ...any) ([]market.Number, error) {
	return q.numbersUpTo(ctx, 0, query, args...)
}

// numbersUpTo is numbers for a query of at most limit rows (a search's
// page): the slice is made once, at that size, not grown row by row (a
// hundred numbers grown from none allocated 59 KB instead of 23).
func (q *Q) numbersUpTo(ctx context.Context, limit int, query string, args ...any) ([]market.Number, error) {
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.Number
	if limit > 0 {
		out = make([]market.Number, 0, min(limit, 1000))
	}
	for rows.Next() {
		n, err := scanNumber(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// NumberByE164 returns a number of the inventory. Error: not_found.
func (q *Q) NumberByE164(ctx context.Context, e164 string) (market.Number, error) {
	n, err := scanNumber(q.ex.QueryRowContext(ctx, `SELECT `+numberCols+` FROM numbers WHERE number = $1`, e164))
	return n, notFound(err, "number")
}

// CustomerNumber returns a number held by a customer. Error: not_found.
func (q *Q) CustomerNumber(ctx context.Context, customerID, id string) (market.Number, error) {
	n, err := scanNumber(q.ex.QueryRowContext(ctx, `SELECT `+numberCols+` FROM numbers WHERE id = $1 AND customer_id = $2`, id, customerID))
	return n, notFound(err, "number")
}

// CustomerNumbers lists the numbers a customer holds, newest first; numbers
// held without a purchase date (given by the operator) come last on both
// databases (PostgreSQL sorts NULL first in DESC order, SQLite last).
func (q *Q) CustomerNumbers(ctx context.Context, customerID string) ([]market.Number, error) {
	return q.numbers(ctx, `SELECT `+numberCols+` FROM numbers WHERE customer_id = $1
		ORDER BY purchased_at IS NULL, purchased_at DESC, id`, customerID)
}

// NewestCustomerNumbers lists the first limit numbers of CustomerNumbers'
// order: a page of a customer that may hold thousands.
func (q *Q) NewestCustomerNumbers(ctx context.Context, customerID string, limit int) ([]market.Number, error) {
	return q.numbers(ctx, `SELECT `+numberCols+` FROM numbers WHERE customer_id = $1
		ORDER BY purchased_at IS NULL, purchased_at DESC, id LIMIT $2`, customerID, limit)
}

// ClaimNumber sells an available number to a customer: a conditional
// update, so one number goes to exactly one customer however many race for
// it. Error: number_unavailable.
func (q *Q) ClaimNumber(ctx context.Context, id, customerID, sipAccountID string, now, renews time.Time) error {
	var g numberGroup
	var num string
	err := q.ex.QueryRowContext(ctx, `UPDATE numbers SET status = 'active', customer_id = $2, sip_account_id = $3,
		purchased_at = $4, renews_at = $5, grace_until = NULL, quarantine_until = NULL
		WHERE id = $1 AND status = 'available' RETURNING country, state, area, type, currency, number`,
		id, customerID, nullStr(sipAccountID), ts(now), ts(renews)).Scan(&g.Country, &g.State, &g.Area, &g.Type, &g.Currency, &num)
	if errors.Is(err, sql.ErrNoRows) {
		return &market.Error{Code: market.CodeNumberUnavailable, Param: "number", Message: "this number has just been taken; pick another"}
	}
	if err != nil {
		return err
	}
	if err := q.removeGrams(ctx, freeNumber{numberGroup: g, Number: num}); err != nil {
		return err
	}
	if err := q.tallyNumbers(ctx, numberMove{g.Country, market.NumberAvailable, market.NumberActive, 1}); err != nil {
		return err
	}
	return q.moveStock(ctx, g, -1)
}

// SetNumberSIPAccount assigns a held number to a SIP account ("" clears).
func (q *Q) SetNumberSIPAccount(ctx context.Context, customerID, id, sipAccountID string) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE numbers SET sip_account_id = $3 WHERE id = $1 AND customer_id = $2`,
		id, customerID, nullStr(sipAccountID))
	return affected(res, err, "number")
}

// UpdateNumberLifecycle saves a number's status, holder and dates (not its
// purchase date), and keeps number_stock in step when the number becomes
// available or stops being so. Error: not_found.
func (q *Q) UpdateNumberLifecycle(ctx context.Context, n market.Number) error {
	if was, ok := q.batchNumber("", n.ID); ok && was.Status != market.NumberAvailable && n.Status != market.NumberAvailable &&
		q.update(numberUpdate, n.ID, n.Status, nullStr(n.CustomerID), nullStr(n.SIPAccountID), tsp(n.RenewsAt), tsp(n.GraceUntil),
			tsp(n.QuarantineUntil)) {
		delete(q.batch.nums, n.ID)                                                   // a later read writes the batch first and reads the database
		return q.tallyNumbers(ctx, numberMove{was.Country, was.Status, n.Status, 1}) // kept with the batch's rows too
	}
	var old, num string
	var g numberGroup
	err := q.ex.QueryRowContext(ctx, `SELECT status, country, state, area, type, currency, number FROM numbers WHERE id = $1`+q.forUpdate(), n.ID).
		Scan(&old, &g.Country, &g.State, &g.Area, &g.Type, &g.Currency, &num)
	if err != nil {
		return notFound(err, "number")
	}
	if _, err := q.ex.ExecContext(ctx, `UPDATE numbers SET status = $2, customer_id = $3, sip_account_id = $4, renews_at = $5,
		grace_until = $6, quarantine_until = $7 WHERE id = $1`, n.ID, n.Status, nullStr(n.CustomerID), nullStr(n.SIPAccountID),
		tsp(n.RenewsAt), tsp(n.GraceUntil), tsp(n.QuarantineUntil)); err != nil {
		return err
	}
	if err := q.tallyNumbers(ctx, numberMove{g.Country, old, n.Status, 1}); err != nil {
		return err
	}
	switch {
	case old != market.NumberAvailable && n.Status == market.NumberAvailable:
		if err := q.addGrams(ctx, []freeNumber{{numberGroup: g, Number: num}}); err != nil {
			return err
		}
		return q.moveStock(ctx, g, 1)
	case old == market.NumberAvailable && n.Status != market.NumberAvailable:
		if err := q.removeGrams(ctx, freeNumber{numberGroup: g, Number: num}); err != nil {
			return err
		}
		return q.moveStock(ctx, g, -1)
	}
	return nil
}

// numberUpdate is UpdateNumberLifecycle's statement in a batch, for a
// number that neither was nor becomes available (its stock is unchanged).
var numberUpdate = &keyedUpdate{table: "numbers", key: "id",
	cols:  []string{"status", "customer_id", "sip_account_id", "renews_at", "grace_until", "quarantine_until"},
	types: []string{"TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "BIGINT", "BIGINT"}}

// InsertNumberRental records that a number's rental period starting at
// start is paid (by its order). Error: conflict if it was paid already.
func (q *Q) InsertNumberRental(ctx context.Context, numberID, customerID string, start time.Time) error {
	ok, err := q.RecordNumberRental(ctx, market.NumberRental{NumberID: numberID, CustomerID: customerID, PeriodStart: start, CreatedAt: start})
	if err == nil && !ok {
		return market.Errorf(market.CodeConflict, "this month of the number is already paid")
	}
	return err
}

// RecordNumberRental records a paid month. It reports false, and changes
// nothing, if that month of the number was recorded already: the key
// (number, period start) is what stops a month being charged twice. It
// never aborts the transaction on a duplicate.
func (q *Q) RecordNumberRental(ctx context.Context, r market.NumberRental) (bool, error) {
	if q.batch != nil && q.batch.err == nil {
		// In a batch the month is kept without ON CONFLICT: one paid
		// already fails the batch when it is written, and the number is
		// charged one at a time, where this reports it.
		_, err := q.insert(ctx, `INSERT INTO number_rentals (number_id, period_start, customer_id, payment_id, created_at) VALUES`, "",
			r.NumberID, ts(r.PeriodStart), r.CustomerID, r.PaymentID, ts(r.CreatedAt))
		return true, err
	}
	res, err := q.ex.ExecContext(ctx, `INSERT INTO number_rentals (number_id, period_start, customer_id, payment_id, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (number_id, period_start) DO NOTHING`,
		r.NumberID, ts(r.PeriodStart), r.CustomerID, r.PaymentID, ts(r.CreatedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// NumberRentals lists the paid months of a number, oldest first.
func (q *Q) NumberRentals(ctx context.Context, numberID string) ([]market.NumberRental, error) {
	rows, err := q.ex.QueryContext(ctx, `SELECT number_id, customer_id, period_start, payment_id, created_at FROM number_rentals
		WHERE number_id = $1 ORDER BY period_start`, numberID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.NumberRental
	for rows.Next() {
		var r market.NumberRental
		var start, created int64
		if err := rows.Scan(&r.NumberID, &r.CustomerID, &start, &r.PaymentID, &created); err != nil {
			return nil, err
		}
		r.PeriodStart, r.CreatedAt = fromTS(start), fromTS(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// DueNumber is a held number whose monthly date has come; it is also the
// cursor of DueNumbers.
type DueNumber struct {
	ID       string
	RenewsAt time.Time
}

// DueNumbers returns held numbers (active or in grace) whose monthly date is
// at or before now, ordered by that date and ID, after the cursor (the zero
// DueNumber starts at the beginning).
func (q *Q) DueNumbers(ctx context.Context, now time.Time, after DueNumber, limit int) ([]DueNumber, error) {
	from := int64(math.MinInt64)
	if !after.RenewsAt.IsZero() {
		from = ts(after.RenewsAt)
	}
	rows, err := q.ex.QueryContext(ctx, `SELECT id, renews_at FROM numbers
		WHERE renews_at IS NOT NULL AND renews_at <= $1 AND status IN ('active', 'grace')
		AND (renews_at > $2 OR (renews_at = $2 AND id > $3)) ORDER BY renews_at, id LIMIT $4`, ts(now), from, after.ID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DueNumber
	for rows.Next() {
		var d DueNumber
		var at int64
		if err := rows.Scan(&d.ID, &at); err != nil {
			return nil, err
		}
		d.RenewsAt = fromTS(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// NextNumberEvent returns the earliest time after now at which number work
// becomes due (a monthly date, the end of a grace or of a quarantine), and
// false if there is none.
func (q *Q) NextNumberEvent(ctx context.Context, now time.Time) (time.Time, bool, error) {
	var v sql.NullInt64
	err := q.ex.QueryRowContext(ctx, `SELECT MIN(t) FROM (
		SELECT MIN(renews_at) AS t FROM numbers WHERE renews_at IS NOT NULL AND renews_at > $1 AND status IN ('active', 'grace')
		UNION ALL SELECT MIN(grace_until) AS t FROM numbers WHERE status = 'grace' AND grace_until > $1
		UNION ALL SELECT MIN(quarantine_until) AS t FROM numbers WHERE status = 'quarantine' AND quarantine_until > $1) AS e`,
		ts(now)).Scan(&v)
	if err != nil || !v.Valid {
		return time.Time{}, false, err
	}
	return fromTS(v.Int64), true, nil
}

// EndQuarantines makes up to limit numbers whose quarantine ended at or
// before now available again, and returns how many. A conditional update:
// two scans at once free each number once.
func (q *Q) EndQuarantines(ctx context.Context, now time.Time, limit int) (int, error) {
	rows, err := q.ex.QueryContext(ctx, `UPDATE numbers SET status = 'available', quarantine_until = NULL
		WHERE id IN (SELECT id FROM numbers WHERE status = 'quarantine' AND quarantine_until <= $1 ORDER BY quarantine_until LIMIT $2)
		AND status = 'quarantine' RETURNING country, state, area, type, currency, number`, ts(now), limit)
	if err != nil {
		return 0, err
	}
	freed := map[numberGroup]int64{}
	var free []freeNumber
	var moves []numberMove
	n := 0
	for rows.Next() {
		var g numberGroup
		var num string
		if err := rows.Scan(&g.Country, &g.State, &g.Area, &g.Type, &g.Currency, &num); err != nil {
			rows.Close()
			return n, err
		}
		freed[g]++
		free = append(free, freeNumber{numberGroup: g, Number: num})
		moves = append(moves, numberMove{g.Country, market.NumberQuarantine, market.NumberAvailable, 1})
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return n, err
	}
	if err := q.moveStocks(ctx, freed); err != nil {
		return n, err
	}
	if err := q.tallyNumbers(ctx, moves...); err != nil {
		return n, err
	}
	return n, q.addGrams(ctx, free)
}

// Number returns a number of the inventory by ID. Error: not_found.
func (q *Q) Number(ctx context.Context, id string) (market.Number, error) {
	n, err := scanNumber(q.ex.QueryRowContext(ctx, `SELECT `+numberCols+` FROM numbers WHERE id = $1`, id))
	return n, notFound(err, "number")
}

func (q *Q) facets(ctx context.Context, query string, args ...any) ([]market.Facet, error) {
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []market.Facet
	for rows.Next() {
		var f market.Facet
		if err := rows.Scan(&f.Value, &f.Available); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// stockWhere is the filter of number_stock by the columns given (those
// not "" of country, state and currency), and its arguments.
func stockWhere(country, state, currency string) (string, []any) {
	where, args := "TRUE", []any{}
	for _, f := range []struct{ col, v string }{{"country", country}, {"state", state}, {"currency", currency}} {
		if f.v != "" {
			args = append(args, f.v)
			where += fmt.Sprintf(" AND %s = $%d", f.col, len(args))
		}
	}
	return where, args
}

// NumberCountries lists countries of the inventory with free numbers
// counted (countries whose numbers are all taken are listed with 0), of
// numbers priced in currency ("" = any). It reads number_stock, not the
// inventory.
func (q *Q) NumberCountries(ctx context.Context, currency string) ([]market.Facet, error) {
	if fs, ok, err := q.pricedFacets(ctx, "", "", currency, func(g numberGroup) string { return g.Country }, true); ok || err != nil {
		return fs, err
	}
	where, args := stockWhere("", "", currency)
	return q.facets(ctx, `SELECT country, CAST(SUM(available) AS BIGINT) FROM number_stock WHERE `+where+`
		GROUP BY country ORDER BY country`, args...)
}

// NumberStates lists the states of a country that have free numbers priced
// in currency ("" = any), with how many.
func (q *Q) NumberStates(ctx context.Context, country, currency string) ([]market.Facet, error) {
	if fs, ok, err := q.pricedFacets(ctx, country, "", currency, func(g numberGroup) string { return g.State }, false); ok || err != nil {
		return fs, err
	}
	where, args := stockWhere(country, "", currency)
	return q.facets(ctx, `SELECT state, CAST(SUM(available) AS BIGINT) FROM number_stock WHERE `+where+` AND state <> ''
		GROUP BY state HAVING SUM(available) > 0 ORDER BY state`, args...)
}

// NumberAreas lists the areas of a country (and state, if not "") that have
// free numbers priced in currency ("" = any), with how many.
func (q *Q) NumberAreas(ctx context.Context, country, state, currency string) ([]market.Facet, error) {
	if fs, ok, err := q.pricedFacets(ctx, country, state, currency, func(g numberGroup) string { return g.Area }, false); ok || err != nil {
		return fs, err
	}
	where, args := stockWhere(country, state, currency)
	return q.facets(ctx, `SELECT area, CAST(SUM(available) AS BIGINT) FROM number_stock WHERE `+where+`
		GROUP BY area HAVING SUM(available) > 0 ORDER BY area`, args...)
}

// AdminNumbers lists the inventory by status ("" = all), in number order.
// Held statuses read the partial index numbers_held; the rest walk the
// unique index on number.
func (q *Q) AdminNumbers(ctx context.Context, status string, p Page) ([]market.Number, error) {
	where, args := "", []any{p.limit() + 1}
	switch status {
	case "":
	case market.NumberAvailable:
		where = " AND status = 'available'"
	default:
		args = append(args, status)
		where = " AND status <> 'available' AND status = $2"
	}
	if p.After != "" {
		args = append(args, p.After)
		where += fmt.Sprintf(" AND number > $%d", len(args))
	}
	return q.numbers(ctx, `SELECT `+numberCols+` FROM numbers WHERE TRUE`+where+` ORDER BY number LIMIT $1`, args...)
}

// LockNumber returns a held number with its row locked.
func (q *Q) LockNumber(ctx context.Context, customerID, id string) (market.Number, error) {
	if n, ok := q.batchNumber(customerID, id); ok {
		return n, nil // locked by PreloadRentals
	}
	n, err := scanNumber(q.ex.QueryRowContext(ctx, `SELECT `+numberCols+` FROM numbers WHERE id = $1 AND customer_id = $2`+q.forUpdate(), id, customerID))
	return n, notFound(err, "number")
}
