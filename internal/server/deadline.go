package server

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// answerWindow is how long writing an answer may take, counted from its
// first byte (as the server's WriteTimeout would from the end of the
// request, which a long operation would already have used up).
const answerWindow = 60 * time.Second

// keepDeadlines bounds the reading of a request and the writing of its
// answer, not the work in between. net/http cancels a request's context
// when a read of its connection fails, and once the body is read it keeps a
// read pending (to notice a client that goes away) under whatever read
// deadline is set: the server's ReadTimeout, or the five seconds huma sets
// for reading a body. So a POST whose work outlasted either was canceled
// part way ("request canceled" after 5 s of a clock move or an import). The
// read deadline is lifted as soon as the body has been read to its end (at
// once without a body), and any later one huma sets is ignored; the write
// deadline starts again at the answer's first byte. A client that goes away
// still cancels the request.
func keepDeadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dw := &deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w)}
		if r.Body == nil || r.Body == http.NoBody {
			dw.bodyRead()
		} else {
			r.Body = &eofBody{ReadCloser: r.Body, atEOF: dw.bodyRead}
		}
		next.ServeHTTP(dw, r)
	})
}

// deadlineWriter is the answer of a request under keepDeadlines.
type deadlineWriter struct {
	http.ResponseWriter
	rc *http.ResponseController

	mu      sync.Mutex
	read    bool // the body has been read to its end
	writing bool // the answer has begun
}

// bodyRead lifts the read deadline: the request has been read.
func (d *deadlineWriter) bodyRead() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.read {
		return
	}
	d.read = true
	_ = d.rc.SetReadDeadline(time.Time{}) // unsupported by test recorders: nothing to lift
}

// SetReadDeadline sets a deadline on reading the body (huma calls it before
// it reads one); after the body is read it does nothing.
func (d *deadlineWriter) SetReadDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.read {
		return nil
	}
	return d.rc.SetReadDeadline(t)
}

func (d *deadlineWriter) begin() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.writing {
		d.writing = true
		_ = d.rc.SetWriteDeadline(time.Now().Add(answerWindow))
	}
}

func (d *deadlineWriter) WriteHeader(code int) {
	d.begin()
	d.ResponseWriter.WriteHeader(code)
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	d.begin()
	return d.ResponseWriter.Write(b)
}

func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// eofBody calls atEOF when the body has been read to its end.
type eofBody struct {
	io.ReadCloser
	atEOF func()
}

func (b *eofBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.atEOF()
	}
	return n, err
}
