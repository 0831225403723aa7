package sip_test

import (
	"context"
	"strings"
	"testing"
	"time"

	gosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/sip"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// fuzzSeeds are messages a registrar meets, good and bad; "USER" is
// replaced by the fuzz account's username.
var fuzzSeeds = []string{
	"REGISTER sip:sip.test.dialtone SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK1;rport\r\nFrom: <sip:USER@sip.test.dialtone>;tag=1\r\n" +
		"To: <sip:USER@sip.test.dialtone>\r\nCall-ID: c1\r\nCSeq: 1 REGISTER\r\nContact: <sip:USER@127.0.0.1:5099>\r\nExpires: 300\r\nContent-Length: 0\r\n\r\n",
	"REGISTER sip:sip.test.dialtone SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK2\r\nFrom: <sip:USER@sip.test.dialtone>;tag=1\r\n" +
		"To: <sip:USER@sip.test.dialtone>\r\nCall-ID: c1\r\nCSeq: 2 REGISTER\r\nContact: <sip:a@10.0.0.1:5060>;expires=60, <sip:b@10.0.0.2>;expires=0, <sip:c@h;transport=tcp>\r\nContent-Length: 0\r\n\r\n",
	"REGISTER sip:sip.test.dialtone SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK3\r\nFrom: <sip:USER@sip.test.dialtone>;tag=1\r\n" +
		"To: <sip:USER@sip.test.dialtone>\r\nCall-ID: c2\r\nCSeq: 3 REGISTER\r\nContact: *\r\nExpires: 0\r\nContent-Length: 0\r\n\r\n",
	"REGISTER sip:sip.test.dialtone SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK4\r\nFrom: <sip:USER@sip.test.dialtone>;tag=1\r\n" +
		"To: <sip:USER@sip.test.dialtone>\r\nCall-ID: c3\r\nCSeq: 4 REGISTER\r\nContact: <sip:x@y>\r\nExpires: 5\r\nContent-Length: 0\r\n\r\n",
	"REGISTER sip:sip.test.dialtone SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK5\r\nFrom: <sip:USER@sip.test.dialtone>;tag=1\r\n" +
		"To: <sip:USER@sip.test.dialtone>\r\nCall-ID: c4\r\nCSeq: 5 REGISTER\r\nContact: <tel:+4930123>\r\nExpires: 99999999999\r\n" +
		"Authorization: Digest username=\"USER\", realm=\"sip.test.dialtone\", nonce=\"abc\", uri=\"sip:x\", response=\"00\", qop=auth, nc=zz\r\nContent-Length: 0\r\n\r\n",
	"REGISTER sip:sip.test.dialtone SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK6\r\nFrom: <sip:USER@sip.test.dialtone>;tag=1\r\n" +
		"To: <sip:USER@sip.test.dialtone>\r\nCall-ID: c5\r\nCSeq: 6 REGISTER\r\nContact: <sip:\x00\xff@h>\r\nUser-Agent: \xff\xfe\x00\r\nContent-Length: 0\r\n\r\n",
	"REGISTER sip:sip.test.dialtone SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKc\r\nFrom: <sip:other@sip.test.dialtone>;tag=1\r\n" +
		"To: <sip:other@sip.test.dialtone>\r\nCall-ID: c6\r\nCSeq: 7 REGISTER\r\nContact: <sip:o@h>\r\nContent-Length: 0\r\n\r\n",
	"REGISTER sip:sip.test.dialtone SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bKd\r\nFrom: <sip:b\xffd@sip.test.dialtone>;tag=1\r\n" +
		"To: <sip:b\xffd@sip.test.dialtone>\r\nCall-ID: c7\r\nCSeq: 8 REGISTER\r\nContact: <sip:o@h>\r\nContent-Length: 0\r\n\r\n",
	"OPTIONS sip:sip.test.dialtone SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bK7\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: o1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
	"INVITE sip:bob@sip.test.dialtone SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK8\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:bob@d>\r\nCall-ID: i1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
	"FOO sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK9\r\nCSeq: 1 FOO\r\n\r\n",
	"REGISTER sip:x SIP/2.0\r\n\r\n",
	"ACK sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\nCSeq: 1 ACK\r\n\r\n",
	"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKb\r\nCSeq: 1 REGISTER\r\n\r\n",
	"garbage",
}

// FuzzHandle feeds messages to the registrar's handling (with sign, a
// REGISTER also gets right digest credentials for the fuzz account, so that
// what follows authentication is fuzzed too). No input may panic or get
// 500; a request that is not answered 200 to a REGISTER changes no
// binding; after a 200, the live bindings are exactly the response's
// contacts, each within the expiry bounds.
func FuzzHandle(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, i%2 == 0)
		f.Add(s, i%2 == 1)
	}
	// Every input goes to a registrar on each store: PostgreSQL refuses
	// text SQLite keeps (NUL, invalid UTF-8), which must never become a 500.
	type target struct {
		r           *rig
		acct, other market.SIPAccount
	}
	clk := &testClock{at: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)}
	cfg := sip.Config{Realm: realm, Now: clk.Now, MinExpires: 60, MaxExpires: 3600, MaxContacts: 5}
	var targets []target
	for _, kind := range storetest.Kinds(f) {
		st := storetest.Open(f, kind)
		reg, err := sip.New(context.Background(), st, cfg)
		if err != nil {
			f.Fatal(err)
		}
		r := &rig{st: st, reg: reg, clock: clk}
		a := r.newAccount(f, "trunk", "")
		// One username on both stores, so that "USER" names it on each.
		if _, err := st.DB().Exec(`UPDATE sip_accounts SET username = 'fuzz-user' WHERE id = $1`, a.ID); err != nil {
			f.Fatal(err)
		}
		a.Username = "fuzz-user"
		targets = append(targets, target{r: r, acct: a, other: r.newAccount(f, "trunk", "")})
	}
	parser := gosip.NewParser()
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, raw string, sign bool) {
		for _, tg := range targets {
			handleOne(t, ctx, parser, tg.r, tg.acct, tg.other, cfg, strings.ReplaceAll(raw, "USER", tg.acct.Username), sign)
		}
	})
}

// handleOne is one fuzz input at one registrar.
func handleOne(t *testing.T, ctx context.Context, parser *gosip.Parser, r *rig, acct, other market.SIPAccount, cfg sip.Config, raw string, sign bool) {
	t.Helper()
	reg, clk := r.reg, r.clock
	{
		msg, err := parser.ParseSIP([]byte(raw))
		if err != nil {
			return
		}
		req, ok := msg.(*gosip.Request)
		if !ok {
			return
		}
		req.SetSource("127.0.0.1:5099")
		req.SetTransport("UDP")
		if sign && req.Method == gosip.REGISTER {
			// Signed as the To user (the fuzzer picks it) with the
			// account's password: right for the account, and odd
			// usernames reach the database.
			user := acct.Username
			if to := req.To(); to != nil && to.Address.User != "" {
				user = to.Address.User
			}
			signRequest(ctx, reg, req, user, acct.Password)
		}
		before := r.bindings(t, acct)
		res := reg.Handle(ctx, req)
		if res == nil {
			if req.Method != gosip.ACK {
				t.Fatalf("no response to %s", req.Method)
			}
			return
		}
		_ = res.String() // the transport writes it
		if res.StatusCode == gosip.StatusInternalServerError {
			t.Fatalf("got %d %s for\n%q", res.StatusCode, res.Reason, raw)
		}
		after := r.bindings(t, acct)
		if len(r.bindings(t, other)) != 0 {
			t.Fatal("a binding leaked onto another account")
		}
		if req.Method != gosip.REGISTER || res.StatusCode != 200 {
			if !sameBindings(before, after) {
				t.Fatalf("a %d to %s changed the bindings: %v -> %v", res.StatusCode, req.Method, before, after)
			}
			return
		}
		if got := len(res.GetHeaders("Contact")); got != len(after) {
			t.Fatalf("200 lists %d contacts, %d are bound", got, len(after))
		}
		if len(after) > cfg.MaxContacts {
			t.Fatalf("%d bindings, more than %d", len(after), cfg.MaxContacts)
		}
		for _, b := range after {
			if d := b.ExpiresAt.Sub(clk.Now()); d < time.Duration(cfg.MinExpires)*time.Second || d > time.Duration(cfg.MaxExpires)*time.Second {
				t.Fatalf("binding for %s lasts %s", b.Contact, d)
			}
		}
	}
}

// signRequest adds right digest credentials (a fresh MD5 challenge of the
// registrar) to req.
func signRequest(ctx context.Context, reg *sip.Registrar, req *gosip.Request, user, password string) {
	probe := req.Clone()
	probe.RemoveHeader("Authorization")
	res := reg.Handle(ctx, probe)
	if res == nil || res.StatusCode != 401 {
		return
	}
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		chal, err := digest.ParseChallenge(h.Value())
		if err != nil || chal.Algorithm != "MD5" {
			continue
		}
		cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.Addr(), Username: user, Password: password, Count: 1})
		if err == nil {
			req.RemoveHeader("Authorization")
			req.AppendHeader(gosip.NewHeader("Authorization", cred.String()))
		}
	}
}

func sameBindings(a, b []market.SIPBinding) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Contact != b[i].Contact || !a[i].ExpiresAt.Equal(b[i].ExpiresAt) || a[i].CSeq != b[i].CSeq {
			return false
		}
	}
	return true
}
