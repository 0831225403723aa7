-- Issue 18: the catalog (products, plans, plan_prices) and tax_rates are
-- cached in each process (store/catalog_cache.go) and checked against this
-- one row: every change of them writes a new token here in its own
-- transaction, so one cheap read tells every process, and every
-- transaction, whether its copy is current. A token, not a counter: a
-- change rolled back must not leave a number that a later change reuses.

-- +goose Up
CREATE TABLE catalog_version (
    id    INTEGER PRIMARY KEY,
    token TEXT NOT NULL
);
INSERT INTO catalog_version (id, token) VALUES (1, 'initial');

-- +goose Down
DROP TABLE catalog_version;
