package billing_test

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// rentalMonth is one month of the race numbers with 19 % DE tax:
// 5.00 + 0.95.
const rentalMonth = 595

// rentalWorld is one DE customer who bought one number at start
// (2026-01-31 10:00) and has left what covers `months` rentals plus 1.00.
type rentalWorld struct {
	*env
	p     billing.Principal
	num   string
	sched *scheduler.Scheduler
}

func newRentalWorld(t *testing.T, st *store.Store, months int64) *rentalWorld {
	t.Helper()
	e := newEnv(t, st)
	e.mustImport(t, "Berlin", "+493020000000")
	p := e.mustSignup(t, "numbers@acme.test", "DE", "EUR")
	addr := e.mustAddress(t, p, "DE", "10115")
	if _, err := e.svc.AdjustBalance(ctx, p.CustomerID, billing.AdjustmentInput{Amount: raceTotal + months*rentalMonth + 100, Reason: "credit"}); err != nil {
		t.Fatal(err)
	}
	o := e.mustOrder(t, p, addr, billing.ItemInput{Type: "phone_number", Country: "DE", Area: "Berlin"})
	w := &rentalWorld{env: e, p: p, num: o.Lines[0].NumberID, sched: scheduler.New(e.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))}
	w.check(t, "bought", market.NumberActive, at(2, 28), months*rentalMonth+100)
	return w
}

// at is 10:00 UTC on a day of 2026, the time of day of the purchase.
func at(month time.Month, day int) time.Time {
	return time.Date(2026, month, day, 10, 0, 0, 0, time.UTC)
}

// runAt moves the frozen clock to t and runs the due work.
func (w *rentalWorld) runAt(t *testing.T, when time.Time) {
	t.Helper()
	w.clk.Advance(when.Sub(w.svc.Now()))
	if err := w.sched.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
}

// check asserts the number's status and date (renews_at while held,
// quarantine_until in quarantine) and the customer's balance.
func (w *rentalWorld) check(t *testing.T, step, status string, date time.Time, balance int64) {
	t.Helper()
	n, err := w.st.Read().Number(ctx, w.num)
	if err != nil {
		t.Fatal(err)
	}
	var got *time.Time
	switch n.Status {
	case market.NumberActive, market.NumberGrace:
		got = n.RenewsAt
	case market.NumberQuarantine:
		got = n.QuarantineUntil
	}
	if n.Status != status || (got == nil) != date.IsZero() || (got != nil && !got.Equal(date)) {
		t.Errorf("%s: number %s until %v, want %s until %v", step, n.Status, got, status, date)
	}
	if b := w.balance(t, w.p); b != balance {
		t.Errorf("%s: balance %d, want %d", step, b, balance)
	}
}

// notices counts the customer's notifications of a type.
func (w *rentalWorld) notices(t *testing.T, typ string) int {
	t.Helper()
	ns, err := w.st.Read().Notifications(ctx, w.p.CustomerID, store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	c := 0
	for _, n := range ns {
		if n.Type == typ && n.ObjectID == w.num {
			c++
		}
	}
	return c
}

// rentals returns the amounts of the customer's number_rental payments,
// oldest first, and checks each has an invoice of that total.
func (w *rentalWorld) rentals(t *testing.T) []int64 {
	t.Helper()
	pays, err := w.svc.Transactions(ctx, w.p, store.PaymentFilter{Purpose: string(market.PurposeNumberRental), Page: store.Page{Limit: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for i := len(pays) - 1; i >= 0; i-- {
		p := pays[i]
		v, doc, err := w.svc.Invoice(ctx, w.p, p.InvoiceID)
		if err != nil || v.Totals.Total != p.Amount || doc.Tax != rentalMonth-raceMonthly || p.Method != "balance" {
			t.Errorf("rental payment %s: invoice %+v, %v", p.ID, v, err)
		}
		out = append(out, p.Amount)
	}
	return out
}

// TestNumberRentalLifecycle drives one number through the clock: two months
// renewed from the balance, a third not covered (grace and its notice),
// release 7 days after the missed date, 90 days of quarantine, then for
// sale again. Every step is run twice: the second run changes nothing.
func TestNumberRentalLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newRentalWorld(t, st, 2)
		steps := []struct {
			name    string
			at      time.Time
			status  string
			date    time.Time
			balance int64
			rentals int
		}{
			{"just before the first month", at(2, 28).Add(-time.Second), market.NumberActive, at(2, 28), 1290, 0},
			{"first month (Feb 28)", at(2, 28), market.NumberActive, at(3, 31), 695, 1},
			{"second month (Mar 31, not Mar 28)", at(3, 31), market.NumberActive, at(4, 30), 100, 2},
			{"third month not covered: grace", at(4, 30), market.NumberGrace, at(4, 30), 100, 2},
			{"still in grace", at(5, 7).Add(-time.Second), market.NumberGrace, at(4, 30), 100, 2},
			{"released after 7 days", at(5, 7), market.NumberQuarantine, at(5, 7).Add(90 * 24 * time.Hour), 100, 2},
			{"still in quarantine", at(8, 5).Add(-time.Second), market.NumberQuarantine, at(8, 5), 100, 2},
			{"for sale again", at(8, 5), market.NumberAvailable, time.Time{}, 100, 2},
		}
		for _, s := range steps {
			for range 2 {
				w.runAt(t, s.at)
				w.check(t, s.name, s.status, s.date, s.balance)
			}
			// What the clock would stop at next: the monthly date, the end
			// of the grace, the end of the quarantine.
			want := s.date
			if s.status == market.NumberGrace {
				want = at(5, 7)
			}
			next, ok, err := st.Read().NextNumberEvent(ctx, w.svc.Now())
			if err != nil || ok != !want.IsZero() || !next.Equal(want) {
				t.Errorf("%s: next event %v, %v, %v; want %v", s.name, next, ok, err, want)
			}
			if got := w.rentals(t); len(got) != s.rentals {
				t.Errorf("%s: rental payments %v, want %d of %d", s.name, got, s.rentals, rentalMonth)
			}
		}
		for _, r := range w.rentals(t) {
			if r != rentalMonth {
				t.Errorf("rental charged %d, want %d", r, rentalMonth)
			}
		}
		if g, r := w.notices(t, "number_grace"), w.notices(t, "number_released"); g != 1 || r != 1 {
			t.Errorf("%d grace and %d release notices, want 1 and 1", g, r)
		}
		held, _ := w.svc.Numbers(ctx, w.p)
		if len(held) != 0 {
			t.Errorf("the customer still holds %d numbers", len(held))
		}
		paidMonths, _ := st.Read().NumberRentals(ctx, w.num)
		if len(paidMonths) != 3 { // the order's first month, then two
			t.Errorf("%d paid months recorded, want 3", len(paidMonths))
		}
		if cs, _ := st.Read().NumberCountries(ctx, ""); len(cs) != 1 || cs[0].Available != 1 {
			t.Errorf("countries = %+v, want DE with 1 free", cs)
		}
		w.checkLedger(t, w.p)
	})
}

// TestNumberGraceTopUp: the first renewal is not covered; a top-up during
// the grace pays the missed month, and the next date is a month after it.
func TestNumberGraceTopUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newRentalWorld(t, st, 0)
		w.runAt(t, at(2, 28))
		w.check(t, "grace", market.NumberGrace, at(2, 28), 100)
		w.runAt(t, at(3, 3))
		w.check(t, "grace, retried", market.NumberGrace, at(2, 28), 100)
		if _, err := w.svc.AdjustBalance(ctx, w.p.CustomerID, billing.AdjustmentInput{Amount: 1000, Reason: "top-up"}); err != nil {
			t.Fatal(err)
		}
		w.runAt(t, at(3, 4))
		w.check(t, "paid after the top-up", market.NumberActive, at(3, 31), 1100-rentalMonth)
		w.runAt(t, at(3, 20))
		w.check(t, "active", market.NumberActive, at(3, 31), 1100-rentalMonth)
		if got := w.rentals(t); len(got) != 1 || got[0] != rentalMonth {
			t.Errorf("rentals %v, want [%d]", got, rentalMonth)
		}
		if g, r := w.notices(t, "number_grace"), w.notices(t, "number_released"); g != 1 || r != 0 {
			t.Errorf("%d grace and %d release notices, want 1 and 0", g, r)
		}
		w.checkLedger(t, w.p)
	})
}

// TestNumberRentalCatchUp: one scan long after the dates does what the
// punctual scans did — the same months charged, the same release and
// quarantine dates — and two schedulers running it at once do it once.
func TestNumberRentalCatchUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newRentalWorld(t, st, 2)
		other := scheduler.New(w.svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
		w.clk.Advance(at(5, 20).Sub(w.svc.Now()))
		var wg sync.WaitGroup
		for _, s := range []*scheduler.Scheduler{w.sched, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.RunDue(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		w.check(t, "caught up", market.NumberQuarantine, at(5, 7).Add(90*24*time.Hour), 100)
		if got := w.rentals(t); len(got) != 2 {
			t.Errorf("rentals %v, want two of %d", got, rentalMonth)
		}
		if g, r := w.notices(t, "number_grace"), w.notices(t, "number_released"); g != 1 || r != 1 {
			t.Errorf("%d grace and %d release notices, want 1 and 1", g, r)
		}
		w.checkLedger(t, w.p)
	})
}

// TestNumberRentalAdvance: the sandbox clock moved half a year in one call
// stops at every date on the way, so each step happens when it is due.
func TestNumberRentalAdvance(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newRentalWorld(t, st, 2)
		if err := w.sched.Advance(ctx, w.clk, at(8, 6).Sub(w.svc.Now())); err != nil {
			t.Fatal(err)
		}
		w.check(t, "after the move", market.NumberAvailable, time.Time{}, 100)
		pays, err := w.svc.Transactions(ctx, w.p, store.PaymentFilter{Purpose: string(market.PurposeNumberRental), Page: store.Page{Limit: 10}})
		if err != nil || len(pays) != 2 || !pays[1].CreatedAt.Equal(at(2, 28)) || !pays[0].CreatedAt.Equal(at(3, 31)) {
			t.Errorf("rental payments %+v, %v; want on Feb 28 and Mar 31", pays, err)
		}
		ns, err := st.Read().Notifications(ctx, w.p.CustomerID, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		when := map[string]time.Time{}
		for _, n := range ns {
			when[n.Type] = n.CreatedAt
		}
		if !when["number_grace"].Equal(at(4, 30)) || !when["number_released"].Equal(at(5, 7)) {
			t.Errorf("grace notice at %v, release notice at %v; want Apr 30 and May 7", when["number_grace"], when["number_released"])
		}
	})
}

// TestNumberReleasedByCustomer: a number the customer gives back leaves it
// at once (nothing refunded, no more rentals), rests in quarantine for 90
// days, and is then for sale again — also to the customer who released it.
func TestNumberReleasedByCustomer(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newRentalWorld(t, st, 2)
		w.runAt(t, at(2, 10))
		if err := w.svc.ReleaseNumber(ctx, w.p, w.num); err != nil {
			t.Fatal(err)
		}
		released := at(2, 10)
		w.check(t, "released", market.NumberQuarantine, released.Add(billing.NumberQuarantine), 2*rentalMonth+100)
		if err := w.svc.ReleaseNumber(ctx, w.p, w.num); !market.IsCode(err, market.CodeNotFound) {
			t.Errorf("second release: %v, want not_found", err)
		}
		// Its monthly date passes: nothing is charged for a released number.
		w.runAt(t, at(2, 28))
		w.check(t, "its date passed", market.NumberQuarantine, released.Add(billing.NumberQuarantine), 2*rentalMonth+100)
		w.runAt(t, released.Add(billing.NumberQuarantine).Add(-time.Minute))
		w.check(t, "a minute before the end", market.NumberQuarantine, released.Add(billing.NumberQuarantine), 2*rentalMonth+100)
		w.runAt(t, released.Add(billing.NumberQuarantine))
		w.check(t, "for sale again", market.NumberAvailable, time.Time{}, 2*rentalMonth+100)
		if got := w.rentals(t); len(got) != 0 {
			t.Errorf("rentals %v, want none", got)
		}
		if r := w.notices(t, "number_released"); r != 0 {
			t.Errorf("%d number_released notices for a release the customer asked for, want 0", r)
		}
		w.checkLedger(t, w.p)
	})
}
