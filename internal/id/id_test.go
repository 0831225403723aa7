package id

import (
	"slices"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2027, 2, 10, 9, 0, 0, 0, time.UTC)

// stepClock returns the times of ts in turn, then the last one for ever.
func stepClock(ts ...time.Time) func() time.Time {
	i := 0
	return func() time.Time {
		t := ts[min(i, len(ts)-1)]
		i++
		return t
	}
}

// stamp is the timestamp part of an ID, in milliseconds.
func stamp(t *testing.T, id, prefix string) int64 {
	t.Helper()
	if !HasPrefix(id, prefix) {
		t.Fatalf("%q is no ID of prefix %q", id, prefix)
	}
	var ms int64
	for _, c := range id[len(prefix)+1 : len(prefix)+11] {
		ms = ms<<5 | int64(indexOf(t, c))
	}
	return ms
}

func indexOf(t *testing.T, c rune) int {
	for i, a := range alphabet {
		if a == c {
			return i
		}
	}
	t.Fatalf("%q is not of the alphabet", c)
	return 0
}

// TestGeneratorOrder: the IDs of a generator sort in the order they were
// made whatever its clock does, and carry its clock's time while the clock
// moves forward.
func TestGeneratorOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		times []time.Time
		want  []int64 // the stamps, in milliseconds after t0
	}{
		{"Forward", []time.Time{t0, t0.Add(time.Second), t0.Add(30 * 24 * time.Hour)}, []int64{0, 1000, 30 * 24 * 3600 * 1000}},
		{"StandsStill", []time.Time{t0, t0, t0}, []int64{0, 1, 2}},
		{"GoesBack", []time.Time{t0, t0.Add(-time.Hour), t0.Add(time.Millisecond), t0.Add(time.Second)}, []int64{0, 1, 2, 1000}},
		{"SameMillisecond", []time.Time{t0.Add(100 * time.Microsecond), t0.Add(900 * time.Microsecond)}, []int64{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewGenerator(stepClock(tt.times...))
			var ids []string
			for i, want := range tt.want {
				id := g.New("cus")
				ids = append(ids, id)
				if got := stamp(t, id, "cus") - t0.UnixMilli(); got != want {
					t.Errorf("ID %d (%s) has stamp t0+%d ms, want t0+%d ms", i, id, got, want)
				}
			}
			if !slices.IsSorted(ids) {
				t.Errorf("IDs %v are not in the order they were made", ids)
			}
		})
	}
}

// TestGeneratorsIndependent: a generator's state is its own: one whose
// clock ran ahead does not push another's IDs ahead.
func TestGeneratorsIndependent(t *testing.T) {
	t.Parallel()
	ahead := NewGenerator(stepClock(t0.Add(365 * 24 * time.Hour)))
	for range 3 {
		ahead.New("ord")
	}
	g := NewGenerator(stepClock(t0))
	if got := stamp(t, g.New("ord"), "ord"); got != t0.UnixMilli() {
		t.Errorf("stamp %d, want %d: the other generator's state leaked", got, t0.UnixMilli())
	}
}

// TestGeneratorConcurrent: IDs made at once from many goroutines are
// distinct, and each goroutine's own are in its order.
func TestGeneratorConcurrent(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	frozen := func() time.Time { mu.Lock(); defer mu.Unlock(); return t0 }
	g := NewGenerator(frozen)
	const workers, each = 8, 500
	out := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for range each {
				out[w] = append(out[w], g.New("num"))
			}
		})
	}
	wg.Wait()
	seen := make(map[string]bool)
	for _, ids := range out {
		if !slices.IsSorted(ids) {
			t.Errorf("a goroutine's IDs are out of order")
		}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("%s made twice", id)
			}
			seen[id] = true
		}
	}
}

func TestHasPrefix(t *testing.T) {
	t.Parallel()
	id := NewGenerator(time.Now).New("sub")
	if !HasPrefix(id, "sub") || HasPrefix(id, "su") || HasPrefix("sub_x", "sub") {
		t.Errorf("HasPrefix wrong for %q", id)
	}
}

func TestSecret(t *testing.T) {
	t.Parallel()
	a, b := Secret(32), Secret(32)
	if a == b || len(a) != 52 {
		t.Errorf("Secret(32) = %q, %q: want two different 52-character texts", a, b)
	}
}
