package scheduler_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/scheduler"
	"github.com/dialtone/dialtone/internal/store"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestBatchedRenewalsMixed: five customers whose balance covers the renewal
// and two whose balance does not — one with a saved card, one without —
// fall due at once; batches of two renew the five from their balances and
// leave the other two to the one-at-a-time path (the card pays; the other
// goes past due with its notice). The log has the run's summary and
// /metrics's counters say how each went.
func TestBatchedRenewalsMixed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w, _, auto := newWorld(t, st) // a rich customer
		for i := range 4 {
			if err := seedOne(w.svc, i); err != nil {
				t.Fatal(err)
			}
		}
		poor := func(email string, card bool) (billing.Principal, string) {
			c, u, err := w.svc.Signup(ctx, billing.SignupInput{Email: email, Password: "correct horse", Company: "Poor", Country: "CH", Currency: "CHF"})
			if err != nil {
				t.Fatal(err)
			}
			p := billing.Principal{CustomerID: c.ID, UserID: u.ID, Role: "owner"}
			a, err := w.svc.SaveAddress(ctx, p, "", billing.AddressInput{Name: "Poor", Line1: "Weg 2", City: "Bern", PostalCode: "3000", Country: "CH"})
			if err != nil {
				t.Fatal(err)
			}
			pm, err := w.svc.AddCard(ctx, p, billing.CardInput{Number: "5555555555554444", ExpMonth: 12, ExpYear: 2031, CVC: "123"})
			if err != nil {
				t.Fatal(err)
			}
			o, err := w.svc.PlaceOrder(ctx, p, billing.OrderInput{Items: []billing.ItemInput{{Type: "subscription", Plan: "ivr", Quantity: 1, TermMonths: 1, AutoRenew: true}},
				BillingAddress: a.ID, Payment: billing.PaymentInput{Method: "card", PaymentMethod: pm.ID}}, "test")
			if err != nil {
				t.Fatal(err)
			}
			if !card {
				if err := w.svc.DeleteCard(ctx, p, pm.ID); err != nil {
					t.Fatal(err)
				}
			}
			return p, o.Lines[0].SubscriptionID
		}
		withCard, cardSub := poor("card@poor.test", true)
		without, noneSub := poor("none@poor.test", false)

		var logs bytes.Buffer
		sched := scheduler.New(w.svc, slog.New(slog.NewTextHandler(&logs, nil)))
		sched.BatchSize = 2
		reg := prometheus.NewRegistry()
		if err := sched.RegisterMetrics(reg); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(31*24*time.Hour + time.Minute)
		if err := sched.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		var renewed int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM payments WHERE purpose = 'renewal' AND method = 'balance'`).Scan(&renewed); err != nil {
			t.Fatal(err)
		}
		if renewed != 5 {
			t.Errorf("%d renewals from the balance, want 5", renewed)
		}
		if s, _ := w.svc.Subscription(ctx, w.p, auto); s.Status != market.StatusActive || !s.ExpiresAt.After(w.svc.Now()) {
			t.Errorf("the rich customer's IVR: %s until %s", s.Status, s.ExpiresAt)
		}
		if pays, _ := w.svc.Transactions(ctx, withCard, store.PaymentFilter{Purpose: "renewal"}); len(pays) != 1 || pays[0].Method != "card" {
			t.Errorf("the card renewal: %+v", pays)
		}
		if s, _ := w.svc.Subscription(ctx, without, noneSub); s.Status != market.StatusPastDue {
			t.Errorf("without balance or card: %s, want past_due", s.Status)
		}
		if s, _ := w.svc.Subscription(ctx, withCard, cardSub); s.Status != market.StatusActive {
			t.Errorf("with a card: %s, want active", s.Status)
		}
		ns, _ := st.Read().Notifications(ctx, without.CustomerID, store.Page{Limit: 20})
		failed := 0
		for _, n := range ns {
			if n.Type == "renewal_failed" {
				failed++
			}
		}
		if failed != 1 {
			t.Errorf("%d renewal_failed notices, want 1", failed)
		}
		// Every invoice numbered once, gapless.
		var invoices, maxSeq int
		if err := st.DB().QueryRowContext(ctx, `SELECT COUNT(*), MAX(seq) FROM invoices`).Scan(&invoices, &maxSeq); err != nil {
			t.Fatal(err)
		}
		if invoices != maxSeq {
			t.Errorf("%d invoices, highest number %d: not gapless", invoices, maxSeq)
		}
		if !strings.Contains(logs.String(), "scheduler: renewals run done") || !strings.Contains(logs.String(), "batched=5") {
			t.Errorf("no summary in the log:\n%s", logs.String())
		}
		got := metrics(t, reg)
		for _, want := range []string{`dialtone_renewals_total{result="batched"} 5`, `dialtone_renewals_total{result="one_at_a_time"} 2`,
			`dialtone_renewals_due 0`} {
			if !strings.Contains(got, want) {
				t.Errorf("metrics lack %s:\n%s", want, got)
			}
		}
	})
}

// metrics renders a registry's metrics as "name{labels} value" lines.
func metrics(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			v := m.GetGauge().GetValue()
			if m.GetCounter() != nil {
				v = m.GetCounter().GetValue()
			}
			name := f.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			fmt.Fprintf(&b, "%s %g\n", name, v)
		}
	}
	return b.String()
}

// TestBatchedSameAsOneAtATime: three months of a customer with a manual and
// an automatically renewed subscription and a licensed Hosted PBX give the
// same balance, statuses, notices (their words too), payments and invoices
// whether the renewals run in batches or one at a time (in due order: when
// two fall due together and the balance covers one, the first renews).
func TestBatchedSameAsOneAtATime(t *testing.T) {
	t.Parallel()
	for _, kind := range storetest.Kinds(t) {
		t.Run(kind, func(t *testing.T) {
			run := func(batch int) string {
				w, manual, auto := newWorld(t, storetest.Open(t, kind))
				pbx := w.buy(t, billing.ItemInput{Type: "subscription", Plan: "hosted-pbx", Quantity: 3, TermMonths: 1, AutoRenew: true})
				// One worker: the one-at-a-time path's eight race for the
				// balance when two renewals of a customer fall due together.
				w.sched.BatchSize, w.sched.Workers, w.sched.BatchWorkers = batch, 1, 1
				if err := w.sched.Advance(ctx, w.clk, 92*24*time.Hour); err != nil {
					t.Fatal(err)
				}
				out := w.outcome(t, manual, auto, pbx)
				ns, _ := w.st.Read().Notifications(ctx, w.p.CustomerID, store.Page{Limit: 1000})
				var words []string
				for _, n := range ns {
					words = append(words, n.Type+": "+n.Subject+" / "+n.Body)
				}
				sort.Strings(words)
				vs, _ := w.svc.Invoices(ctx, w.p, store.Page{Limit: 1000})
				for _, v := range vs {
					_, doc, _ := w.svc.Invoice(ctx, w.p, v.ID)
					doc.PaymentNote = "" // names the payment's ID
					words = append(words, fmt.Sprintf("invoice %s %d %s", v.Number, v.Totals.Total, doc.Summary()))
				}
				sort.Strings(words)
				// IDs differ from run to run.
				return regexp.MustCompile(`\b(ord|pay|inv|sub)_[0-9a-z]+`).ReplaceAllString(out+strings.Join(words, "\n"), "$1_…")
			}
			batched, single := run(0), run(-1)
			if batched != single {
				b, o := strings.Split(batched, "\n"), strings.Split(single, "\n")
				for i := range min(len(b), len(o)) {
					if b[i] != o[i] {
						t.Errorf("line %d differs:\nbatched:       %s\none at a time: %s", i, b[i], o[i])
						break
					}
				}
				t.Errorf("batched (%d lines) and one at a time (%d lines) differ", len(b), len(o))
			}
			if !strings.Contains(batched, "(3 licenses) was renewed automatically") {
				t.Errorf("no renewal notice naming the licenses:\n%s", batched)
			}
		})
	}
}
