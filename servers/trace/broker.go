package trace

import (
	"context"
	"sync"
	"sync/atomic"
)

// A Broker fans events out to subscribers without ever blocking a server.
//
// Each subscription holds at most its buffer of per-request events; past that new
// ones are dropped and counted (the screen shows the count). State changes
// (Event.State) are always queued, so a reader never misses "peer down" or
// "instance stopped" however busy the lab is.
type Broker struct {
	mu   sync.Mutex
	subs []*Subscription
	n    atomic.Int32 // len(subs), read without the lock on the hot path
}

// NewBroker returns a Broker with no subscribers.
func NewBroker() *Broker { return &Broker{} }

// Record hands e to every subscriber. With no subscriber it costs one atomic load.
func (b *Broker) Record(e Event) {
	if b.n.Load() == 0 {
		return
	}
	b.mu.Lock()
	subs := b.subs
	b.mu.Unlock()
	for _, s := range subs {
		s.push(e)
	}
}

// Watched reports whether anyone is subscribed.
func (b *Broker) Watched() bool { return b.n.Load() > 0 }

// Subscribe starts a subscription that keeps up to buffer per-request events.
// The caller must Close it.
func (b *Broker) Subscribe(buffer int) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	s := &Subscription{b: b, limit: buffer, wake: make(chan struct{}, 1)}
	b.mu.Lock()
	b.subs = append(append([]*Subscription(nil), b.subs...), s)
	b.n.Store(int32(len(b.subs)))
	b.mu.Unlock()
	return s
}

func (b *Broker) remove(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := make([]*Subscription, 0, len(b.subs))
	for _, x := range b.subs {
		if x != s {
			kept = append(kept, x)
		}
	}
	b.subs = kept
	b.n.Store(int32(len(kept)))
}

// A Subscription is one reader's bounded queue of events.
type Subscription struct {
	b       *Broker
	mu      sync.Mutex
	queue   []Event // queue[head:] waits; the array is reused once emptied
	head    int
	normal  int // per-request events in queue
	limit   int
	dropped atomic.Int64
	closed  bool
	wake    chan struct{}
}

func (s *Subscription) push(e Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if !e.State {
		if s.normal >= s.limit {
			s.mu.Unlock()
			s.dropped.Add(1)
			return
		}
		s.normal++
	}
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Next returns the oldest queued event, waiting for one until ctx ends.
// It returns ctx's error, or ErrClosed after Close.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if s.head < len(s.queue) {
			e := s.queue[s.head]
			s.queue[s.head] = Event{}
			s.head++
			if s.head == len(s.queue) {
				s.queue, s.head = s.queue[:0], 0
			}
			if !e.State {
				s.normal--
			}
			s.mu.Unlock()
			return e, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return Event{}, ErrClosed
		}
		select {
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-s.wake:
		}
	}
}

// Drain returns every queued event without waiting.
func (s *Subscription) Drain() []Event { return s.DrainTo(nil) }

// DrainTo appends every queued event to dst without waiting and returns it.
// A reader that takes what came once a frame, as a TUI does, reuses dst and
// wakes 60 times a second however many requests go by, instead of once per
// event as Next does.
func (s *Subscription) DrainTo(dst []Event) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst = append(dst, s.queue[s.head:]...)
	clear(s.queue)
	s.queue, s.head, s.normal = s.queue[:0], 0, 0
	return dst
}

// Dropped returns how many per-request events this subscription lost to a full buffer.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Close ends the subscription; a waiting Next returns ErrClosed.
func (s *Subscription) Close() {
	s.b.remove(s)
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// ErrClosed is returned by Next after Close.
var ErrClosed = errClosed{}

type errClosed struct{}

func (errClosed) Error() string { return "trace: subscription closed" }
