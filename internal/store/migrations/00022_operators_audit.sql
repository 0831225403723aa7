-- The operator's back office (PRODUCT.md "Logins and the operator").
--
-- operators are the provider's staff who log in at /admin: an e-mail
-- (unique whatever its case), an argon2id password hash, a role (admin:
-- everything; support: customers, orders, refunds, balance adjustments;
-- finance: reads everything, changes nothing) and whether the account is
-- disabled (it logs in no more; its sessions are deleted).
--
-- operator_sessions are their sessions: only the SHA-256 of each token,
-- with its expiry on wall-clock time (microseconds).
--
-- audit_log is every change an operator made, in the back office or
-- through the admin API: who (an operator's ID and e-mail, or "admin
-- token"), when (created_at: wall clock; business_at: the service's clock, which
-- the sandbox can move), what (action, object type and ID) and the object
-- before and after as JSON ("" when there was none). Rows are only ever
-- inserted.

-- +goose Up
CREATE TABLE operators (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'support', 'finance')),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX operators_email ON operators (lower(email));

CREATE TABLE operator_sessions (
    token_hash  TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    actor_id    TEXT NOT NULL,
    actor       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    business_at BIGINT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json  TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
CREATE INDEX audit_log_created ON audit_log (created_at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE operator_sessions;
DROP TABLE operators;
