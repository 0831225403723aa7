package invoicedoc

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"
)

// word is a run of text the PDF draws on one line, with its box in points.
type word struct {
	s          string
	x0, x1, y  float64
	fontHeight float64
	bold       bool
}

// words reads the strings the PDF draws with their positions (points);
// the reader knows no widths of the embedded fonts, so each string's width
// is measured in them at its size.
func words(t *testing.T, b []byte) []word {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := newMeasurer()
	if err != nil {
		t.Fatal(err)
	}
	const ptPerMM = 72 / 25.4
	var out []word
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		// The reader gives each character at the start of the string it is
		// drawn in (it knows no glyph widths): characters at one point make
		// one drawn string.
		var cur *word
		for _, c := range p.Content().Text {
			if cur != nil && c.X == cur.x0 && c.Y == cur.y {
				cur.s += c.S
				continue
			}
			if cur != nil {
				out = append(out, *cur)
			}
			cur = &word{s: c.S, x0: c.X, y: c.Y, fontHeight: c.FontSize, bold: strings.Contains(strings.ToLower(c.Font), "bold")}
		}
		if cur != nil {
			out = append(out, *cur)
		}
	}
	for i := range out {
		out[i].s = strings.TrimSpace(out[i].s)
		out[i].x1 = out[i].x0 + ms.width(out[i].s, out[i].fontHeight, out[i].bold)*ptPerMM
	}
	return out
}

// bigDoc is an invoice of the largest amounts in a currency of digits
// decimals, with a long description.
func bigDoc(currency string, digits int) Document {
	amount := "9,999,999"
	if digits > 0 {
		amount += "." + strings.Repeat("9", digits)
	}
	d := Document{Kind: "Invoice", Number: "2026-000042", IssuedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Seller:   Party{Name: "Dialtone Telecom AG", Lines: []string{"Bahnhofstrasse 1", "8001 Zürich"}},
		Buyer:    Party{Name: "Acme AG", Lines: []string{"Hauptstrasse 5", "8000 Zürich"}},
		Subtotal: currency + " " + amount, Discount: currency + " " + amount, Tax: currency + " " + amount, Total: currency + " " + amount,
		Currency: currency, PaymentNote: "Paid"}
	d.Lines = append(d.Lines,
		Line{Description: "Cloud Contact Center Business, 500 licenses × 12 months (15 Jan 2036 to 15 Jan 2037), renewal in advance at today's list price",
			Quantity: "500", UnitPrice: amount, Net: amount, Discount: "-" + amount, TaxRate: "8.1 %", Tax: amount, Total: amount},
		Line{Description: "Top-up", Quantity: "1", UnitPrice: "810", Net: "810", Discount: "0", TaxRate: "0 %", Tax: "0", Total: "810"})
	return d
}

// TestPDFColumns: in the PDF as drawn, each heading and each amount of
// the lines is one run on one line, inside its own column; no two runs of
// a row overlap or touch; the long description wraps inside its column;
// the totals' amounts (with their currency) are on one line too.
func TestPDFColumns(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		cur    string
		digits int
	}{{"CHF", 2}, {"KWD", 3}, {"JPY", 0}} {
		t.Run(c.cur, func(t *testing.T) {
			t.Parallel()
			d := bigDoc(c.cur, c.digits)
			b, err := PDF(d)
			if err != nil {
				t.Fatal(err)
			}
			ws := words(t, b)
			has := func(s string) []word {
				var out []word
				for _, w := range ws {
					if w.s == s {
						out = append(out, w)
					}
				}
				return out
			}
			amount := d.Lines[0].Net
			// Headings, and the big line's amounts: unit, net, tax, total (and the discount with its sign).
			for _, s := range []string{"Description", "Qty", "Unit price", "Net", "Discount", "Tax %", "Tax", "Total", "Amounts in " + c.cur} {
				if len(has(s)) == 0 {
					t.Errorf("heading %q is not one run: %v", s, texts(ws))
				}
			}
			if n := len(has(amount)); n < 4 {
				t.Errorf("%q drawn whole %d times, want 4 (unit, net, tax, total): %v", amount, n, texts(ws))
			}
			if len(has("-"+amount)) != 1 {
				t.Errorf("discount %q not drawn whole on one line: %v", "-"+amount, texts(ws))
			}
			if n := len(has(d.Total)); n != 4 {
				t.Errorf("the totals %q drawn whole %d times, want 4 (subtotal, discount, tax, total): %v", d.Total, n, texts(ws))
			}
			// Runs on one baseline never overlap and keep 1 pt apart.
			rows := map[float64][]word{}
			for _, w := range ws {
				rows[w.y] = append(rows[w.y], w)
			}
			for y, row := range rows {
				sort.Slice(row, func(i, j int) bool { return row[i].x0 < row[j].x0 })
				for i := 1; i < len(row); i++ {
					if row[i].x0 < row[i-1].x1+1 {
						t.Errorf("at y %.1f %q (%.1f–%.1f) and %q (%.1f–%.1f) touch", y, row[i-1].s, row[i-1].x0, row[i-1].x1, row[i].s, row[i].x0, row[i].x1)
					}
				}
			}
			// The description wraps inside its column: its lines end left of
			// the quantity's column.
			qty := has("Qty")[0]
			var desc []word
			for _, w := range ws {
				if w.x0 < qty.x0 && w.y < qty.y && w.y > has("Top-up")[0].y {
					desc = append(desc, w)
				}
			}
			if len(desc) < 2 {
				t.Errorf("the long description did not wrap: %v", texts(desc))
			}
			for _, w := range desc {
				if w.x1 > qty.x0 {
					t.Errorf("description line %q ends at %.1f, past the Qty heading at %.1f", w.s, w.x1, qty.x0)
				}
			}
			if got, want := joined(desc), d.Lines[0].Description; got != want {
				t.Errorf("description drawn as %q, want %q", got, want)
			}
		})
	}
}

func joined(ws []word) string {
	var parts []string
	for _, w := range ws {
		parts = append(parts, w.s)
	}
	return strings.Join(parts, " ")
}

func texts(ws []word) string {
	var b strings.Builder
	for _, w := range ws {
		fmt.Fprintf(&b, "[%s %.0f–%.0f @%.0f] ", w.s, w.x0, w.x1, w.y)
	}
	return b.String()
}
