package server_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// logSink collects log output from concurrent handlers.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newLoggedAPI is newAPI with every log line, debug included, kept.
func newLoggedAPI(t testing.TB, st *store.Store, sink *logSink) *api {
	t.Helper()
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := billing.New(st, clk, payment.NewSandbox(), log,
		billing.Config{Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if _, err := svc.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := server.New(svc, log, prometheus.NewRegistry(), server.Config{AdminToken: adminToken, Sandbox: true, SandboxClock: clk})
	return served(t, h, clk)
}

// The sandbox cards of the run, with their CVCs.
var scanCards = []map[string]any{
	{"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "737"},
	{"number": "5555-5555-5555-4444", "exp_month": 7, "exp_year": 2031, "cvc": "848"},
	{"number": "378282246310005", "exp_month": 3, "exp_year": 2032, "cvc": "9151"},
	{"number": "4000000000000002", "exp_month": 12, "exp_year": 2030, "cvc": "626"},
	{"number": "4000000000009995", "exp_month": 12, "exp_year": 2030, "cvc": "515"},
	{"number": "4000000000000069", "exp_month": 12, "exp_year": 2030, "cvc": "404"},
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// cardNumbersIn returns what in s could be a card number: a run of 13-19
// digits, or groups of 4-6 digits split by single spaces or dashes (as
// cards are written) adding up to 13-19 digits, that passes the Luhn
// check. A run right after '+' is an E.164 phone number (at most 15 digits
// by definition), not a card.
func cardNumbersIn(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		phone := i > 0 && s[i-1] == '+'
		var groups []string
		j := i
		for {
			k := j
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			groups = append(groups, s[j:k])
			j = k
			if j+1 < len(s) && (s[j] == ' ' || s[j] == '-') && isDigit(s[j+1]) {
				j++
				continue
			}
			break
		}
		if !phone {
			for _, g := range groups {
				if len(g) >= 13 && len(g) <= 19 && payment.Luhn(g) {
					out = append(out, g)
				}
			}
			grouped := len(groups) > 1
			for _, g := range groups {
				grouped = grouped && len(g) >= 4 && len(g) <= 6
			}
			if joined := strings.Join(groups, ""); grouped && len(joined) >= 13 && len(joined) <= 19 && payment.Luhn(joined) {
				out = append(out, s[i:j])
			}
		}
		i = j
	}
	return out
}

// cvcNear reports a CVC written as a value of a card-code field, or near a
// card's last 4 digits. (The field names alone, as in "param":
// "card.cvc", are fine.)
var cvcField = regexp.MustCompile(`(?i)(cvc|cvv|security_code)\W{0,4}\d{3,4}`)

func cvcNear(s string) string {
	if m := cvcField.FindString(s); m != "" {
		return m
	}
	for _, c := range scanCards {
		cvc := c["cvc"].(string)
		digits := strings.NewReplacer(" ", "", "-", "").Replace(c["number"].(string))
		re := regexp.MustCompile(`(^|\D)` + cvc + `(\D|$)`)
		for _, m := range re.FindAllStringIndex(s, -1) {
			lo, hi := max(0, m[0]-40), min(len(s), m[1]+40)
			if strings.Contains(s[lo:hi], digits[len(digits)-4:]) {
				return s[lo:hi]
			}
		}
	}
	return ""
}

// TestNoCardDataStored runs the card flows through the HTTP API with every
// sandbox test card — saved cards, new cards, declines, invalid and
// malformed input, idempotent replays, the cart, refunds — and then reads
// every text and integer column of every table of the SQLite database, and
// every log line: no card number, and no CVC next to one, may appear.
func TestNoCardDataStored(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t, "sqlite")
	sink := &logSink{}
	a := newLoggedAPI(t, st, sink)
	r := a.do("POST", "/v1/admin/numbers", adminToken, []any{
		map[string]any{"number": "+493020000001", "country": "DE", "area": "Berlin", "type": "local", "setup_amount": 1000, "monthly_amount": 500, "currency": "CHF"},
		map[string]any{"number": "+493020000002", "country": "DE", "area": "Berlin", "type": "local", "setup_amount": 1000, "monthly_amount": 500, "currency": "CHF"},
	})
	if r.status != 201 || num(r.body["imported"]) != 2 {
		t.Fatalf("import: %d %s", r.status, r.raw)
	}
	tok := a.signup("scan@acme.test", "CHF")
	adr := a.address(tok)
	sub := map[string]any{"type": "subscription", "plan": "start", "quantity": 2, "term_months": 1}
	key := 0
	post := func(path string, body any) resp {
		key++
		return a.do("POST", path, tok, body, "Idempotency-Key", fmt.Sprintf("scan-%d", key))
	}
	byCard := func(c any, save bool, items ...any) resp {
		return post("/v1/orders", map[string]any{"items": items, "billing_address": adr,
			"payment": map[string]any{"method": "card", "card": c, "save": save}})
	}

	// Every sandbox card, as a saved card and in an order.
	var saved []string
	for i, c := range scanCards {
		pm := post("/v1/payment_methods", map[string]any{"card": c})
		if pm.status == 201 {
			saved = append(saved, pm.body["id"].(string))
		} else {
			t.Errorf("save card %d: %d %s", i, pm.status, pm.raw)
		}
		o := byCard(c, i == 0, map[string]any{"type": "balance_top_up", "amount": 10000})
		if wantOK := i < 3; (o.status == 201) != wantOK || (!wantOK && o.errCode() != "card_declined") {
			t.Errorf("order with card %d: %d %s", i, o.status, o.raw)
		}
	}
	// Invalid and malformed cards: refused without echoing the number.
	bad := []any{
		map[string]any{"number": "4242424242424241", "exp_month": 12, "exp_year": 2030, "cvc": "737"},
		map[string]any{"number": 4242424242424242, "exp_month": 12, "exp_year": 2030, "cvc": "737"},
		map[string]any{"number": "4242424242424242", "exp_month": 13, "exp_year": 2030, "cvc": "737"},
		map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": 737},
		map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "73"},
		"4242424242424242",
	}
	for i, c := range bad {
		for _, res := range []resp{post("/v1/payment_methods", map[string]any{"card": c}), byCard(c, true, sub)} {
			if res.status != 400 || len(cardNumbersIn(string(res.raw))) > 0 {
				t.Errorf("bad card %d: %d %s", i, res.status, res.raw)
			}
		}
	}
	// The cart, paid by a new card saved on the way; an order by a saved card.
	post("/v1/cart/items", sub)
	post("/v1/cart/items", map[string]any{"type": "phone_number", "country": "DE", "area": "Berlin"})
	co := post("/v1/cart/checkout", map[string]any{"billing_address": adr, "payment": map[string]any{"method": "card", "card": scanCards[1], "save": true}})
	if co.status != 201 {
		t.Errorf("checkout: %d %s", co.status, co.raw)
	}
	bySaved := post("/v1/orders", map[string]any{"items": []any{sub}, "billing_address": adr,
		"payment": map[string]any{"method": "card", "payment_method": saved[2]}})
	if bySaved.status != 201 {
		t.Fatalf("order by saved card: %d %s", bySaved.status, bySaved.raw)
	}
	a.do("POST", "/v1/payment_methods/"+saved[1]+"/default", tok, nil)
	a.do("DELETE", "/v1/payment_methods/"+saved[0], tok, nil)

	// Refunds through the operator API: part, too much, the rest.
	orderID := bySaved.body["id"].(string) // 50.00 + 8.1 % = 54.05
	refund := func(token, id string, body any) resp {
		return a.do("POST", "/v1/admin/orders/"+id+"/refunds", token, body)
	}
	part := refund(adminToken, orderID, map[string]any{"amount": 1000, "reason": "late activation"})
	// tax round(10.00 x 4.05 / 54.05) = 0.75 (0.7493).
	if part.status != 201 || num(part.body["amount"]) != 1000 || num(part.body["tax"]) != 75 || num(part.body["net"]) != 925 ||
		part.body["order_status"] != "partially_refunded" || num(part.body["refundable"]) != 4405 || part.body["method"] != "card" ||
		part.body["card_last4"] != "0005" || !strings.HasPrefix(part.body["credit_note_number"].(string), "2026-") {
		t.Errorf("partial refund: %d %s", part.status, part.raw)
	}
	if r := refund(adminToken, orderID, map[string]any{"amount": 4406, "reason": "too much"}); r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != "amount" {
		t.Errorf("refund of too much: %d %s", r.status, r.raw)
	}
	if r := refund(adminToken, "ord_nope", map[string]any{"reason": "x"}); r.status != 404 || r.errCode() != "not_found" {
		t.Errorf("refund of an unknown order: %d %s", r.status, r.raw)
	}
	if r := refund(adminToken, orderID, map[string]any{"amount": 100}); r.status != 400 || r.errParam() != "reason" {
		t.Errorf("refund without a reason: %d %s", r.status, r.raw)
	}
	if r := refund(tok, orderID, map[string]any{"reason": "me"}); r.status != 403 || r.errCode() != "forbidden" {
		t.Errorf("refund by the customer: %d %s", r.status, r.raw)
	}
	rest := refund(adminToken, orderID, map[string]any{"reason": "cancelled"})
	if rest.status != 201 || num(rest.body["amount"]) != 4405 || rest.body["order_status"] != "refunded" || num(rest.body["refundable"]) != 0 {
		t.Errorf("refund of the rest: %d %s", rest.status, rest.raw)
	}
	o := a.do("GET", "/v1/orders/"+orderID, tok, nil)
	if o.body["status"] != "refunded" || num(o.body["refunded"]) != 5405 {
		t.Errorf("refunded order: %s", o.raw)
	}
	txs := a.do("GET", "/v1/transactions?purpose=refund", tok, nil).body["data"].([]any)
	if len(txs) != 2 || num(txs[0].(map[string]any)["amount"]) != -4405 || txs[0].(map[string]any)["invoice"] != rest.body["credit_note"] {
		t.Errorf("refunds in the Billing tab: %v", txs)
	}
	cn := a.do("GET", "/v1/invoices/"+rest.body["credit_note"].(string), tok, nil)
	if cn.status != 200 || cn.body["kind"] != "credit_note" || num(cn.body["total"]) != -4405 {
		t.Errorf("credit note: %d %s", cn.status, cn.raw)
	}
	if pdf := a.do("GET", "/v1/invoices/"+rest.body["credit_note"].(string)+".pdf", tok, nil); pdf.status != 200 || !bytes.HasPrefix(pdf.raw, []byte("%PDF")) {
		t.Errorf("credit note pdf: %d", pdf.status)
	}
	a.do("GET", "/v1/transactions?format=csv", tok, nil)
	a.do("GET", "/v1/payment_methods", tok, nil)

	// Now read everything that was kept.
	db := st.DB()
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	tables.Close()
	// Integers in this window are timestamps (microseconds, 2020 to 2035):
	// 16-digit values from 1.57e15 to 2.05e15, a prefix no card network
	// issues (15-20; Mastercard's 2-series starts at 2221).
	tsLo, tsHi := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(), time.Date(2035, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	digest := regexp.MustCompile(`^[0-9a-f]{64}$`) // SHA-256 hex of session tokens and idempotent requests
	scanned := 0
	for _, table := range names {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				var text string
				switch v := v.(type) {
				case string:
					text = v
				case []byte:
					text = string(v)
				case int64:
					if v >= tsLo && v < tsHi {
						continue
					}
					text = strconv.FormatInt(v, 10)
				default:
					continue
				}
				scanned++
				if digest.MatchString(text) {
					continue
				}
				if found := cardNumbersIn(text); len(found) > 0 {
					t.Errorf("%s.%s holds a card number %v: %.200q", table, cols[i], found, text)
				}
				if c := cvcNear(text); c != "" {
					t.Errorf("%s.%s holds a CVC (%q): %.200q", table, cols[i], c, text)
				}
			}
		}
		rows.Close()
	}
	if scanned < 500 {
		t.Errorf("only %d values scanned", scanned)
	}

	logs := regexp.MustCompile(`request_id=[0-9a-f]+`).ReplaceAllString(sink.String(), "request_id=…")
	if n := strings.Count(logs, "msg=request"); n < 30 {
		t.Errorf("%d request log lines, want every request logged", n)
	}
	for _, line := range strings.Split(logs, "\n") {
		if found := cardNumbersIn(line); len(found) > 0 {
			t.Errorf("log line with a card number %v: %s", found, line)
		}
		if c := cvcNear(line); c != "" {
			t.Errorf("log line with a CVC (%q): %s", c, line)
		}
	}
}

// TestCardNumbersIn checks the scanner itself.
func TestCardNumbersIn(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want int
	}{
		{"4242424242424242", 1},
		{`{"number":"4242 4242 4242 4242"}`, 1},
		{"card 5555-5555-5555-4444 ok", 1},
		{"amex 378282246310005.", 1},
		{"4242424242424241", 0},            // fails Luhn
		{"+4930123456789012", 0},           // a phone number
		{"2026-03-10 2026-000042", 0},      // dates and invoice numbers
		{"ord_0123456789abcdefghjk", 0},    // an ID
		{"x4000000000000002y", 1},          // glued to letters
		{"12345678901234567890123", 0},     // too long a run
		{"order 1 of 2026-03-10 12:00", 0}, // separators
	} {
		if got := cardNumbersIn(tt.in); len(got) != tt.want {
			t.Errorf("cardNumbersIn(%q) = %v, want %d found", tt.in, got, tt.want)
		}
	}
}
