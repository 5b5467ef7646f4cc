package trace

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestBrokerDropsRequestEventsButNeverState(t *testing.T) {
	b := NewBroker()
	if Watched(b) {
		t.Fatal("a broker with no subscriber reports watched")
	}
	s := b.Subscribe(2)
	defer s.Close()
	if !Watched(b) {
		t.Fatal("a subscribed broker reports unwatched")
	}
	for i := range 5 {
		b.Record(Event{Why: string(rune('a' + i))})
	}
	b.Record(Event{Why: "peer down", State: true})
	got := s.Drain()
	if len(got) != 3 || got[0].Why != "a" || got[1].Why != "b" || !got[2].State {
		t.Fatalf("got %+v, want a, b and the state change", got)
	}
	if s.Dropped() != 3 {
		t.Errorf("got %d dropped, want 3", s.Dropped())
	}
}

func TestSubscriptionNextWaitsAndCloses(t *testing.T) {
	b := NewBroker()
	s := b.Subscribe(8)
	events := make(chan Event)
	done := make(chan error)
	go func() {
		for {
			e, err := s.Next(context.Background())
			if err != nil {
				done <- err
				return
			}
			events <- e
		}
	}()
	b.Record(Event{ReqID: "1", First: true, Last: true})
	b.Record(Event{ReqID: "2", First: true, Last: true})
	if e := <-events; e.ReqID != "1" {
		t.Errorf("got %q first", e.ReqID)
	}
	if e := <-events; e.ReqID != "2" {
		t.Errorf("got %q second", e.ReqID)
	}
	s.Close()
	if err := <-done; err != ErrClosed {
		t.Errorf("got %v, want ErrClosed", err)
	}
	if Watched(b) {
		t.Error("closed subscription still counted")
	}
}

func TestNextHonoursContext(t *testing.T) {
	s := NewBroker().Subscribe(1)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Next(ctx); err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestWatchedAndNop(t *testing.T) {
	if Watched(nil) || Watched(Nop) || Watched(&Counter{}) {
		t.Error("nil, Nop and Counter must not ask for PDUs")
	}
	if OrNop(nil) != Nop {
		t.Error("OrNop(nil) is not Nop")
	}
}

func BenchmarkRecordUnwatched(b *testing.B) {
	br := NewBroker()
	for b.Loop() {
		br.Record(Event{ReqID: "x"})
	}
}

func BenchmarkRecordWatched(b *testing.B) {
	br := NewBroker()
	s := br.Subscribe(1 << 10)
	defer s.Close()
	for b.Loop() {
		br.Record(Event{ReqID: "x", First: true, Last: true})
		if len(s.queue) > 512 {
			s.Drain()
		}
	}
}

// Next and DrainTo share one queue: whatever mix of them reads it, every
// event comes out once, in order, and the buffer limit counts what waits.
func TestNextAndDrainToMix(t *testing.T) {
	b := NewBroker()
	s := b.Subscribe(3)
	defer s.Close()
	ctx := context.Background()
	var got []string
	record := func(ids ...string) {
		for _, id := range ids {
			b.Record(Event{Why: id})
		}
	}
	next := func() {
		e, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Why)
	}
	record("a", "b")
	next()           // a
	record("c", "d") // b, c, d wait: the limit of 3 is reached
	record("x")      // dropped
	buf := []Event{{Why: "kept"}}
	buf = s.DrainTo(buf)
	for _, e := range buf {
		got = append(got, e.Why)
	}
	record("e", "f", "g") // room again after the drain
	next()
	next()
	got = append(got, "|")
	for _, e := range s.DrainTo(nil) {
		got = append(got, e.Why)
	}
	want := "a kept b c d e f | g"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("read %q, want %q", g, want)
	}
	if s.Dropped() != 1 {
		t.Errorf("dropped %d, want 1 (x)", s.Dropped())
	}
	if evs := s.DrainTo(nil); len(evs) != 0 {
		t.Errorf("an empty queue drained %d events", len(evs))
	}
}

// request records one whole request of n events on b: First, n-2 in the
// middle, Last.
func request(b *Broker, id string, n int) {
	for i := range n {
		b.Record(Event{ReqID: id, First: i == 0, Last: i == n-1, Why: id})
	}
}

// Under load a subscription follows whole requests or skips them whole: a
// reader never sees a request that went out and never came back.
func TestSubscriptionFollowsWholeRequests(t *testing.T) {
	tests := []struct {
		name        string
		buffer      int
		run         func(b *Broker)
		wantPerReq  map[string]int // events read per request
		wantSkipped int64
	}{
		{"room for all", 1000, func(b *Broker) {
			request(b, "a", 5)
			request(b, "b", 5)
		}, map[string]int{"a": 5, "b": 5}, 0},
		{"full buffer skips new requests whole", 40, func(b *Broker) {
			request(b, "a", 35)
			request(b, "b", 10) // 35 wait, 35+40/4 > 40: skipped
		}, map[string]int{"a": 35}, 1},
		{"a followed request overruns the buffer rather than lose its end", 1, func(b *Broker) {
			b.Record(Event{ReqID: "a", First: true})
			b.Record(Event{ReqID: "b", First: true}) // skipped: a waits
			for range 100 {
				b.Record(Event{ReqID: "a"})
				b.Record(Event{ReqID: "b"})
			}
			b.Record(Event{ReqID: "a", Last: true})
		}, map[string]int{"a": 102}, 1},
		{"an app server's event just after the proxy's last still belongs to the request", 100, func(b *Broker) {
			request(b, "a", 3)
			b.Record(Event{ReqID: "a", Why: "uwsgi→proxy returned, logged after the answer went"})
		}, map[string]int{"a": 4}, 0},
		{"events of a request begun before the subscription are not shown", 100, func(b *Broker) {
			b.Record(Event{ReqID: "old"})
			b.Record(Event{ReqID: "old", Last: true})
			request(b, "new", 3)
		}, map[string]int{"new": 3}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBroker()
			s := b.Subscribe(tt.buffer)
			defer s.Close()
			tt.run(b)
			got := map[string]int{}
			for _, e := range s.Drain() {
				got[e.ReqID]++
			}
			if len(got) != len(tt.wantPerReq) {
				t.Errorf("got requests %v, want %v", got, tt.wantPerReq)
			}
			for id, n := range tt.wantPerReq {
				if got[id] != n {
					t.Errorf("request %s: got %d events, want %d", id, got[id], n)
				}
			}
			if s.Skipped() != tt.wantSkipped {
				t.Errorf("got %d skipped, want %d", s.Skipped(), tt.wantSkipped)
			}
		})
	}
}

// A request whose Last event was never recorded (its server died) is
// forgotten once it is stale, so a subscription never fills up for good.
func TestSubscriptionForgetsStaleRequests(t *testing.T) {
	b := NewBroker()
	s := b.Subscribe(1 << 20)
	defer s.Close()
	for i := range MaxFollowed {
		b.Record(Event{ReqID: strconv.Itoa(i), First: true, At: time.Second})
	}
	b.Record(Event{ReqID: "late", First: true, At: 2 * time.Second})
	if s.Skipped() != 1 {
		t.Fatalf("got %d skipped with %d requests followed, want 1", s.Skipped(), MaxFollowed)
	}
	b.Record(Event{ReqID: "much later", First: true, At: time.Second + StaleAfter + time.Second})
	if s.Skipped() != 1 {
		t.Errorf("got %d skipped after the followed requests went stale, want still 1", s.Skipped())
	}
}

// State events are bounded too: past MaxState the reader gets one Resync
// in place of the oldest, never silence.
func TestStateQueueIsBoundedWithResync(t *testing.T) {
	b := NewBroker()
	s := b.Subscribe(1)
	defer s.Close()
	for range MaxState + 10 {
		b.Record(Event{State: true, Kind: PeerDown})
	}
	got := s.Drain()
	if len(got) > MaxState || len(got) == 0 || got[0].Kind != Resync {
		t.Fatalf("got %d events starting with %v, want at most %d starting with a resync", len(got), got[0].Kind, MaxState)
	}
}

// Counter is a Recorder that only counts events; Watched respects its Watched method.
type Counter struct{ n atomic.Int64 }

func (c *Counter) Record(Event) { c.n.Add(1) }

// Count returns the number of events recorded so far.
func (c *Counter) Count() int64 { return c.n.Load() }

// Watched reports false: a Counter does not want PDUs.
func (c *Counter) Watched() bool { return false }

// BenchmarkWatcherFollowRate measures how many whole requests a second a
// watcher follows before it starts to sample: requests of ten events each
// are recorded at a steady rate for half a second while the watcher drains
// its subscription 60 times a second, as the screen does, and the share of
// requests it skipped is reported. Run it once per case:
//
//	go test -run X -bench WatcherFollowRate -benchtime 1x ./servers/trace/
func BenchmarkWatcherFollowRate(b *testing.B) {
	for _, buffer := range []int{1024, 4096} {
		for _, rate := range []int{2000, 5000, 10000, 20000, 40000, 80000} {
			b.Run(fmt.Sprintf("buffer=%d/rate=%d", buffer, rate), func(b *testing.B) {
				var skipped, total int64
				for b.Loop() {
					s, n := followRun(buffer, rate, 500*time.Millisecond)
					skipped += s
					total += n
				}
				b.ReportMetric(100*float64(skipped)/float64(max(total, 1)), "skipped-%")
				b.ReportMetric(float64(total)/0.5/float64(b.N), "req/s-offered")
			})
		}
	}
}

// followRun records rate ten-event requests a second for d into a broker
// whose one subscription is drained every 1/60 s, and returns how many
// requests the subscription skipped and how many were recorded.
func followRun(buffer, rate int, d time.Duration) (skipped, total int64) {
	br := NewBroker()
	s := br.Subscribe(buffer)
	defer s.Close()
	stop := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		tick := time.NewTicker(time.Second / 60)
		defer tick.Stop()
		var buf []Event
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				buf = s.DrainTo(buf[:0])
			}
		}
	}()
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		due := int(float64(rate) * time.Since(start).Seconds())
		for ; n < due; n++ {
			id := strconv.Itoa(n)
			for k := range 10 {
				br.Record(Event{ReqID: id, At: Now(), First: k == 0, Last: k == 9})
			}
		}
		time.Sleep(200 * time.Microsecond) // the next batch: a steady rate, not one burst
	}
	close(stop)
	<-drained
	return s.Skipped(), int64(n)
}
