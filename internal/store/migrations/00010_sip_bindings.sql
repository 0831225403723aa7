-- The SIP registrar (internal/sip) keeps its bindings here, so every
-- dialtone process sharing the database answers alike: one row per contact
-- of a SIP account, live while expires_at (wall-clock microseconds) is in
-- the future. An expired row is ignored by every read and swept later.
-- sip_nonce_uses records the highest nonce count seen per digest nonce, so
-- a captured REGISTER cannot be replayed at any process; rows are swept
-- once their nonce has expired (it is refused by its age from then on).

-- +goose Up
CREATE TABLE sip_bindings (
    id             TEXT PRIMARY KEY,
    sip_account_id TEXT NOT NULL REFERENCES sip_accounts(id) ON DELETE CASCADE,
    customer_id    TEXT NOT NULL REFERENCES customers(id),
    contact        TEXT NOT NULL,
    user_agent     TEXT NOT NULL,
    source         TEXT NOT NULL,
    transport      TEXT NOT NULL,
    call_id        TEXT NOT NULL,
    cseq           BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (sip_account_id, contact)
);
CREATE INDEX sip_bindings_customer ON sip_bindings (customer_id, expires_at);
CREATE INDEX sip_bindings_expiry ON sip_bindings (expires_at);

CREATE TABLE sip_nonce_uses (
    nonce      TEXT PRIMARY KEY,
    nc         BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sip_nonce_uses_expiry ON sip_nonce_uses (expires_at);

-- +goose Down
DROP TABLE sip_nonce_uses;
DROP TABLE sip_bindings;
