package store

import "context"

// WriterExec runs a statement on the SQLite writer's own connection,
// outside any transaction (PRAGMAs that are per connection).
func WriterExec(ctx context.Context, s *Store, query string) error {
	return s.w.do(ctx, func(q *Q) error {
		_, err := s.w.conn.ExecContext(ctx, query)
		return err
	})
}
