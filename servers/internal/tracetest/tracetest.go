// Package tracetest is test support for hop events: a Recorder that keeps
// every event a server reports, for tests to read back.
package tracetest

import (
	"sync"

	"webflow-lab/servers/trace"
)

// A Recorder keeps every event it is given, in order. It wants PDUs
// (trace.Watched reports true for it), so servers copy the bytes that cross
// each hop. It is safe for concurrent use; the zero value is ready.
type Recorder struct {
	mu     sync.Mutex
	events []trace.Event
}

// Record keeps e.
func (r *Recorder) Record(e trace.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Events returns a copy of the events kept so far.
func (r *Recorder) Events() []trace.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]trace.Event(nil), r.events...)
}

// Reset forgets the events kept so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = r.events[:0]
	r.mu.Unlock()
}

var _ trace.Recorder = (*Recorder)(nil)
