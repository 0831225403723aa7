package market

import "time"

// Status is a subscription's state.
type Status string

// Subscription statuses (PRODUCT.md "Subscriptions").
const (
	StatusTrialing Status = "trialing"
	StatusActive   Status = "active"
	StatusPastDue  Status = "past_due"
	StatusExpired  Status = "expired"
	StatusCanceled Status = "canceled"
)

// Period is one paid (or trial) stretch of a subscription.
type Period struct {
	Seq        int
	Start      time.Time
	End        time.Time
	Plan       string
	Quantity   int
	UnitAmount int64 // list price per license for the whole term, as paid
	TermMonths int
	Trial      bool
	OrderID    string
}

// Subscription is a customer's holding of a plan over a series of periods.
type Subscription struct {
	ID          string
	CustomerID  string
	Product     string
	Plan        string
	TermMonths  int
	Status      Status
	AutoRenew   bool
	Currency    string
	StartedAt   time.Time
	ExpiresAt   time.Time
	TrialEndsAt *time.Time
	Periods     []Period
	Users       int
	// RenewAttempts counts failed automatic renewals of the current dunning run.
	RenewAttempts int
	NextAttemptAt *time.Time

	// CancelAtPeriodEnd is set when the customer canceled: the
	// subscription stays in force until ExpiresAt, does not renew, and is
	// then canceled (it stays set after that).
	CancelAtPeriodEnd bool
}

// Current returns the period in force at now: the one containing now, else
// the last one. ok is false when there are no periods.
func (s Subscription) Current(now time.Time) (Period, bool) {
	if len(s.Periods) == 0 {
		return Period{}, false
	}
	for _, p := range s.Periods {
		if !now.Before(p.Start) && now.Before(p.End) {
			return p, true
		}
	}
	return s.Periods[len(s.Periods)-1], true
}

// Quantity returns the licenses in force at now.
func (s Subscription) Quantity(now time.Time) int {
	p, _ := s.Current(now)
	return p.Quantity
}

// NotOver returns the indexes of the periods that end after now.
func (s Subscription) NotOver(now time.Time) []int {
	var idx []int
	for i, p := range s.Periods {
		if p.End.After(now) {
			idx = append(idx, i)
		}
	}
	return idx
}

// InTrial reports whether now falls in a trial period.
func (s Subscription) InTrial(now time.Time) bool {
	return s.TrialEndsAt != nil && now.Before(*s.TrialEndsAt)
}

// StatusAt returns the status the subscription has at now given its periods:
// canceled stays canceled; past_due stays past_due while dunning runs;
// otherwise trialing, active or expired.
func (s Subscription) StatusAt(now time.Time) Status {
	switch {
	case s.Status == StatusCanceled:
		return StatusCanceled
	case now.Before(s.ExpiresAt):
		if s.InTrial(now) {
			return StatusTrialing
		}
		return StatusActive
	case s.Status == StatusPastDue:
		return StatusPastDue
	default:
		return StatusExpired
	}
}

// RenewalStart returns when a renewal bought at now begins: at expires_at, or
// now if the subscription has already expired.
func (s Subscription) RenewalStart(now time.Time) time.Time {
	if s.ExpiresAt.After(now) {
		return s.ExpiresAt
	}
	return now
}
