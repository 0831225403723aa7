-- Balance settings and number prices in further currencies (issue 17).
--
-- balance_settings holds a customer's low-balance threshold and automatic
-- top-up (PATCH /v1/account), one row per customer that set either.
-- low_armed is 1 while the balance is at or above the threshold: a debit
-- that takes it below sends one balance_low notice and disarms it; a credit
-- that takes it back to the threshold or above re-arms it (store.Post, in
-- the transaction of the movement). auto_top_up_due_at is set, in the same
-- transaction, when a debit leaves the balance below auto_top_up_below and
-- no top-up is due yet; the scheduler's scan places the top-up order and
-- clears it in the order's transaction. auto_top_up_seq numbers the
-- crossings and auto_top_up_order is the ID chosen for the crossing's order,
-- which is also the card charge's idempotency key: a rerun after a crash
-- gets the first charge back, and the order commits once.
--
-- number_prices is the operator's price list of numbers in further
-- currencies: a row prices every number of its scope (country, and state,
-- area and type where not '') whose own currency differs. The most
-- specific matching row wins: area counts 4, state 2, type 1, the highest
-- sum wins (country < country+type < state < state+type < area <
-- area+type < state+area < state+area+type).

-- +goose Up
CREATE TABLE balance_settings (
    customer_id            TEXT PRIMARY KEY REFERENCES customers(id),
    low_balance_threshold  BIGINT CHECK (low_balance_threshold >= 0),
    low_armed              INTEGER NOT NULL DEFAULT 1,
    auto_top_up_amount     BIGINT CHECK (auto_top_up_amount > 0),
    auto_top_up_below      BIGINT CHECK (auto_top_up_below >= 0),
    auto_top_up_pm         TEXT NOT NULL DEFAULT '',
    auto_top_up_due_at     BIGINT,
    auto_top_up_seq        BIGINT NOT NULL DEFAULT 0,
    auto_top_up_order      TEXT NOT NULL DEFAULT ''
);

CREATE INDEX balance_settings_due ON balance_settings (auto_top_up_due_at) WHERE auto_top_up_due_at IS NOT NULL;

CREATE TABLE number_prices (
    country        TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT '',
    area           TEXT NOT NULL DEFAULT '',
    type           TEXT NOT NULL DEFAULT '',
    currency       TEXT NOT NULL,
    setup_amount   BIGINT NOT NULL CHECK (setup_amount >= 0),
    monthly_amount BIGINT NOT NULL CHECK (monthly_amount >= 0),
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (currency, country, state, area, type)
);

-- +goose Down
DROP TABLE number_prices;
DROP INDEX balance_settings_due;
DROP TABLE balance_settings;
