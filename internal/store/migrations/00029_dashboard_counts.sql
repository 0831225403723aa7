-- Issue 15, the dashboard at scale: the inventory per country and status
-- kept as running counts instead of counting the 120,000 held numbers at
-- every view (store/reports.go NumberCounts).
--
-- number_counts: how many numbers of a country are in each status but
-- available (those number_stock counts). Every change of a number's
-- status writes it in the same transaction (store/numbers.go ClaimNumber,
-- UpdateNumberLifecycle, EndQuarantines → store/reports.go
-- countNumbers), an UPSERT increment of one row per country, status and
-- slot (a hash of the number's ID, 0 to 15): no row all sales share, and
-- two sales in a country rarely wait on each other.
--
-- renewal_days: how many renewal periods (seq > 1) start on each UTC day
-- (day = the day's first instant, in microseconds), for the dashboard's
-- renewals per month (store/reports.go SubscriptionMovements) without
-- counting a year of periods. InsertPeriod, DeletePeriod and EndPeriodsAt
-- (store/subscriptions.go → store/reports.go countRenewals) write it in
-- their transaction: an UPSERT increment of the day's row of the
-- subscription's slot (a hash of its ID, 0 to 15), so the renewals of a
-- day do not queue on one row. The rows of the migration are slot 0.

-- +goose Up
CREATE TABLE number_counts (
    country TEXT NOT NULL,
    status  TEXT NOT NULL,
    slot    INTEGER NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (country, status, slot)
);
INSERT INTO number_counts (country, status, slot, n)
    SELECT country, status, 0, COUNT(*) FROM numbers WHERE status <> 'available' GROUP BY country, status;

CREATE TABLE renewal_days (
    day  BIGINT NOT NULL,
    slot INTEGER NOT NULL,
    n    BIGINT NOT NULL,
    PRIMARY KEY (day, slot)
);
INSERT INTO renewal_days (day, slot, n)
    SELECT start_at - start_at % 86400000000, 0, COUNT(*) FROM periods WHERE seq > 1 GROUP BY start_at - start_at % 86400000000;

-- +goose Down
DROP TABLE renewal_days;
DROP TABLE number_counts;
