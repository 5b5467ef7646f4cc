package trace

import (
	"context"
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
