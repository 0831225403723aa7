-- Phone-number search at inventory scale (a million numbers and more).
--
-- number_stock keeps, per group of the cascade (country, state, area, type),
-- how many numbers are available: the country, state and area pickers read
-- a few hundred rows of it instead of counting the inventory, and a search
-- learns from it which groups to read. The store changes it in the same
-- statement batch as every status change of a number (store/numbers.go), so
-- it always equals the count of the numbers table. A group keeps its row at
-- zero, so that a sold-out country is still listed (with 0).
--
-- Searches read partial indexes of the available numbers, each ordered by
-- number after its equality columns, so that "the first 20 free numbers of
-- X" is one short range scan whatever the inventory's size: by country; by
-- country and state; by country and type; and by the whole group (country,
-- state, area, type), whose ranges a search within an area merges. They
-- replace numbers_search, which needed a sort of every matching number.
-- A search always says status = 'available' in so many words: that is what
-- lets SQLite use a partial index.

-- +goose Up
CREATE TABLE number_stock (
    country   TEXT NOT NULL,
    state     TEXT NOT NULL,
    area      TEXT NOT NULL,
    type      TEXT NOT NULL,
    available BIGINT NOT NULL DEFAULT 0 CHECK (available >= 0),
    PRIMARY KEY (country, state, area, type)
);

INSERT INTO number_stock (country, state, area, type, available)
SELECT country, state, area, type, SUM(CASE WHEN status = 'available' THEN 1 ELSE 0 END)
FROM numbers GROUP BY country, state, area, type;

DROP INDEX numbers_search;
CREATE INDEX numbers_free_country ON numbers (country, number) WHERE status = 'available';
CREATE INDEX numbers_free_state ON numbers (country, state, number) WHERE status = 'available';
CREATE INDEX numbers_free_type ON numbers (country, type, number) WHERE status = 'available';
CREATE INDEX numbers_free_group ON numbers (country, state, area, type, number) WHERE status = 'available';
-- The operator's list of held numbers by status (AdminNumbers).
CREATE INDEX numbers_held ON numbers (status, number) WHERE status <> 'available';

-- The scheduler's scans: held numbers by due date, quarantined ones by the
-- end of their quarantine. They replace the single-column indexes.
DROP INDEX numbers_renews;
DROP INDEX numbers_quarantine;
CREATE INDEX numbers_renews ON numbers (renews_at, id) WHERE renews_at IS NOT NULL;
CREATE INDEX numbers_quarantine ON numbers (quarantine_until) WHERE status = 'quarantine';

-- +goose Down
SELECT 1;
