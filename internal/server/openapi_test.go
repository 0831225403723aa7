package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/store/storetest"
)

// redoclyVersion is the linter the document must satisfy (its recommended
// rules). .ci/run installs it; elsewhere npx fetches it.
const redoclyVersion = "2.77.0"

// redocly returns the command that runs the pinned redocly CLI, or nil.
func redocly(ctx context.Context) *exec.Cmd {
	if p, err := exec.LookPath("redocly"); err == nil {
		if out, err := exec.CommandContext(ctx, p, "--version").Output(); err == nil && strings.TrimSpace(string(out)) == redoclyVersion {
			return exec.CommandContext(ctx, p)
		}
	}
	if p, err := exec.LookPath("npx"); err == nil {
		return exec.CommandContext(ctx, p, "--yes", "@redocly/cli@"+redoclyVersion)
	}
	return nil
}

// TestOpenAPILint lints the served document with redocly's recommended
// rules: no errors (servers, security on every operation, valid schemas)
// and every operation declares the 4xx responses it can give.
func TestOpenAPILint(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	r := a.do("GET", "/v1/openapi.json", "", nil)
	if r.status != 200 {
		t.Fatalf("openapi.json: %d", r.status)
	}
	dir := t.TempDir()
	doc := filepath.Join(dir, "openapi.json")
	if err := os.WriteFile(doc, r.raw, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := redocly(ctx)
	if cmd == nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI: neither redocly nor npx is on PATH")
		}
		t.Skip("neither redocly nor npx is on PATH")
	}
	cmd.Args = append(cmd.Args, "lint", "--extends", "recommended", "--format", "json", doc)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var res struct {
		Totals   struct{ Errors, Warnings int }
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string
			Message  string
			Location []struct{ Pointer string }
		}
	}
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		if os.Getenv("CI") != "true" && strings.Contains(stderr.String(), "ENOTFOUND") {
			t.Skipf("redocly could not be fetched: %s", stderr.String())
		}
		t.Fatalf("redocly lint did not run (%v): %s\n%s", err, stdout.String(), stderr.String())
	}
	for _, p := range res.Problems {
		if p.Severity == "error" || p.RuleID == "operation-4xx-response" {
			where := ""
			if len(p.Location) > 0 {
				where = p.Location[0].Pointer
			}
			t.Errorf("redocly %s %s at %s: %s", p.Severity, p.RuleID, where, p.Message)
		}
	}
}

// TestOpenAPIDocumentsErrorsAndHeaders: every operation lists its error
// statuses with their codes (no catch-all), every POST takes an
// Idempotency-Key, and the headers the middleware sets are described.
func TestOpenAPIDocumentsErrorsAndHeaders(t *testing.T) {
	t.Parallel()
	a := newAPI(t, storetest.Open(t, "sqlite"))
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Security    *[]any
			Parameters  []struct{ Name, In string }
			Responses   map[string]struct {
				Headers    map[string]any
				Content    map[string]any
				ErrorCodes []string `json:"x-error-codes"`
			}
		}
	}
	if err := json.Unmarshal(a.do("GET", "/v1/openapi.json", "", nil).raw, &doc); err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths {
		for method, o := range item {
			if o.Security == nil {
				t.Errorf("%s %s: no security (public operations say [])", method, path)
			}
			if _, ok := o.Responses["default"]; ok {
				t.Errorf("%s %s: a default response hides undocumented statuses", method, path)
			}
			for st, r := range o.Responses {
				if st[0] == '4' && len(r.ErrorCodes) == 0 {
					t.Errorf("%s %s %s: no x-error-codes", method, path, st)
				}
				if r.Headers["X-Request-Id"] == nil {
					t.Errorf("%s %s %s: no X-Request-Id", method, path, st)
				}
				if method == "post" && st != "500" && r.Headers["Idempotent-Replayed"] == nil {
					t.Errorf("%s %s %s: no Idempotent-Replayed", method, path, st)
				}
			}
			if method == "post" {
				found := false
				for _, p := range o.Parameters {
					found = found || (p.Name == "Idempotency-Key" && p.In == "header")
				}
				if !found {
					t.Errorf("%s %s: no Idempotency-Key header", method, path)
				}
			}
		}
	}
	if r := doc.Paths["/v1/sessions"]["post"].Responses["429"]; r.Headers["Retry-After"] == nil {
		t.Errorf("POST /v1/sessions: 429 without Retry-After")
	}
	if r := doc.Paths["/v1/transactions"]["get"].Responses["200"]; r.Headers["Content-Disposition"] == nil || r.Content["text/csv"] == nil {
		t.Errorf("GET /v1/transactions: CSV or Content-Disposition missing")
	}
	if r := doc.Paths["/v1/invoices/{id}.pdf"]["get"].Responses["200"]; r.Content["application/pdf"] == nil {
		t.Errorf("GET /v1/invoices/{id}.pdf: not documented as application/pdf")
	}
	if r := doc.Paths["/v1/invoices/{id}.html"]["get"].Responses["200"]; r.Content["text/html"] == nil {
		t.Errorf("GET /v1/invoices/{id}.html: not documented as text/html")
	}
}
