package invoicedoc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

func sample(lines int) Document {
	d := Document{Kind: "Invoice", Number: "2026-000042", IssuedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		Seller:   Party{Name: "Dialtone Telecom AG", Lines: []string{"Bahnhofstrasse 1", "8001 Zürich"}, VATID: "CHE123456789"},
		Buyer:    Party{Name: "Müller & Łódź GmbH", Lines: []string{"Hauptstraße 5", "10115 Berlin"}},
		Subtotal: "€1,234.56", Discount: "€0.00", Tax: "€234.57", Total: "€1,469.13", Currency: "EUR",
		PaymentNote: "Paid by Visa •••• 4242", Reference: "Order ord_1"}
	for i := range lines {
		d.Lines = append(d.Lines, Line{Description: fmt.Sprintf("Business — line %d", i), Quantity: "5", UnitPrice: "€40.00",
			Net: "€200.00", Discount: "€0.00", TaxRate: "19 %", Tax: "€38.00", Total: "€238.00"})
	}
	return d
}

func TestPDF(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 120} {
		b, err := PDF(sample(n))
		if err != nil {
			t.Fatalf("%d lines: %v", n, err)
		}
		if !bytes.HasPrefix(b, []byte("%PDF")) || len(b) < 5000 || !bytes.Contains(b, []byte("dejavu")) {
			t.Errorf("%d lines: %d bytes, prefix %q; want a PDF embedding DejaVu", n, len(b), b[:min(8, len(b))])
		}
	}
}

func TestHTMLEscapes(t *testing.T) {
	t.Parallel()
	d := sample(3)
	d.Buyer.Name = "<script>alert(1)</script>"
	var buf bytes.Buffer
	if err := HTML(&buf, d); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if strings.Contains(s, "<script>") || !strings.Contains(s, "&lt;script&gt;") {
		t.Error("buyer name not escaped")
	}
	for _, want := range []string{"€1,469.13", "Business — line 2", "<title>Invoice 2026-000042</title>", `scope="col"`, "<caption>"} {
		if !strings.Contains(s, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func BenchmarkPDF(b *testing.B) {
	d := sample(10)
	for b.Loop() {
		if _, err := PDF(d); err != nil {
			b.Fatal(err)
		}
	}
}
