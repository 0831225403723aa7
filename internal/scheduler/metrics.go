package scheduler

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// workMetrics are one batched workload's: items by result, and the items
// still due in the current run.
type workMetrics struct {
	total *prometheus.CounterVec
	due   prometheus.Gauge
}

// runMetrics are the scheduler's metrics, by workload.
type runMetrics struct {
	once  sync.Once
	works map[string]workMetrics
}

func (m *runMetrics) init() {
	m.once.Do(func() {
		m.works = map[string]workMetrics{}
		for _, w := range []struct{ name, what string }{{"renewals", "automatic subscription renewals"}, {"rentals", "monthly phone-number rentals"}} {
			m.works[w.name] = workMetrics{
				total: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dialtone_" + w.name + "_total",
					Help: "Due " + w.what + " the scheduler handled, by result: batched (paid in a batch), " +
						"one_at_a_time (left by the batch: a card, a failure, a grace), error (will be retried)."}, []string{"result"}),
				due: prometheus.NewGauge(prometheus.GaugeOpts{Name: "dialtone_" + w.name + "_due",
					Help: "Due " + w.what + " not yet handled by the scheduler's current run (0 between runs)."}),
			}
		}
	})
}

func (m *runMetrics) of(name string) workMetrics { m.init(); return m.works[name] }

// RegisterMetrics registers the scheduler's metrics (dialtone_renewals_total,
// dialtone_renewals_due, dialtone_rentals_total, dialtone_rentals_due) with
// reg, for /metrics.
func (s *Scheduler) RegisterMetrics(reg prometheus.Registerer) error {
	s.m.init()
	for _, w := range s.m.works {
		if err := reg.Register(w.total); err != nil {
			return err
		}
		if err := reg.Register(w.due); err != nil {
			return err
		}
	}
	return nil
}
