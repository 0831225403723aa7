-- Webhooks for the provider's systems (API.md, operator section).
--
-- webhook_endpoints are the operator's receivers: a URL, the event types
-- it takes (space-separated, each one known), and the signing secret.
-- A deleted endpoint keeps its row (deleted_at) so that its delivery log
-- stays readable; it gets no new deliveries.
--
-- webhook_events is the outbox: an event is inserted in the same
-- transaction as the change it reports, with the JSON body it is POSTed
-- with, and one webhook_deliveries row per endpoint taking its type. The
-- scheduler leases due deliveries (leased_until, wall-clock time, set by a
-- conditional update only one process wins), so two processes never send
-- one delivery at once; delivery is at least once. next_attempt_at is on
-- the business clock, like every due date. status: pending (next_attempt_at is when),
-- succeeded, failed (gave up after 3 days; a manual retry makes it pending
-- again). webhook_attempts is the log: one row per attempt.

-- +goose Up
CREATE TABLE webhook_endpoints (
    id         TEXT PRIMARY KEY,
    url        TEXT NOT NULL,
    events     TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);

CREATE TABLE webhook_events (
    id         TEXT PRIMARY KEY,
    type       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints(id),
    event_id        TEXT NOT NULL REFERENCES webhook_events(id),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    leased_until    BIGINT,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);

CREATE TABLE webhook_attempts (
    id           TEXT PRIMARY KEY,
    delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries(id),
    attempted_at BIGINT NOT NULL,
    status_code  INTEGER NOT NULL,
    error        TEXT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    response     TEXT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhook_endpoints;
