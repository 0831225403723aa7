-- Issue 15, the dashboard at scale (store/tallies.go, store/reports.go).
--
-- number_tally: how many numbers of a country are in each status but
-- available (number_stock counts those), as rows of deltas whose sum per
-- country and status is the count. renewal_tally: how many renewal periods
-- (seq > 1) start on each UTC day (day = the day's first instant, in
-- microseconds), the same way. Both are append-only: a change of a
-- number's status, a period inserted or deleted INSERTs its delta in its
-- own transaction (never an UPDATE of a shared row: the first version of
-- these counts, UPSERT increments of shared rows, deadlocked PostgreSQL's
-- batched renewals and was reverted; its tables, number_counts and
-- renewal_days, are dropped here where a database still has them), and
-- CompactTallies folds the rows into one per key now and then (DELETE …
-- RETURNING and an INSERT of the sums of exactly what it deleted).
--
-- And indexes for the dashboard's other reads: the renewals due in the
-- next 30 days as one range of a partial covering index, soonest first,
-- with covering look-ups of the last period's licenses, the last billing
-- address's country and the default card; the MRR's live subscriptions in
-- product and currency order and their running period from a covering
-- index (periods_running, made covering).

-- +goose Up
DROP TABLE IF EXISTS number_counts;
DROP TABLE IF EXISTS renewal_days;

CREATE TABLE number_tally (
    country TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       BIGINT NOT NULL
);
INSERT INTO number_tally (country, status, n)
    SELECT country, status, COUNT(*) FROM numbers WHERE status <> 'available' GROUP BY country, status;

CREATE TABLE renewal_tally (
    day BIGINT NOT NULL,
    n   BIGINT NOT NULL
);
CREATE INDEX renewal_tally_day ON renewal_tally (day, n);
INSERT INTO renewal_tally (day, n)
    SELECT start_at - start_at % 86400000000, COUNT(*) FROM periods WHERE seq > 1 GROUP BY start_at - start_at % 86400000000;

CREATE INDEX subscriptions_due ON subscriptions (expires_at, id, customer_id, plan, term_months, currency, status, auto_renew,
    cancel_at_period_end) WHERE auto_renew AND NOT cancel_at_period_end AND status IN ('active', 'past_due', 'trialing');
CREATE INDEX subscriptions_live ON subscriptions (product, currency, id, status) WHERE status IN ('active', 'past_due');
CREATE INDEX periods_last ON periods (subscription_id, seq, quantity);
DROP INDEX periods_running;
CREATE INDEX periods_running ON periods (subscription_id, end_at, start_at, trial, unit_amount, quantity, term_months);
CREATE INDEX billing_addresses_live ON billing_addresses (customer_id, id, country, deleted_at) WHERE deleted_at IS NULL;
CREATE INDEX payment_methods_default ON payment_methods (customer_id, is_default, deleted_at) WHERE is_default AND deleted_at IS NULL;

-- +goose Down
DROP INDEX payment_methods_default;
DROP INDEX billing_addresses_live;
DROP INDEX periods_running;
CREATE INDEX periods_running ON periods (subscription_id, end_at);
DROP INDEX periods_last;
DROP INDEX subscriptions_live;
DROP INDEX subscriptions_due;
DROP TABLE renewal_tally;
DROP TABLE number_tally;
