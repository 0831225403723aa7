// Package portal is the customer portal at /: server-rendered HTML pages
// (html/template), their templates and static files. The server
// (internal/server) registers the pages in its routes.go, each public or
// for a logged-in customer, and hands a customer's page its principal; a
// visitor is sent to the log-in page before the page runs.
package portal

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/address"
	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/web"
)

// The portal is server-rendered HTML: every page works without
// JavaScript, forms post and then redirect (post/redirect/get), and htmx
// only adds convenience. Each file holds the pages of one menu entry;
// this file holds what they share: the templates, the layout data, flash
// messages and the form state that shows errors next to their fields.

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

const flashCookie = "dialtone_flash"

// portal holds the parsed pages.
type portal struct {
	pages map[string]*template.Template
}

// newPortal parses every page together with the layout and the partials.
func newPortal() (*portal, error) {
	funcs := template.FuncMap{
		"money":     func(minor int64, currency string) string { return money.Format(money.New(minor, currency)) },
		"plain":     func(minor int64, currency string) string { return money.FormatPlain(money.New(minor, currency)) },
		"date":      func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"strongIn":  strongIn,
		"datetime":  formatDateTime,
		"isodate":   func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"dateptr":   func(t *time.Time) string { return datePtr(t) },
		"purpose":   purposeLabel,
		"status":    statusLabel,
		"method":    methodLabel,
		"itemtype":  itemTypeLabel,
		"prorated":  prorated,
		"months":    monthsLabel,
		"add":       func(a, b int) int { return a + b },
		"list":      func(xs ...string) []string { return xs },
		"dict":      web.Dict,
		"summary":   summaryOf,
		"neg":       func(a int64) int64 { return -a },
		"contains":  func(xs []int, x int) bool { return containsInt(xs, x) },
		"query":     func(v url.Values) template.URL { return template.URL(v.Encode()) },
		"countries": address.Countries,
		"field":     web.Field,
		"invalid":   web.Invalid,
	}
	shared, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	all, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &portal{pages: map[string]*template.Template{}}
	for _, f := range all {
		name := path.Base(f)
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, append([]string{f}, shared...)...)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		p.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return p, nil
}

// view is what every page's template receives.
type view struct {
	Title     string
	Nav       string // the menu entry to mark as current
	Sandbox   bool
	Mail      string // what becomes of e-mails: "smtp", "mailbox", "off"
	Now       time.Time
	Customer  market.Customer
	LoggedIn  bool
	Admin     bool
	Billing   bool // may manage payments, invoices and addresses
	CartCount int
	Flash     string
	Path      string
	Form      *form
	Data      any
}

// form is the state of a submitted form (web.Form).
type form = web.Form

// fieldState is a field's name and error, for the "err" template.
type fieldState = web.FieldState

func newForm(v url.Values) *form { return web.NewForm(v) }

// fail records err on the form: on the field it names (through fields,
// which maps the service's param names onto the form's), else at the top.
// Internal errors are logged and shown as such, without detail.
func (s *Handler) fail(r *http.Request, f *form, err error, fields map[string]string) {
	err = web.AsContract(err)
	var me *market.Error
	if !errors.As(err, &me) {
		s.log.Error("portal", "request_id", web.RequestID(r.Context()), "path", web.LogPath(r), "err", err)
		f.Error = "Something went wrong on our side and nothing was changed. Please try again in a moment."
		f.Code = string(market.CodeInternal)
		return
	}
	f.Code = string(me.Code)
	msg := errorWordsIn(me, !f.CardOnly)
	if me.Code == market.CodeInsufficientFunds {
		if v, ok := me.Extra["missing"].(int64); ok {
			f.Missing = v
		}
		f.Currency, _ = me.Extra["currency"].(string)
	}
	param := me.Param
	if i := strings.LastIndexByte(param, '.'); i >= 0 && strings.HasPrefix(param, "items[") {
		param = param[i+1:]
	}
	if name, ok := fields[param]; ok {
		f.Errors[name] = msg
		return
	}
	if param != "" && fields == nil {
		f.Errors[param] = msg
		return
	}
	f.Error = msg
}

// errorWords says an error in words a customer understands, where paying
// from the balance is one of the choices.
func errorWords(e *market.Error) string { return errorWordsIn(e, true) }

// errorWordsIn is errorWords for a page where the balance may or may not
// be a way to pay (it is not on the top-up page): a declined card suggests
// the balance only where it is.
func errorWordsIn(e *market.Error, balance bool) string {
	switch e.Code {
	case market.CodeInsufficientFunds:
		if m, ok := e.Extra["missing"].(int64); ok {
			c, _ := e.Extra["currency"].(string)
			return "Your balance is not enough for this order: " + money.Format(money.New(m, c)) + " is missing. Top up your balance, then pay."
		}
	case market.CodeCardDeclined:
		reason, _ := e.Extra["decline_code"].(string)
		return declineWords(reason, balance)
	case market.CodeNumberUnavailable:
		return "This number has just been taken or is no longer available. Please choose another one."
	case market.CodePriceChanged:
		return "Prices changed since you saw this order. Please check the new amounts and pay again."
	case market.CodeRateLimited:
		if e.Message == "" {
			return "Too many attempts. Please wait a few seconds and try again."
		}
	case market.CodeIdempotencyKeyInUse:
		return "This payment is already being processed. Please wait a moment."
	}
	if e.Message == "" {
		return strings.ReplaceAll(string(e.Code), "_", " ")
	}
	m := e.Message
	return strings.ToUpper(m[:1]) + m[1:]
}

// declineWords says why a card was declined (the gateway's decline_code)
// in one sentence, and what to do: another card, or the balance where it
// is a choice.
func declineWords(reason string, balance bool) string {
	why := "The card was declined by its bank."
	switch reason {
	case "insufficient_funds":
		why = "The card was declined for insufficient funds."
	case "expired_card":
		why = "The card was declined because it has expired."
	}
	if balance {
		return why + " Try another card or pay from your balance."
	}
	return why + " Try another card."
}

// Page is a portal page of a logged-in customer: the server calls it
// with the customer's principal (routes.go), a post's form parsed.
type Page func(w http.ResponseWriter, r *http.Request, p billing.Principal)

// BadForm answers a post whose form could not be read.
func (s *Handler) BadForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusBadRequest, "error", view{Title: "Bad request", Data: "The form could not be read."})
}

// BadText answers a request whose path, query or form holds text the
// portal cannot take (the server's plain-text check).
func (s *Handler) BadText(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusBadRequest, "error", view{Title: "That did not work",
		Data: "The page was sent text it cannot take: letters must be UTF-8, without NUL characters."})
}

// Static serves the portal's files (the style, htmx, the API reference's
// viewer) at /static/.
func (s *Handler) Static() http.Handler {
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	}))
}

// render writes a page with the layout's data filled in.
func (s *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	t, ok := s.portal.pages[page]
	if !ok {
		s.log.Error("portal: no such page", "page", page)
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	ctx := r.Context()
	v.Sandbox = s.cfg.Sandbox
	v.Mail = mailWord(s.svc.MailMode())
	v.Now = s.svc.Now()
	v.Path = r.URL.Path
	if p, ok := web.PrincipalOf(ctx); ok && !p.Operator && p.CustomerID != "" {
		v.LoggedIn = true
		v.Admin = p.IsAdmin()
		v.Billing = p.MayBill()
		if v.Customer.ID == "" {
			if c, err := s.svc.Customer(ctx, p.CustomerID); err == nil {
				v.Customer = c
			}
		}
		if n, err := s.svc.Reads().CartCount(ctx, p.CustomerID); err == nil {
			v.CartCount = n
		}
	}
	if c, err := r.Cookie(flashCookie); err == nil {
		if msg, err := url.QueryUnescape(c.Value); err == nil {
			v.Flash = msg
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	buf := web.PageBuffer()
	defer web.PutPageBuffer(buf)
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		s.log.Error("portal: render", "page", page, "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", s.portalPolicy())
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// redirect answers a successful post: a flash message for the next page
// and a 303 to it.
func (s *Handler) redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	if flash != "" {
		secure := web.Secure(r.Context())
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(flash), Path: "/", HttpOnly: true,
			Secure: secure, SameSite: http.SameSiteLaxMode, MaxAge: 60})
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// pageError shows a failure that ends the page (not found, forbidden).
func (s *Handler) pageError(w http.ResponseWriter, r *http.Request, err error) {
	err = web.AsContract(err)
	switch market.ErrorCode(err) {
	case market.CodeNotFound:
		s.NotFound(w, r)
	case market.CodeForbidden:
		s.render(w, r, http.StatusForbidden, "error", view{Title: "Not allowed", Data: "Only the account's owner or an admin may do this."})
	default:
		var me *market.Error
		if errors.As(err, &me) {
			s.render(w, r, http.StatusBadRequest, "error", view{Title: "That did not work", Data: errorWords(me)})
			return
		}
		s.log.Error("portal", "request_id", web.RequestID(r.Context()), "path", web.LogPath(r), "err", err)
		s.render(w, r, http.StatusInternalServerError, "error", view{Title: "Something went wrong", Data: "Something went wrong on our side. Please try again in a moment."})
	}
}

func (s *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "error", view{Title: "Page not found", Data: "There is nothing here. It may have been removed, or the link is wrong."})
}

// formatDateTime is the "datetime" template function.
func formatDateTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04") + " UTC" }

func datePtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.UTC().Format("2 Jan 2006")
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// monthsLabel says a term in words: "1 month", "6 months", "1 year".
func monthsLabel(n int) string {
	switch {
	case n == 1:
		return "1 month"
	case n == 12:
		return "1 year"
	case n == 24:
		return "2 years"
	}
	return fmt.Sprintf("%d months", n)
}

func purposeLabel(p market.Purpose) string {
	switch p {
	case market.PurposeRefill:
		return "Balance refill"
	case market.PurposeSubscription:
		return "Subscription purchase"
	case market.PurposeRenewal:
		return "Renewal"
	case market.PurposeUpgrade:
		return "Upgrade"
	case market.PurposeLicenses:
		return "Additional licenses"
	case market.PurposePhoneNumber:
		return "Phone number"
	case market.PurposeNumberRental:
		return "Number rental"
	case market.PurposeRefund:
		return "Refund"
	case market.PurposeAdjustment:
		return "Adjustment"
	case market.PurposeOrder:
		return "Order"
	}
	return string(p)
}

func statusLabel(s any) string {
	v := fmt.Sprint(s)
	switch v {
	case "past_due":
		return "Payment due"
	case "trialing":
		return "Trial"
	case "":
		return "—"
	}
	return strings.ToUpper(v[:1]) + strings.ReplaceAll(v[1:], "_", " ")
}

func methodLabel(m string) string {
	switch m {
	case "balance":
		return "Balance"
	case "card":
		return "Card"
	case "operator":
		return "Provider"
	case "none", "":
		return "—" // nothing was paid: a free trial, or a price brought to zero
	}
	return m
}

// itemTypeLabel names a kind of item ("New subscription"), its type when
// unknown.
func itemTypeLabel(t string) string {
	if l := showOf(t).Label; l != "" {
		return l
	}
	return t
}

// prorated reports whether a line of the kind is charged for the time
// left of a paid term (the quote says so instead of a unit price).
func prorated(t any) bool { return showOf(fmt.Sprint(t)).Prorated }

// strongIn returns text, escaped, with its first occurrence of part in
// <strong> (or part appended in <strong> when text does not say it): an
// order line names its phone number once, in bold.
func strongIn(text, part string) template.HTML {
	t, p := template.HTMLEscapeString(text), template.HTMLEscapeString(part)
	if p == "" {
		return template.HTML(t)
	}
	if strings.Contains(t, p) {
		return template.HTML(strings.Replace(t, p, "<strong>"+p+"</strong>", 1))
	}
	return template.HTML(t + " <strong>" + p + "</strong>")
}
