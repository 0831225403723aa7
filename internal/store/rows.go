package store

import (
	"context"
	"database/sql"

	"github.com/dialtone/dialtone/internal/market"
)

// queryAll runs a query and returns its rows, each read by scan (a
// scanX of one row type), in the order the query gives them.
func queryAll[T any](ctx context.Context, q *Q, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.ex.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func affected(res sql.Result, err error, kind string) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return market.NotFound(kind)
	}
	return nil
}
