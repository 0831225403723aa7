package market

import (
	"reflect"
	"testing"
)

func TestPostings(t *testing.T) {
	t.Parallel()
	const c = "cus_1"
	bal, gw, rev, tax, adj := BalanceAccount(c), SystemAccount("gateway", "EUR"), SystemAccount("revenue", "EUR"),
		SystemAccount("tax", "EUR"), SystemAccount("adjustments", "EUR")
	for _, tc := range []struct {
		name string
		m    Movement
		want []Posting
	}{
		{"BalanceOrder", Movement{Payer: PayerBalance, Total: 1190, Revenue: 1000, Tax: 190},
			[]Posting{{bal, -1190}, {rev, 1000}, {tax, 190}}},
		{"CardOrderWithTopUp", Movement{Payer: PayerCard, Total: 6190, Revenue: 1000, Tax: 190, TopUp: 5000},
			[]Posting{{gw, -6190}, {rev, 1000}, {tax, 190}, {bal, 5000}}},
		{"CardTopUpOnly", Movement{Payer: PayerCard, Total: 5000, TopUp: 5000}, []Posting{{gw, -5000}, {bal, 5000}}},
		{"UntaxedRental", Movement{Payer: PayerBalance, Total: 300, Revenue: 300}, []Posting{{bal, -300}, {rev, 300}}},
		{"FreeOrder", Movement{Payer: PayerNone}, nil},
		{"FreeByBalance", Movement{Payer: PayerBalance}, nil},
		{"CardRefund", Movement{Payer: PayerCard, Refund: true, Total: 6190, Revenue: 1000, Tax: 190, TopUp: 5000},
			[]Posting{{gw, 6190}, {rev, -1000}, {tax, -190}, {bal, -5000}}},
		{"BalanceRefundOfTaxOnly", Movement{Payer: PayerBalance, Refund: true, Total: 19, Tax: 19},
			[]Posting{{bal, 19}, {tax, -19}}},
		{"Credit", Movement{Payer: PayerOperator, Total: 2500}, []Posting{{bal, 2500}, {adj, -2500}}},
		{"Debit", Movement{Payer: PayerOperator, Total: -700}, []Posting{{bal, -700}, {adj, 700}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.m.Customer, tc.m.Currency = c, "EUR"
			got, err := Postings(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Postings = %v, want %v", got, tc.want)
			}
			var sum int64
			for _, p := range got {
				sum += p.Amount
				if p.Amount == 0 {
					t.Errorf("zero posting to %s", p.Account)
				}
			}
			if sum != 0 {
				t.Errorf("postings sum to %d, want 0", sum)
			}
		})
	}
}

func TestPostingsRefuse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		m    Movement
	}{
		{"Unbalanced", Movement{Payer: PayerBalance, Total: 100, Revenue: 90}},
		{"PaidWithoutPayer", Movement{Payer: PayerNone, Total: 100, Revenue: 100}},
		{"AdjustmentWithRevenue", Movement{Payer: PayerOperator, Total: 100, Revenue: 100}},
		{"UnknownPayer", Movement{Payer: "cash", Total: 100, Revenue: 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got, err := Postings(tc.m); err == nil {
				t.Errorf("Postings = %v, want an error", got)
			}
		})
	}
}

func TestAccountNames(t *testing.T) {
	if got := BalanceAccount("cus_1"); got != "customer:cus_1:balance" {
		t.Errorf("BalanceAccount = %q", got)
	}
	if got := SystemAccount("revenue", "CHF"); got != "system:revenue:CHF" {
		t.Errorf("SystemAccount = %q", got)
	}
}
