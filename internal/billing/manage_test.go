package billing_test

import (
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestOnlyAdminsManage: a login that is not the owner or an admin may look
// but not buy or change anything (PRODUCT.md "Customer owner/admin").
func TestOnlyAdminsManage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.Open(t, "sqlite"))
	owner := e.mustSignup(t, "owner@acme.test", "CH", "CHF")
	adr := e.mustAddress(t, owner, "CH", "8001")
	member := owner
	member.Role = "member"
	item := billing.ItemInput{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1}
	for name, call := range map[string]func() error{
		"PlaceOrder": func() error {
			_, err := e.svc.PlaceOrder(ctx, member, billing.OrderInput{Items: []billing.ItemInput{item}, BillingAddress: adr,
				Payment: billing.PaymentInput{Method: "balance"}}, "test")
			return err
		},
		"AddToCart":     func() error { _, err := e.svc.AddToCart(ctx, member, item); return err },
		"CreateUser":    func() error { _, err := e.svc.CreateUser(ctx, member, billing.UserInput{Name: "Bob"}); return err },
		"SaveAddress":   func() error { _, err := e.svc.SaveAddress(ctx, member, "", billing.AddressInput{}); return err },
		"AddCard":       func() error { _, err := e.svc.AddCard(ctx, member, billing.CardInput{}); return err },
		"DeleteAddress": func() error { return e.svc.DeleteAddress(ctx, member, adr) },
	} {
		if err := call(); market.ErrorCode(err) != market.CodeForbidden {
			t.Errorf("%s by a member: %v, want forbidden", name, err)
		}
	}
	if _, err := e.svc.Address(ctx, member, adr); err != nil {
		t.Errorf("a member may look at an address: %v", err)
	}
	if _, err := e.svc.AddToCart(ctx, owner, item); err != nil {
		t.Errorf("the owner adds to the cart: %v", err)
	}
}
