package admin

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
)

// Roles are enforced here and nowhere else: every page is registered with
// handle and the area it belongs to, and permit decides, before the
// handler runs and before a form is read, whether the logged-in
// operator's role may call it (PRODUCT.md "Logins and the operator"):
//
//   - admin: everything;
//   - support: reads every area but the operators, and changes customers
//     and orders (balance adjustments, refunds) only;
//   - finance: reads everything, changes nothing: every POST is 403.
//
// A page's buttons are hidden from roles that may not use them (May in
// the templates), but it is this check that refuses.

// area is a part of the back office, one menu entry.
type area string

// The areas, in the menu's order.
const (
	areaDashboard area = "dashboard"
	areaCustomers area = "customers"
	areaOrders    area = "orders"
	areaCatalog   area = "catalog"
	areaPromos    area = "promos"
	areaNumbers   area = "numbers"
	areaTaxes     area = "taxes"
	areaWebhooks  area = "webhooks"
	areaMailbox   area = "mailbox"
	areaClock     area = "clock"
	areaAudit     area = "audit"
	areaOperators area = "operators"
	// areaSelf is the operator's own session (log-out): every role.
	areaSelf area = "self"
)

// navEntry is one entry of the menu.
type navEntry struct {
	Area  area
	Label string
	Path  string
}

// menu is the whole menu; an entry shows once its page is registered
// (and, for the clock, in sandbox mode only).
var menu = []navEntry{
	{areaDashboard, "Dashboard", "/admin/"},
	{areaCustomers, "Customers", "/admin/customers"},
	{areaOrders, "Orders", "/admin/orders"},
	{areaCatalog, "Catalog", "/admin/catalog"},
	{areaPromos, "Promo codes", "/admin/promo-codes"},
	{areaNumbers, "Numbers", "/admin/numbers"},
	{areaTaxes, "Tax rates", "/admin/tax-rates"},
	{areaWebhooks, "Webhooks", "/admin/webhooks"},
	{areaMailbox, "Mailbox", "/admin/mailbox"},
	{areaClock, "Clock", "/admin/clock"},
	{areaAudit, "Audit log", "/admin/audit"},
	{areaOperators, "Operators", "/admin/operators"},
}

// writable are the areas support may change.
var supportWrites = []area{areaCustomers, areaOrders, areaSelf}

// permit reports whether an operator of role may call a route of area
// with method.
func permit(role string, method string, ar area) bool {
	read := method == http.MethodGet || method == http.MethodHead
	switch role {
	case billing.RoleAdmin:
		return true
	case billing.RoleSupport:
		if ar == areaOperators {
			return false
		}
		return read || slices.Contains(supportWrites, ar)
	case billing.RoleFinance:
		return read || (ar == areaSelf && method == http.MethodPost)
	}
	return false
}

// roleWords says what a role may do.
func roleWords(role string) string {
	switch role {
	case billing.RoleSupport:
		return "Support sees everything but the operators and changes customers, orders, refunds and balances only."
	case billing.RoleFinance:
		return "Finance sees everything and changes nothing."
	}
	return ""
}

// nav is the menu an operator of role sees: the registered pages it may
// read.
func (a *Admin) nav(role string) []navEntry {
	var out []navEntry
	for _, e := range menu {
		if e.Area == areaClock && !a.cfg.Sandbox {
			continue
		}
		if _, ok := a.routes["GET "+e.Path]; !ok {
			if _, ok := a.routes["GET "+strings.TrimSuffix(e.Path, "/")+"/{$}"]; !ok {
				continue
			}
		}
		if permit(role, http.MethodGet, e.Area) {
			out = append(out, e)
		}
	}
	return out
}

// handler is a page of a logged-in operator.
type handler func(w http.ResponseWriter, r *http.Request, act billing.Actor)

// maxForm is the largest form body the back office reads.
const maxForm = 1 << 20

// handle registers a page of area: a visitor without a session is sent to
// the log-in page, a role that may not is refused with 403 (before the
// form is read), a post's form is parsed, and the handler runs with the
// operator as the actor of the use cases it calls — at most once per form
// key when the form has one (formkey.go).
func (a *Admin) handle(pattern string, ar area, h handler) {
	a.routes[pattern] = ar
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		act, ok := a.session(r)
		if !ok {
			toLogin(w, r)
			return
		}
		r = r.WithContext(withActor(r.Context(), act))
		if !permit(act.Role, r.Method, ar) {
			a.forbidden(w, r, act)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseForm(); err != nil {
				a.render(w, r, http.StatusBadRequest, "error", view{Title: "Bad request", Data: "The form could not be read."})
				return
			}
			if mediaType(r) == "multipart/form-data" {
				if err := r.ParseMultipartForm(maxForm); err != nil {
					a.render(w, r, http.StatusRequestEntityTooLarge, "error", view{Title: "Upload too large",
						Data: "The upload could not be read: a file of at most 1 MB can be uploaded at once (split larger files)."})
					return
				}
			}
			if key := formKeyOf(r); key != "" {
				a.once(w, r, "admin:"+act.ID, key, func(w http.ResponseWriter, r *http.Request) { h(w, r, act) }) // formkey.go
				return
			}
		}
		h(w, r, act)
	})
}

// publicPage is a page for visitors too (the log-in page, not found): the
// operator, when logged in, is known to the layout.
func (a *Admin) publicPage(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if act, ok := a.session(r); ok {
			r = r.WithContext(withActor(r.Context(), act))
		}
		h(w, r)
	}
}

// toLogin sends a visitor to the log-in page, and back to the page after
// logging in.
func toLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

// May reports, for a template, whether the operator may post in an area
// (to hide buttons it could not use; permit is what refuses).
func (v view) May(ar string) bool { return v.In && permit(v.Actor.Role, http.MethodPost, area(ar)) }

// mediaType is the media type of a request's body, without parameters.
func mediaType(r *http.Request) string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt
}

// Route is a page of the back office: its pattern ("POST
// /admin/orders/{id}/refunds") and the area whose role rules apply.
type Route struct{ Pattern, Area string }

// Routes lists every page registered with handle, sorted by pattern (for
// tests that try every route with every role).
func (a *Admin) Routes() []Route {
	out := make([]Route, 0, len(a.routes))
	for p, ar := range a.routes {
		out = append(out, Route{Pattern: p, Area: string(ar)})
	}
	slices.SortFunc(out, func(x, y Route) int { return strings.Compare(x.Pattern, y.Pattern) })
	return out
}
