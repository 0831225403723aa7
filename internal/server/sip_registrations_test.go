package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestSIPRegistrations: the API's connected and registrations and the SIP
// manager follow the bindings the registrar keeps: connected exactly while
// one has not expired (wall-clock time, whatever the sandbox clock says).
func TestSIPRegistrations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := newAPI(t, st)
		acc := newAccount(t, a, "reg@acme.test", 500000)
		trunk := dataOf(a.do("GET", "/v1/sip_accounts", acc.tok, nil))[0]
		id := trunk["id"].(string)
		if trunk["connected"] != false || len(trunk["registrations"].([]any)) != 0 {
			t.Fatalf("before any registration: %v", trunk)
		}
		// A number on the trunk, another on no account.
		if r := a.do("POST", "/v1/admin/numbers", adminToken, []map[string]any{
			{"number": "+41445550181", "country": "CH", "area": "Zürich", "type": "local", "setup_amount": 300, "monthly_amount": 200, "currency": "CHF"},
			{"number": "+41445550182", "country": "CH", "area": "Zürich", "type": "local", "setup_amount": 300, "monthly_amount": 200, "currency": "CHF"},
		}); r.status >= 300 {
			t.Fatalf("import: %d %s", r.status, r.raw)
		}
		adr := a.address(acc.tok)
		buy(t, a, acc, adr, map[string]any{"type": "phone_number", "number": "+41445550181"})
		buy(t, a, acc, adr, map[string]any{"type": "phone_number", "number": "+41445550182"})
		numID := map[string]string{}
		for _, n := range dataOf(a.do("GET", "/v1/numbers", acc.tok, nil)) {
			numID[n["number"].(string)] = n["id"].(string)
			if n["sip_connected"] != false {
				t.Errorf("number %v before any registration: sip_connected %v, want false", n["number"], n["sip_connected"])
			}
		}
		if r := a.do("PATCH", "/v1/numbers/"+numID["+41445550181"], acc.tok, map[string]any{"sip_account": id}); r.status != 200 || r.body["sip_connected"] != false {
			t.Fatalf("assign: %d %s", r.status, r.raw)
		}
		if r := a.do("PATCH", "/v1/numbers/"+numID["+41445550182"], acc.tok, map[string]any{"sip_account": ""}); r.status != 200 {
			t.Fatalf("unassign: %d %s", r.status, r.raw)
		}
		acc.b.get("/marketplace/numbers").has(t, `<span class="status-disconnected">Not connected</span>`)
		now := time.Now().UTC().Truncate(time.Microsecond)
		put := func(contact string, expires time.Time) {
			t.Helper()
			if err := st.Tx(ctx, func(q *store.Q) error {
				return q.PutSIPBinding(ctx, market.SIPBinding{ID: "reg_" + contact, SIPAccountID: id, CustomerID: acc.id, Contact: "sip:" + contact + "@192.0.2.7:5062",
					UserAgent: "Yealink T54W", Source: "192.0.2.7:5062", Transport: "UDP", CallID: "c", CSeq: 1,
					ExpiresAt: expires, CreatedAt: now.Add(-time.Hour), UpdatedAt: now})
			}); err != nil {
				t.Fatal(err)
			}
		}
		put("desk", now.Add(5*time.Minute))
		put("old", now.Add(-time.Second)) // lapsed: not shown
		one := a.do("GET", "/v1/sip_accounts/"+id, acc.tok, nil).body
		regs := one["registrations"].([]any)
		if one["connected"] != true || len(regs) != 1 {
			t.Fatalf("with a live binding: %v", one)
		}
		r := regs[0].(map[string]any)
		if r["contact"] != "sip:desk@192.0.2.7:5062" || r["user_agent"] != "Yealink T54W" || r["source"] != "192.0.2.7:5062" ||
			r["transport"] != "UDP" || r["expires_at"] != now.Add(5*time.Minute).Format(time.RFC3339Nano) {
			t.Errorf("registration: %v", r)
		}
		if l := dataOf(a.do("GET", "/v1/sip_accounts", acc.tok, nil))[0]; l["connected"] != true {
			t.Errorf("list: %v", l)
		}
		connected := map[string]any{}
		for _, n := range dataOf(a.do("GET", "/v1/numbers", acc.tok, nil)) {
			connected[n["number"].(string)] = n["sip_connected"]
		}
		if connected["+41445550181"] != true || connected["+41445550182"] != false {
			t.Errorf("numbers' sip_connected: %v, want the trunk's number true, the other false", connected)
		}
		since := now.Add(-time.Hour).Format("2 Jan 2006 15:04") + " UTC"
		np := acc.b.get("/marketplace/numbers")
		np.has(t, `data-testid="number-sip-state"><span class="status-connected">Connected</span> since `+since)
		if strings.Count(np.body, `data-testid="number-sip-state"`) != 1 {
			t.Error("the number without a SIP account shows a SIP state")
		}
		p := acc.b.get("/sip")
		p.has(t, `class="status-connected" data-testid="sip-connected">Connected`, `data-testid="sip-since">since `+since,
			"Yealink T54W", "192.0.2.7:5062", "(UDP)", "since "+since)
		if strings.Contains(p.body, "sip:old@") {
			t.Error("a lapsed binding is shown")
		}
		acc.b.get("/sip/"+id).has(t, `data-testid="sip-registration"`, "Yealink T54W", "sip:desk@192.0.2.7:5062")

		put("desk", now.Add(-time.Millisecond))
		if one := a.do("GET", "/v1/sip_accounts/"+id, acc.tok, nil).body; one["connected"] != false || len(one["registrations"].([]any)) != 0 {
			t.Fatalf("after its expiry: %v", one)
		}
	})
}
