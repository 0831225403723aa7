package invoicedoc

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// TestHTMLGolden: the printable page is byte for byte what it was when its
// template was a Go string (testdata/*.html were written then, with
// -update).
func TestHTMLGolden(t *testing.T) {
	t.Parallel()
	credit := sample(2)
	credit.Kind, credit.Number, credit.Reference = "Credit note", "CN-2026-000007", "Refund of invoice 2026-000042"
	credit.Buyer.VATID = "DE123456789"
	credit.Notes = []string{"Reverse charge: VAT to be accounted for by the recipient.", "Thank you & goodbye <3"}
	for name, d := range map[string]Document{"invoice.html": sample(3), "credit_note.html": credit, "empty.html": {}} {
		var buf bytes.Buffer
		if err := HTML(&buf, d); err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join("testdata", name), buf.Bytes())
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got %q\nwant %q", path, got, want)
	}
}
