package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialtone/dialtone/internal/market"
	"github.com/dialtone/dialtone/internal/store"
)

// The invoice sequencer (issue 18). Invoice numbers are gapless per year.
// On PostgreSQL taking the number inside every order's transaction would
// hold the year's invoice_sequences row from the number to the commit, and
// every order of the system would queue on it; so an order (a rental
// month) commits its invoice to the queue, unnumbered (store.QueueInvoice),
// and once it committed a sequencer pass numbers everything queued (behind
// the answer for an order placed through PlaceOrder, before Tx returns for
// the others: renewals, the cart, rental months), oldest first, in one short transaction that
// holds the database's one sequencer lock (store.LockInvoicing): two
// processes number one after the other, never the same invoice twice. The
// invoice becomes visible (store.Invoice, Invoices) only numbered, and its
// e-mail (with the PDF that shows the number) is queued in the same pass.
// A process that died between an order's commit and the pass leaves its
// invoice queued: the next pass of any process numbers it, and serve runs
// one at start-up. Credit notes (refunds, rare), a batched run's invoices
// (numbered in one block as the batch's last statements, renew_batch.go)
// and everything on SQLite (whose one writer numbers in commit order
// already) are numbered in their own transaction.

// numberBatch bounds the invoices one pass's transaction numbers.
const numberBatch = 256

// sequencer lets concurrent callers of NumberInvoices share passes: one
// runs a pass, the others wait for it (or the next one, if it had started
// before they were called).
type sequencer struct {
	// queued is set when this process committed an invoice to the queue,
	// and cleared when a pass starts: a pass running while it is clear
	// numbers everything this process queued.
	queued  atomic.Bool
	mu      sync.Mutex
	running bool
	started uint64 // passes begun
	done    uint64 // the last pass that succeeded
	changed chan struct{}
}

func newSequencer() *sequencer { return &sequencer{changed: make(chan struct{})} }

// NumberInvoices numbers every invoice queued before it was called and
// returns once they are visible with their numbers (or a pass failed). It
// is cheap when nothing is queued, and safe to call from any goroutine and
// any process at any time: the scheduler and start-up call it to number
// what a crash left queued, each transaction that queues an invoice calls
// it right after its commit (storeInvoice).
func (s *Service) NumberInvoices(ctx context.Context) error {
	sq := s.seq
	sq.mu.Lock()
	target := sq.started + 1
	if sq.running && !sq.queued.Load() {
		// Nothing was queued here since the running pass began: it
		// numbers all this process queued before the call.
		target = sq.started
	}
	for {
		if sq.done >= target {
			sq.mu.Unlock()
			return nil
		}
		if !sq.running {
			sq.running = true
			sq.started++
			mine := sq.started
			sq.queued.Store(false)
			sq.mu.Unlock()
			err := s.numberQueued(ctx)
			sq.mu.Lock()
			sq.running = false
			if err == nil {
				sq.done = mine
			}
			close(sq.changed)
			sq.changed = make(chan struct{})
			sq.mu.Unlock()
			return err // mine >= target: started only grows
		}
		ch := sq.changed
		sq.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		sq.mu.Lock()
	}
}

// numberQueued is one pass: it numbers what is queued, numberBatch
// invoices a transaction.
func (s *Service) numberQueued(ctx context.Context) error {
	for {
		n := 0
		err := s.store.Tx(ctx, func(q *store.Q) error {
			q.BeginBatch() // the pass's e-mails in a statement or two (store/batch.go)
			if err := q.LockInvoicing(ctx); err != nil {
				return err
			}
			vs, err := q.QueuedInvoices(ctx, numberBatch)
			if err != nil {
				return err
			}
			n = len(vs)
			items := make([]batchedInvoice, len(vs))
			for i, v := range vs {
				items[i].v = v
				if err := json.Unmarshal([]byte(v.Document), &items[i].doc); err != nil {
					return fmt.Errorf("invoice %s: %w", v.ID, err)
				}
			}
			if err := s.issueNumbered(ctx, q, items); err != nil {
				return err
			}
			return q.FlushBatch(ctx)
		})
		if err != nil {
			return fmt.Errorf("numbering invoices: %w", err)
		}
		if n < numberBatch {
			return nil
		}
	}
}

// issueNumbered numbers invoices from one range of each year's gapless
// sequence, in the order given within a year, stores them, and queues
// their e-mails now that the PDF can show the number (the recipients in
// one statement, then two statements a mail): for the sequencer's pass and
// a batched run alike.
func (s *Service) issueNumbered(ctx context.Context, q *store.Q, items []batchedInvoice) error {
	var years []int
	byYear := map[int][]int{}
	for i, it := range items {
		if _, ok := byYear[it.v.Year]; !ok {
			years = append(years, it.v.Year)
		}
		byYear[it.v.Year] = append(byYear[it.v.Year], i)
	}
	slices.Sort(years)
	vs := make([]market.Invoice, 0, len(items))
	for _, y := range years {
		idx := byYear[y]
		first, err := q.TakeInvoiceSeqs(ctx, y, len(idx))
		if err != nil {
			return err
		}
		for k, i := range idx {
			v, doc := items[i].v, items[i].doc
			doc.Number = fmt.Sprintf("%d-%06d", y, first+k)
			body, err := json.Marshal(doc)
			if err != nil {
				return err
			}
			v.Number, v.Seq, v.Document = doc.Number, first+k, string(body)
			vs = append(vs, v)
		}
	}
	if err := q.InsertInvoices(ctx, vs); err != nil {
		return err
	}
	var custs []string
	for _, v := range vs {
		if v.Totals.Total != 0 && !slices.Contains(custs, v.CustomerID) {
			custs = append(custs, v.CustomerID)
		}
	}
	if len(custs) == 0 {
		return nil
	}
	to, err := q.InvoiceRecipients(ctx, custs)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if r := to[v.CustomerID]; r != "" && v.Totals.Total != 0 {
			if err := s.mailInvoiceTo(ctx, q, v, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// numberAfterCommit runs a pass once q's transaction committed, whatever
// becomes of the caller's context meanwhile; a failure leaves the invoice
// queued for the next pass. Under numberBehind (an order placed through
// PlaceOrder) the pass runs behind the answer instead of before it: the
// order waits for one commit, not two, and the passes of orders arriving
// together number more invoices each. Every reader of invoices waits for
// what this process queued (awaitNumbers).
func (s *Service) numberAfterCommit(ctx context.Context, q *store.Q) {
	behind := ctx.Value(numberBehindKey{}) != nil
	q.AfterCommitOnce("number invoices", func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		s.seq.queued.Store(true)
		if behind {
			go func() {
				defer cancel()
				if err := s.NumberInvoices(ctx); err != nil {
					s.log.Warn("invoice numbering failed; the next pass numbers what is queued", "err", err)
				}
			}()
			return
		}
		defer cancel()
		if err := s.NumberInvoices(ctx); err != nil {
			s.log.Warn("invoice numbering failed; the next pass numbers what is queued", "err", err)
		}
	})
}

type numberBehindKey struct{}

// numberBehind marks ctx: invoices issued under it are numbered behind the
// answer (numberAfterCommit).
func numberBehind(ctx context.Context) context.Context {
	return context.WithValue(ctx, numberBehindKey{}, true)
}

// awaitNumbers waits for the invoices this process queued without waiting
// to be numbered, if there are any (a reader's first step).
func (s *Service) awaitNumbers(ctx context.Context) error {
	if !s.seq.queued.Load() {
		s.seq.mu.Lock()
		running := s.seq.running
		s.seq.mu.Unlock()
		if !running {
			return nil
		}
	}
	return s.NumberInvoices(ctx)
}
