package invoicedoc

import (
	"fmt"
	"math"

	"github.com/phpdave11/gofpdf"
)

// The lines' table is laid out on a grid of 1 mm (contentWidth columns):
// each numeric column is as wide as its widest text (heading or value)
// measured in the font it is printed in, plus a gap, so amounts never wrap
// nor touch their neighbours whatever their size (9,999,999.99 fits in
// every currency); the description takes what is left and wraps inside
// it. If the numbers leave the description less than minDescription, the
// table's font gets smaller until they do not.

const (
	// contentWidth is the A4 page's width within its 15 mm margins.
	contentWidth = 180
	// minDescription is the narrowest description column, in mm.
	minDescription = 42
	// gap is the space before each numeric column's text, in mm.
	gap = 2.5
)

// tableSizes are the table's font size and columns' widths (in mm: grid
// units), description first.
type tableSizes struct {
	Font   float64
	Widths []int
}

// measurer measures strings in the embedded fonts.
type measurer struct{ pdf *gofpdf.Fpdf }

func newMeasurer() (*measurer, error) {
	pdf := gofpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(family, "", regular)
	pdf.AddUTF8FontFromBytes(family, "B", bold)
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("invoicedoc: measure: %w", err)
	}
	return &measurer{pdf: pdf}, nil
}

// width is the width of s in mm at size pt, bold or not.
func (m *measurer) width(s string, size float64, isBold bool) float64 {
	style := ""
	if isBold {
		style = "B"
	}
	m.pdf.SetFont(family, style, size)
	return m.pdf.GetStringWidth(s)
}

// headings are the table's column headings.
var headings = []string{"Description", "Qty", "Unit price", "Net", "Discount", "Tax %", "Tax", "Total"}

// cells returns a line's texts in the headings' order.
func cells(l Line) []string {
	return []string{l.Description, l.Quantity, l.UnitPrice, l.Net, l.Discount, l.TaxRate, l.Tax, l.Total}
}

// layout sizes the table of d's lines.
func (m *measurer) layout(d Document) tableSizes {
	for size := 8.0; ; size -= 0.5 {
		widths := make([]int, len(headings))
		used := 0
		for c := 1; c < len(headings); c++ {
			w := m.width(headings[c], size, true)
			for _, l := range d.Lines {
				w = math.Max(w, m.width(cells(l)[c], size, false))
			}
			widths[c] = int(math.Ceil(w + gap + 0.5))
			used += widths[c]
		}
		widths[0] = contentWidth - used
		if widths[0] >= minDescription || size <= 5 {
			return tableSizes{Font: size, Widths: widths}
		}
	}
}
