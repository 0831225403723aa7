// Package invoicedoc renders invoices and credit notes as PDF (maroto, with
// embedded DejaVu fonts so that €, £, ₴ and accented names print) and as a
// printable HTML page. Amounts arrive formatted: this package only lays out.
package invoicedoc

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/align"
	"github.com/johnfercher/maroto/v2/pkg/consts/breakline"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/core"
	"github.com/johnfercher/maroto/v2/pkg/core/entity"
	"github.com/johnfercher/maroto/v2/pkg/props"
	"github.com/johnfercher/maroto/v2/pkg/repository"
)

//go:embed fonts/DejaVuSans.ttf
var regular []byte

//go:embed fonts/DejaVuSans-Bold.ttf
var bold []byte

// Party is a seller or buyer: name, formatted address lines, VAT ID.
type Party struct {
	Name  string
	Lines []string
	VATID string
}

// Line is an invoice line with formatted values.
type Line struct {
	Description, Quantity, UnitPrice, Net, Discount, TaxRate, Tax, Total string
}

// Document is an invoice or credit note ready to lay out.
type Document struct {
	Kind                           string // "Invoice" or "Credit note"
	Number                         string
	IssuedAt                       time.Time
	Seller                         Party
	Buyer                          Party
	Lines                          []Line
	Subtotal, Discount, Tax, Total string
	Currency                       string
	PaymentNote                    string
	Reference                      string
	Notes                          []string
}

const family = "dejavu"

var (
	fontsOnce sync.Once
	fonts     []*entity.CustomFont
	fontsErr  error
)

func loadFonts() ([]*entity.CustomFont, error) {
	fontsOnce.Do(func() {
		fonts, fontsErr = repository.New().
			AddUTF8FontFromBytes(family, fontstyle.Normal, regular).
			AddUTF8FontFromBytes(family, fontstyle.Bold, bold).
			AddUTF8FontFromBytes(family, fontstyle.Italic, regular).
			AddUTF8FontFromBytes(family, fontstyle.BoldItalic, bold).
			Load()
	})
	return fonts, fontsErr
}

// PDF renders the document as an A4 PDF.
func PDF(d Document) ([]byte, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, fmt.Errorf("invoicedoc: fonts: %w", err)
	}
	cfg := config.NewBuilder().WithCustomFonts(fs).WithDefaultFont(&props.Font{Family: family, Size: 9}).
		WithMaxGridSize(contentWidth).WithPageNumber().WithLeftMargin(15).WithRightMargin(15).WithTopMargin(15).
		// Dated by the document, not the clock: a PDF rendered again (the
		// mailbox renders when a mail is read) is the same file.
		WithCreationDate(d.IssuedAt).Build()
	m := maroto.New(cfg)
	b := props.Text{Style: fontstyle.Bold}
	right := props.Text{Align: align.Right}
	rightB := props.Text{Align: align.Right, Style: fontstyle.Bold}

	m.AddRow(10, text.NewCol(contentWidth/2, d.Seller.Name, props.Text{Style: fontstyle.Bold, Size: 12}),
		text.NewCol(contentWidth/2, d.Kind, props.Text{Style: fontstyle.Bold, Size: 16, Align: align.Right}))
	left := append(append([]string{}, d.Seller.Lines...), vat(d.Seller.VATID))
	rightLines := []string{"No. " + d.Number, "Date " + d.IssuedAt.Format("2006-01-02"), d.Reference}
	for i := 0; i < max(len(left), len(rightLines)); i++ {
		m.AddRow(5, text.NewCol(contentWidth/2, at(left, i)), text.NewCol(contentWidth/2, at(rightLines, i), right))
	}
	m.AddRow(6)
	m.AddRow(6, text.NewCol(contentWidth, "Bill to", b))
	m.AddRow(5, text.NewCol(contentWidth, d.Buyer.Name))
	for _, l := range append(append([]string{}, d.Buyer.Lines...), vat(d.Buyer.VATID)) {
		if l != "" {
			m.AddRow(5, text.NewCol(contentWidth, l))
		}
	}
	m.AddRow(6)
	ms, err := newMeasurer()
	if err != nil {
		return nil, err
	}
	sz := ms.layout(d)
	m.AddRow(5, text.NewCol(contentWidth, "Amounts in "+d.Currency, props.Text{Size: sz.Font, Align: align.Right}))
	head := make([]core.Col, len(headings))
	for c, h := range headings {
		head[c] = text.NewCol(sz.Widths[c], h, cellProps(c, sz.Font, true))
	}
	m.AddRow(7, head...)
	for _, l := range d.Lines {
		cols := make([]core.Col, len(headings))
		for c, v := range cells(l) {
			cols[c] = text.NewCol(sz.Widths[c], v, cellProps(c, sz.Font, false))
		}
		m.AddAutoRow(cols...)
	}
	m.AddRow(6)
	// The totals' amounts carry their currency; their column fits the
	// widest of them at 9 pt bold, and at least 45 mm.
	tw := 45
	for _, v := range []string{d.Subtotal, d.Discount, d.Tax, d.Total} {
		tw = max(tw, int(math.Ceil(ms.width(v, 9, true)+gap+0.5)))
	}
	for _, t := range [][2]string{{"Subtotal", d.Subtotal}, {"Discount", d.Discount}, {"Tax", d.Tax}, {"Total " + d.Currency, d.Total}} {
		st := right
		if strings.HasPrefix(t[0], "Total") {
			st = rightB
		}
		m.AddRow(6, text.NewCol(contentWidth-tw, t[0], st), text.NewCol(tw, t[1], st))
	}
	m.AddRow(6)
	var rows []core.Row
	for _, n := range append([]string{d.PaymentNote}, d.Notes...) {
		if n != "" {
			rows = append(rows, m.AddAutoRow(text.NewCol(contentWidth, n)))
		}
	}
	_ = rows
	doc, err := m.Generate()
	if err != nil {
		return nil, fmt.Errorf("invoicedoc: pdf: %w", err)
	}
	return doc.GetBytes(), nil
}

// cellProps are a table cell's: the description wraps at spaces with room
// on its right; numbers are right-aligned with a gap on their left.
func cellProps(col int, size float64, isBold bool) props.Text {
	p := props.Text{Size: size, Align: align.Right, Left: gap, Top: 1}
	if col == 0 {
		p = props.Text{Size: size, Align: align.Left, Right: gap, Top: 1, BreakLineStrategy: breakline.EmptySpaceStrategy}
	}
	if isBold {
		p.Style = fontstyle.Bold
	}
	return p
}

func vat(id string) string {
	if id == "" {
		return ""
	}
	return "VAT ID " + id
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

//go:embed invoice.html
var pageHTML string

// page is the printable HTML page of a document (invoice.html). The file's
// last newline is not part of the page.
var page = template.Must(template.New("invoice").Parse(strings.TrimSuffix(pageHTML, "\n")))

// HTML writes the document as a self-contained printable page.
func HTML(w io.Writer, d Document) error { return page.Execute(w, d) }
