package trace

import (
	"context"
	"strings"
	"testing"
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
		b.Record(Event{ReqID: string(rune('a' + i))})
	}
	b.Record(Event{Why: "peer down", State: true})
	got := s.Drain()
	if len(got) != 3 || got[0].ReqID != "a" || got[1].ReqID != "b" || !got[2].State {
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
	b.Record(Event{ReqID: "1"})
	b.Record(Event{ReqID: "2"})
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
		br.Record(Event{ReqID: "x"})
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
			b.Record(Event{ReqID: id})
		}
	}
	next := func() {
		e, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.ReqID)
	}
	record("a", "b")
	next()           // a
	record("c", "d") // b, c, d wait: the limit of 3 is reached
	record("x")      // dropped
	buf := []Event{{ReqID: "kept"}}
	buf = s.DrainTo(buf)
	for _, e := range buf {
		got = append(got, e.ReqID)
	}
	record("e", "f", "g") // room again after the drain
	next()
	next()
	got = append(got, "|")
	for _, e := range s.DrainTo(nil) {
		got = append(got, e.ReqID)
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
