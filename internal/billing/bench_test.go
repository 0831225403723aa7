package billing_test

import (
	"fmt"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// BenchmarkPlaceOrder measures one balance-paid subscription order end to
// end through the engine and the store (one transaction), per store kind.
func BenchmarkPlaceOrder(b *testing.B) {
	for _, kind := range storetest.Kinds(b) {
		b.Run(kind, func(b *testing.B) {
			e := newEnv(b, storetest.Open(b, kind))
			p := e.mustSignup(b, "bench@acme.test", "DE", "EUR")
			addr := e.mustAddress(b, p, "DE", "10115")
			e.mustTopUp(b, p, 10_000_000)
			for i := 0; i < 30; i++ {
				e.mustTopUp(b, p, 10_000_000)
			}
			it := billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1}
			b.ResetTimer()
			for b.Loop() {
				if _, err := e.order(p, addr, it); err != nil {
					b.Fatal(fmt.Errorf("order: %w", err))
				}
			}
		})
	}
}

// BenchmarkQuote measures a quote of a three-item order (read only).
func BenchmarkQuote(b *testing.B) {
	e := newEnv(b, storetest.Open(b, "sqlite"))
	p := e.mustSignup(b, "quote@acme.test", "CH", "CHF")
	addr := e.mustAddress(b, p, "CH", "8001")
	in := billing.OrderInput{BillingAddress: addr, Items: []billing.ItemInput{
		{Type: "subscription", Plan: "business", Quantity: 5, TermMonths: 12},
		{Type: "subscription", Plan: "hosted-pbx", Quantity: 3, TermMonths: 24},
		{Type: "balance_top_up", Amount: 10000}}}
	for b.Loop() {
		if _, err := e.svc.Quote(ctx, p, in); err != nil {
			b.Fatal(err)
		}
	}
}
