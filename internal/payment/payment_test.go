package payment

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestLuhnAndBrand(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		n     string
		luhn  bool
		brand string
	}{
		{"4242424242424242", true, "visa"},
		{"4242424242424241", false, "visa"},
		{"5555555555554444", true, "mastercard"},
		{"2223003122003222", true, "mastercard"},
		{"378282246310005", true, "amex"},
		{"6011111111111117", true, "discover"},
		{"3566002020360505", true, "jcb"},
		{"36227206271667", true, "diners"},
		{"6200000000000005", true, "unionpay"},
		{"", false, "unknown"},
	} {
		if got := Luhn(tt.n); got != tt.luhn {
			t.Errorf("Luhn(%s) = %v, want %v", tt.n, got, tt.luhn)
		}
		if got := DetectBrand(tt.n); got != tt.brand {
			t.Errorf("DetectBrand(%s) = %s, want %s", tt.n, got, tt.brand)
		}
	}
}

func TestTokenize(t *testing.T) {
	t.Parallel()
	g := NewSandbox()
	ok := Card{Number: "4242 4242-4242 4242", ExpMonth: 11, ExpYear: 2026, CVC: "123"}
	tests := []struct {
		name  string
		edit  func(c *Card)
		param string
	}{
		{"OK", func(*Card) {}, ""},
		{"OKTwoDigitYear", func(c *Card) { c.ExpYear = 27 }, ""},
		{"ErrLuhn", func(c *Card) { c.Number = "4242424242424241" }, "card.number"},
		{"ErrLetters", func(c *Card) { c.Number = "4242x24242424242" }, "card.number"},
		{"ErrShort", func(c *Card) { c.Number = "42424242" }, "card.number"},
		{"ErrMonth", func(c *Card) { c.ExpMonth = 13 }, "card.exp_month"},
		{"ErrExpiredLastMonth", func(c *Card) { c.ExpMonth = 10 }, "card.exp_year"},
		{"ErrCVC", func(c *Card) { c.CVC = "12" }, "card.cvc"},
		{"ErrAmexCVC", func(c *Card) { c.Number, c.CVC = "378282246310005", "123" }, "card.cvc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ok
			tt.edit(&c)
			tok, err := g.Tokenize(context.Background(), c, now)
			pe, _ := err.(*Error)
			switch {
			case tt.param == "" && err != nil:
				t.Fatalf("Tokenize: %v", err)
			case tt.param != "" && (pe == nil || pe.Param != tt.param || pe.Code != "invalid_card"):
				t.Fatalf("Tokenize error = %v, want invalid_card %s", err, tt.param)
			case tt.param == "" && (tok.Last4 != "4242" || tok.Brand != "visa"):
				t.Errorf("token = %+v", tok)
			}
			if err != nil && strings.Contains(err.Error(), "4242424242") {
				t.Errorf("error reveals the number: %v", err)
			}
		})
	}
}

func TestSandboxOutcomes(t *testing.T) {
	t.Parallel()
	g := NewSandbox()
	ctx := context.Background()
	for _, tt := range []struct {
		number, reason string
	}{
		{"4242424242424242", ""},
		{"5555555555554444", ""},
		{"4000000000000002", "generic_decline"},
		{"4000000000009995", "insufficient_funds"},
		{"4000000000000341", "generic_decline"},
		{"4000000000000069", "expired_card"},
	} {
		tok, err := g.Tokenize(ctx, Card{Number: tt.number, ExpMonth: 12, ExpYear: 2030, CVC: "123"}, now)
		if err != nil {
			t.Fatalf("%s: tokenize: %v", tt.number, err)
		}
		if strings.Contains(tok.Token, tt.number) || strings.Contains(tok.Token, tt.number[:6]) {
			t.Errorf("token %s reveals the number", tok.Token)
		}
		ch, err := g.Charge(ctx, ChargeInput{Token: tok.Token, Amount: 1000, Currency: "EUR", IdempotencyKey: "k" + tt.number})
		pe, _ := err.(*Error)
		switch {
		case tt.reason == "" && (err != nil || !strings.HasPrefix(ch.ID, "ch_")):
			t.Errorf("%s: charge = %v, %v", tt.number, ch, err)
		case tt.reason != "" && (pe == nil || pe.Code != "card_declined" || pe.Reason != tt.reason):
			t.Errorf("%s: charge error %v, want card_declined %s", tt.number, err, tt.reason)
		}
	}
	// Same idempotency key, same charge; forged tokens are declined.
	tok, _ := g.Tokenize(ctx, Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}, now)
	a, _ := g.Charge(ctx, ChargeInput{Token: tok.Token, Amount: 500, Currency: "EUR", IdempotencyKey: "same"})
	b, _ := g.Charge(ctx, ChargeInput{Token: tok.Token, Amount: 500, Currency: "EUR", IdempotencyKey: "same"})
	if a.ID != b.ID {
		t.Errorf("idempotent charge: %s != %s", a.ID, b.ID)
	}
	if _, err := g.Charge(ctx, ChargeInput{Token: "tok_forged", Amount: 500, Currency: "EUR"}); err == nil {
		t.Error("forged token charged")
	}
	if r, err := g.Refund(ctx, RefundInput{ChargeID: a.ID, Amount: 500, Currency: "EUR"}); err != nil || !strings.HasPrefix(r.ID, "re_") {
		t.Errorf("refund = %v, %v", r, err)
	}
	// Same refund key, same refund; another key, another refund.
	r1, _ := g.Refund(ctx, RefundInput{ChargeID: a.ID, Amount: 200, Currency: "EUR", IdempotencyKey: "k1"})
	r2, _ := g.Refund(ctx, RefundInput{ChargeID: a.ID, Amount: 200, Currency: "EUR", IdempotencyKey: "k1"})
	r3, _ := g.Refund(ctx, RefundInput{ChargeID: a.ID, Amount: 200, Currency: "EUR", IdempotencyKey: "k2"})
	if r1.ID == "" || r1.ID != r2.ID || r3.ID == r1.ID {
		t.Errorf("idempotent refunds: %s, %s, %s", r1.ID, r2.ID, r3.ID)
	}
}

var longDigits = regexp.MustCompile(`[0-9]{12,}`)

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"4242424242424242", "4000 0000 0000 0002", "378282246310005", "", "1234-5678-9012-3456", "4" + strings.Repeat("0", 30)} {
		f.Add(s, 12, 2030, "123")
	}
	g := NewSandbox()
	f.Fuzz(func(t *testing.T, number string, month, year int, cvc string) {
		tok, err := g.Tokenize(context.Background(), Card{Number: number, ExpMonth: month, ExpYear: year, CVC: cvc}, now)
		if err != nil {
			if n, _ := NormalizeNumber(number); len(n) >= 12 && strings.Contains(err.Error(), n) {
				t.Fatalf("error reveals the number: %v", err)
			}
			return
		}
		if longDigits.MatchString(tok.Token) {
			t.Fatalf("token %q holds a long digit run", tok.Token)
		}
		n, _ := NormalizeNumber(number)
		if tok.Last4 != n[len(n)-4:] {
			t.Fatalf("last4 %q of %q", tok.Last4, n)
		}
	})
}

func FuzzNormalizeNumber(f *testing.F) {
	f.Add("4242 4242 4242 4242")
	f.Add("--")
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := NormalizeNumber(s)
		if ok && (len(n) < 12 || len(n) > 19 || strings.Trim(n, "0123456789") != "") {
			t.Fatalf("NormalizeNumber(%q) = %q", s, n)
		}
	})
}

func TestBrandName(t *testing.T) {
	t.Parallel()
	for brand, want := range map[string]string{"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express", "jcb": "JCB",
		"discover": "Discover", "diners": "Diners", "unionpay": "UnionPay", "unknown": "Card", "": "Card"} {
		if got := BrandName(brand); got != want {
			t.Errorf("BrandName(%q) = %q, want %q", brand, got, want)
		}
	}
}
