package admin

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

// Numbers: the inventory searched by number, country, area and status,
// with the holder of each sold number and the quarantine dates; a CSV
// upload with a report per row; reserving (kept back, not offered),
// putting back on sale, and retiring (never sold again) numbers no
// customer holds.

func (a *Admin) numberRoutes() {
	a.handle("GET /admin/numbers", areaNumbers, a.numbersPage)
	a.handle("POST /admin/numbers/import", areaNumbers, a.numbersImport)
	a.handle("POST /admin/numbers/{id}/{action}", areaNumbers, a.numberMove)
}

func (a *Admin) numberList() listSpec[market.AdminNumber] {
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return listSpec[market.AdminNumber]{
		Name:    "numbers",
		Filters: []string{"number", "country", "area", "status"},
		Fetch: func(ctx context.Context, q url.Values, p billing.Page) ([]market.AdminNumber, error) {
			f := billing.NumberFilter{Number: q.Get("number"), Country: strings.ToUpper(q.Get("country")), Area: q.Get("area"), Status: q.Get("status")}
			if f.Number != "" && !strings.HasPrefix(f.Number, "+") {
				f.Number = "+" + f.Number
			}
			return a.svc.SearchNumbers(ctx, f, p)
		},
		ID: func(n market.AdminNumber) string { return n.Number.Number },
		CSV: []column[market.AdminNumber]{
			{"number", func(n market.AdminNumber) string { return n.Number.Number }},
			{"country", func(n market.AdminNumber) string { return n.Country }},
			{"state", func(n market.AdminNumber) string { return n.State }},
			{"area", func(n market.AdminNumber) string { return n.Area }},
			{"type", func(n market.AdminNumber) string { return n.Type }},
			{"status", func(n market.AdminNumber) string { return n.Status }},
			{"setup_amount", func(n market.AdminNumber) string { return money.FormatPlain(money.New(n.SetupAmount, n.Currency)) }},
			{"monthly_amount", func(n market.AdminNumber) string { return money.FormatPlain(money.New(n.MonthlyAmount, n.Currency)) }},
			{"currency", func(n market.AdminNumber) string { return n.Currency }},
			{"customer_id", func(n market.AdminNumber) string { return n.CustomerID }},
			{"customer", func(n market.AdminNumber) string { return n.Holder.Company }},
			{"renews_at", func(n market.AdminNumber) string { return ts(n.RenewsAt) }},
			{"quarantine_until", func(n market.AdminNumber) string { return ts(n.QuarantineUntil) }},
		},
	}
}

// importReport is the outcome of an upload: how many were added and each
// row that was not, with why.
type importReport struct {
	Imported int
	Rejected []inventory.RowError
}

type numbersData struct {
	listed[market.AdminNumber]
	Statuses []string
	Report   *importReport
	Header   string
}

func (a *Admin) numbersPage(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	a.showNumbers(w, r, http.StatusOK, nil, nil)
}

func (a *Admin) showNumbers(w http.ResponseWriter, r *http.Request, status int, rep *importReport, upload *form) {
	// An upload's error shows at the top of the filters' form.
	v := view{Title: "Numbers", Area: areaNumbers, Form: upload}
	showList(a, w, r, status, a.numberList(), "numbers", v, func(l listed[market.AdminNumber]) any {
		if upload != nil {
			upload.Values = l.Page.Filters
		}
		return numbersData{listed: l, Statuses: billing.NumberStatuses, Report: rep, Header: inventory.Header}
	})
}

// numbersImport reads an uploaded CSV file (or pasted CSV text) with
// inventory.Header's columns and adds its valid rows.
func (a *Admin) numbersImport(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	var src io.Reader
	if err := r.ParseMultipartForm(maxForm); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		a.render(w, r, http.StatusRequestEntityTooLarge, "error", view{Title: "Upload too large",
			Data: "The upload could not be read: a file of at most 1 MB can be uploaded at once (split larger files)."})
		return
	}
	if file, _, err := r.FormFile("file"); err == nil {
		defer file.Close()
		src = file
	} else if text := r.FormValue("csv"); strings.TrimSpace(text) != "" {
		src = strings.NewReader(text)
	}
	up := newForm(nil)
	if src == nil {
		up.Error = "Choose a CSV file to upload (or paste its lines)."
		a.showNumbers(w, r, http.StatusBadRequest, nil, up)
		return
	}
	rows, bad, err := inventory.ParseCSV(src)
	if err != nil {
		up.Error = sentence(err.Error(), "")
		a.showNumbers(w, r, http.StatusBadRequest, nil, up)
		return
	}
	n, dup, err := a.svc.ImportNumbers(context.WithoutCancel(r.Context()), rows)
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	rep := &importReport{Imported: n, Rejected: bad}
	for _, d := range dup {
		rep.Rejected = append(rep.Rejected, inventory.RowError{Line: d.Line, Number: d.Number, Field: "number", Message: "already in the inventory"})
	}
	slices.SortStableFunc(rep.Rejected, func(x, y inventory.RowError) int { return x.Line - y.Line })
	status := http.StatusOK
	if n == 0 {
		status = http.StatusBadRequest
	} else {
		changed(w) // the report answers a change: the form's key is kept
	}
	a.showNumbers(w, r, status, rep, nil)
}

func (a *Admin) numberMove(w http.ResponseWriter, r *http.Request, _ billing.Actor) {
	n, err := a.svc.MoveNumber(r.Context(), r.PathValue("id"), r.PathValue("action"))
	if err != nil {
		if market.IsCode(err, market.CodeInvalidRequest) {
			a.notFound(w, r)
			return
		}
		a.pageError(w, r, err)
		return
	}
	back := localPath(r.PostForm.Get("back"), "/admin/numbers?number="+url.QueryEscape(n.Number))
	a.redirect(w, r, back, "Number "+n.Number+" is now "+n.Status+".")
}
