package billing_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// Numbers of the race: setup 10.00 + first month 5.00, + 19 % DE tax.
const (
	raceSetup   = 1000
	raceMonthly = 500
	raceTotal   = 1785 // (1000 + 500) x 1.19
	raceBalance = 10_000
)

// mustImport adds numbers of one area to the inventory, priced in EUR.
func (e *env) mustImport(t testing.TB, area string, numbers ...string) {
	t.Helper()
	rows := make([]inventory.Row, len(numbers))
	for i, n := range numbers {
		rows[i] = inventory.Row{Number: n, Country: "DE", Area: area, Type: inventory.TypeLocal,
			SetupAmount: raceSetup, MonthlyAmount: raceMonthly, Currency: "EUR"}
	}
	added, dup, err := e.svc.ImportNumbers(ctx, rows)
	if err != nil || added != len(rows) || len(dup) != 0 {
		t.Fatalf("import: added %d, duplicates %v, err %v", added, dup, err)
	}
}

// buyer is a DE customer with a billing address and some credit.
type buyer struct {
	p    billing.Principal
	addr string
}

// mustBuyers signs up n customers, eight at a time.
func (e *env) mustBuyers(t *testing.T, n int, balance int64) []buyer {
	t.Helper()
	out := make([]buyer, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				// Not the must helpers: t.Fatal belongs to the test's goroutine.
				c, u, err := e.svc.Signup(ctx, billing.SignupInput{Email: fmt.Sprintf("buyer%03d@acme.test", i), Password: "correct horse",
					Company: "Buyer", Country: "DE", Currency: "EUR"})
				if err != nil {
					t.Errorf("signup: %v", err)
					continue
				}
				p := billing.Principal{CustomerID: c.ID, UserID: u.ID, Role: u.Role}
				a, err := e.svc.SaveAddress(ctx, p, "", billing.AddressInput{Name: "Buyer", Line1: "Main Street 1", City: "Berlin",
					PostalCode: "10115", Country: "DE"})
				if err == nil {
					_, err = e.svc.AdjustBalance(ctx, p.CustomerID, billing.AdjustmentInput{Amount: balance, Reason: "race credit"})
				}
				if err != nil {
					t.Errorf("buyer %d: %v", i, err)
				}
				out[i] = buyer{p: p, addr: a.ID}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return out
}

// race places one order per buyer at once and returns each one's error.
func (e *env) race(buyers []buyer, it billing.ItemInput) []error {
	errs := make([]error, len(buyers))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, b := range buyers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = e.order(b.p, b.addr, it)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// TestNumberRace: 50 customers order the same number at once, then 500
// order "any number in Berlin" where 100 are free. Each number is sold
// once; every loser gets number_unavailable and pays nothing.
func TestNumberRace(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		const wanted = "+498920000000"
		e.mustImport(t, "Munich", wanted)
		var berlin []string
		for i := range 100 {
			berlin = append(berlin, fmt.Sprintf("+4930%08d", 20_000_000+i))
		}
		e.mustImport(t, "Berlin", berlin...)
		buyers := e.mustBuyers(t, 500, raceBalance)
		paid := map[string]int64{} // customer -> what it paid

		t.Run("OneNumber", func(t *testing.T) {
			errs := e.race(buyers[:50], billing.ItemInput{Type: "phone_number", Number: wanted})
			winners := tally(t, buyers[:50], errs, paid)
			if len(winners) != 1 {
				t.Fatalf("%d winners, want 1", len(winners))
			}
			n, err := st.Read().NumberByE164(ctx, wanted)
			if err != nil || n.Status != market.NumberActive || n.CustomerID != winners[0] {
				t.Errorf("number = %+v, %v; want active, held by %s", n, err, winners[0])
			}
		})

		t.Run("AnyInArea", func(t *testing.T) {
			errs := e.race(buyers, billing.ItemInput{Type: "phone_number", Country: "DE", Area: "Berlin"})
			winners := tally(t, buyers, errs, paid)
			if len(winners) != 100 {
				t.Errorf("%d winners, want 100", len(winners))
			}
			holders := map[string]string{}
			for _, num := range berlin {
				n, err := st.Read().NumberByE164(ctx, num)
				if err != nil {
					t.Fatal(err)
				}
				if n.Status != market.NumberActive || n.CustomerID == "" {
					t.Errorf("%s is %s, want sold", num, n.Status)
				}
				if other, ok := holders[n.CustomerID]; ok {
					t.Errorf("%s holds %s and %s", n.CustomerID, other, num)
				}
				holders[n.CustomerID] = num
			}
			areas, err := st.Read().NumberAreas(ctx, "DE", "", "")
			if err != nil || len(areas) != 0 {
				t.Errorf("areas with free numbers: %v, %v; want none", areas, err)
			}
		})

		// Every balance moved by exactly what its orders cost, and the ledger
		// balances.
		var ps []billing.Principal
		for _, b := range buyers {
			ps = append(ps, b.p)
			if got, want := e.balance(t, b.p), raceBalance-paid[b.p.CustomerID]; got != want {
				t.Errorf("%s: balance %d, want %d", b.p.CustomerID, got, want)
			}
		}
		e.checkLedger(t, ps...)
	})
}

// tally checks that every order either won or failed with
// number_unavailable, adds the winners' charges to paid, and returns the
// winners' customer IDs.
func tally(t *testing.T, buyers []buyer, errs []error, paid map[string]int64) []string {
	t.Helper()
	var winners []string
	for i, err := range errs {
		switch code(err) {
		case "":
			winners = append(winners, buyers[i].p.CustomerID)
			paid[buyers[i].p.CustomerID] += raceTotal
		case market.CodeNumberUnavailable:
		default:
			t.Errorf("buyer %d: %v, want success or number_unavailable", i, err)
		}
	}
	return winners
}

// TestImportNumbersSkipsDuplicates: numbers already in the inventory are
// reported and skipped, and the rest of the import goes in (on PostgreSQL
// too, where a failed insert would abort the transaction).
func TestImportNumbersSkipsDuplicates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.mustImport(t, "Berlin", "+493020000000")
		row := func(n string) inventory.Row {
			return inventory.Row{Number: n, Country: "DE", Area: "Berlin", Type: inventory.TypeLocal, MonthlyAmount: 100, Currency: "EUR"}
		}
		added, dup, err := e.svc.ImportNumbers(ctx, []inventory.Row{row("+493020000001"), row("+493020000000"), row("+493020000002")})
		if err != nil || added != 2 || len(dup) != 1 || dup[0].Number != "+493020000000" {
			t.Errorf("import = %d added, duplicates %v, %v; want 2, [+493020000000]", added, dup, err)
		}
		if areas, _ := st.Read().NumberAreas(ctx, "DE", "", ""); len(areas) != 1 || areas[0].Available != 3 {
			t.Errorf("areas = %+v, want Berlin with 3", areas)
		}
	})
}
