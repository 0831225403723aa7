// Package admin is the operator's back office at /admin (PRODUCT.md
// "Logins and the operator"): server-rendered html/template pages that
// work without JavaScript and on a phone, for the provider's staff logged
// in with accounts of their own (billing/operators.go). It calls the use
// cases of package billing only, never the store; internal/server mounts
// it (Mount) behind its middleware, which refuses cross-origin posts.
//
// Where things are: admin.go the handler, the templates and the layout;
// roles.go who may do what (the one place the roles are enforced);
// session.go log-in and log-out; list.go the paginated, filterable,
// CSV-exportable lists; one file per menu entry for its pages. README.md
// says how to add a page.
package admin

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/web"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the back office needs from the server that mounts it.
type Config struct {
	// Sandbox shows the sandbox banner and the clock's menu entry.
	Sandbox bool
	// ClientAddr is the address a request comes from, as log-in
	// throttling counts it (the server's).
	ClientAddr func(*http.Request) string
	// Secure reports whether a request came over TLS (cookies are Secure
	// then).
	Secure func(*http.Request) bool
	// Status is the HTTP status of an error (the server's one table).
	Status func(error) int
	// AdvanceClock moves the sandbox clock by days or to a date
	// (YYYY-MM-DD) and runs what became due; nil outside the sandbox.
	AdvanceClock func(ctx context.Context, days, to string) error
}

// Admin is the back office's handler.
type Admin struct {
	svc   *billing.Service
	log   *slog.Logger
	cfg   Config
	mux   *http.ServeMux
	pages map[string]*template.Template
	// routes are the patterns registered, for the menu (an entry is shown
	// only when its page exists) and for the server's route list.
	routes map[string]area
}

// New parses the templates and registers every page.
func New(svc *billing.Service, log *slog.Logger, cfg Config) (*Admin, error) {
	a := &Admin{svc: svc, log: log, cfg: cfg, mux: http.NewServeMux(), routes: map[string]area{}}
	if err := a.parse(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)
	a.mux.Handle("GET /admin/static/", http.StripPrefix("/admin/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})))
	a.mux.HandleFunc("/admin/", a.publicPage(a.notFound))
	a.sessionRoutes()
	a.homeRoutes()
	a.customerRoutes()
	a.orderRoutes()
	a.subscriptionRoutes()
	a.operatorRoutes()
	a.auditRoutes()
	a.catalogRoutes()
	a.promoRoutes()
	a.numberRoutes()
	a.taxRoutes()
	a.webhookRoutes()
	a.mailboxRoutes()
	a.clockRoutes()
	return a, nil
}

// ServeHTTP serves /admin and everything under it.
func (a *Admin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/admin" {
		http.Redirect(w, r, "/admin/", http.StatusMovedPermanently)
		return
	}
	a.mux.ServeHTTP(w, r)
}

func (a *Admin) parse() error {
	funcs := template.FuncMap{
		"money":    func(minor int64, currency string) string { return money.Format(money.New(minor, currency)) },
		"date":     func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"datetime": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04:05") + " UTC" },
		"isodate":  func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"label":    label,
		"query":    func(v url.Values) template.URL { return template.URL(v.Encode()) },
		"dict":     web.Dict,
		"formkey":  formKey,
		"add":      func(a, b int) int { return a + b },
		"field":    web.Field,
		"invalid":  web.Invalid,
	}
	shared, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return err
	}
	all, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	a.pages = map[string]*template.Template{}
	for _, f := range all {
		name := path.Base(f)
		if strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, append([]string{f}, shared...)...)
		if err != nil {
			return fmt.Errorf("admin template %s: %w", name, err)
		}
		a.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return nil
}

// view is what every page's template receives.
type view struct {
	Title   string
	Area    area // the menu entry to mark as current
	Sandbox bool
	Now     time.Time
	Actor   billing.Actor
	In      bool // logged in: the layout shows the menu
	Nav     []navEntry
	Flash   string
	Form    *form
	Data    any
}

const flashCookie = "dialtone_admin_flash"

// render writes a page with the layout's data filled in.
func (a *Admin) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	t, ok := a.pages[page]
	if !ok {
		a.log.Error("admin: no such page", "page", page)
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	v.Sandbox = a.cfg.Sandbox
	v.Now = a.svc.Now()
	if act, ok := billing.ActorOf(r.Context()); ok && act.ID != "" {
		v.Actor, v.In = act, true
		v.Nav = a.nav(act.Role)
	}
	if c, err := r.Cookie(flashCookie); err == nil {
		if msg, err := url.QueryUnescape(c.Value); err == nil {
			v.Flash = msg
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/admin/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	buf := web.PageBuffer()
	defer web.PutPageBuffer(buf)
	if err := t.ExecuteTemplate(buf, "layout", v); err != nil {
		a.log.Error("admin: render", "page", page, "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func securityHeaders(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	h.Set("Referrer-Policy", "same-origin")
}

// redirect answers a successful post: a flash message for the next page
// and a 303 to it.
func (a *Admin) redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	if flash != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(flash), Path: "/admin/", HttpOnly: true,
			Secure: a.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: 60})
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (a *Admin) secure(r *http.Request) bool { return a.cfg.Secure != nil && a.cfg.Secure(r) }

// pageError shows a failure that ends the page (not found, forbidden, bad
// input that has no form to show it next to).
func (a *Admin) pageError(w http.ResponseWriter, r *http.Request, err error) {
	status := a.status(err)
	var me *market.Error
	switch {
	case status == http.StatusNotFound:
		a.notFound(w, r)
	case errors.As(err, &me) && status < 500:
		a.render(w, r, status, "error", view{Title: "That did not work", Data: sentence(me.Message, string(me.Code))})
	default:
		a.log.Error("admin", "path", r.URL.Path, "err", err)
		a.render(w, r, http.StatusInternalServerError, "error", view{Title: "Something went wrong", Data: "Something went wrong on our side and nothing was changed. Please try again in a moment."})
	}
}

func (a *Admin) status(err error) int {
	if a.cfg.Status != nil {
		return a.cfg.Status(err)
	}
	return http.StatusInternalServerError
}

func (a *Admin) notFound(w http.ResponseWriter, r *http.Request) {
	a.render(w, r, http.StatusNotFound, "error", view{Title: "Page not found", Data: "There is nothing here. It may have been removed, or the link is wrong."})
}

func (a *Admin) forbidden(w http.ResponseWriter, r *http.Request, act billing.Actor) {
	a.render(w, r, http.StatusForbidden, "error", view{Title: "Not allowed",
		Data: "Your role (" + act.Role + ") may not do this. " + roleWords(act.Role)})
}

// sentence makes an error message a sentence.
func sentence(msg, code string) string {
	if msg == "" {
		msg = strings.ReplaceAll(code, "_", " ")
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + map[bool]string{true: "", false: "."}[strings.HasSuffix(msg, ".")]
}

// label says a code in words: "past_due" → "Past due".
func label(v any) string {
	s := fmt.Sprint(v)
	if s == "" {
		return "—"
	}
	return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "_", " ")
}

// localPath returns to if it is a path of the back office, else fallback.
func localPath(to, fallback string) string {
	if !strings.HasPrefix(to, "/admin/") || strings.HasPrefix(to, "//") || strings.ContainsAny(to, "\\\r\n") {
		return fallback
	}
	u, err := url.Parse(to)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return fallback
	}
	return to
}

// withActor puts the actor in the context: the use cases write it to the
// audit log.
func withActor(ctx context.Context, act billing.Actor) context.Context {
	return billing.WithActor(ctx, act)
}
