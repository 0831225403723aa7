package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/address"
	"github.com/dialtone/dialtone/internal/invoicedoc"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/store"
)

// InvoiceLine is a line of an issued invoice, in minor units.
type InvoiceLine struct {
	Description string `json:"description"`
	Quantity    int    `json:"quantity"`
	UnitAmount  int64  `json:"unit_amount"`
	Amount      int64  `json:"amount"`
	Discount    int64  `json:"discount"`
	TaxRate     string `json:"tax_rate"`
	Tax         int64  `json:"tax"`
	Total       int64  `json:"total"`
}

// InvoiceDoc is the frozen content of an invoice or credit note: what it
// said on the day it was issued, whatever changes later.
type InvoiceDoc struct {
	Kind        string        `json:"kind"`
	Number      string        `json:"number"`
	IssuedAt    time.Time     `json:"issued_at"`
	Seller      Seller        `json:"seller"`
	BuyerName   string        `json:"buyer_name"`
	BuyerLines  []string      `json:"buyer_lines"`
	BuyerVATID  string        `json:"buyer_vat_id,omitempty"`
	Lines       []InvoiceLine `json:"lines"`
	Currency    string        `json:"currency"`
	Subtotal    int64         `json:"subtotal"`
	Discount    int64         `json:"discount"`
	Tax         int64         `json:"tax"`
	Total       int64         `json:"total"`
	PaymentNote string        `json:"payment_note"`
	Reference   string        `json:"reference"`
}

func buyerOf(cust market.Customer, a *market.BillingAddress) (string, []string, string) {
	if a == nil {
		name, _ := address.CountryName(cust.Country)
		return cust.Company, []string{name}, ""
	}
	var lines []string
	for _, l := range []string{a.Line1, a.Line2} {
		if l != "" {
			lines = append(lines, l)
		}
	}
	city := strings.TrimSpace(a.PostalCode + " " + a.City)
	if a.State != "" {
		city += ", " + a.State
	}
	country, _ := address.CountryName(a.Country)
	lines = append(lines, city, country)
	name := a.Name
	if name != cust.Company {
		name = cust.Company + " — " + a.Name
	}
	return name, lines, a.VATID
}

func paymentNote(p market.Payment) string {
	day := p.CreatedAt.Format(time.DateOnly)
	switch p.Method {
	case "card":
		return fmt.Sprintf("Paid by %s •••• %s on %s (payment %s)", payment.BrandName(p.CardBrand), p.CardLast4, day, p.ID)
	case "balance":
		return fmt.Sprintf("Paid from the prepaid balance on %s (payment %s)", day, p.ID)
	case "none":
		return "Nothing to pay."
	}
	return fmt.Sprintf("Payment %s on %s", p.ID, day)
}

// issueInvoice numbers and stores the invoice of a paid order (of a
// payment without an order when o has no ID), saying what it is for in
// reference. The number comes from the year's gapless sequence inside
// the order's transaction.
func (s *Service) issueInvoice(ctx context.Context, q *store.Q, cust market.Customer, o market.Order, a *market.BillingAddress, p market.Payment, reference string, now time.Time) (market.Invoice, error) {
	doc := InvoiceDoc{Kind: "invoice", IssuedAt: now, Seller: s.cfg.Seller, Currency: o.Currency,
		Subtotal: o.Totals.Subtotal, Discount: o.Totals.Discount, Tax: o.Totals.Tax, Total: o.Totals.Total,
		PaymentNote: paymentNote(p), Reference: reference}
	doc.BuyerName, doc.BuyerLines, doc.BuyerVATID = buyerOf(cust, a)
	for _, l := range o.Lines {
		doc.Lines = append(doc.Lines, InvoiceLine{Description: l.Description, Quantity: l.Quantity, UnitAmount: l.UnitAmount,
			Amount: l.Amount, Discount: l.Discount, TaxRate: l.TaxRate.String(), Tax: l.Tax, Total: l.Total()})
	}
	return s.storeInvoice(ctx, q, cust.ID, o.ID, o.InvoiceID, doc, now)
}

// storeInvoice numbers and stores an invoice or credit note, and queues
// its e-mail. On PostgreSQL an invoice (not a credit note) is queued
// unnumbered instead, and numbered with its e-mail right after the commit
// (sequencer.go): the returned invoice has no number then.
func (s *Service) storeInvoice(ctx context.Context, q *store.Q, customerID, orderID, invoiceID string, doc InvoiceDoc, now time.Time) (market.Invoice, error) {
	v := market.Invoice{ID: invoiceID, CustomerID: customerID, OrderID: orderID, Kind: doc.Kind, Year: now.Year(),
		Currency: doc.Currency, Totals: market.Totals{Subtotal: doc.Subtotal, Discount: doc.Discount, Tax: doc.Tax, Total: doc.Total},
		IssuedAt: now}
	if deferInvoice(ctx, v, doc) {
		// A batched run's, on either store: numbered with its batch, in
		// one block taken as the batch's last statements (renew_batch.go).
		return v, nil
	}
	if !q.NumbersInline() && doc.Kind == "invoice" {
		body, err := json.Marshal(doc)
		if err != nil {
			return market.Invoice{}, err
		}
		v.Year, v.Document = 0, string(body)
		if err := q.QueueInvoice(ctx, v); err != nil {
			return market.Invoice{}, err
		}
		s.numberAfterCommit(ctx, q)
		return v, nil
	}
	seq, err := q.NextInvoiceSeq(ctx, v.Year)
	if err != nil {
		return market.Invoice{}, err
	}
	doc.Number = fmt.Sprintf("%d-%06d", v.Year, seq)
	body, err := json.Marshal(doc)
	if err != nil {
		return market.Invoice{}, err
	}
	v.Number, v.Seq, v.Document = doc.Number, seq, string(body)
	if err := q.InsertInvoice(ctx, v); err != nil {
		return market.Invoice{}, err
	}
	if v.Kind == "invoice" && v.Totals.Total == 0 {
		return v, nil
	}
	to, err := q.InvoiceRecipients(ctx, []string{customerID})
	if err != nil || to[customerID] == "" {
		return v, err
	}
	return v, s.mailInvoiceTo(ctx, q, v, to[customerID])
}

// Invoice returns an invoice of the principal's customer (any customer for
// the operator) with its document. Error: not_found.
func (s *Service) Invoice(ctx context.Context, p Principal, invoiceID string) (market.Invoice, InvoiceDoc, error) {
	v, err := s.store.Read().Invoice(ctx, p.scope(), invoiceID)
	if market.IsCode(err, market.CodeNotFound) && s.store.Dialect() == store.Postgres {
		// It may be queued still (its order's process died before the
		// pass): number what is queued and look again.
		if err := s.NumberInvoices(ctx); err != nil {
			return v, InvoiceDoc{}, err
		}
		v, err = s.store.Read().Invoice(ctx, p.scope(), invoiceID)
	}
	if err != nil {
		return v, InvoiceDoc{}, err
	}
	var doc InvoiceDoc
	if err := json.Unmarshal([]byte(v.Document), &doc); err != nil {
		return v, doc, fmt.Errorf("invoice %s: %w", v.ID, err)
	}
	return v, doc, nil
}

// Summary says in short what an invoice or credit note was for: its
// lines' descriptions, without what each says in parentheses when there
// are several ("Cloud Contact Center Business × 5 licenses; Number +41 44
// …"), at most 200 characters.
func (d InvoiceDoc) Summary() string {
	parts := make([]string, 0, len(d.Lines))
	for _, l := range d.Lines {
		s := l.Description
		if i := strings.Index(s, " ("); i > 0 && len(d.Lines) > 1 {
			s = s[:i]
		}
		parts = append(parts, s)
	}
	out := []rune(strings.Join(parts, "; "))
	if len(out) > 200 {
		out = append(out[:199], '…')
	}
	return string(out)
}

// Invoices lists the customer's invoices and credit notes.
func (s *Service) Invoices(ctx context.Context, p Principal, page store.Page) ([]market.Invoice, error) {
	if err := s.awaitNumbers(ctx); err != nil {
		return nil, err
	}
	return s.store.Read().Invoices(ctx, p.CustomerID, page)
}

// scope is the customer an object must belong to: the principal's own, or
// any ("") for the operator.
func (p Principal) scope() string {
	if p.Operator {
		return ""
	}
	return p.CustomerID
}

// Printable turns a stored invoice into the renderer's document, with
// amounts formatted in its currency.
func Printable(doc InvoiceDoc) invoicedoc.Document {
	f := func(v int64) string { return money.Format(money.New(v, doc.Currency)) }
	kind := "Invoice"
	if doc.Kind == "credit_note" {
		kind = "Credit note"
	}
	d := invoicedoc.Document{Kind: kind, Number: doc.Number, IssuedAt: doc.IssuedAt,
		Seller:   invoicedoc.Party{Name: doc.Seller.Name, Lines: doc.Seller.Lines, VATID: doc.Seller.VATID},
		Buyer:    invoicedoc.Party{Name: doc.BuyerName, Lines: doc.BuyerLines, VATID: doc.BuyerVATID},
		Subtotal: f(doc.Subtotal), Discount: f(doc.Discount), Tax: f(doc.Tax), Total: f(doc.Total), Currency: doc.Currency,
		PaymentNote: doc.PaymentNote, Reference: doc.Reference}
	// The lines' amounts go without the currency, which their columns'
	// headings name: "CHF 810.00" would break at its space in a column.
	n := func(v int64) string { return money.FormatNumber(money.New(v, doc.Currency)) }
	for _, l := range doc.Lines {
		d.Lines = append(d.Lines, invoicedoc.Line{Description: l.Description, Quantity: fmt.Sprint(l.Quantity),
			UnitPrice: n(l.UnitAmount), Net: n(l.Amount), Discount: n(l.Discount), TaxRate: l.TaxRate + " %", Tax: n(l.Tax), Total: n(l.Total)})
	}
	return d
}

// InvoicePDF writes an invoice as PDF.
func InvoicePDF(doc InvoiceDoc) ([]byte, error) { return invoicedoc.PDF(Printable(doc)) }

// InvoiceHTML writes an invoice as an HTML page.
func InvoiceHTML(w io.Writer, doc InvoiceDoc) error { return invoicedoc.HTML(w, Printable(doc)) }
