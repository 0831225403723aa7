package admin

import (
	"net/http"
	"slices"
	"time"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/money"
)

// The dashboard: MRR, revenue per month by purpose, subscriptions per
// month, the renewals of the next 30 days, the customers' balances and
// the numbers per country. Each chart is drawn (static/admin-charts.js,
// uPlot) from the table under it, which is the figure for screen readers
// and without JavaScript.

// seriesTable is a table of months (or other rows) by series: the data of
// one chart.
type seriesTable struct {
	Caption string
	ID      string
	Head    string // the first column's heading
	Series  []string
	Rows    []seriesRow
	// Currency formats the values as money; "" as counts.
	Currency string
}

type seriesRow struct {
	Label  string
	Values []int64
}

// Cell formats a value of the table.
func (t seriesTable) Cell(v int64) string {
	if t.Currency == "" {
		return itoa64(v)
	}
	return money.Format(money.New(v, t.Currency))
}

// Plain is a value as the chart reads it (major units for money).
func (t seriesTable) Plain(v int64) string {
	if t.Currency == "" {
		return itoa64(v)
	}
	return money.FormatPlain(money.New(v, t.Currency))
}

type renewalSum struct {
	Currency string
	PaidBy   string
	Count    int
	Amount   int64
}

type dashboardData struct {
	D         billing.Dashboard
	Revenue   []seriesTable
	Subs      seriesTable
	Numbers   seriesTable
	RenewSums []renewalSum
	// Shown are the soonest renewals, listed one by one.
	Shown []billing.DueRenewal
	// Counted is how many renewals the sums cover at most.
	Counted int
	Role    string
}

func itoa64(v int64) string {
	neg := v < 0
	if neg {
		v = -v
	}
	b := []byte{}
	for {
		b = append([]byte{byte('0' + v%10)}, b...)
		v /= 10
		if v == 0 {
			break
		}
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

func monthLabel(t time.Time) string { return t.Format("Jan 2006") }

func (a *Admin) dashboard(w http.ResponseWriter, r *http.Request, act billing.Actor) {
	d, err := a.svc.Dashboard(r.Context())
	if err != nil {
		a.pageError(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "home", view{Title: "Dashboard", Area: areaDashboard, Data: buildDashboard(d, roleWords(act.Role))})
}

func buildDashboard(d billing.Dashboard, role string) dashboardData {
	out := dashboardData{D: d, Role: role, Counted: billing.DueRenewalsCounted}
	out.Shown = d.Renewals[:min(len(d.Renewals), billing.DueRenewalsShown)]
	// Revenue: a table per currency, months by transaction kind.
	byCur := map[string]map[string][]int64{}
	var curs []string
	kinds := map[string][]string{}
	for _, r := range d.Revenue {
		if byCur[r.Currency] == nil {
			byCur[r.Currency] = map[string][]int64{}
			curs = append(curs, r.Currency)
		}
		if byCur[r.Currency][r.Kind] == nil {
			byCur[r.Currency][r.Kind] = make([]int64, len(d.Months))
			kinds[r.Currency] = append(kinds[r.Currency], r.Kind)
		}
		if r.Month >= 0 && r.Month < len(d.Months) {
			byCur[r.Currency][r.Kind][r.Month] += r.Amount
		}
	}
	slices.Sort(curs)
	for _, c := range curs {
		ks := kinds[c]
		slices.Sort(ks)
		t := seriesTable{Caption: "Revenue per month in " + c + " by purpose, net of tax", ID: "revenue-" + c, Head: "Month",
			Series: append(slices.Clone(labels(ks)), "Total"), Currency: c}
		for i, m := range d.Months {
			row := seriesRow{Label: monthLabel(m)}
			var sum int64
			for _, k := range ks {
				row.Values = append(row.Values, byCur[c][k][i])
				sum += byCur[c][k][i]
			}
			row.Values = append(row.Values, sum)
			t.Rows = append(t.Rows, row)
		}
		out.Revenue = append(out.Revenue, t)
	}
	out.Subs = seriesTable{Caption: "Subscriptions per month", ID: "subscriptions", Head: "Month",
		Series: []string{"New", "Renewed", "Expired", "Canceled"}}
	for i, m := range d.Months {
		s := d.Subscriptions[i]
		out.Subs.Rows = append(out.Subs.Rows, seriesRow{Label: monthLabel(m),
			Values: []int64{int64(s.New), int64(s.Renewed), int64(s.Expired), int64(s.Canceled)}})
	}
	// Numbers per country: sold (active or in grace), available,
	// quarantined, reserved, retired.
	cols := []string{"sold", "available", "quarantine", "reserved", "retired"}
	out.Numbers = seriesTable{Caption: "Numbers per country", ID: "numbers", Head: "Country",
		Series: []string{"Sold", "Available", "Quarantined", "Reserved", "Retired"}}
	idx := map[string]int{}
	for _, c := range d.Numbers {
		i, ok := idx[c.Country]
		if !ok {
			i = len(out.Numbers.Rows)
			idx[c.Country] = i
			out.Numbers.Rows = append(out.Numbers.Rows, seriesRow{Label: c.Country, Values: make([]int64, len(cols))})
		}
		st := c.Status
		if st == "active" || st == "grace" {
			st = "sold"
		}
		if j := slices.Index(cols, st); j >= 0 {
			out.Numbers.Rows[i].Values[j] += c.Count
		}
	}
	for _, r := range d.RenewalSums {
		out.RenewSums = append(out.RenewSums, renewalSum{Currency: r.Currency, PaidBy: r.PaidBy, Count: r.Count, Amount: r.Amount})
	}
	slices.SortFunc(out.RenewSums, func(x, y renewalSum) int {
		if x.Currency != y.Currency {
			return map[bool]int{true: -1, false: 1}[x.Currency < y.Currency]
		}
		return map[bool]int{true: -1, false: 1}[x.PaidBy < y.PaidBy]
	})
	return out
}

func labels(ks []string) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = label(k)
	}
	return out
}
