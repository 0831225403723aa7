package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/dialtone/dialtone/internal/market"
)

// Number statuses.
const (
	NumberAvailable  = "available"
	NumberActive     = "active"
	NumberGrace      = "grace"
	NumberQuarantine = "quarantine"
)

// Number is a phone number of the inventory.
type Number struct {
	ID              string
	Number          string
	Country         string
	State           string
	Area            string
	Type            string
	SetupAmount     int64
	MonthlyAmount   int64
	Currency        string
	Status          string
	CustomerID      string
	SIPAccountID    string
	PurchasedAt     *time.Time
	RenewsAt        *time.Time
	GraceUntil      *time.Time
	QuarantineUntil *time.Time
	CreatedAt       time.Time
}

const numberCols = `id, number, country, state, area, type, setup_amount, monthly_amount, currency, status,
	COALESCE(customer_id, ''), COALESCE(sip_account_id, ''), purchased_at, renews_at, grace_until, quarantine_until, created_at`

func scanNumber(row interface{ Scan(...any) error }) (Number, error) {
	var n Number
	var purchased, renews, grace, quarantine sql.NullInt64
	var created int64
	err := row.Scan(&n.ID, &n.Number, &n.Country, &n.State, &n.Area, &n.Type, &n.SetupAmount, &n.MonthlyAmount, &n.Currency,
		&n.Status, &n.CustomerID, &n.SIPAccountID, &purchased, &renews, &grace, &quarantine, &created)
	n.PurchasedAt, n.RenewsAt, n.GraceUntil, n.QuarantineUntil = fromNull(purchased), fromNull(renews), fromNull(grace), fromNull(quarantine)
	n.CreatedAt = fromTS(created)
	return n, err
}

// InsertNumber adds a number to the inventory. Error: conflict if the number
// exists.
func (q *Q) InsertNumber(ctx context.Context, n Number) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO numbers (id, number, country, state, area, type, setup_amount, monthly_amount,
		currency, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'available', $10)`,
		n.ID, n.Number, n.Country, n.State, n.Area, n.Type, n.SetupAmount, n.MonthlyAmount, n.Currency, ts(n.CreatedAt))
	if isUnique(err) {
		return &market.Error{Code: market.CodeConflict, Param: "number", Message: "number " + n.Number + " is already in the inventory"}
	}
	return err
}

func (q *Q) numbers(ctx context.Context, query string, args ...any) ([]Number, error) {
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Number
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
func (q *Q) NumberByE164(ctx context.Context, e164 string) (Number, error) {
	n, err := scanNumber(q.ex.QueryRowContext(ctx, `SELECT `+numberCols+` FROM numbers WHERE number = $1`, e164))
	return n, notFound(err, "number")
}

// CustomerNumber returns a number held by a customer. Error: not_found.
func (q *Q) CustomerNumber(ctx context.Context, customerID, id string) (Number, error) {
	n, err := scanNumber(q.ex.QueryRowContext(ctx, `SELECT `+numberCols+` FROM numbers WHERE id = $1 AND customer_id = $2`, id, customerID))
	return n, notFound(err, "number")
}

// CustomerNumbers lists the numbers a customer holds, newest first.
func (q *Q) CustomerNumbers(ctx context.Context, customerID string) ([]Number, error) {
	return q.numbers(ctx, `SELECT `+numberCols+` FROM numbers WHERE customer_id = $1 ORDER BY purchased_at DESC, id`, customerID)
}

// NumberSearch is a search of available numbers.
type NumberSearch struct {
	Country  string
	State    string
	Area     string
	Type     string
	Contains string
	Limit    int
}

// AvailableNumbers returns available numbers matching s, in number order.
func (q *Q) AvailableNumbers(ctx context.Context, s NumberSearch) ([]Number, error) {
	limit := s.Limit
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	return q.numbers(ctx, `SELECT `+numberCols+` FROM numbers WHERE status = 'available' AND country = $1
		AND ($2 = '' OR state = $2) AND ($3 = '' OR area = $3) AND ($4 = '' OR type = $4)
		AND ($5 = '' OR number LIKE '%' || $5 || '%') ORDER BY number LIMIT $6`,
		s.Country, s.State, s.Area, s.Type, s.Contains, limit)
}

// Claim sells an available number to a customer: a conditional update, so
// one number goes to exactly one customer however many race for it. Error:
// number_unavailable.
func (q *Q) ClaimNumber(ctx context.Context, id, customerID, sipAccountID string, now, renews time.Time) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE numbers SET status = 'active', customer_id = $2, sip_account_id = $3,
		purchased_at = $4, renews_at = $5, grace_until = NULL, quarantine_until = NULL
		WHERE id = $1 AND status = 'available'`, id, customerID, nullStr(sipAccountID), ts(now), ts(renews))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &market.Error{Code: market.CodeNumberUnavailable, Param: "number", Message: "this number has just been taken; pick another"}
	}
	return nil
}

// SetNumberSIPAccount assigns a held number to a SIP account ("" clears).
func (q *Q) SetNumberSIPAccount(ctx context.Context, customerID, id, sipAccountID string) error {
	res, err := q.ex.ExecContext(ctx, `UPDATE numbers SET sip_account_id = $3 WHERE id = $1 AND customer_id = $2`,
		id, customerID, nullStr(sipAccountID))
	return affected(res, err, "number")
}

// UpdateNumberLifecycle saves a number's status and dates.
func (q *Q) UpdateNumberLifecycle(ctx context.Context, n Number) error {
	_, err := q.ex.ExecContext(ctx, `UPDATE numbers SET status = $2, customer_id = $3, sip_account_id = $4, renews_at = $5,
		grace_until = $6, quarantine_until = $7 WHERE id = $1`, n.ID, n.Status, nullStr(n.CustomerID), nullStr(n.SIPAccountID),
		tsp(n.RenewsAt), tsp(n.GraceUntil), tsp(n.QuarantineUntil))
	return err
}

// InsertNumberRental records that a number's rental period starting at
// start is paid. Error: conflict if it was paid already.
func (q *Q) InsertNumberRental(ctx context.Context, numberID, customerID string, start time.Time) error {
	_, err := q.ex.ExecContext(ctx, `INSERT INTO number_rentals (number_id, period_start, customer_id, created_at) VALUES ($1, $2, $3, $4)`,
		numberID, ts(start), customerID, ts(start))
	if isUnique(err) {
		return market.Errorf(market.CodeConflict, "this month of the number is already paid")
	}
	return err
}

// Facet is a value of the number cascade with how many numbers are free.
type Facet struct {
	Value     string
	Available int
}

func (q *Q) facets(ctx context.Context, query string, args ...any) ([]Facet, error) {
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Facet
	for rows.Next() {
		var f Facet
		if err := rows.Scan(&f.Value, &f.Available); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// NumberCountries lists countries of the inventory with free numbers
// counted (countries whose numbers are all taken are listed with 0).
func (q *Q) NumberCountries(ctx context.Context) ([]Facet, error) {
	return q.facets(ctx, `SELECT country, CAST(SUM(CASE WHEN status = 'available' THEN 1 ELSE 0 END) AS BIGINT)
		FROM numbers GROUP BY country ORDER BY country`)
}

// NumberStates lists the states of a country with free numbers counted.
func (q *Q) NumberStates(ctx context.Context, country string) ([]Facet, error) {
	return q.facets(ctx, `SELECT state, CAST(COUNT(*) AS BIGINT) FROM numbers WHERE status = 'available' AND country = $1 AND state <> ''
		GROUP BY state ORDER BY state`, country)
}

// NumberAreas lists the areas of a country (and state) with free numbers.
func (q *Q) NumberAreas(ctx context.Context, country, state string) ([]Facet, error) {
	return q.facets(ctx, `SELECT area, CAST(COUNT(*) AS BIGINT) FROM numbers WHERE status = 'available' AND country = $1
		AND ($2 = '' OR state = $2) GROUP BY area ORDER BY area`, country, state)
}

// AdminNumbers lists the inventory by status ("" = all), in number order.
func (q *Q) AdminNumbers(ctx context.Context, status string, p Page) ([]Number, error) {
	return q.numbers(ctx, `SELECT `+numberCols+` FROM numbers WHERE ($1 = '' OR status = $1) AND ($2 = '' OR number > $2)
		ORDER BY number LIMIT $3`, status, p.After, p.limit()+1)
}

// LockNumber returns a held number with its row locked.
func (q *Q) LockNumber(ctx context.Context, customerID, id string) (Number, error) {
	n, err := scanNumber(q.ex.QueryRowContext(ctx, `SELECT `+numberCols+` FROM numbers WHERE id = $1 AND customer_id = $2`+q.forUpdate(), id, customerID))
	return n, notFound(err, "number")
}
