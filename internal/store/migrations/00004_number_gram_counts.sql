-- The contains search, second step (store/number_grams.go).
--
-- number_grams also keeps each available number's distinct runs of three
-- digits: a pattern of three digits reads its own run's list, in number
-- order, every entry of which matches (before, it filtered the ordered
-- ranges, about 4,000 index entries for 20 matches in a large country).
--
-- number_gram_counts says how common each run is in a country's inventory,
-- so that a search picks the rarest four-digit run of its pattern in one
-- read of a few rows instead of counting index entries of each run. The
-- counts are of every number of the inventory that holds the run, whatever
-- its status: they grow when numbers are imported and never move on a
-- sale, a release or the end of a quarantine, so that selling numbers
-- (which, in a busy area, all hold the same area-code runs) never waits on
-- a shared counter. No row means no number of the country holds the run,
-- so nothing can match.

-- +goose Up
INSERT INTO number_grams (gram, country, number, state, area, type)
SELECT DISTINCT substr(n.number, p.column1, 3), n.country, n.number, n.state, n.area, n.type
FROM numbers n CROSS JOIN (VALUES (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14)) AS p
WHERE n.status = 'available' AND length(n.number) >= p.column1 + 2;

CREATE TABLE number_gram_counts (
    country TEXT NOT NULL,
    gram    TEXT NOT NULL,
    numbers BIGINT NOT NULL CHECK (numbers > 0),
    PRIMARY KEY (country, gram)
);

INSERT INTO number_gram_counts (country, gram, numbers)
SELECT country, gram, COUNT(*) FROM (
    SELECT DISTINCT substr(n.number, p.column1, p.column2) AS gram, n.country, n.number
    FROM numbers n CROSS JOIN (VALUES (2, 3), (3, 3), (4, 3), (5, 3), (6, 3), (7, 3), (8, 3), (9, 3), (10, 3), (11, 3),
        (12, 3), (13, 3), (14, 3), (2, 4), (3, 4), (4, 4), (5, 4), (6, 4), (7, 4), (8, 4), (9, 4), (10, 4), (11, 4), (12, 4), (13, 4)) AS p
    WHERE length(n.number) >= p.column1 + p.column2 - 1
) AS g GROUP BY country, gram;

-- +goose Down
DROP TABLE number_gram_counts;
DELETE FROM number_grams WHERE length(gram) = 3;
