package store_test

import (
	"os"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestStockRecountMigration: migration 00007 mends the stock that ends of
// quarantines had left wrong (a row without a currency, the number's own
// group one short) on both stores.
func TestStockRecountMigration(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("migrations/00007_number_stock_recount.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, _, _ := strings.Cut(string(src), "-- +goose Down")
	_, up, _ = strings.Cut(up, "-- +goose Up")
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ns := []market.Number{
			{ID: "num_1", Number: "+41445550001", Country: "CH", Area: "Zürich", Type: "local", Currency: "CHF", CreatedAt: t0},
			{ID: "num_2", Number: "+41445550002", Country: "CH", Area: "Zürich", Type: "local", Currency: "CHF", CreatedAt: t0},
		}
		if err := st.Tx(ctx, func(q *store.Q) error { _, err := q.InsertNumbers(ctx, ns); return err }); err != nil {
			t.Fatal(err)
		}
		stock := func() string {
			t.Helper()
			return strings.Join(storetest.Column(t, st, `SELECT currency || ':' || CAST(available AS TEXT) FROM number_stock ORDER BY currency`), " ")
		}
		// What the old end of a quarantine left: both numbers available,
		// one of them counted under no currency.
		for _, q := range []string{`UPDATE number_stock SET available = 1 WHERE currency = 'CHF'`,
			`INSERT INTO number_stock (country, state, area, type, currency, available) VALUES ('CH', '', 'Zürich', 'local', '', 1)`} {
			if _, err := st.DB().ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range strings.Split(up, ";") {
			if strings.TrimSpace(q) == "" {
				continue
			}
			if _, err := st.DB().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if got := stock(); got != "CHF:2" {
			t.Errorf("stock after the recount: %s, want CHF:2", got)
		}
	})
}
