-- The "contains" search of the number pickers, exact at inventory scale.
--
-- number_grams holds, for every AVAILABLE number, each distinct run of four
-- digits of its E.164 form, keyed (gram, country, number) and carrying the
-- number's state, area and type in the key too, so that a search reads the
-- index alone: the numbers of a country that contain a given four digits,
-- in number order, with what the scope filters on. A search for
-- "contains 98765" reads the rarer of 9876 and 8765 in that order,
-- checks the whole pattern and the rest of the scope on each number, and
-- stops at its limit: it finds a rare pattern wherever it is in a country
-- of a million numbers, in number order, without reading the country.
-- Sold and quarantined numbers have no rows (no search wants them), so the
-- table follows the inventory that is for sale; the store changes it in the
-- same statements as every status change of a number (store/numbers.go),
-- as it does number_stock. Patterns of one to three digits are common enough
-- (a given three digits stand in about one number in a hundred) that an
-- ordered scan with a filter finds its matches at once. Four digits rather
-- than three: a run's list is ten times shorter (some 240 numbers of the
-- largest country of a million-number inventory instead of 2,700), which a
-- search in an area reads to the end when the area has fewer matches than
-- the limit.

-- +goose Up
CREATE TABLE number_grams (
    gram    TEXT NOT NULL,
    country TEXT NOT NULL,
    number  TEXT NOT NULL,
    state   TEXT NOT NULL,
    area    TEXT NOT NULL,
    type    TEXT NOT NULL,
    PRIMARY KEY (gram, country, number, state, area, type)
);

INSERT INTO number_grams (gram, country, number, state, area, type)
SELECT DISTINCT substr(n.number, p.column1, 4), n.country, n.number, n.state, n.area, n.type
FROM numbers n CROSS JOIN (VALUES (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13)) AS p
WHERE n.status = 'available' AND length(n.number) >= p.column1 + 3;

-- +goose Down
DROP TABLE number_grams;
