-- Issue 15, the dashboard at scale: the inventory per country and status
-- kept as running counts instead of counting the 120,000 held numbers at
-- every view (store/reports.go NumberCounts).
--
-- number_counts: how many numbers of a country are in each status but
-- available (those number_stock counts). Every change of a number's
-- status writes it in the same transaction (store/numbers.go ClaimNumber,
-- UpdateNumberLifecycle, EndQuarantines → store/reports.go
-- countNumbers), an UPSERT increment of one row per country and status:
-- no row all sales share.
--
-- renewal_days: how many renewal periods (seq > 1) start on each UTC day
-- (day = the day's first instant, in microseconds), for the dashboard's
-- renewals per month (store/reports.go SubscriptionMovements) without
-- counting a year of periods. InsertPeriod, DeletePeriod and EndPeriodsAt
-- (store/subscriptions.go → store/reports.go countRenewals) write it in
-- their transaction: an UPSERT increment of the day's row.

-- +goose Up
CREATE TABLE number_counts (
    country TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (country, status)
);
INSERT INTO number_counts (country, status, n)
    SELECT country, status, COUNT(*) FROM numbers WHERE status <> 'available' GROUP BY country, status;

CREATE TABLE renewal_days (
    day BIGINT PRIMARY KEY,
    n   BIGINT NOT NULL
);
INSERT INTO renewal_days (day, n)
    SELECT start_at - start_at % 86400000000, COUNT(*) FROM periods WHERE seq > 1 GROUP BY start_at - start_at % 86400000000;

-- +goose Down
DROP TABLE renewal_days;
DROP TABLE number_counts;
