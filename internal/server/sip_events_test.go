package server_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/dialtone/dialtone/internal/sip"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// wallClock is a wall clock the test moves (the registrar's Now).
type wallClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *wallClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.at }
func (c *wallClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// sipRegister sends a REGISTER for user with password through the
// registrar's Handle (challenge, then credentials) and returns the status.
func sipRegister(t *testing.T, reg *sip.Registrar, user, password, contact string, expires int, cseq *uint32) int {
	t.Helper()
	mk := func() *gosip.Request {
		*cseq++
		req := gosip.NewRequest(gosip.REGISTER, gosip.Uri{Scheme: "sip", Host: "sip.dialtone.local"})
		aor := gosip.Uri{Scheme: "sip", User: user, Host: "sip.dialtone.local"}
		via := &gosip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "192.0.2.9", Port: 5062, Params: gosip.NewParams()}
		via.Params.Add("branch", "z9hG4bK"+strconv.Itoa(int(*cseq)))
		req.AppendHeader(via)
		from := &gosip.FromHeader{Address: aor, Params: gosip.NewParams()}
		from.Params.Add("tag", "t1")
		req.AppendHeader(from)
		req.AppendHeader(&gosip.ToHeader{Address: aor, Params: gosip.NewParams()})
		cid := gosip.CallIDHeader("events-call")
		req.AppendHeader(&cid)
		req.AppendHeader(&gosip.CSeqHeader{SeqNo: *cseq, MethodName: gosip.REGISTER})
		req.AppendHeader(gosip.NewHeader("User-Agent", "Yealink T54W"))
		req.AppendHeader(&gosip.ContactHeader{Address: gosip.Uri{Scheme: "sip", User: "desk", Host: contact}, Params: gosip.NewParams()})
		req.AppendHeader(gosip.NewHeader("Expires", strconv.Itoa(expires)))
		req.SetSource("192.0.2.9:5062")
		req.SetTransport("UDP")
		return req
	}
	ctx := context.Background()
	req := mk()
	res := reg.Handle(ctx, req)
	if res.StatusCode != 401 {
		return res.StatusCode
	}
	chal, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		t.Fatal(err)
	}
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.String(), Username: user, Password: password,
		Cnonce: "c0ffee", Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	req = mk()
	req.AppendHeader(gosip.NewHeader("Authorization", cred.String()))
	return reg.Handle(ctx, req).StatusCode
}

// TestSIPEvents: a SIP account's change of state, and only that, is a
// notification (in words, on the portal's Notifications page) and a
// sip_account.registered / .unregistered webhook event: a first
// registration, not its refresh; an unregistration; a lapse found by the
// sweep; a rotated password (which ends the registrations). The password
// is shown once, then only its HA1s are kept: the registrar still
// authenticates, and a rotation's new password is the only one that works.
func TestSIPEvents(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a, svc := newHookAPI(t, st)
		rc := newReceiver(t, nil)
		hook, _ := createHook(t, a, rc.srv.URL, "sip_account.registered", "sip_account.unregistered")
		acc := newAccount(t, a, "events@acme.test", 0)
		trunk := dataOf(a.do("GET", "/v1/sip_accounts", acc.tok, nil))[0]
		id, user := trunk["id"].(string), trunk["username"].(string)
		wall := &wallClock{at: time.Now().UTC().Truncate(time.Second)}
		reg, err := sip.New(ctx, st, sip.Config{Realm: "sip.dialtone.local", Now: wall.Now, Events: svc, Algorithms: []string{"MD5"}})
		if err != nil {
			t.Fatal(err)
		}

		// Shown once, then gone.
		pw, _ := a.do("GET", "/v1/sip_accounts/"+id, acc.tok, nil).body["password"].(string)
		if len(pw) < 12 {
			t.Fatalf("first GET: password %q", pw)
		}
		if again := a.do("GET", "/v1/sip_accounts/"+id, acc.tok, nil).body; again["password"] != nil {
			t.Fatalf("second GET still shows the password: %v", again)
		}
		if kept := storetest.Column(t, st, `SELECT password FROM sip_accounts WHERE id = '`+id+`'`); len(kept) != 1 || kept[0] != "" {
			t.Fatalf("stored password after it was shown: %q", kept)
		}

		types := func() []string {
			var out []string
			for _, n := range dataOf(a.do("GET", "/v1/notifications", acc.tok, nil)) {
				if strings.HasPrefix(n["type"].(string), "sip_account") {
					out = append(out, n["type"].(string))
				}
			}
			return out
		}
		var cseq uint32
		if c := sipRegister(t, reg, user, pw, "192.0.2.9", 300, &cseq); c != 200 {
			t.Fatalf("register with the shown password (HA1 only kept): %d", c)
		}
		if c := sipRegister(t, reg, user, pw, "192.0.2.9", 300, &cseq); c != 200 {
			t.Fatalf("refresh: %d", c)
		}
		if got := types(); len(got) != 1 || got[0] != "sip_account_registered" {
			t.Fatalf("after a registration and a refresh: %v", got)
		}
		if c := sipRegister(t, reg, user, pw, "192.0.2.9", 0, &cseq); c != 200 {
			t.Fatalf("unregister: %d", c)
		}
		if got := types(); len(got) != 2 || got[0] != "sip_account_unregistered" {
			t.Fatalf("after unregistering: %v", got)
		}
		// A lapse, found by the sweep.
		sipRegister(t, reg, user, pw, "192.0.2.9", 300, &cseq)
		wall.Advance(301 * time.Second)
		if _, err := reg.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := reg.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if got := types(); len(got) != 4 || got[0] != "sip_account_unregistered" || got[1] != "sip_account_registered" {
			t.Fatalf("after a lapse and two sweeps: %v", got)
		}
		// A rotation ends the registration; the old password is refused.
		sipRegister(t, reg, user, pw, "192.0.2.9", 300, &cseq)
		rot := a.do("POST", "/v1/sip_accounts/"+id+"/password", acc.tok, nil)
		npw, _ := rot.body["password"].(string)
		if rot.status != 200 || len(npw) < 12 || npw == pw || rot.body["connected"] != false {
			t.Fatalf("rotate: %d %s", rot.status, rot.raw)
		}
		if got := types(); len(got) != 6 || got[0] != "sip_account_unregistered" {
			t.Fatalf("after a rotation: %v", got)
		}
		if c := sipRegister(t, reg, user, pw, "192.0.2.9", 300, &cseq); c != 401 {
			t.Fatalf("old password after the rotation: %d, want 401", c)
		}
		if c := sipRegister(t, reg, user, npw, "192.0.2.9", 300, &cseq); c != 200 {
			t.Fatalf("new password: %d", c)
		}
		if again := a.do("GET", "/v1/sip_accounts/"+id, acc.tok, nil).body; again["password"] != nil {
			t.Fatalf("the rotated password is shown again: %v", again)
		}

		// Webhook events: the same changes, with the account as the API shows it.
		if n := deliver(t, svc); n != 7 {
			t.Fatalf("delivered %d events, want 7 (%v)", n, deliveriesOf(t, a, hook))
		}
		var evs []string
		for _, c := range rc.got() {
			evs = append(evs, c.evt.Type)
			if obj := c.object(); obj["id"] != id || obj["customer"] != acc.id || obj["password"] != nil {
				t.Errorf("event object: %s", c.body)
			}
		}
		// (Delivered in parallel: their order is the created_at's.)
		slices.Sort(evs)
		if strings.Join(evs, ",") != "sip_account.registered,sip_account.registered,sip_account.registered,sip_account.registered,"+
			"sip_account.unregistered,sip_account.unregistered,sip_account.unregistered" {
			t.Errorf("events: %v", evs)
		}

		// The portal says it in words.
		p := acc.b.get("/notifications")
		p.has(t, "SIP account connected", "SIP account disconnected", "SIP trunk "+user, "Yealink T54W at 192.0.2.9:5062 (UDP)",
			"its registration expired", "the password was rotated")

		// Rotation in the portal: a confirmation, then the new one once.
		acc.b.get("/sip/"+id+"/password").has(t, `data-testid="rotate-password-form"`, "must register again")
		r := acc.b.post("/sip/"+id+"/password", nil)
		r.has(t, `data-testid="password-rotated"`, `data-testid="cred-password">`)
		acc.b.get("/sip/"+id).has(t, `data-testid="password-seen"`)
	})
}
