// Package gcpolicy is the garbage collector's policy of a dialtone server:
// a collection when the heap has grown by twice what was live after the
// last one (GOGC 200; Go's own default is 100), and a soft limit of 256 MiB
// on the runtime's memory, each unless the environment sets it (GOGC,
// GOMEMLIMIT: the Go runtime reads those itself).
//
// Why: a portal page allocates 50 to 600 KB, and on a server of two cores
// a request that runs while the collector marks takes two to three times
// as long. With Go's default the collector marked every 40 to 70 pages
// and those pages were the slowest hundredth, over 10 ms on PostgreSQL;
// collecting half as often halves them. The limit bounds what a burst of
// sign-ups (argon2id takes 64 MiB a hash) leaves for the collector to
// return. Under the order load serve's RSS is about 110 MiB with the
// policy and 92 MiB without (docs/BENCHMARKS.md, session 10).
package gcpolicy

import (
	"fmt"
	"math"
	"runtime/debug"
)

const (
	// GOGC is the collector's target percentage when GOGC is not set.
	GOGC = 200
	// MemoryLimit is the soft memory limit when GOMEMLIMIT is not set.
	MemoryLimit = 256 << 20
)

// Policy is the collector's setting after Apply.
type Policy struct {
	GOGC        int
	MemoryLimit int64
	// FromEnv names the settings the environment made (GOGC, GOMEMLIMIT).
	FromEnv []string
}

func (p Policy) String() string {
	limit := fmt.Sprintf("%dMiB", p.MemoryLimit>>20)
	if p.MemoryLimit == math.MaxInt64 {
		limit = "off" // GOMEMLIMIT=off, or never set
	}
	s := fmt.Sprintf("GOGC=%d GOMEMLIMIT=%s", p.GOGC, limit)
	if len(p.FromEnv) > 0 {
		s += fmt.Sprintf(" (%v from the environment)", p.FromEnv)
	}
	return s
}

// Apply sets the policy's defaults for what getenv does not set, and
// returns the collector's setting.
func Apply(getenv func(string) string) Policy {
	var p Policy
	if getenv("GOGC") == "" {
		debug.SetGCPercent(GOGC)
	} else {
		p.FromEnv = append(p.FromEnv, "GOGC")
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	} else {
		p.FromEnv = append(p.FromEnv, "GOMEMLIMIT")
	}
	c := Current()
	p.GOGC, p.MemoryLimit = c.GOGC, c.MemoryLimit
	return p
}

// Current returns the collector's setting as it is, changing nothing.
func Current() Policy {
	gogc := debug.SetGCPercent(-1)
	debug.SetGCPercent(gogc)
	return Policy{GOGC: gogc, MemoryLimit: debug.SetMemoryLimit(-1)}
}

// Restore sets the collector to p's GOGC and memory limit (a benchmark
// that ran with the policy puts its test binary's setting back).
func (p Policy) Restore() {
	debug.SetGCPercent(p.GOGC)
	debug.SetMemoryLimit(p.MemoryLimit)
}
