-- Logins with roles and password resets (PRODUCT.md "Logins and the
-- operator").
--
-- A login is a row of users with a role other than "member" (a seat):
-- owner, admin, billing or viewer. An invited login has no password_hash
-- until its invitation is taken.
--
-- login_tokens are the links of invitation and password-reset e-mails:
-- only the SHA-256 of each random token is kept, with its purpose
-- (invitation, reset) and its expiry on wall-clock time (microseconds); a
-- token is deleted when it is used, so it works once.

-- +goose Up
CREATE TABLE login_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    customer_id TEXT NOT NULL REFERENCES customers(id),
    purpose     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX login_tokens_user ON login_tokens (user_id);

-- +goose Down
DROP TABLE login_tokens;
