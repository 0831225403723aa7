package billing_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

var ctx = context.Background()

// cheap are argon2id parameters for tests only.
var cheap = &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// start is the frozen clock's first reading in billing tests.
var start = time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)

type env struct {
	svc *billing.Service
	st  *store.Store
	clk *clock.Sandbox
}

func newEnv(t testing.TB, st *store.Store) *env {
	t.Helper()
	clk := clock.NewFrozen(start)
	svc := billing.New(st, clk, payment.NewSandbox(), slog.New(slog.NewTextHandler(io.Discard, nil)), billing.Config{Argon2: cheap})
	if _, err := svc.SeedDemo(ctx); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return &env{svc: svc, st: st, clk: clk}
}

// mustSignup opens an account and returns its owner's principal.
func (e *env) mustSignup(t testing.TB, email, country, currency string) billing.Principal {
	t.Helper()
	c, u, err := e.svc.Signup(ctx, billing.SignupInput{Email: email, Password: "correct horse", Company: "Acme " + email, Country: country, Currency: currency})
	if err != nil {
		t.Fatalf("signup %s: %v", email, err)
	}
	return billing.Principal{CustomerID: c.ID, UserID: u.ID, Role: u.Role}
}

func (e *env) mustAddress(t testing.TB, p billing.Principal, country, postal string) string {
	t.Helper()
	a, err := e.svc.SaveAddress(ctx, p, "", billing.AddressInput{Name: "Acme", Line1: "Main Street 1", City: "Town",
		PostalCode: postal, Country: country})
	if err != nil {
		t.Fatalf("address: %v", err)
	}
	return a.ID
}

var visa = &billing.CardInput{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}

func (e *env) mustTopUp(t testing.TB, p billing.Principal, amount int64) market.Order {
	t.Helper()
	o, err := e.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: []billing.ItemInput{{Type: "balance_top_up", Amount: amount}},
		Payment: billing.PaymentInput{Method: "card", Card: visa}}, "test")
	if err != nil {
		t.Fatalf("top-up: %v", err)
	}
	return o
}

func (e *env) order(p billing.Principal, addr string, items ...billing.ItemInput) (market.Order, error) {
	return e.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: items, BillingAddress: addr,
		Payment: billing.PaymentInput{Method: "balance"}}, "test")
}

func (e *env) mustOrder(t testing.TB, p billing.Principal, addr string, items ...billing.ItemInput) market.Order {
	t.Helper()
	o, err := e.order(p, addr, items...)
	if err != nil {
		t.Fatalf("order %+v: %v", items, err)
	}
	return o
}

func (e *env) balance(t testing.TB, p billing.Principal) int64 {
	t.Helper()
	c, err := e.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	return c.Balance
}

// checkLedger asserts the ledger invariants: every transaction sums to zero,
// and the cached balance equals the sum of the balance account's postings.
func (e *env) checkLedger(t testing.TB, ps ...billing.Principal) {
	t.Helper()
	total, unbalanced, err := e.st.Read().LedgerImbalance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if total != 0 || unbalanced != 0 {
		t.Errorf("ledger: total %d, %d unbalanced transactions; want 0, 0", total, unbalanced)
	}
	for _, p := range ps {
		sum, err := e.st.Read().AccountSum(ctx, market.BalanceAccount(p.CustomerID))
		if err != nil {
			t.Fatal(err)
		}
		if b := e.balance(t, p); b != sum || b < 0 {
			t.Errorf("customer %s: cached balance %d, postings sum %d", p.CustomerID, b, sum)
		}
	}
}

func code(err error) market.Code { return market.ErrorCode(err) }
