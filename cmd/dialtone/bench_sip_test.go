package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"testing"
)

// TestBenchSIP runs `dialtone bench sip` briefly: every registration of
// the injection file's accounts succeeds and the report has its figures.
// Skipped without sipp, except under CI=true.
func TestBenchSIP(t *testing.T) {
	if _, err := exec.LookPath("sipp"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("sipp is missing under CI=true: install sip-tester (.ci/run does)")
		}
		t.Skip("sipp is not installed (apt-get install sip-tester)")
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"bench", "sip", "--accounts", "5", "--rate", "20", "--duration", "1s"},
		func(string) string { return "" }, &out, &out)
	if err != nil {
		t.Fatalf("bench sip: %v\n%s", err, out.String())
	}
	for _, re := range []string{`registrations: 20 succeeded, 0 failed`, `latency of a registration .* p99 [0-9.]+ ms`, `CPU per registration: dialtone [0-9.]+ ms`} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("report lacks %q:\n%s", re, out.String())
		}
	}
}
