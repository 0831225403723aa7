package sip_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	gosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/id"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/sip"
	"github.com/dialtone/dialtone/internal/store"
)

// realm is the SIP domain of the tests.
const realm = "sip.test.dialtone"

// testClock is a wall clock the test moves.
type testClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// rig is a registrar on a free port with a customer and its trunk account.
type rig struct {
	st      *store.Store
	reg     *sip.Registrar
	addr    string
	tlsAddr string // with newTLSRig
	clock   *testClock
	account market.SIPAccount
}

func newRig(t *testing.T, st *store.Store, cfg sip.Config) *rig {
	t.Helper()
	return newTLSRig(t, st, cfg, nil)
}

// newTLSRig is newRig with TLS too when conf is not nil.
func newTLSRig(t *testing.T, st *store.Store, cfg sip.Config, conf *tls.Config) *rig {
	t.Helper()
	ctx := context.Background()
	clk := &testClock{at: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)}
	cfg.Realm = realm
	if cfg.Now == nil {
		cfg.Now = clk.Now
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.NewFrozen(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))
	}
	reg, err := sip.New(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := reg.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if conf != nil {
		if err := l.ListenTLS("127.0.0.1:0", conf); err != nil {
			t.Fatal(err)
		}
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- l.Serve(sctx, time.Hour) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	r := &rig{st: st, reg: reg, addr: l.Addr(), tlsAddr: l.TLSAddr(), clock: clk}
	r.account = r.newAccount(t, "trunk", "")
	return r
}

// newAccount adds a customer with one SIP account of kind.
func (r *rig) newAccount(t testing.TB, kind, userID string) market.SIPAccount {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	c := market.Customer{ID: testIDs.New("cus"), Company: "Acme", Country: "DE", Currency: "EUR", Email: id.Secret(4) + "@example.com", CreatedAt: now}
	a := market.SIPAccount{ID: testIDs.New("sip"), CustomerID: c.ID, Kind: kind, Username: "trunk-" + id.Secret(5),
		Password: id.Secret(12), Domain: realm, UserID: userID, CreatedAt: now}
	if err := r.st.Tx(ctx, func(q *store.Q) error {
		if err := q.InsertCustomer(ctx, c); err != nil {
			return err
		}
		return q.InsertSIPAccount(ctx, a)
	}); err != nil {
		t.Fatal(err)
	}
	return a
}

// bindings returns the live bindings of the account at the rig's clock.
func (r *rig) bindings(t testing.TB, a market.SIPAccount) []market.SIPBinding {
	t.Helper()
	bs, err := r.st.Read().SIPBindings(context.Background(), a.ID, r.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

// phone is a SIP client of sipgo registering one account.
type phone struct {
	t         *testing.T
	client    *sipgo.Client
	server    string
	transport string
	username  string
	password  string
	toUser    string // the address registered (default username)
	algorithm string // "SHA-256" (the first challenge) or "MD5"
	callID    string
	cseq      uint32
	// lastAuth is the Authorization the last request carried (for replays).
	lastAuth string
}

func newPhone(t *testing.T, r *rig, a market.SIPAccount) *phone {
	t.Helper()
	return newPhoneUA(t, r, a, sipgo.WithUserAgent("test-phone"))
}

// newTLSPhone is a phone registering over TLS to the rig's TLS address,
// trusting roots.
func newTLSPhone(t *testing.T, r *rig, a market.SIPAccount, roots *x509.CertPool) *phone {
	t.Helper()
	p := newPhoneUA(t, r, a, sipgo.WithUserAgent("test-phone"), sipgo.WithUserAgenTLSConfig(&tls.Config{RootCAs: roots}))
	p.server, p.transport = r.tlsAddr, "tls"
	return p
}

func newPhoneUA(t *testing.T, r *rig, a market.SIPAccount, opts ...sipgo.UserAgentOption) *phone {
	t.Helper()
	ua, err := sipgo.NewUA(opts...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"), sipgo.WithClientLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); ua.Close() })
	return &phone{t: t, client: c, server: r.addr, transport: "udp", username: a.Username, password: a.Password,
		algorithm: "SHA-256", callID: id.Secret(10), cseq: 1}
}

// request builds a request of the phone (REGISTER to its account's AoR).
func (p *phone) request(method gosip.RequestMethod, headers ...gosip.Header) *gosip.Request {
	host, port, _ := net.SplitHostPort(p.server)
	pn, _ := strconv.Atoi(port)
	ruri := gosip.Uri{Scheme: "sip", Host: host, Port: pn, UriParams: gosip.NewParams()}
	ruri.UriParams.Add("transport", p.transport)
	req := gosip.NewRequest(method, ruri)
	user := p.toUser
	if user == "" {
		user = p.username
	}
	aor := gosip.Uri{Scheme: "sip", User: user, Host: realm}
	from := &gosip.FromHeader{Address: aor, Params: gosip.NewParams()}
	from.Params.Add("tag", "t"+id.Secret(4))
	req.AppendHeader(from)
	req.AppendHeader(&gosip.ToHeader{Address: aor, Params: gosip.NewParams()})
	cid := gosip.CallIDHeader(p.callID)
	req.AppendHeader(&cid)
	p.cseq++
	req.AppendHeader(&gosip.CSeqHeader{SeqNo: p.cseq, MethodName: method})
	req.AppendHeader(gosip.NewHeader("User-Agent", "test-phone/1.0"))
	for _, h := range headers {
		req.AppendHeader(h)
	}
	return req
}

// contact is a Contact header for the phone at port.
func contact(port int, params ...string) gosip.Header {
	c := &gosip.ContactHeader{Address: gosip.Uri{Scheme: "sip", User: "phone", Host: "127.0.0.1", Port: port}, Params: gosip.NewParams()}
	for i := 0; i+1 < len(params); i += 2 {
		c.Params.Add(params[i], params[i+1])
	}
	return c
}

func expires(n int) gosip.Header { return gosip.NewHeader("Expires", strconv.Itoa(n)) }

// do sends req and returns the final response.
func (p *phone) do(req *gosip.Request) *gosip.Response {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := p.client.Do(ctx, req)
	if err != nil {
		p.t.Fatalf("%s: %v", req.Method, err)
	}
	return res
}

// register sends a REGISTER with headers, answers a 401 with the phone's
// password, and returns the final response.
func (p *phone) register(headers ...gosip.Header) *gosip.Response {
	p.t.Helper()
	res := p.do(p.request(gosip.REGISTER, headers...))
	if res.StatusCode != gosip.StatusUnauthorized {
		return res
	}
	return p.answer(res, headers...)
}

// answer sends the REGISTER again with digest credentials for challenge
// res, computed with the phone's algorithm.
func (p *phone) answer(res *gosip.Response, headers ...gosip.Header) *gosip.Response {
	p.t.Helper()
	chal := p.pick(res)
	req := p.request(gosip.REGISTER, headers...)
	cred, err := digest.Digest(chal, digest.Options{Method: "REGISTER", URI: req.Recipient.Addr(), Username: p.username,
		Password: p.password, Count: 1})
	if err != nil {
		p.t.Fatal(err)
	}
	p.lastAuth = cred.String()
	req.AppendHeader(gosip.NewHeader("Authorization", p.lastAuth))
	return p.do(req)
}

// pick returns the challenge of the phone's algorithm from a 401.
func (p *phone) pick(res *gosip.Response) *digest.Challenge {
	p.t.Helper()
	for _, h := range res.GetHeaders("WWW-Authenticate") {
		c, err := digest.ParseChallenge(h.Value())
		if err != nil {
			p.t.Fatalf("challenge %q: %v", h.Value(), err)
		}
		if strings.EqualFold(c.Algorithm, p.algorithm) {
			return c
		}
	}
	p.t.Fatalf("no %s challenge in %s", p.algorithm, res.String())
	return nil
}

// contactsOf returns the Contact values of a response.
func contactsOf(res *gosip.Response) []string {
	var out []string
	for _, h := range res.GetHeaders("Contact") {
		out = append(out, h.Value())
	}
	return out
}

// testIDs makes the IDs of the rows the tests insert.
var testIDs = id.NewGenerator(time.Now)
