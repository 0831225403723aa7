package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOperatorCreate: `dialtone operator create` makes an operator with a
// generated password printed once; the same e-mail again, or a role that
// is none, is refused.
func TestOperatorCreate(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "op.db")
	getenv := func(k string) string { return map[string]string{"DIALTONE_ARGON2_MEMORY": "1024"}[k] }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"operator", "create", "--db", db, "--email", "Boss@Example.com", "--role", "admin"}, getenv, &out, &out); err != nil {
		t.Fatalf("operator create: %v\n%s", err, out.String())
	}
	if !regexp.MustCompile(`Operator opr_\S+ created: boss@example.com, role admin`).MatchString(out.String()) ||
		!regexp.MustCompile(`Password \(shown once\): \S{20,}`).MatchString(out.String()) {
		t.Errorf("output:\n%s", out.String())
	}
	out.Reset()
	err := run(context.Background(), []string{"operator", "create", "--db", db, "--email", "boss@example.com", "--role", "support"}, getenv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("the same e-mail again: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"operator", "create", "--db", db, "--email", "x@example.com", "--role", "owner"}, getenv, &out, &out); err == nil {
		t.Error("role owner accepted")
	}
}
