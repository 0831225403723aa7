package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// TxPipelined is Tx for a transaction that writes many rows and reads
// little between them: an order. On SQLite it is Tx (the writer's group
// commit). On PostgreSQL its first round trip sends BEGIN, reads the
// catalog's token, locks the customer customerID ("" = none: LockCustomer
// then reads as in Tx) and reads its balance settings; its writes that need
// no answer are kept and sent together (later.go) before its next read and
// with the COMMIT; and a move of the balance of a customer it locked is
// worked out from the locked row instead of read back (moveLockedBalance).
// A balance-paid order's transaction is then 3 round trips instead of 17:
// this one, its billing address, and its writes with the COMMIT. The
// locked row stands for the customer until the transaction ends, so fn
// changes a customer's balance only through Post. Retries as Tx does.
func (s *Store) TxPipelined(ctx context.Context, customerID string, fn func(q *Q) error) error {
	if s.dialect != Postgres {
		return s.Tx(ctx, fn)
	}
	return s.retrying(ctx, func() error { return s.txPipelined(ctx, customerID, fn) })
}

func (s *Store) txPipelined(ctx context.Context, customerID string, fn func(q *Q) error) (err error) {
	conn, end, err := s.handTx(ctx)
	if err != nil {
		return err
	}
	defer end(&err)
	var token string
	var cust market.Customer
	var custErr error
	var balSets market.BalanceSettings
	err = conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		var b pgx.Batch
		queue := func(query string, args ...any) {
			counted{nil, s}.note(query) // as every Q's statement is (BEGIN is not)
			b.Queue(query, args...)
		}
		b.Queue("BEGIN")
		queue(catalogTokenSQL)
		if customerID != "" {
			queue(`SELECT `+customerCols+` FROM customers WHERE id = $1 FOR UPDATE`, customerID)
			queue(`SELECT `+balanceSettingsCols+` FROM balance_settings WHERE customer_id = $1`, customerID)
		}
		br := c.SendBatch(ctx, &b)
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return fmt.Errorf("store: begin: %w", err)
		}
		if err := br.QueryRow().Scan(&token); err != nil {
			_ = br.Close()
			return err
		}
		if customerID != "" {
			cust, custErr = scanCustomer(br.QueryRow())
			bs, err := scanBalanceSettings(br.QueryRow())
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				balSets = market.BalanceSettings{CustomerID: customerID}
			case err != nil:
				_ = br.Close()
				return err
			default:
				balSets = bs
			}
		}
		return br.Close()
	})
	if err != nil {
		return err
	}
	var after []func()
	q := s.txQ(conn, &after)
	q.useCatalogToken(token)
	q.keepLater(s, conn, true)
	q.locked = map[string]market.Customer{}
	q.balSets = map[string]market.BalanceSettings{}
	if customerID != "" && custErr == nil {
		q.locked[customerID] = cust // else LockCustomer reads it again, and says not_found
		q.balSets[customerID] = balSets
	}
	if err = fn(q); err != nil {
		return err
	}
	kept, err := q.takeLater()
	if err != nil {
		return err
	}
	if err = sendKept(ctx, s, conn, kept, true); err != nil {
		return err
	}
	for _, f := range after {
		f()
	}
	return nil
}

// moveLockedBalance moves the balance of a customer q's transaction locked
// while it keeps its writes: the new balance is the locked row's plus
// amount, and its UPDATE is kept (the schema's CHECK still refuses a
// negative balance when it is sent; this refuses it at once). ok is false
// when q does not know the customer's balance: the caller reads it back.
func (q *Q) moveLockedBalance(ctx context.Context, customerID string, amount int64) (bal int64, ok bool, err error) {
	c, known := q.locked[customerID]
	if !known || q.later == nil {
		return 0, false, nil
	}
	if c.Balance+amount < 0 {
		return 0, true, shortOfFunds()
	}
	if err := q.execLaterMapped(ctx, func(err error) error {
		if isCheck(err) {
			return shortOfFunds()
		}
		return nil
	}, `UPDATE customers SET balance = balance + $1 WHERE id = $2`, amount, customerID); err != nil {
		return 0, true, err
	}
	c.Balance += amount
	q.locked[customerID] = c
	return c.Balance, true, nil
}
