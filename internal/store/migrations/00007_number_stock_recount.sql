-- The end of a quarantine counted the number it freed in a group without
-- its currency (store/numbers.go, EndQuarantines), so number_stock had rows
-- of currency '' and too few in the number's own group, and ordering such a
-- number again broke CHECK (available >= 0). Count the stock anew from the
-- numbers table. (number_grams has no currency column and was right.)

-- +goose Up
DELETE FROM number_stock;

INSERT INTO number_stock (country, state, area, type, currency, available)
SELECT country, state, area, type, currency, SUM(CASE WHEN status = 'available' THEN 1 ELSE 0 END)
FROM numbers GROUP BY country, state, area, type, currency;

-- +goose Down
SELECT 1;
