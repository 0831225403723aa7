package billing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/inventory"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// phoneNumber prices a phone-number item: setup plus the first month.
func (pr *pricing) phoneNumber(ctx context.Context, it ItemInput) (market.Line, error) {
	var n market.Number
	if it.Number != "" {
		e164, ok := inventory.E164(it.Number)
		if !ok {
			return market.Line{}, market.Invalid("number", "%q is not a phone number in E.164 form (+4930…)", it.Number)
		}
		var err error
		n, err = pr.q.NumberByE164(ctx, e164)
		if market.IsCode(err, market.CodeNotFound) || (err == nil && n.Status != market.NumberAvailable) {
			return market.Line{}, &market.Error{Code: market.CodeNumberUnavailable, Param: "number", Message: "number " + e164 + " is not available"}
		}
		if err != nil {
			return market.Line{}, err
		}
	} else {
		// Inside an order's transaction on PostgreSQL the pick locks the
		// number and skips those other orders hold, so that racing orders
		// for "any number in the area" take different numbers.
		found, err := pr.q.PickAvailableNumbers(ctx, store.NumberSearch{Country: strings.ToUpper(it.Country), State: strings.ToUpper(it.State),
			Area: it.Area, Currency: pr.cust.Currency, Limit: 1 + pr.numbersTaken()})
		if err != nil {
			return market.Line{}, err
		}
		for _, f := range found {
			if !pr.numberTaken(f.ID) {
				n = f
				break
			}
		}
		if n.ID == "" {
			return market.Line{}, &market.Error{Code: market.CodeNumberUnavailable, Param: "area",
				Message: fmt.Sprintf("no free number in %s, %s", it.Area, it.Country)}
		}
	}
	if pr.numberTaken(n.ID) {
		return market.Line{}, &market.Error{Code: market.CodeNumberUnavailable, Param: "number", Message: "number " + n.Number + " is already in this order"}
	}
	if n.Currency != pr.cust.Currency {
		// The price list's price in the account's currency, if it has one.
		setup, monthly, ok, err := pr.q.NumberPriceFor(ctx, n, pr.cust.Currency)
		if err != nil {
			return market.Line{}, err
		}
		if !ok {
			return market.Line{}, market.Errorf(market.CodeCurrencyMismatch, "number %s is priced in %s, your account is in %s", n.Number, n.Currency, pr.cust.Currency)
		}
		n.SetupAmount, n.MonthlyAmount, n.Currency = setup, monthly, pr.cust.Currency
	}
	// The quote token covers the price, and for a given number the number:
	// "any in the area" may be another number of the area at checkout.
	key := n.ID
	if it.Number == "" {
		key = it.Country + "/" + it.State + "/" + it.Area
	}
	pr.fp = append(pr.fp, fmt.Sprintf("num/%s=%d+%d", key, n.SetupAmount, n.MonthlyAmount))
	amount := n.SetupAmount + n.MonthlyAmount
	return market.Line{Type: market.ItemPhoneNumber, Quantity: 1, UnitAmount: amount, Amount: amount, NumberID: n.ID,
		PhoneNumber: n.Number, Start: pr.now, End: market.AddMonths(pr.now, 1),
		Description: fmt.Sprintf("Phone number %s (%s): setup and first month", n.Number, n.Area)}, nil
}

func (pr *pricing) numbersTaken() int {
	c := 0
	for _, l := range pr.lines {
		if l.Type == market.ItemPhoneNumber {
			c++
		}
	}
	return c
}

func (pr *pricing) numberTaken(id string) bool {
	for _, l := range pr.lines {
		if l.Type == market.ItemPhoneNumber && l.NumberID == id {
			return true
		}
	}
	return false
}

// claimNumber sells the line's number to the customer, assigned to the
// customer's SIP trunk. Error: number_unavailable when another order won it.
func (s *Service) claimNumber(ctx context.Context, q *store.Q, pr *pricing, l *market.Line) error {
	sip := ""
	if accts, err := q.SIPAccounts(ctx, pr.cust.ID); err == nil {
		for _, a := range accts {
			if a.Kind == "trunk" {
				sip = a.ID
				break
			}
		}
	}
	if err := q.ClaimNumber(ctx, l.NumberID, pr.cust.ID, sip, pr.now, l.End); err != nil {
		return err
	}
	return q.InsertNumberRental(ctx, l.NumberID, pr.cust.ID, pr.now)
}

// NumberQuarantine is how long a released number rests before it is sold
// again.
const NumberQuarantine = 90 * 24 * time.Hour

// AssignNumber routes a held number to one of the customer's SIP accounts.
// Errors: not_found (the number, or a SIP account that is not the
// customer's: another customer's is as unknown as one that never was).
func (s *Service) AssignNumber(ctx context.Context, p Principal, numberID, sipID string) (market.Number, error) {
	if err := p.mayManage(); err != nil {
		return market.Number{}, err
	}
	err := s.store.Tx(ctx, func(q *store.Q) error {
		if _, err := q.LockNumber(ctx, p.CustomerID, numberID); err != nil {
			return err
		}
		if sipID != "" {
			if _, err := q.SIPAccount(ctx, p.CustomerID, sipID); market.IsCode(err, market.CodeNotFound) {
				return &market.Error{Code: market.CodeNotFound, Param: "sip_account", Message: "There is no such SIP account in your account."}
			} else if err != nil {
				return err
			}
		}
		return q.SetNumberSIPAccount(ctx, p.CustomerID, numberID, sipID)
	})
	if err != nil {
		return market.Number{}, err
	}
	return s.store.Read().CustomerNumber(ctx, p.CustomerID, numberID)
}

// ReleaseNumber gives a number back: it leaves the customer at once and
// rests in quarantine for 90 days. Nothing is refunded. Error: not_found.
func (s *Service) ReleaseNumber(ctx context.Context, p Principal, numberID string) error {
	if err := p.mayManage(); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(q *store.Q) error {
		n, err := q.LockNumber(ctx, p.CustomerID, numberID)
		if err != nil {
			return err
		}
		rel := quarantined(n, s.now())
		if err := q.UpdateNumberLifecycle(ctx, rel); err != nil {
			return err
		}
		return s.emitNumberReleased(ctx, q, n, rel)
	})
}

// quarantined returns n released into quarantine at now.
func quarantined(n market.Number, now time.Time) market.Number {
	until := now.Add(NumberQuarantine)
	n.Status, n.CustomerID, n.SIPAccountID = market.NumberQuarantine, "", ""
	n.RenewsAt, n.GraceUntil, n.QuarantineUntil = nil, nil, &until
	return n
}

// ImportRow names a row of an import that was not added.
type ImportRow struct {
	Number string
	Line   int // the row's line in the imported file (inventory.Row.Line)
}

// ImportNumbers adds validated rows to the inventory, skipping numbers it
// already holds; it returns how many were added and the duplicates. Rows go
// in multi-row statements, a few thousand per transaction.
func (s *Service) ImportNumbers(ctx context.Context, rows []inventory.Row) (int, []ImportRow, error) {
	var dup []ImportRow
	added := 0
	now := s.now()
	const batch = 5000
	for start := 0; start < len(rows); start += batch {
		chunk := rows[start:min(start+batch, len(rows))]
		ns := make([]market.Number, len(chunk))
		for i, r := range chunk {
			ns[i] = market.Number{ID: s.ids.New("num"), Number: r.Number, Country: r.Country, State: r.State, Area: r.Area,
				Type: r.Type, SetupAmount: r.SetupAmount, MonthlyAmount: r.MonthlyAmount, Currency: r.Currency, CreatedAt: now}
		}
		var got []string
		err := s.store.Tx(ctx, func(q *store.Q) error {
			var err error
			if got, err = q.InsertNumbers(ctx, ns); err != nil || len(got) == 0 {
				return err
			}
			// One entry per batch: the numbers added (not every row).
			return s.audit(ctx, q, "number.import", "number", got[0], nil, map[string]any{"added": len(got), "numbers": got})
		})
		if err != nil {
			return added, dup, err
		}
		added += len(got)
		fresh := make(map[string]bool, len(got))
		for _, n := range got {
			fresh[n] = true
		}
		for _, r := range chunk {
			if !fresh[r.Number] {
				dup = append(dup, ImportRow{Number: r.Number, Line: r.Line})
			}
			delete(fresh, r.Number) // a second row of the same number is a duplicate
		}
	}
	return added, dup, nil
}

// Numbers lists the numbers the customer holds.
func (s *Service) Numbers(ctx context.Context, p Principal) ([]market.Number, error) {
	return s.store.Read().CustomerNumbers(ctx, p.CustomerID)
}
