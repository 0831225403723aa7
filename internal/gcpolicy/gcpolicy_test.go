package gcpolicy_test

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/dialtone/dialtone/internal/gcpolicy"
)

// restore puts the collector's setting back after a test.
func restore(t *testing.T) { t.Cleanup(gcpolicy.Current().Restore) }

func TestDefaults(t *testing.T) {
	restore(t)
	p := gcpolicy.Apply(func(string) string { return "" })
	if p.GOGC != gcpolicy.GOGC || p.MemoryLimit != gcpolicy.MemoryLimit || len(p.FromEnv) != 0 {
		t.Fatalf("policy %+v, want GOGC %d and %d bytes from no environment", p, gcpolicy.GOGC, gcpolicy.MemoryLimit)
	}
	if got := p.String(); got != "GOGC=200 GOMEMLIMIT=256MiB" {
		t.Errorf("String() = %q", got)
	}
}

// What the environment sets is left as the runtime read it.
func TestEnvironmentWins(t *testing.T) {
	restore(t)
	debug.SetGCPercent(150) // as GOGC=150 would have
	debug.SetMemoryLimit(1 << 30)
	env := map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"}
	p := gcpolicy.Apply(func(k string) string { return env[k] })
	if p.GOGC != 150 || p.MemoryLimit != 1<<30 {
		t.Fatalf("policy %+v, want the environment's 150 and 1 GiB", p)
	}
	if got := p.String(); got != "GOGC=150 GOMEMLIMIT=1024MiB ([GOGC GOMEMLIMIT] from the environment)" {
		t.Errorf("String() = %q", got)
	}
	debug.SetMemoryLimit(math.MaxInt64) // GOMEMLIMIT=off
	if got := gcpolicy.Apply(func(k string) string { return env[k] }).String(); got != "GOGC=150 GOMEMLIMIT=off ([GOGC GOMEMLIMIT] from the environment)" {
		t.Errorf("String() with no limit = %q", got)
	}
	delete(env, "GOMEMLIMIT")
	p = gcpolicy.Apply(func(k string) string { return env[k] })
	if p.GOGC != 150 || p.MemoryLimit != gcpolicy.MemoryLimit {
		t.Fatalf("policy %+v, want GOGC 150 kept and the default limit", p)
	}
}
