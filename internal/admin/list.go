package admin

import (
	"context"
	"encoding/csv"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/dialtone/dialtone/internal/billing"
)

// Every list of the back office is paginated, filtered and exportable as
// CSV with one helper (README.md, "A list"):
//
//	showList(a, w, r, http.StatusOK, listSpec[T]{
//		Name:    "operators",                   // the CSV file's name
//		Filters: []string{"role"},              // query parameters kept across pages
//		Fetch:   func(ctx, q, page) ([]T, error) { ... }, // up to page.Limit+1 rows after page.After
//		ID:      func(t T) string { return t.ID },
//		CSV:     []column[T]{{"ID", func(t T) string { return t.ID }}, ...},
//	}, "operators", view{Title: "Operators", Area: areaOperators}, nil)
//
// (a list without filters reads with unfiltered(a.svc.Operators); a page
// that shows more than the list gives showList a func making its data of
// the listed rows; list alone reads the rows.)
//
// A page shows perPage rows (the query's limit, 1 to 200); "Next page"
// carries the last row's ID as `after` with the filters, as the API's
// starting_after; "Download CSV" (`format=csv`) writes every row that
// matches the filters, walking the pages to the end.

const (
	perPage    = 50
	maxPerPage = 200
	// csvPage is how many rows an export reads at a time, maxCSV at most.
	csvPage = 500
	maxCSV  = 1_000_000
)

// column is a column of a list's CSV export.
type column[T any] struct {
	Head  string
	Value func(T) string
}

// listSpec says how to read a list.
type listSpec[T any] struct {
	Name    string
	Filters []string
	// Fetch returns up to p.Limit+1 rows after the cursor p.After ("":
	// from the start) that match the filters in q; an error with a
	// contract code is shown on the page (a bad filter, an unknown cursor).
	Fetch func(ctx context.Context, q url.Values, p billing.Page) ([]T, error)
	ID    func(T) string
	CSV   []column[T]
}

// listPage is what a list's template gets besides its rows: the filters
// as given (to fill the filter form again) and the links.
type listPage struct {
	Filters url.Values
	// Next is the query of the next page ("" on the last); First the
	// query of the first page with the filters, when this is not it.
	Next, First template.URL
	// CSV is the query of the export with the filters.
	CSV template.URL
	// Error is a filter or cursor that was refused.
	Error string
}

// unfiltered is the Fetch of a list without filters that read reads.
func unfiltered[T any](read func(context.Context, billing.Page) ([]T, error)) func(context.Context, url.Values, billing.Page) ([]T, error) {
	return func(ctx context.Context, _ url.Values, p billing.Page) ([]T, error) { return read(ctx, p) }
}

// listed is what a list page's template reads: the rows (.Data.Rows),
// the links (.Data.Page) and, on a page whose form adds a row, the
// filters' form (.Data.Filters). A page that shows more embeds it.
type listed[T any] struct {
	Rows []T
	Page listPage
}

// Filters is the filter form filled again with the filters as given.
func (l listed[T]) Filters() *form { return newForm(l.Page.Filters) }

// showList answers a list's page, or with format=csv its export: the
// template page with v at status, 400 instead of 200 when a filter or the
// cursor was refused. v without a form gets the filters' form; v.Data is
// data(listed) (nil data: the listed rows alone).
func showList[T any](a *Admin, w http.ResponseWriter, r *http.Request, status int, spec listSpec[T], page string, v view, data func(listed[T]) any) {
	var l listed[T]
	var done bool
	if l.Rows, l.Page, done = list(a, w, r, spec); done {
		return
	}
	if l.Page.Error != "" && status == http.StatusOK {
		status = http.StatusBadRequest
	}
	if v.Form == nil {
		v.Form = l.Filters()
	}
	v.Data = any(l)
	if data != nil {
		v.Data = data(l)
	}
	a.render(w, r, status, page, v)
}

// list reads the page (or, with format=csv, writes the whole export) of a
// list. done is true when the answer was written already.
func list[T any](a *Admin, w http.ResponseWriter, r *http.Request, spec listSpec[T]) (rows []T, page listPage, done bool) {
	q := r.URL.Query()
	filters := url.Values{}
	for _, k := range spec.Filters {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			filters.Set(k, v)
		}
	}
	page.Filters = filters
	csvQ := cloneValues(filters)
	csvQ.Set("format", "csv")
	page.CSV = template.URL(csvQ.Encode())
	if q.Get("format") == "csv" {
		writeCSV(a, w, r, spec, filters)
		return nil, page, true
	}
	limit := perPage
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n >= 1 {
		limit = min(n, maxPerPage)
	}
	after := q.Get("after")
	rows, err := spec.Fetch(r.Context(), filters, billing.Page{Limit: limit, After: after})
	if err != nil {
		f := newForm(nil)
		if a.fail(f, err, nil) == 0 {
			a.pageError(w, r, err)
			return nil, page, true
		}
		page.Error = f.Error
		return nil, page, false
	}
	if after != "" {
		page.First = template.URL(filters.Encode())
	}
	if len(rows) > limit {
		rows = rows[:limit]
		next := cloneValues(filters)
		next.Set("after", spec.ID(rows[len(rows)-1]))
		if limit != perPage {
			next.Set("limit", strconv.Itoa(limit))
		}
		page.Next = template.URL(next.Encode())
	}
	return rows, page, false
}

// writeCSV writes every row that matches the filters, page after page. A
// failure before the first row is an error page; one later aborts the
// answer (the client sees a broken download, not a short file).
func writeCSV[T any](a *Admin, w http.ResponseWriter, r *http.Request, spec listSpec[T], filters url.Values) {
	ctx := r.Context()
	rows, err := spec.Fetch(ctx, filters, billing.Page{Limit: csvPage})
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+spec.Name+`.csv"`)
	cw := csv.NewWriter(w)
	head := make([]string, len(spec.CSV))
	for i, c := range spec.CSV {
		head[i] = c.Head
	}
	_ = cw.Write(head)
	written := 0
	for {
		more := len(rows) > csvPage
		if more {
			rows = rows[:csvPage]
		}
		for _, row := range rows {
			rec := make([]string, len(spec.CSV))
			for i, c := range spec.CSV {
				rec[i] = cell(c.Value(row))
			}
			_ = cw.Write(rec)
		}
		written += len(rows)
		if !more || written >= maxCSV {
			break
		}
		if rows, err = spec.Fetch(ctx, filters, billing.Page{Limit: csvPage, After: spec.ID(rows[len(rows)-1])}); err != nil {
			a.log.Error("admin: csv export", "list", spec.Name, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	cw.Flush()
}

// cell keeps a spreadsheet from taking a value for a formula: one that
// starts with =, +, -, @, a tab or a carriage return gets a leading '
// (negative amounts are written by the lists as plain numbers, which a
// spreadsheet reads as such without this).
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return v
		}
		return "'" + v
	}
	return v
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
