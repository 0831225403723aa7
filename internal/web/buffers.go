package web

import (
	"bytes"
	"sync"
)

// Pages are rendered into a buffer before the first byte is sent (a
// template that fails half-way must not leave half a page), and the buffers
// are kept for the next page: a 130 KB page grown from an empty buffer
// allocated half a megabyte, and the garbage collector's cycles those
// allocations brought about were the portal's slowest requests
// (docs/BENCHMARKS.md, session 10).
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxKeptBuffer is the largest buffer kept for another page (an export
// rendered once should not stay in memory).
const maxKeptBuffer = 1 << 20

// PageBuffer returns an empty buffer to render a page into; PutPageBuffer
// gives it back once its bytes were written.
func PageBuffer() *bytes.Buffer { return pageBuffers.Get().(*bytes.Buffer) }

// PutPageBuffer keeps b for another page, unless it grew past
// maxKeptBuffer. b must not be used afterwards.
func PutPageBuffer(b *bytes.Buffer) {
	if b.Cap() > maxKeptBuffer {
		return
	}
	b.Reset()
	pageBuffers.Put(b)
}
