package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// sipAccount signs a customer up on a running serve and returns its
// session token and its SIP trunk account (with the password).
func sipAccount(t *testing.T, base, email string) (string, map[string]any) {
	t.Helper()
	call(t, "POST", base+"/v1/signup", "", map[string]any{"email": email, "password": "correct horse", "company": "Acme AG",
		"country": "DE", "currency": "EUR"})
	tok := call(t, "POST", base+"/v1/sessions", "", map[string]any{"email": email, "password": "correct horse"})["token"].(string)
	id := call(t, "GET", base+"/v1/sip_accounts", tok, nil)["data"].([]any)[0].(map[string]any)["id"].(string)
	return tok, call(t, "GET", base+"/v1/sip_accounts/"+id, tok, nil)
}

// sipAddr returns the registrar's address serve printed.
func sipAddr(t *testing.T, printed string) string {
	t.Helper()
	m := regexp.MustCompile(`SIP registrar on udp\+tcp (\S+)`).FindStringSubmatch(printed)
	if m == nil {
		t.Fatalf("no SIP address printed: %q", printed)
	}
	return m[1]
}

// registerGo registers contact port for the account with sipgo's client
// and digest credentials (CSeq seq, then seq+1), and returns the final
// status.
func registerGo(t *testing.T, addr string, acct map[string]any, port, expires int, seq uint32) int {
	t.Helper()
	return registerAcross(t, addr, addr, acct, port, expires, seq)
}

// registerAcross sends the first REGISTER to addr and the answer to the
// challenge to answerAt (another process, in the two-process test).
func registerAcross(t *testing.T, addr, answerAt string, acct map[string]any, port, expires int, seq uint32) int {
	t.Helper()
	return registerVia(t, "udp", nil, addr, answerAt, acct, port, expires, seq)
}

// registerVia is registerAcross over transport (udp, tcp, tls: trusting
// roots).
func registerVia(t *testing.T, transport string, roots *x509.CertPool, addr, answerAt string, acct map[string]any, port, expires int, seq uint32) int {
	t.Helper()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("go-phone"), sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: roots}))
	if err != nil {
		t.Fatal(err)
	}
	defer ua.Close()
	c, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	user, domain := acct["username"].(string), acct["domain"].(string)
	build := func(to string, cseq uint32) *gosip.Request {
		host, p, _ := net.SplitHostPort(to)
		pn, _ := strconv.Atoi(p)
		ruri := gosip.Uri{Scheme: "sip", Host: host, Port: pn, UriParams: gosip.NewParams()}
		if transport != "udp" {
			ruri.UriParams.Add("transport", transport)
		}
		req := gosip.NewRequest(gosip.REGISTER, ruri)
		aor := gosip.Uri{Scheme: "sip", User: user, Host: domain}
		from := &gosip.FromHeader{Address: aor, Params: gosip.NewParams()}
		from.Params.Add("tag", "go")
		req.AppendHeader(from)
		req.AppendHeader(&gosip.ToHeader{Address: aor, Params: gosip.NewParams()})
		cid := gosip.CallIDHeader("call-" + user)
		req.AppendHeader(&cid)
		req.AppendHeader(&gosip.CSeqHeader{SeqNo: cseq, MethodName: gosip.REGISTER})
		req.AppendHeader(&gosip.ContactHeader{Address: gosip.Uri{Scheme: "sip", User: user, Host: "127.0.0.1", Port: port}})
		req.AppendHeader(gosip.NewHeader("Expires", strconv.Itoa(expires)))
		req.AppendHeader(gosip.NewHeader("User-Agent", "go-phone/1.0"))
		return req
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := c.Do(ctx, build(addr, seq))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 401 {
		return res.StatusCode
	}
	chal, err := digest.ParseChallenge(res.GetHeader("WWW-Authenticate").Value())
	if err != nil {
		t.Fatal(err)
	}
	req := build(answerAt, seq+1)
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.Addr(), Username: user,
		Password: acct["password"].(string), Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	req.AppendHeader(gosip.NewHeader("Authorization", cred.String()))
	if res, err = c.Do(ctx, req); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode
}

// TestSIPRegistrarEndToEnd: a phone registers at serve's registrar, and the
// API and the SIP manager show it connected; unregistering disconnects it.
func TestSIPRegistrarEndToEnd(t *testing.T) {
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			base, printed, stop := startServer(t, storetest.URL(t, kind), map[string]string{"DIALTONE_ARGON2_MEMORY": "1024"})
			defer stop()
			addr := sipAddr(t, printed.String())
			tok, acct := sipAccount(t, base, "sip-"+kind+"@example.com")
			path := base + "/v1/sip_accounts/" + acct["id"].(string)
			if acct["connected"] != false || len(acct["registrations"].([]any)) != 0 {
				t.Fatalf("before registering: %v", acct)
			}
			if got := registerGo(t, addr, acct, 5077, 300, 1); got != 200 {
				t.Fatalf("REGISTER: got %d, want 200", got)
			}
			got := call(t, "GET", path, tok, nil)
			regs := got["registrations"].([]any)
			if got["connected"] != true || len(regs) != 1 {
				t.Fatalf("after registering: got %v, want connected with one registration", got)
			}
			r := regs[0].(map[string]any)
			if r["user_agent"] != "go-phone/1.0" || r["transport"] != "UDP" || !strings.HasPrefix(r["source"].(string), "127.0.0.1:") ||
				!strings.Contains(r["contact"].(string), ":5077") {
				t.Errorf("registration: %v", r)
			}
			exp, err := time.Parse(time.RFC3339, r["expires_at"].(string))
			if err != nil || exp.Sub(time.Now()) < 290*time.Second || exp.Sub(time.Now()) > 301*time.Second {
				t.Errorf("expires_at %v (%v), want about 300 s from now", r["expires_at"], err)
			}
			list := call(t, "GET", base+"/v1/sip_accounts", tok, nil)["data"].([]any)
			if list[0].(map[string]any)["connected"] != true {
				t.Errorf("list: %v", list[0])
			}
			page := portalPage(t, base+"/sip", tok)
			if !strings.Contains(page, `data-testid="sip-connected">Connected`) || !strings.Contains(page, "go-phone/1.0") {
				t.Errorf("SIP manager does not show the device: %s", page)
			}
			if m := portalPage(t, base+"/metrics", ""); !strings.Contains(m, "dialtone_sip_bindings_active 1") ||
				!strings.Contains(m, `dialtone_sip_requests_total{code="200",method="REGISTER"} 1`) {
				t.Errorf("metrics do not count the registration")
			}
			if got := registerGo(t, addr, acct, 5077, 0, 10); got != 200 {
				t.Fatalf("unREGISTER: got %d, want 200", got)
			}
			if got := call(t, "GET", path, tok, nil); got["connected"] != false {
				t.Errorf("after unregistering: %v", got)
			}
		})
	}
}

// TestSIPTwoProcesses: two serve processes on one PostgreSQL database
// answer alike: a challenge of one is answered at the other, and a phone
// registered at one shows connected at the other's API (and unregisters
// there).
func TestSIPTwoProcesses(t *testing.T) {
	if !slices.Contains(storetest.Kinds(t), "postgres") {
		t.Skip("needs PostgreSQL (" + storetest.PostgresEnv + ")")
	}
	db := storetest.URL(t, "postgres")
	env := map[string]string{"DIALTONE_ARGON2_MEMORY": "1024"}
	baseA, printedA, stopA := startServer(t, db, env)
	defer stopA()
	baseB, printedB, stopB := startServer(t, db, env)
	defer stopB()
	sipA, sipB := sipAddr(t, printedA.String()), sipAddr(t, printedB.String())
	tok, acct := sipAccount(t, baseA, "two@example.com")
	if got := registerAcross(t, sipA, sipB, acct, 5078, 300, 1); got != 200 {
		t.Fatalf("challenged at A, answered at B: got %d, want 200", got)
	}
	if got := call(t, "GET", baseB+"/v1/sip_accounts/"+acct["id"].(string), tok, nil); got["connected"] != true {
		t.Fatalf("B's API after registering at B: %v", got)
	}
	if got := registerGo(t, sipA, acct, 5079, 300, 10); got != 200 {
		t.Fatalf("second contact at A: got %d", got)
	}
	if got := call(t, "GET", baseB+"/v1/sip_accounts/"+acct["id"].(string), tok, nil); len(got["registrations"].([]any)) != 2 {
		t.Fatalf("B's API does not show A's registration: %v", got)
	}
	if got := registerGo(t, sipB, acct, 5078, 0, 20); got != 200 {
		t.Fatalf("unregister at B: got %d", got)
	}
	if got := registerGo(t, sipB, acct, 5079, 0, 30); got != 200 {
		t.Fatalf("unregister at B: got %d", got)
	}
	if got := call(t, "GET", baseA+"/v1/sip_accounts/"+acct["id"].(string), tok, nil); got["connected"] != false {
		t.Fatalf("A's API after unregistering at B: %v", got)
	}
}

// portalPage fetches a portal page with the session token as its cookie.
func portalPage(t *testing.T, url, tok string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.AddCookie(&http.Cookie{Name: "dialtone_session", Value: tok})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// TestSIPWithSipp runs Debian's sipp (sip-tester) against serve: REGISTER
// with digest and a refresh, a wrong password, and Expires: 0, each checked
// through the API. Skipped without sipp, except under CI=true.
func TestSIPWithSipp(t *testing.T) {
	sipp, err := exec.LookPath("sipp")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("sipp is missing under CI=true: install sip-tester (.ci/run does)")
		}
		t.Skip("sipp is not installed (apt-get install sip-tester)")
	}
	scenarios, _ := filepath.Abs("../../internal/sip/testdata/sipp")
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			// sipp 3.6 reads only the first challenge and knows only MD5.
			base, printed, stop := startServer(t, storetest.URL(t, kind), map[string]string{"DIALTONE_ARGON2_MEMORY": "1024",
				"DIALTONE_SIP_ALGORITHMS": "MD5,SHA-256"})
			defer stop()
			addr := sipAddr(t, printed.String())
			tok, acct := sipAccount(t, base, "sipp-"+kind+"@example.com")
			user, domain := acct["username"].(string), acct["domain"].(string)
			path := base + "/v1/sip_accounts/" + acct["id"].(string)
			// sipp reads a password that starts with "0x" as hex (one in
			// a thousand): such an account gets another.
			for strings.HasPrefix(acct["password"].(string), "0x") {
				acct = call(t, "POST", path+"/password", tok, nil)
			}
			port := freeUDPPort(t)
			run := func(scenario, password string) {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, sipp, addr, "-sf", filepath.Join(scenarios, scenario), "-m", "1",
					"-s", user, "-au", user, "-ap", password, "-key", "domain", domain, "-key", "expires", "300",
					"-i", "127.0.0.1", "-p", strconv.Itoa(port), "-t", "u1", "-nostdin", "-timeout", "20s", "-timeout_error",
					"-trace_err", "-error_file", filepath.Join(t.TempDir(), "errors.log"))
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("sipp %s: %v\n%s", scenario, err, out)
				}
			}
			run("register.xml", acct["password"].(string))
			got := call(t, "GET", path, tok, nil)
			regs := got["registrations"].([]any)
			if got["connected"] != true || len(regs) != 1 || regs[0].(map[string]any)["user_agent"] != "sipp register" {
				t.Fatalf("after sipp registered: %v", got)
			}
			contact := regs[0].(map[string]any)["contact"]
			run("wrong_password.xml", "not-"+acct["password"].(string))
			if got := call(t, "GET", path, tok, nil); len(got["registrations"].([]any)) != 1 ||
				got["registrations"].([]any)[0].(map[string]any)["contact"] != contact {
				t.Fatalf("a wrong password changed the bindings: %v", got)
			}
			run("unregister.xml", acct["password"].(string))
			if got := call(t, "GET", path, tok, nil); got["connected"] != false {
				t.Fatalf("after sipp unregistered: %v", got)
			}
		})
	}
}

// freeUDPPort returns a UDP port free at the moment.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
