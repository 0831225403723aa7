package store

import (
	"context"
	"slices"
	"sync"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/money"
)

// The catalog cache (issue 18). Pricing an order read every plan's prices
// and the tax rate again each time; now each Store keeps the whole catalog
// (plans with their prices, tax rates, and the live webhook endpoints'
// event types) as of a token of catalog_version
// (migration 00031), and Plan and TaxRateFor read only the token — once per
// transaction — and answer from the copy while the token is unchanged.
// Every change of the catalog (UpsertProduct, InsertPlan, UpdatePlan,
// PutTaxRate, InsertWebhookEndpoint, DeleteWebhookEndpoint) writes a new token in its transaction, so every process, and
// every transaction that starts after the change committed, sees it; a
// transaction sees its own change. Tokens are never reused: a copy loaded
// inside a transaction that changed the catalog and then rolled back is
// never taken for a committed version.

type catalogSnap struct {
	token     string
	plans     map[string]market.Plan
	list      []market.Plan // every plan, in Plans' order
	taxes     map[string]money.Rate
	endpoints []liveEndpoint // webhook endpoints not deleted (WebhookTargets)
}

type liveEndpoint struct {
	id     string
	events []string
}

// txCatalog is a transaction's memo of the catalog it read.
type txCatalog struct{ snap *catalogSnap }

type catalogCache struct {
	mu   sync.Mutex
	snap *catalogSnap
}

// catalog returns the catalog as the database has it now.
func (q *Q) catalog(ctx context.Context) (*catalogSnap, error) {
	if q.cat != nil && q.cat.snap != nil {
		return q.cat.snap, nil
	}
	var token string
	if err := q.ex.QueryRowContext(ctx, catalogTokenSQL).Scan(&token); err != nil {
		return nil, err
	}
	q.cache.mu.Lock()
	snap := q.cache.snap
	q.cache.mu.Unlock()
	if snap == nil || snap.token != token {
		plans, err := q.plans(ctx, `WHERE ($1 = FALSE OR p.active = TRUE)`, false, "")
		if err != nil {
			return nil, err
		}
		rates, err := q.TaxRates(ctx)
		if err != nil {
			return nil, err
		}
		eps, err := q.liveEndpoints(ctx)
		if err != nil {
			return nil, err
		}
		snap = &catalogSnap{token: token, endpoints: eps, plans: make(map[string]market.Plan, len(plans)), list: plans,
			taxes: make(map[string]money.Rate, len(rates))}
		for _, p := range plans {
			snap.plans[p.Code] = p
		}
		for _, r := range rates {
			snap.taxes[r.Country] = r.Rate
		}
		q.cache.mu.Lock()
		q.cache.snap = snap
		q.cache.mu.Unlock()
	}
	if q.cat != nil {
		q.cat.snap = snap
	}
	return snap, nil
}

const catalogTokenSQL = `SELECT token FROM catalog_version WHERE id = 1`

// useCatalogToken tells q's transaction the catalog's token, read with
// other statements of its first round trip (RegisterSIP): while the cached
// copy has it, the transaction's reads of the catalog need no statement.
func (q *Q) useCatalogToken(token string) {
	q.cache.mu.Lock()
	snap := q.cache.snap
	q.cache.mu.Unlock()
	if snap != nil && snap.token == token && q.cat != nil {
		q.cat.snap = snap
	}
}

// catalogChanged writes a new catalog token: every cached copy is stale.
func (q *Q) catalogChanged(ctx context.Context) error {
	if q.cat != nil {
		q.cat.snap = nil
	}
	_, err := q.ex.ExecContext(ctx, `UPDATE catalog_version SET token = $1 WHERE id = 1`, q.ids.New("cat"))
	return err
}

// cachedPlan is Plan from the cache, with its own copies of the slices.
func (q *Q) cachedPlan(ctx context.Context, code string) (market.Plan, error) {
	c, err := q.catalog(ctx)
	if err != nil {
		return market.Plan{}, err
	}
	p, ok := c.plans[code]
	if !ok {
		return market.Plan{}, market.NotFound("plan")
	}
	p.Terms, p.Prices = slices.Clone(p.Terms), slices.Clone(p.Prices)
	return p, nil
}
