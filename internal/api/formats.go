package api

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/money"
)

// formats adds the non-JSON representations: the Billing tab as CSV and
// invoices as PDF and HTML. Any other body asked for in those formats is
// answered as JSON. JSON bodies are read by decodeJSON (inputwords.go).
func formats(base map[string]huma.Format) map[string]huma.Format {
	out := map[string]huma.Format{}
	for k, v := range base {
		out[k] = v
	}
	out["application/json"], out["json"] = jsonFormat, jsonFormat
	jsonFallback := func(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
	out["text/csv"] = huma.Format{Marshal: func(w io.Writer, v any) error {
		l, ok := v.(List[TransactionResponse])
		if !ok {
			return jsonFallback(w, v)
		}
		return transactionsCSV(w, l.Data)
	}}
	out["application/pdf"] = huma.Format{Marshal: func(w io.Writer, v any) error {
		inv, ok := v.(InvoiceResponse)
		if !ok {
			return jsonFallback(w, v)
		}
		b, err := billing.InvoicePDF(docOf(inv))
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}}
	out["text/html"] = huma.Format{Marshal: func(w io.Writer, v any) error {
		inv, ok := v.(InvoiceResponse)
		if !ok {
			return jsonFallback(w, v)
		}
		return billing.InvoiceHTML(w, docOf(inv))
	}}
	return out
}

func docOf(v InvoiceResponse) billing.InvoiceDoc {
	return billing.InvoiceDoc{Kind: v.Kind, Number: v.Number, IssuedAt: v.IssuedAt, Seller: v.Seller, BuyerName: v.BuyerName,
		BuyerLines: v.BuyerLines, BuyerVATID: v.BuyerVATID, Lines: v.Lines, Currency: v.Currency, Subtotal: v.Subtotal,
		Discount: v.Discount, Tax: v.Tax, Total: v.Total, PaymentNote: v.PaymentNote, Reference: v.Reference}
}

// transactionsCSV writes the Billing tab; amounts in major units with the
// currency's digits, so spreadsheets read them as numbers.
func transactionsCSV(w io.Writer, rows []TransactionResponse) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"date", "payment_id", "purpose", "description", "method", "card_last4", "amount", "currency", "order", "invoice"})
	for _, r := range rows {
		_ = cw.Write([]string{r.CreatedAt.Format(time.RFC3339), r.ID, r.Purpose, r.Description, r.Method, r.CardLast4,
			money.FormatPlain(money.New(r.Amount, r.Currency)), r.Currency, r.Order, r.Invoice})
	}
	cw.Flush()
	return cw.Error()
}

// Negotiate maps the contract's ways of asking for another format onto the
// Accept header: ?format=csv on the Billing tab, and invoice paths ending in
// .pdf or .html. It also marks requests that came over TLS.
func Negotiate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/v1/transactions" && r.URL.Query().Get("format") == "csv":
			r.Header.Set("Accept", "text/csv")
		case strings.HasPrefix(r.URL.Path, "/v1/invoices/") && strings.HasSuffix(r.URL.Path, ".pdf"):
			r.Header.Set("Accept", "application/pdf")
		case strings.HasPrefix(r.URL.Path, "/v1/invoices/") && strings.HasSuffix(r.URL.Path, ".html"):
			r.Header.Set("Accept", "text/html")
		case r.URL.Path == "/v1/transactions" && strings.Contains(r.Header.Get("Accept"), "text/csv"):
		default:
			if a := r.Header.Get("Accept"); strings.Contains(a, "text/html") || strings.Contains(a, "application/pdf") || strings.Contains(a, "text/csv") {
				// Browsers ask for text/html everywhere; only the routes
				// above have other representations.
				r.Header.Set("Accept", "application/json")
			}
		}
		if r.URL.Path == "/v1/transactions" && r.Header.Get("Accept") == "text/csv" {
			w = &download{ResponseWriter: w, disposition: "attachment; filename=\"transactions.csv\""}
		}
		next.ServeHTTP(w, r)
	})
}

// download adds Content-Disposition to a successful response only: an
// error is JSON to read, not a file to save.
type download struct {
	http.ResponseWriter
	disposition string
	wrote       bool
}

func (d *download) WriteHeader(code int) {
	if !d.wrote {
		d.wrote = true
		if code < 300 && d.Header().Get("Content-Type") != "application/json" {
			d.Header().Set("Content-Disposition", d.disposition)
		}
	}
	d.ResponseWriter.WriteHeader(code)
}

func (d *download) Write(b []byte) (int, error) {
	if !d.wrote {
		d.WriteHeader(http.StatusOK)
	}
	return d.ResponseWriter.Write(b)
}

func (d *download) Unwrap() http.ResponseWriter { return d.ResponseWriter }
