package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dialtone/dialtone/internal/billing"
	"github.com/dialtone/dialtone/internal/clock"
	"github.com/dialtone/dialtone/internal/payment"
	"github.com/dialtone/dialtone/internal/server"
	"github.com/dialtone/dialtone/internal/store/storetest"
)

// TestReadyzCoversRegistrar: while Config.Ready (serve: the SIP
// registrar's listeners) fails, /readyz answers 503 saying why; once it
// passes, 200.
func TestReadyzCoversRegistrar(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	clk := clock.NewFrozen(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := billing.New(st, clk, payment.NewSandbox(), log,
		billing.Config{Argon2: &argon2id.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	why := errors.New("SIP registrar not serving: its UDP listener stopped: use of closed network connection")
	var failing bool
	h := server.New(svc, log, prometheus.NewRegistry(), server.Config{Ready: func(context.Context) error {
		if failing {
			return why
		}
		return nil
	}})
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		return rec.Code, rec.Body.String()
	}
	failing = true
	if code, body := get(); code != 503 || !strings.Contains(body, "its UDP listener stopped") {
		t.Errorf("registrar down: %d %s, want 503 saying why", code, body)
	}
	failing = false
	if code, body := get(); code != 200 || !strings.Contains(body, `"ready"`) {
		t.Errorf("registrar serving: %d %s, want 200", code, body)
	}
}
