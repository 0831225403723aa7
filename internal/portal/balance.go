package portal

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

// The balance on Home (how long it covers the renewals, a low balance at
// the top) and its settings on Account settings (the low-balance
// threshold and the automatic top-up).

// balanceView is what Home and Account settings show of the balance.
type balanceView struct {
	Currency    string
	Balance     int64
	CoversUntil *time.Time
	// Covers says it in words: "covers renewals until 14 Mar 2027".
	Covers    string
	Threshold *int64
	// Low: the balance is below the threshold (ThresholdAmount).
	Low             bool
	ThresholdAmount int64
	Auto            *billing.AutoTopUpInput
	Cards           []market.PaymentMethod
	// Form holds what was typed on a failed save, and its errors.
	Form *form
	// Manage: the login may change the settings (owner, admin); Bill:
	// it may top up (also a billing login).
	Manage, Bill bool
}

func (s *Handler) balanceView(r *http.Request, p billing.Principal, c market.Customer, f *form) balanceView {
	return s.balanceViewOf(r, p, c, f, nil)
}

// balanceViewOf is balanceView forecast from the holdings a page read
// already (held, when not nil).
func (s *Handler) balanceViewOf(r *http.Request, p billing.Principal, c market.Customer, f *form, held *billing.Held) balanceView {
	ctx := r.Context()
	v := balanceView{Currency: c.Currency, Balance: c.Balance, Form: f, Manage: p.IsAdmin(), Bill: p.MayBill()}
	var bv billing.BalanceView
	var err error
	if held != nil {
		bv, err = s.svc.BalanceOfHeld(ctx, c, *held)
	} else {
		bv, err = s.svc.Balance(ctx, c)
	}
	if err != nil {
		s.log.Error("portal: balance", "customer", c.ID, "err", err)
		return v
	}
	v.CoversUntil, v.Threshold = bv.CoversUntil, bv.Settings.LowThreshold
	v.Covers = coverWords(v.CoversUntil, s.svc.Now())
	if v.Threshold != nil {
		v.ThresholdAmount, v.Low = *v.Threshold, c.Balance < *v.Threshold
	}
	if b := bv.Settings; b.AutoAmount != nil && b.AutoBelow != nil {
		v.Auto = &billing.AutoTopUpInput{Amount: *b.AutoAmount, Below: *b.AutoBelow, PaymentMethod: b.AutoPM}
	}
	v.Cards, _ = s.svc.Cards(ctx, p)
	if f == nil || len(f.Values) == 0 || f.Values.Get("form") != "balance" {
		v.Form = newForm(nil)
		if v.Threshold != nil {
			v.Form.Values.Set("low_balance_threshold", money.FormatPlain(money.New(*v.Threshold, c.Currency)))
		}
		if a := v.Auto; a != nil {
			v.Form.Values.Set("auto_top_up", "on")
			v.Form.Values.Set("auto_amount", money.FormatPlain(money.New(a.Amount, c.Currency)))
			v.Form.Values.Set("auto_below", money.FormatPlain(money.New(a.Below, c.Currency)))
			v.Form.Values.Set("auto_card", a.PaymentMethod)
		}
	}
	return v
}

// balanceFields maps SetBalanceSettings' params onto the form.
var balanceFields = map[string]string{"low_balance_threshold": "low_balance_threshold", "auto_top_up.amount": "auto_amount",
	"auto_top_up.below": "auto_below", "auto_top_up.payment_method": "auto_card"}

// BalanceSettingsPost saves the low-balance threshold and the automatic
// top-up from Account settings.
func (s *Handler) BalanceSettingsPost(w http.ResponseWriter, r *http.Request, p billing.Principal) {
	ctx := r.Context()
	f := newForm(r.PostForm)
	f.Values.Set("form", "balance")
	c, err := s.svc.Customer(ctx, p.CustomerID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	amount := func(field string, required bool) *int64 {
		in := strings.TrimSpace(f.Get(field))
		if in == "" {
			if required {
				f.Errors[field] = "Enter an amount in " + c.Currency + ", such as 50.00."
			}
			return nil
		}
		a, msg := parseAmount(in, c.Currency)
		if msg != "" {
			f.Errors[field] = msg
			return nil
		}
		return &a.Minor
	}
	var in billing.BalanceSettingsInput
	if t := amount("low_balance_threshold", false); t != nil {
		in.LowThreshold = t
	} else if f.Errors["low_balance_threshold"] == "" {
		in.ClearThreshold = true
	}
	if f.Get("auto_top_up") == "on" {
		amt, below := amount("auto_amount", true), amount("auto_below", true)
		if amt != nil && below != nil {
			in.AutoTopUp = &billing.AutoTopUpInput{Amount: *amt, Below: *below, PaymentMethod: f.Get("auto_card")}
		}
	} else {
		in.ClearAutoTopUp = true
	}
	if len(f.Errors) == 0 {
		if _, err := s.svc.SetBalanceSettings(ctx, p, in); err != nil {
			s.fail(r, f, err, balanceFields)
			if f.Error != "" {
				f.Errors["balance"], f.Error = f.Error, ""
			}
		}
	}
	if len(f.Errors) > 0 {
		s.showSettings(w, r, p, f, http.StatusBadRequest)
		return
	}
	s.redirect(w, r, "/settings#balance", "Your balance settings were saved.")
}

// coverWords says until when the balance covers the renewals ("" when
// nothing renews from it).
func coverWords(until *time.Time, now time.Time) string {
	switch {
	case until == nil:
		return ""
	case !until.Before(market.AddMonths(now, billing.CoversHorizon)):
		return "covers renewals for the next " + strconv.Itoa(billing.CoversHorizon/12) + " years and more"
	case !until.After(now):
		return "does not cover the next renewal"
	}
	return "covers renewals until " + until.UTC().Format("2 Jan 2006")
}
