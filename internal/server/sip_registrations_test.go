package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

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
		acc := newAccount(t, a, "reg@acme.test", 0)
		trunk := dataOf(a.do("GET", "/v1/sip_accounts", acc.tok, nil))[0]
		id := trunk["id"].(string)
		if trunk["connected"] != false || len(trunk["registrations"].([]any)) != 0 {
			t.Fatalf("before any registration: %v", trunk)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		put := func(contact string, expires time.Time) {
			t.Helper()
			if err := st.Tx(ctx, func(q *store.Q) error {
				return q.PutSIPBinding(ctx, store.SIPBinding{ID: "reg_" + contact, SIPAccountID: id, CustomerID: acc.id, Contact: "sip:" + contact + "@192.0.2.7:5062",
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
		p := acc.b.get("/sip")
		p.has(t, `class="status-connected" data-testid="sip-connected">Yes`, "Yealink T54W", "192.0.2.7:5062", "(UDP)",
			"since "+now.Add(-time.Hour).Format("2 Jan 2006 15:04")+" UTC")
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
