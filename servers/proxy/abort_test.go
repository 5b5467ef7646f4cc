package proxy

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestAbortCtx: the per-request context behaves as context.WithCancel's for
// what the engine does with it: derived contexts end with it, AfterFunc
// funcs run once unless stopped, Done and Err report the abort.
func TestAbortCtx(t *testing.T) {
	t.Run("derived timeout context ends on abort", func(t *testing.T) {
		c := &abortCtx{}
		d, cancel := context.WithTimeout(c, time.Hour)
		defer cancel()
		c.cancel()
		select {
		case <-d.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("derived context still running 5s after the abort")
		}
		if !errors.Is(d.Err(), context.Canceled) {
			t.Errorf("derived Err: got %v, want %v", d.Err(), context.Canceled)
		}
	})
	t.Run("derived context canceled first leaves the parent alone", func(t *testing.T) {
		c := &abortCtx{}
		d, cancel := context.WithTimeout(c, time.Hour)
		cancel()
		if c.Err() != nil {
			t.Errorf("parent Err: got %v, want nil", c.Err())
		}
		if len(c.funcs) != 1 || !c.funcs[0].stopped {
			t.Errorf("got %d registered funcs (stopped: %v), want 1 stopped", len(c.funcs), len(c.funcs) == 1 && c.funcs[0].stopped)
		}
		_ = d
	})
	t.Run("AfterFunc runs once, stop prevents it", func(t *testing.T) {
		c := &abortCtx{}
		ran := make(chan string, 3)
		c.AfterFunc(func() { ran <- "a" })
		stopB := c.AfterFunc(func() { ran <- "b" })
		if !stopB() {
			t.Error("stop before the abort: got false, want true")
		}
		done := c.Done()
		c.cancel()
		c.cancel() // twice is harmless
		if got := <-ran; got != "a" {
			t.Errorf("got %q, want a", got)
		}
		select {
		case <-done:
		default:
			t.Error("Done not closed after the abort")
		}
		if !errors.Is(c.Err(), context.Canceled) {
			t.Errorf("Err: got %v, want %v", c.Err(), context.Canceled)
		}
		late := c.AfterFunc(func() { ran <- "c" })
		if got := <-ran; got != "c" {
			t.Errorf("AfterFunc after the abort: got %q, want c", got)
		}
		if late() {
			t.Error("stop after f ran: got true, want false")
		}
		select {
		case x := <-ran:
			t.Errorf("extra run %q", x)
		default:
		}
	})
	t.Run("Done after the abort is closed", func(t *testing.T) {
		c := &abortCtx{}
		c.cancel()
		select {
		case <-c.Done():
		default:
			t.Error("got an open channel, want a closed one")
		}
	})
}
