// Package contracttest is dialtone's black-box contract suite: it builds the
// binary, runs `dialtone serve` on a free port on a fresh SQLite file (and a
// fresh PostgreSQL database when DIALTONE_TEST_POSTGRES_URL is set), and
// speaks only HTTP to it, as a client written from API.md and PRODUCT.md
// would. Every response is validated against the served OpenAPI document
// (package openapicheck). The package holds only tests.
package contracttest
