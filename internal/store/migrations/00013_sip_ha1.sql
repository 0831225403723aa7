-- The registrar keeps what digest authentication needs, not the plain
-- password, once the customer has seen it (issue 14): ha1_md5 and
-- ha1_sha256 are H(username:realm:password) for ha1_realm, with MD5 and
-- SHA-256 (RFC 8760). password is the plain password until it has been
-- shown to the customer (then '' ). Existing accounts get their HA1s
-- computed in Go at the registrar's start (a SQL migration cannot compute
-- SHA-256 on both databases), from the password they still have.

-- +goose Up
ALTER TABLE sip_accounts ADD COLUMN ha1_realm TEXT NOT NULL DEFAULT '';
ALTER TABLE sip_accounts ADD COLUMN ha1_md5 TEXT NOT NULL DEFAULT '';
ALTER TABLE sip_accounts ADD COLUMN ha1_sha256 TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sip_accounts DROP COLUMN ha1_sha256;
ALTER TABLE sip_accounts DROP COLUMN ha1_md5;
ALTER TABLE sip_accounts DROP COLUMN ha1_realm;
