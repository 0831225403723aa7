package store_test

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestUserEmailUniqueMigration runs migration 00008's rewrite of an older
// database holding users of one account with one e-mail: the login and
// the oldest seat keep theirs, later duplicates get a "+<user ID>" tag,
// other accounts are untouched; then the unique index refuses another
// duplicate (any case) and InsertUser says so on email.
func TestUserEmailUniqueMigration(t *testing.T) {
	t.Parallel()
	raw, err := fs.ReadFile(store.Migrations(), "00008_cart_shown_user_email.sql")
	if err != nil {
		t.Fatal(err)
	}
	up := strings.SplitN(strings.SplitN(string(raw), "-- +goose Up", 2)[1], "-- +goose Down", 2)[0]
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		mustCustomer(t, st, "cus_m1")
		mustCustomer(t, st, "cus_m2")
		db := st.DB()
		if _, err := db.ExecContext(ctx, `DROP INDEX users_customer_email`); err != nil {
			t.Fatal(err)
		}
		rows := []struct{ id, customer, email, hash, want string }{
			{"usr_a", "cus_m1", "owner@x.test", "h", "owner@x.test"},
			{"usr_b", "cus_m1", "OWNER@x.test", "", "OWNER+usr_b@x.test"},
			{"usr_c", "cus_m1", "ann@x.test", "", "ann@x.test"},
			{"usr_d", "cus_m1", "Ann@x.test", "", "Ann+usr_d@x.test"},
			{"usr_e", "cus_m1", "ann@x.test", "", "ann+usr_e@x.test"},
			{"usr_f", "cus_m2", "ann@x.test", "", "ann@x.test"},
		}
		for i, r := range rows {
			u := market.User{ID: r.id, CustomerID: r.customer, Name: "N", Email: r.email, PasswordHash: r.hash, Role: "member",
				Extension: string(rune('a' + i)), CreatedAt: t0}
			if err := st.Tx(ctx, func(q *store.Q) error { return q.InsertUser(ctx, u) }); err != nil {
				t.Fatalf("%s: %v", r.id, err)
			}
		}
		for _, stmt := range strings.Split(up, ";") {
			if s := strings.TrimSpace(stmt); s != "" && !strings.HasPrefix(s, "ALTER TABLE carts") && !strings.HasPrefix(s, "--") {
				if _, err := db.ExecContext(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
		}
		for _, r := range rows {
			var got string
			if err := db.QueryRowContext(ctx, `SELECT email FROM users WHERE id = $1`, r.id).Scan(&got); err != nil || got != r.want {
				t.Errorf("%s: %q %v, want %q", r.id, got, err, r.want)
			}
		}
		u := market.User{ID: "usr_g", CustomerID: "cus_m1", Name: "N", Email: "ANN@X.test", Role: "member", Extension: "g", CreatedAt: t0}
		err := st.Tx(ctx, func(q *store.Q) error { return q.InsertUser(ctx, u) })
		var me *market.Error
		if !market.IsCode(err, market.CodeConflict) || !errors.As(err, &me) || me.Param != "email" || !strings.Contains(me.Message, "on this account") {
			t.Errorf("duplicate after the migration: %v, want conflict on email", err)
		}
	})
}
