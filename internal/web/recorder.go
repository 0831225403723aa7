package web

import "net/http"

// Recorder is a ResponseWriter that remembers the status of its answer:
// the first one written, 200 when the body came without one, 0 while
// nothing was written. The middleware that decides after the handler
// (the request log, the idempotency keys, the back office's form keys)
// wraps the answer in one.
type Recorder struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records code (the first one only) and writes it.
func (r *Recorder) WriteHeader(code int) {
	if r.Status == 0 {
		r.Status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Write records 200 if no status was written, and writes b.
func (r *Recorder) Write(b []byte) (int, error) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}
