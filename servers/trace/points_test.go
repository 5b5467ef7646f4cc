package trace

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestAskUnarmedGoesOn(t *testing.T) {
	var nilPoints *Points
	if err := nilPoints.Ask(context.Background(), Stop{Hop: WorkerToApp}); err != nil {
		t.Errorf("nil points: got %v, want nil", err)
	}
	p := NewPoints(nil)
	id := p.Arm(Rule{Hop: AppToDB, Action: Fail, Fault: DBError})
	if err := p.Ask(context.Background(), Stop{Hop: WorkerToApp}); err != nil {
		t.Errorf("another hop armed: got %v, want nil", err)
	}
	p.Disarm(id)
	if err := p.Ask(context.Background(), Stop{Hop: AppToDB}); err != nil {
		t.Errorf("disarmed: got %v, want nil", err)
	}
}

func TestFaultsAreTheRealErrors(t *testing.T) {
	tests := []struct {
		name  string
		rule  Rule
		stop  Stop
		want  error // errors.Is target; nil: go on
		fault FaultKind
	}{
		{"refused at the firewall", Rule{Hop: Connect, Port: 9011, Action: Fail, Fault: Refused},
			Stop{Hop: Connect, Port: 9011}, syscall.ECONNREFUSED, Refused},
		{"another port passes", Rule{Hop: Connect, Port: 9011, Action: Fail, Fault: Refused},
			Stop{Hop: Connect, Port: 9001}, nil, 0},
		{"reset", Rule{Hop: UwsgiToProxy, Action: Fail, Fault: Reset},
			Stop{Hop: UwsgiToProxy, Instance: "uwsgi-2"}, syscall.ECONNRESET, Reset},
		{"only the named instance", Rule{Hop: WorkerToApp, Instance: "uwsgi-2", Action: Fail, Fault: Reset},
			Stop{Hop: WorkerToApp, Instance: "uwsgi-1"}, nil, 0},
		{"path prefix", Rule{Hop: AppToDB, PathPrefix: "/employees", Action: Fail, Fault: DBError},
			Stop{Hop: AppToDB, Path: "/employees/3/edit/"}, &Fault{}, DBError},
		{"path prefix misses", Rule{Hop: AppToDB, PathPrefix: "/employees", Action: Fail, Fault: DBError},
			Stop{Hop: AppToDB, Path: "/login/"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPoints(nil)
			p.Arm(tt.rule)
			err := p.Ask(context.Background(), tt.stop)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var f *Fault
			if !errors.As(err, &f) || f.Kind != tt.fault {
				t.Fatalf("got %v, want a %v fault", err, tt.fault)
			}
			if errno, ok := tt.want.(syscall.Errno); ok && !errors.Is(err, errno) {
				t.Errorf("got %v, want it to be %v", err, errno)
			}
		})
	}
}

func TestEveryFailsOneInN(t *testing.T) {
	p := NewPoints(nil)
	p.Arm(Rule{Hop: WorkerToApp, Action: Fail, Fault: Reset, Every: 3})
	var got []bool
	for range 7 {
		got = append(got, p.Ask(context.Background(), Stop{Hop: WorkerToApp}) != nil)
	}
	want := []bool{true, false, false, true, false, false, true}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("failed %v, want %v", got, want)
		}
	}
	if hits := p.Rules()[0].Hits; hits != 3 {
		t.Errorf("got %d hits, want 3", hits)
	}
}

// ask runs p.Ask in a goroutine and returns a channel that gets its answer.
func ask(ctx context.Context, p *Points, s Stop) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- p.Ask(ctx, s) }()
	return ch
}

func TestBreakpointHoldsUntilRelease(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBroker()
		sub := b.Subscribe(100)
		defer sub.Close()
		p := NewPoints(b)
		p.Arm(Rule{Hop: WorkerToApp, Action: Hold})
		first := ask(context.Background(), p, Stop{Hop: WorkerToApp, ReqID: "1", Path: "/a"})
		second := ask(context.Background(), p, Stop{Hop: WorkerToApp, ReqID: "2", Path: "/b"})
		synctest.Wait()
		held := p.Held()
		if len(held) != 2 || held[0].Stop.ReqID == held[1].Stop.ReqID {
			t.Fatalf("got %d held %+v, want both requests", len(held), held)
		}
		if !held[0].Deadline.Equal(held[0].Since.Add(DefaultHoldTimeout)) {
			t.Errorf("deadline %v after %v, want the default timeout", held[0].Deadline, held[0].Since)
		}
		var release Held
		for _, h := range held {
			if h.Stop.ReqID == "2" {
				release = h
			}
		}
		if !p.Release(release.ID) {
			t.Fatal("Release: not held")
		}
		synctest.Wait()
		select {
		case err := <-second:
			if err != nil {
				t.Errorf("released request: got %v, want nil", err)
			}
		default:
			t.Fatal("the released request still waits")
		}
		select {
		case err := <-first:
			t.Fatalf("the other request went on (%v) without release", err)
		default:
		}
		if n := p.ReleaseAll(); n != 1 {
			t.Errorf("ReleaseAll: got %d, want 1", n)
		}
		if err := <-first; err != nil {
			t.Errorf("got %v, want nil", err)
		}
		var hits, releases int
		for _, e := range sub.Drain() {
			switch e.Kind {
			case BreakpointHit:
				hits++
			case BreakpointReleased:
				releases++
			}
		}
		if hits != 2 || releases != 2 {
			t.Errorf("got %d hit and %d released state events, want 2 and 2", hits, releases)
		}
	})
}

func TestBreakpointWaitEnds(t *testing.T) {
	tests := []struct {
		name    string
		end     func(p *Points, cancel context.CancelFunc)
		wantErr error
		after   time.Duration // fake time the request waited
	}{
		{"timeout releases", func(*Points, context.CancelFunc) {}, nil, 5 * time.Second},
		{"the client leaves", func(_ *Points, cancel context.CancelFunc) { cancel() }, context.Canceled, 0},
		{"the lab stops", func(p *Points, _ context.CancelFunc) { p.Close() }, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := NewPoints(nil)
				p.Arm(Rule{Hop: DBToApp, Action: Hold, Timeout: 5 * time.Second})
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				start := time.Now()
				ch := ask(ctx, p, Stop{Hop: DBToApp})
				synctest.Wait()
				tt.end(p, cancel)
				err := <-ch
				if !errors.Is(err, tt.wantErr) && err != tt.wantErr {
					t.Errorf("got %v, want %v", err, tt.wantErr)
				}
				if d := time.Since(start); d != tt.after {
					t.Errorf("waited %v, want %v", d, tt.after)
				}
				if len(p.Held()) != 0 {
					t.Errorf("still held: %+v", p.Held())
				}
			})
		})
	}
}

func TestDelayAndDrop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPoints(nil)
		p.Arm(Rule{Hop: WorkerToApp, Action: Delay, Delay: 200 * time.Millisecond})
		p.Arm(Rule{Hop: Connect, Port: 9011, Action: Fail, Fault: TimedOut})
		start := time.Now()
		if err := p.Ask(context.Background(), Stop{Hop: WorkerToApp}); err != nil || time.Since(start) != 200*time.Millisecond {
			t.Errorf("delay: got %v after %v, want nil after 200ms", err, time.Since(start))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		start = time.Now()
		err := p.Ask(ctx, Stop{Hop: Connect, Port: 9011})
		if !errors.Is(err, syscall.ETIMEDOUT) || time.Since(start) != 60*time.Second {
			t.Errorf("drop: got %v after %v, want ETIMEDOUT when the client's own 60s timeout ends", err, time.Since(start))
		}
	})
}

func TestParseHop(t *testing.T) {
	for _, h := range Hops() {
		if got, ok := ParseHop(h.String()); !ok || got != h {
			t.Errorf("ParseHop(%q) = %v, %v", h.String(), got, ok)
		}
	}
	for in, want := range map[string]Hop{"worker->app": WorkerToApp, "app": WorkerToApp, "DB": AppToDB, "upstream": ProxyToUwsgi} {
		if got, ok := ParseHop(in); !ok || got != want {
			t.Errorf("ParseHop(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := ParseHop("nowhere"); ok {
		t.Error("ParseHop accepted nowhere")
	}
}

// BenchmarkAskUnarmed is the cost every hop pays when the lab arms nothing.
func BenchmarkAskUnarmed(b *testing.B) {
	p := NewPoints(nil)
	ctx := context.Background()
	s := Stop{Hop: WorkerToApp, Path: "/"}
	for b.Loop() {
		if err := p.Ask(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
}
