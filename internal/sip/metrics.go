package sip

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/store"
)

// metrics count what the registrar answers. Registered on Config.Metrics:
//
//	dialtone_sip_requests_total{method,code}    every answer
//	dialtone_sip_register_failures_total{reason} REGISTERs refused, by why
//	dialtone_sip_bindings_active                 live bindings in the database (all processes)
type metrics struct {
	requests *prometheus.CounterVec
	failures *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, st *store.Store, now func() time.Time) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dialtone_sip_requests_total",
			Help: "SIP requests answered by the registrar, by method and status code."}, []string{"method", "code"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dialtone_sip_register_failures_total",
			Help: "REGISTERs refused, by reason (wrong_credentials covers unknown usernames too)."}, []string{"reason"}),
	}
	if reg == nil {
		return m
	}
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "dialtone_sip_bindings_active",
		Help: "Live SIP bindings (registered contacts) in the database, of every process sharing it."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := st.Read().CountSIPBindings(ctx, now())
		if err != nil {
			return -1
		}
		return float64(n)
	})
	m.requests = registerVec(reg, m.requests)
	m.failures = registerVec(reg, m.failures)
	_ = reg.Register(active) // a second registrar on one registry (tests) keeps the first's
	return m
}

// registerVec registers c, or returns the one already registered under
// its name (a second registrar on one registry, as in tests).
func registerVec(reg prometheus.Registerer, c *prometheus.CounterVec) *prometheus.CounterVec {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if cv, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return cv
			}
		}
	}
	return c
}

// methodLabel bounds the method label to the methods SIP defines.
func methodLabel(m string) string {
	switch m {
	case "REGISTER", "OPTIONS", "INVITE", "ACK", "BYE", "CANCEL", "SUBSCRIBE", "NOTIFY", "MESSAGE", "INFO",
		"PRACK", "UPDATE", "REFER", "PUBLISH":
		return m
	}
	return "other"
}
