package trace

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A Broker fans events out to subscribers without ever blocking a server.
//
// Recording takes no lock shared between subscribers: the subscriber list is
// an atomic pointer, and each subscription has its own small lock. With no
// subscriber, Record costs one atomic load.
type Broker struct {
	mu   sync.Mutex                      // serializes Subscribe and Close
	subs atomic.Pointer[[]*Subscription] // replaced, never changed in place
}

// NewBroker returns a Broker with no subscribers.
func NewBroker() *Broker { return &Broker{} }

// Record hands e to every subscriber.
func (b *Broker) Record(e Event) {
	subs := b.subs.Load()
	if subs == nil {
		return
	}
	for _, s := range *subs {
		s.push(e)
	}
}

// Watched reports whether anyone is subscribed.
func (b *Broker) Watched() bool { return b.subs.Load() != nil }

// Admits reports whether some subscription would follow a request that
// began now.
func (b *Broker) Admits() bool {
	subs := b.subs.Load()
	if subs == nil {
		return false
	}
	for _, s := range *subs {
		if s.admits() {
			return true
		}
	}
	return false
}

// WantsPDU reports whether some subscription follows request reqID.
func (b *Broker) WantsPDU(reqID string) bool {
	subs := b.subs.Load()
	if subs == nil {
		return false
	}
	for _, s := range *subs {
		if s.follows(reqID) {
			return true
		}
	}
	return false
}

// Limits of a subscription, whatever its buffer.
const (
	// MaxFollowed is how many requests one subscription follows at once.
	// Past it, new requests are skipped whole (and counted) until followed
	// ones end.
	MaxFollowed = 1024
	// MaxState is how many state events wait in one subscription. Past it
	// the oldest are replaced by one Resync event: the reader must read the
	// lab's state again, and is told so instead of silently missing a change.
	MaxState = 1024
	// perRequestReserve is the room a newly followed request is assumed to
	// need (a quarter of a smaller buffer), so that a request admitted at
	// its first event fits whole.
	perRequestReserve = 64
	// endedKept is how many ended requests a subscription still accepts
	// late events of.
	endedKept = 256
)

// Subscribe starts a subscription that keeps up to about buffer per-request
// events waiting. The caller must Close it.
//
// A subscription follows whole requests. At a request's First event it
// decides: follow it (every later event of the request is kept, whatever
// the buffer says) or skip it (none is kept, and Skipped counts it). It
// follows while fewer than buffer events wait and fewer than MaxFollowed
// requests are followed, so under load the reader sees fewer requests,
// never half of one. Events that belong to no request are kept while the
// buffer has room and dropped otherwise (Dropped counts them). State
// events (Event.State) are always kept, up to MaxState.
func (b *Broker) Subscribe(buffer int) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	s := &Subscription{b: b, limit: buffer, wake: make(chan struct{}, 1), followed: map[string]time.Duration{}, ended: map[string]struct{}{}}
	b.mu.Lock()
	defer b.mu.Unlock()
	var subs []*Subscription
	if old := b.subs.Load(); old != nil {
		subs = append(subs, *old...)
	}
	subs = append(subs, s)
	b.subs.Store(&subs)
	return s
}

func (b *Broker) remove(s *Subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	old := b.subs.Load()
	if old == nil {
		return
	}
	var kept []*Subscription
	for _, x := range *old {
		if x != s {
			kept = append(kept, x)
		}
	}
	if len(kept) == 0 {
		b.subs.Store(nil)
		return
	}
	b.subs.Store(&kept)
}

// A Subscription is one reader's bounded queue of events.
type Subscription struct {
	b        *Broker
	mu       sync.Mutex
	queue    []Event // queue[head:] waits; the array is reused once emptied
	head     int
	normal   int // per-request events waiting
	states   int // state events waiting
	limit    int
	followed map[string]time.Duration // requests being followed, until their Last event: when each began
	// ended are the last requests whose Last event went by: an app server
	// reports its own end after it sent the answer, so its event may come
	// just after the proxy's Last, and still belongs to the request.
	ended     map[string]struct{}
	endedRing [endedKept]string
	endedNext int
	closed    bool
	wake      chan struct{}

	dropped atomic.Int64
	skipped atomic.Int64
}

func (s *Subscription) push(e Event) {
	s.mu.Lock()
	if s.closed || !s.admit(&e) {
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Subscription) admits() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && !s.full()
}

func (s *Subscription) follows(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.followed[id]; ok {
		return true
	}
	_, ok := s.ended[id]
	return ok
}

// full reports whether a new request would be skipped; the caller holds s.mu.
func (s *Subscription) full() bool {
	return s.normal+max(1, min(perRequestReserve, s.limit/4)) > s.limit && s.normal > 0 || len(s.followed) >= MaxFollowed
}

// admit decides whether e is queued; the caller holds s.mu.
func (s *Subscription) admit(e *Event) bool {
	switch {
	case e.State:
		if s.states >= MaxState {
			s.collapseStates()
		}
		s.states++
		return true
	case e.ReqID == "":
		if s.normal >= s.limit {
			s.dropped.Add(1)
			return false
		}
	case e.First:
		if _, ok := s.followed[e.ReqID]; !ok {
			if len(s.followed) >= MaxFollowed {
				s.forgetStale(e.At)
			}
			if s.full() {
				s.skipped.Add(1)
				return false
			}
			s.followed[e.ReqID] = e.At
		}
	default:
		if _, ok := s.followed[e.ReqID]; !ok {
			if _, ok := s.ended[e.ReqID]; !ok {
				// A request skipped at its First event (Skipped counted
				// it), or one that began before this subscription did.
				return false
			}
		}
	}
	if e.Last {
		delete(s.followed, e.ReqID)
		s.remember(e.ReqID)
	}
	s.normal++
	return true
}

// remember keeps id among the recently ended requests; the caller holds s.mu.
func (s *Subscription) remember(id string) {
	if old := s.endedRing[s.endedNext]; old != "" {
		delete(s.ended, old)
	}
	s.endedRing[s.endedNext] = id
	s.ended[id] = struct{}{}
	s.endedNext = (s.endedNext + 1) % endedKept
}

// StaleAfter is how long a followed request may go without its Last event
// before a full subscription forgets it (a server that died mid-request
// never sends one).
const StaleAfter = 2 * time.Minute

// forgetStale stops following requests that began before now-StaleAfter;
// the caller holds s.mu.
func (s *Subscription) forgetStale(now time.Duration) {
	for id, began := range s.followed {
		if now-began > StaleAfter {
			delete(s.followed, id)
		}
	}
}

// collapseStates replaces every waiting state event with one Resync; the
// caller holds s.mu.
func (s *Subscription) collapseStates() {
	kept := s.queue[:s.head]
	for _, e := range s.queue[s.head:] {
		if !e.State {
			kept = append(kept, e)
		}
	}
	clear(s.queue[len(kept):])
	s.queue = append(kept, Event{State: true, Kind: Resync, At: Now(),
		Why: "state events were lost: read the lab's state again", WhyZH: "状态事件有丢失：请重新读取实验状态"})
	s.states = 1
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
			if e.State {
				s.states--
			} else {
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

// Wake is signalled (without blocking the sender) when events arrive, for
// a reader that waits on several things at once and then calls DrainTo.
func (s *Subscription) Wake() <-chan struct{} { return s.wake }

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
	s.queue, s.head, s.normal, s.states = s.queue[:0], 0, 0, 0
	return dst
}

// Dropped returns how many events of no request this subscription lost to
// a full buffer. The events of requests it skipped are not counted again:
// Skipped counts those requests.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Skipped returns how many whole requests this subscription skipped
// because it was full when they began.
func (s *Subscription) Skipped() int64 { return s.skipped.Load() }

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
