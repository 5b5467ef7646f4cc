package proxy

import (
	"context"
	"sync"
	"time"
)

// abortCtx is the context a uwsgi_pass/proxy_pass request hands the upstream
// engine: it never ends unless the client watch sees the client hang up
// (nginx's 499). It does what context.WithCancel does for this one use, but
// registers what must happen on the abort (the engine interrupting a dial or
// a blocked read) as funcs in a slice: context.WithCancel would allocate a
// child map, a channel and a goroutine-free but heavy bookkeeping per
// request, and nearly every request ends without an abort.
//
// The context package recognises the AfterFunc method: contexts derived
// from an abortCtx (context.WithTimeout for the connect) register through
// it instead of starting a goroutine.
type abortCtx struct {
	mu    sync.Mutex
	done  chan struct{} // made on first Done, closed by cancel
	err   error
	funcs []*abortFunc
}

type abortFunc struct {
	f       func()
	stopped bool
	ran     bool
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (c *abortCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *abortCtx) Value(any) any               { return nil }

func (c *abortCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *abortCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		if c.err != nil {
			return closedChan
		}
		c.done = make(chan struct{})
	}
	return c.done
}

// AfterFunc arranges for f to run once the context is canceled (at once,
// in its own goroutine, if it already is), as context.AfterFunc does; stop
// reports whether it kept f from running.
func (c *abortCtx) AfterFunc(f func()) (stop func() bool) {
	a := &abortFunc{f: f}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		a.ran = true
		go f()
		return func() bool { return false }
	}
	c.funcs = append(c.funcs, a)
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if a.ran || a.stopped {
			return false
		}
		a.stopped = true
		return true
	}
}

// cancel ends the context with context.Canceled and runs the registered
// funcs, each in its own goroutine as context.AfterFunc does.
func (c *abortCtx) cancel() {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = context.Canceled
	if c.done != nil {
		close(c.done)
	}
	var run []func()
	for _, a := range c.funcs {
		if !a.stopped {
			a.ran = true
			run = append(run, a.f)
		}
	}
	c.funcs = nil
	c.mu.Unlock()
	for _, f := range run {
		go f()
	}
}
