-- The "contains" search of the number pickers, exact at inventory scale.
--
-- number_grams holds, for every AVAILABLE number, each distinct run of three
-- digits of its E.164 form, keyed (gram, country, number): the numbers of a
-- country that contain a given three digits, in number order. A search for
-- "contains 98765" reads the rarest of 987, 876 and 765 in that order,
-- checks the whole pattern and the rest of the scope on each number, and
-- stops at its limit: it finds a rare pattern wherever it is in a country
-- of a million numbers, in number order, without reading the country.
-- Sold and quarantined numbers have no rows (no search wants them), so the
-- table follows the inventory that is for sale; the store changes it in the
-- same statements as every status change of a number (store/numbers.go),
-- as it does number_stock. Patterns of one or two digits are common enough
-- that an ordered scan with a filter finds its matches at once.

-- +goose Up
CREATE TABLE number_grams (
    gram    TEXT NOT NULL,
    country TEXT NOT NULL,
    number  TEXT NOT NULL,
    PRIMARY KEY (gram, country, number)
);

INSERT INTO number_grams (gram, country, number)
SELECT DISTINCT substr(n.number, p.column1, 3), n.country, n.number
FROM numbers n CROSS JOIN (VALUES (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14)) AS p
WHERE n.status = 'available' AND length(n.number) >= p.column1 + 2;

-- +goose Down
DROP TABLE number_grams;
