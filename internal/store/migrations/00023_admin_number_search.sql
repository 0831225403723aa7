-- Issue 15, the back office's number search (store/number_admin.go
-- SearchNumbers): by country, and by country and area, in number order,
-- whatever the status, each page one indexed read. The same on SQLite and
-- PostgreSQL. And the dashboard's count of held numbers per country and
-- status (reports.go NumberCounts), read from this index alone.

-- +goose Up
CREATE INDEX numbers_admin_country ON numbers (country, number);
CREATE INDEX numbers_admin_area ON numbers (country, area, number);
CREATE INDEX numbers_held_country ON numbers (status, country) WHERE status <> 'available';

-- +goose Down
DROP INDEX numbers_held_country;
DROP INDEX numbers_admin_area;
DROP INDEX numbers_admin_country;
