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

-- +goose Up
CREATE TABLE number_counts (
    country TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (country, status)
);
INSERT INTO number_counts (country, status, n)
    SELECT country, status, COUNT(*) FROM numbers WHERE status <> 'available' GROUP BY country, status;

-- +goose Down
DROP TABLE number_counts;
