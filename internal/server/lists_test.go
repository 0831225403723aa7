package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// walk pages through a list by the id of each page's last element, limit
// at a time, as a client does, and returns the ids seen. Every id comes
// once, no page is longer than limit, every page but the last says
// has_more, and the pages together are the list read at once.
func walk(t *testing.T, a *api, path, tok string, limit int) []string {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	most := 1000
	if strings.HasPrefix(path, "/v1/numbers/available") {
		most = 100 // a search's page is smaller
	}
	whole := a.do("GET", path+sep+fmt.Sprint("limit=", most), tok, nil)
	if whole.status != 200 || whole.body["has_more"] != false {
		t.Fatalf("%s whole: %d %.300s", path, whole.status, whole.raw)
	}
	var want []string
	for _, x := range dataOf(whole) {
		want = append(want, fmt.Sprint(x["id"]))
	}
	var got []string
	seen := map[string]bool{}
	after := ""
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatalf("%s: more than 100 pages of %d (a cursor that starts over?)", path, limit)
		}
		q := fmt.Sprintf("%slimit=%d", sep, limit)
		if after != "" {
			q += "&starting_after=" + url.QueryEscape(after)
		}
		r := a.do("GET", path+q, tok, nil)
		if r.status != 200 {
			t.Fatalf("%s%s: %d %.300s", path, q, r.status, r.raw)
		}
		data := dataOf(r)
		if len(data) > limit {
			t.Fatalf("%s%s: %d elements, limit %d", path, q, len(data), limit)
		}
		for _, x := range data {
			id, _ := x["id"].(string)
			if id == "" || seen[id] {
				t.Fatalf("%s%s: id %q empty or seen before (%v)", path, q, id, got)
			}
			seen[id] = true
			got = append(got, id)
		}
		if r.body["has_more"] != true {
			break
		}
		if len(data) == 0 {
			t.Fatalf("%s%s: has_more on an empty page", path, q)
		}
		after = got[len(got)-1]
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s walked by %d:\n got %v\nwant %v", path, limit, got, want)
	}
	return got
}

// unknownCursor: a starting_after that is no element of the list is 400
// invalid_request naming starting_after (page 1 again would loop a client
// for ever).
func unknownCursor(t *testing.T, a *api, path, tok, cursor string) {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	r := a.do("GET", path+sep+"starting_after="+url.QueryEscape(cursor), tok, nil)
	if r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != "starting_after" {
		t.Errorf("%s starting_after=%s: %d %.300s; want 400 invalid_request starting_after", path, cursor, r.status, r.raw)
	}
}

// TestListsWalkByID walks every list of objects with an id by id, limit 2,
// to its end, and asks each for an unknown cursor and bad limits.
func TestListsWalkByID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		acc := newAccount(t, a, "lists@acme.test", 5_000_000)
		tok := acc.tok
		other := newAccount(t, a, "lists-other@acme.test", 0)
		otherAdr := a.address(other.tok)

		var adr string
		for i := range 5 {
			adr = a.address(tok)
			if r := a.do("POST", "/v1/payment_methods", tok, map[string]any{"card": card}); r.status != 201 {
				t.Fatalf("card %d: %d %s", i, r.status, r.raw)
			}
			a.do("POST", "/v1/orders", tok, topUp(1000+i))
		}
		var subs []string
		for range 3 {
			o := buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "business", "quantity": 3, "term_months": 1})
			subs = append(subs, o["items"].([]any)[0].(map[string]any)["subscription"].(string))
		}
		for i := range 5 {
			if r := a.do("POST", "/v1/users", tok, map[string]any{"name": fmt.Sprint("User ", i), "email": fmt.Sprintf("u%d@acme.test", i), "subscription": subs[i%3]}); r.status != 201 {
				t.Fatalf("user %d: %d %s", i, r.status, r.raw)
			}
		}
		// Numbers: 9 in one area, 5 of them bought.
		var rows []map[string]any
		for i := range 9 {
			rows = append(rows, map[string]any{"number": fmt.Sprintf("+41449%06d", 100+i*7), "country": "CH", "area": "Listikon", "type": "local",
				"setup_amount": 300, "monthly_amount": 200, "currency": "CHF"})
		}
		if r := a.do("POST", "/v1/admin/numbers", adminToken, rows); r.status != 201 || num(r.body["imported"]) != 9 {
			t.Fatalf("import: %d %s", r.status, r.raw)
		}
		for i := range 5 {
			buy(t, a, acc, adr, map[string]any{"type": "phone_number", "number": rows[i*2]["number"]})
		}
		for i := range 5 {
			if _, err := st.Read().InsertNotification(context.Background(), market.Notification{ID: fmt.Sprintf("ntf_%03d", i), CustomerID: acc.id,
				Type: "renewal_reminder", Subject: "s", Body: "b", DedupeKey: fmt.Sprint("k", i), CreatedAt: time.Date(2026, 3, 10, 9, 0, i, 0, time.UTC)}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 5 {
			code := fmt.Sprintf("LIST%d", i)
			if r := a.do("POST", "/v1/admin/promo_codes", adminToken, map[string]any{"code": code, "percent_off": "10"}); r.status != 201 {
				t.Fatalf("promo: %d %s", r.status, r.raw)
			}
			if r := a.do("PUT", "/v1/admin/tax_rates/"+[]string{"FR", "IT", "ES", "NL", "BE"}[i], adminToken, map[string]any{"percent": "20"}); r.status != 200 {
				t.Fatalf("tax rate: %d %s", r.status, r.raw)
			}
		}
		for i := range 3 {
			a.signup(fmt.Sprintf("c%d@acme.test", i), "EUR")
		}
		anOrder := dataOf(a.do("GET", "/v1/orders?limit=1", tok, nil))[0]["id"].(string)
		ownNumber := dataOf(a.do("GET", "/v1/numbers?limit=1", tok, nil))[0]["id"].(string)
		otherOrder := a.do("POST", "/v1/orders", other.tok, topUp(500)).body["id"].(string)

		lists := []struct {
			path, tok string
			min       int
			unknown   []string // cursors that are no element of the list
		}{
			{"/v1/orders", tok, 13, []string{"ord_unknown", otherOrder, "zzz"}},
			{"/v1/subscriptions", tok, 3, []string{"sub_unknown", "zzz"}},
			{"/v1/transactions", tok, 13, []string{"pay_unknown", "zzz"}},
			{"/v1/transactions?purpose=balance_refill", tok, 5, []string{"pay_unknown"}},
			{"/v1/balance/entries", tok, 9, []string{"ltx_unknown", "zzz"}},
			{"/v1/invoices", tok, 8, []string{"inv_unknown", "zzz"}},
			{"/v1/notifications", tok, 5, []string{"ntf_unknown", "zzz"}},
			{"/v1/users", tok, 6, []string{"usr_unknown"}},
			{"/v1/billing_addresses", tok, 5, []string{"adr_unknown", otherAdr}},
			{"/v1/payment_methods", tok, 5, []string{"pm_unknown"}},
			{"/v1/sip_accounts", tok, 6, []string{"sip_unknown"}},
			{"/v1/numbers", tok, 5, []string{"num_unknown", anOrder}},
			{"/v1/numbers/available?country=CH&area=Listikon", tok, 4, []string{"num_unknown", "+41449000100"}},
			{"/v1/numbers/available?country=CH&contains=0001", tok, 4, []string{"num_unknown"}},
			{"/v1/numbers/available?country=CH&contains=449", tok, 4, []string{"num_unknown"}},
			{"/v1/admin/numbers", adminToken, 9, []string{"num_unknown", "+41449000100"}},
			{"/v1/admin/numbers?status=active", adminToken, 5, []string{"num_unknown"}},
			{"/v1/admin/plans", adminToken, 5, []string{"nope"}},
			{"/v1/admin/promo_codes", adminToken, 5, []string{"NOPE"}},
			{"/v1/admin/tax_rates", adminToken, 5, []string{"XX"}},
			{"/v1/admin/customers", adminToken, 5, []string{"cus_unknown", "zzz"}},
		}
		for _, l := range lists {
			t.Run(strings.ReplaceAll(strings.TrimPrefix(l.path, "/v1/"), "/", "_"), func(t *testing.T) {
				ids := walk(t, a, l.path, l.tok, 2)
				if len(ids) < l.min {
					t.Errorf("%s: %d elements, want at least %d", l.path, len(ids), l.min)
				}
				for _, c := range l.unknown {
					unknownCursor(t, a, l.path, l.tok, c)
				}
				for _, bad := range []string{"0", "-1", "1001", "abc", "1.5"} {
					sep := "?"
					if strings.Contains(l.path, "?") {
						sep = "&"
					}
					r := a.do("GET", l.path+sep+"limit="+bad, l.tok, nil)
					if r.status != 400 || r.errCode() != "invalid_request" || r.errParam() != "limit" {
						t.Errorf("%s limit=%s: %d %.200s; want 400 invalid_request limit", l.path, bad, r.status, r.raw)
					}
				}
			})
		}
		// A number of the inventory is a cursor of the available list
		// wherever it stands: one bought since the previous page too.
		r := a.do("GET", "/v1/numbers/available?country=CH&area=Listikon&starting_after="+ownNumber, tok, nil)
		if r.status != 200 {
			t.Errorf("available after a sold number: %d %s", r.status, r.raw)
		}
		if r := a.do("GET", "/v1/numbers/available?country=CH&area=Listikon&limit=101", tok, nil); r.status != 400 || r.errParam() != "limit" {
			t.Errorf("available limit=101: %d %s", r.status, r.raw)
		}
	})
}

// TestOrderListEqualsGets: every element of GET /v1/orders is what GET
// /v1/orders/{id} answers, payment method included.
func TestOrderListEqualsGets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		acc := newAccount(t, a, "orders@acme.test", 500000)
		adr := a.address(acc.tok)
		a.do("POST", "/v1/orders", acc.tok, topUp(5000))
		buy(t, a, acc, adr, map[string]any{"type": "subscription", "plan": "business", "quantity": 2, "term_months": 1})
		list := a.do("GET", "/v1/orders", acc.tok, nil)
		var data []json.RawMessage
		var env struct{ Data []json.RawMessage }
		if err := json.Unmarshal(list.raw, &env); err != nil {
			t.Fatal(err)
		}
		data = env.Data
		if len(data) != 2 {
			t.Fatalf("%d orders: %s", len(data), list.raw)
		}
		methods := map[string]bool{}
		for _, raw := range data {
			var el map[string]any
			_ = json.Unmarshal(raw, &el)
			one := a.do("GET", "/v1/orders/"+el["id"].(string), acc.tok, nil)
			var a1, b1 bytes.Buffer
			_ = json.Compact(&a1, raw)
			_ = json.Compact(&b1, one.raw)
			if a1.String() != b1.String() {
				t.Errorf("list element\n %s\nGET\n %s", a1.String(), b1.String())
			}
			methods[el["payment"].(map[string]any)["method"].(string)] = true
		}
		if !methods["card"] || !methods["balance"] {
			t.Errorf("payment methods %v, want card and balance", methods)
		}
	})
}

// TestFormatErrorsAreJSON: the PDF, HTML and CSV routes answer errors as
// application/json without a download header.
func TestFormatErrorsAreJSON(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		a := newAPI(t, st)
		tok := a.signup("formats@acme.test", "CHF")
		a.do("POST", "/v1/orders", tok, topUp(5000))
		inv := dataOf(a.do("GET", "/v1/invoices", tok, nil))
		if len(inv) == 0 {
			t.Fatal("no invoice")
		}
		invID := inv[0]["id"].(string)
		tests := []struct {
			name, path, token string
			hdr               []string
			status            int
			code              string
		}{
			{"UnknownPDF", "/v1/invoices/inv_unknown.pdf", tok, nil, 404, "not_found"},
			{"UnknownHTML", "/v1/invoices/inv_unknown.html", tok, nil, 404, "not_found"},
			{"UnknownPDFByAccept", "/v1/invoices/inv_unknown", tok, []string{"Accept", "application/pdf"}, 404, "not_found"},
			{"NoAuthPDF", "/v1/invoices/" + invID + ".pdf", "", nil, 401, "unauthenticated"},
			{"NoAuthHTML", "/v1/invoices/" + invID + ".html", "", nil, 401, "unauthenticated"},
			{"NoAuthCSV", "/v1/transactions?format=csv", "", nil, 401, "unauthenticated"},
			{"BadTokenCSV", "/v1/transactions?format=csv", "dt_nope", nil, 401, "unauthenticated"},
			{"BadPurposeCSV", "/v1/transactions?format=csv&purpose=pony", tok, nil, 400, "invalid_request"},
			{"BadFromCSV", "/v1/transactions?format=csv&from=yesterday", tok, nil, 400, "invalid_request"},
			{"BadCursorCSV", "/v1/transactions?format=csv&starting_after=pay_unknown", tok, nil, 400, "invalid_request"},
			{"BadPurposeAcceptCSV", "/v1/transactions?purpose=pony", tok, []string{"Accept", "text/csv"}, 400, "invalid_request"},
			{"BadLimitAcceptCSV", "/v1/transactions?limit=0", tok, []string{"Accept", "text/csv"}, 400, "invalid_request"},
		}
		for _, tt := range tests {
			r := a.do("GET", tt.path, tt.token, nil, tt.hdr...)
			if r.status != tt.status || r.errCode() != tt.code || r.header.Get("Content-Type") != "application/json" || r.header.Get("Content-Disposition") != "" {
				t.Errorf("%s: %d %q %q %.200s; want %d %s as application/json without Content-Disposition", tt.name, r.status,
					r.header.Get("Content-Type"), r.header.Get("Content-Disposition"), r.raw, tt.status, tt.code)
			}
		}
		// Success keeps its representation and the download header.
		r := a.do("GET", "/v1/transactions?format=csv", tok, nil)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("csv: %d %q %q", r.status, r.header.Get("Content-Type"), r.header.Get("Content-Disposition"))
		}
		r = a.do("GET", "/v1/invoices/"+invID+".pdf", tok, nil)
		if r.status != 200 || r.header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(r.raw, []byte("%PDF")) {
			t.Errorf("pdf: %d %q", r.status, r.header.Get("Content-Type"))
		}
		r = a.do("GET", "/v1/invoices/"+invID+".html", tok, nil)
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("html: %d %q", r.status, r.header.Get("Content-Type"))
		}
	})
}

// TestListLimitsDocumented: the OpenAPI document gives each list's limit
// its bounds and default.
func TestListLimitsDocumented(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	paths := a.do("GET", "/v1/openapi.json", "", nil).body["paths"].(map[string]any)
	for path, want := range map[string][3]float64{"/v1/orders": {1, 1000, 100}, "/v1/admin/plans": {1, 1000, 100},
		"/v1/users": {1, 1000, 100}, "/v1/numbers/available": {1, 100, 20}, "/v1/admin/numbers": {1, 1000, 100}} {
		var got [3]float64
		var after bool
		for _, p := range paths[path].(map[string]any)["get"].(map[string]any)["parameters"].([]any) {
			p := p.(map[string]any)
			sch, _ := p["schema"].(map[string]any)
			switch p["name"] {
			case "limit":
				got = [3]float64{sch["minimum"].(float64), sch["maximum"].(float64), sch["default"].(float64)}
			case "starting_after":
				after = true
			}
		}
		if got != want || !after {
			t.Errorf("%s: limit min, max, default %v, want %v; starting_after %v", path, got, want, after)
		}
	}
}
