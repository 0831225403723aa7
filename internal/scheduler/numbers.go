package scheduler

import (
	"context"

	"github.com/dialtone/dialtone/internal/store"
)

// dueNumbersPage is how many due numbers one query of a pass returns.
const dueNumbersPage = 200

// runNumbers does the number work due at the service's current time: the
// monthly rentals of held numbers (or their grace and release when the
// balance does not cover them), then the ends of quarantines. It makes
// passes over the due numbers, oldest date first, one step per number per
// pass, until a pass changes nothing: after a long pause the months are
// caught up in date order across numbers, and numbers waiting in grace are
// retried once per scan. A failing number is logged and left for the next
// scan.
func (s *Scheduler) runNumbers(ctx context.Context) error {
	// The monthly rentals the balance covers first, in batches (batch.go).
	s.runBatches(ctx, s.rentals())
	failed := map[string]bool{}
	for {
		progress, err := s.numbersPass(ctx, failed)
		if err != nil {
			return err
		}
		if !progress {
			break
		}
	}
	_, err := s.svc.EndNumberQuarantines(ctx)
	return err
}

// numbersPass runs one step for every due number and reports whether any
// of them changed.
func (s *Scheduler) numbersPass(ctx context.Context, failed map[string]bool) (bool, error) {
	progress := false
	var after store.DueNumber
	for {
		due, err := s.svc.Store().Read().DueNumbers(ctx, s.svc.Now(), after, dueNumbersPage)
		if err != nil {
			return progress, err
		}
		for _, d := range due {
			if failed[d.ID] {
				continue
			}
			changed, err := s.svc.ProcessNumber(ctx, d.ID)
			if err != nil {
				s.log.Error("scheduler: number", "number", d.ID, "err", err)
				failed[d.ID] = true
				continue
			}
			progress = progress || changed
		}
		if len(due) < dueNumbersPage {
			return progress, nil
		}
		after = due[len(due)-1]
	}
}
