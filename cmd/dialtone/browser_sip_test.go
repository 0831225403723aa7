package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSIPConnected: a phone (sipgo's client) registers the trunk
// account with the credentials the portal shows; the SIP manager then says
// Connected with since when, the device and its address, and the row of
// the number routed to the trunk on SIP Number says Connected too; after
// the phone unregisters both say Not connected.
func TestBrowserSIPConnected(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := e.Tab(t)
	e.Signup(t, ctx, "sipb@acme.test", "EUR")
	tok := e.Token(t, "sipb@acme.test")
	_, acct := e.API(t, "GET", "/v1/account", tok, nil)
	e.API(t, "POST", "/v1/admin/customers/"+acct["id"].(string)+"/balance_adjustments", e.Admin, map[string]any{"amount": 100000, "reason": "credit"})
	_, adr := e.API(t, "POST", "/v1/billing_addresses", tok, map[string]any{"name": "Acme", "line1": "Unter den Linden 1", "city": "Berlin", "postal_code": "10117", "country": "DE"})
	if st, body := e.API(t, "POST", "/v1/orders", tok, map[string]any{"items": []any{map[string]any{"type": "phone_number", "country": "DE", "area": "Berlin"}},
		"billing_address": adr["id"], "payment": map[string]any{"method": "balance"}}); st != 201 {
		t.Fatalf("order: %d %v", st, body)
	}
	_, list := e.API(t, "GET", "/v1/sip_accounts", tok, nil)
	trunkID := list["data"].([]any)[0].(map[string]any)["id"].(string)
	_, nums := e.API(t, "GET", "/v1/numbers", tok, nil)
	numID := nums["data"].([]any)[0].(map[string]any)["id"].(string)
	if st, body := e.API(t, "PATCH", "/v1/numbers/"+numID, tok, map[string]any{"sip_account": trunkID}); st != 200 {
		t.Fatalf("assign: %d %v", st, body)
	}
	trunk := map[string]any{}
	e.Open(t, ctx, "/sip/"+trunkID) // the credentials, as the customer reads them
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-testid=reveal-password] summary")), chromedp.WaitVisible(chromedp.CSS("[data-testid=cred-password]")))
	trunk["username"] = text(t, ctx, "[data-testid=cred-username]")
	trunk["domain"] = text(t, ctx, "[data-testid=cred-domain]")
	trunk["password"] = text(t, ctx, "[data-testid=cred-password]")

	trunkState := "[data-testid=sip-row][data-kind=trunk] [data-testid=sip-connected]"
	numberState := "[data-testid=number-" + numID + "] [data-testid=number-sip-state]"
	e.Open(t, ctx, "/sip")
	if got := text(t, ctx, trunkState); got != "Not connected" {
		t.Fatalf("SIP manager before registering: %q", got)
	}
	e.Open(t, ctx, "/marketplace/numbers")
	if got := text(t, ctx, numberState); !strings.HasPrefix(got, "Not connected") {
		t.Fatalf("number row before registering: %q", got)
	}

	if got := registerGo(t, e.SIP, trunk, 5095, 300, 1); got != 200 {
		t.Fatalf("REGISTER with the portal's credentials: got %d", got)
	}
	e.Open(t, ctx, "/sip")
	if got := text(t, ctx, trunkState); got != "Connected" {
		t.Errorf("SIP manager after registering: %q, want Connected", got)
	}
	row := "[data-testid=sip-row][data-kind=trunk] "
	if got := text(t, ctx, row+"[data-testid=sip-since]"); !strings.HasPrefix(got, "since ") || !strings.HasSuffix(got, " UTC") {
		t.Errorf("since when: %q", got)
	}
	if got := text(t, ctx, row+"[data-testid=sip-device]"); !strings.Contains(got, "go-phone/1.0") || !strings.Contains(got, "127.0.0.1:") ||
		!strings.Contains(got, "(UDP)") {
		t.Errorf("device: %q, want its user agent, address and transport", got)
	}
	e.a11y(t, ctx, "/sip (connected)")
	e.Shot(t, ctx, "sip-manager-connected")
	e.Open(t, ctx, "/marketplace/numbers")
	if got := text(t, ctx, numberState); !strings.HasPrefix(got, "Connected since ") {
		t.Errorf("number row after registering: %q, want Connected since …", got)
	}
	do(t, ctx, chromedp.EmulateViewport(390, 844))
	e.Open(t, ctx, "/marketplace/numbers")
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](phoneReachScript+`("`+numberState+`")`)); err != nil || got != "" {
		t.Errorf("number's state on a phone: %v %s", err, got)
	}
	e.a11y(t, ctx, "/marketplace/numbers (connected, phone)")

	if got := registerGo(t, e.SIP, trunk, 5095, 0, 10); got != 200 {
		t.Fatalf("unREGISTER: got %d", got)
	}
	e.Open(t, ctx, "/sip")
	if got := text(t, ctx, trunkState); got != "Not connected" {
		t.Errorf("SIP manager after unregistering: %q", got)
	}
}
