package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// fakeServer answers every request on pipe connections after service(i)
// of fake time, i counting requests across all connections from 0. A
// negative service time closes the connection without an answer.
type fakeServer struct {
	service func(i int) time.Duration
	n       atomic.Int64
	conns   atomic.Int64
}

func (f *fakeServer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	client, server := net.Pipe()
	f.conns.Add(1)
	go f.serve(server)
	return client, nil
}

func (f *fakeServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		for { // the request head, up to its blank line
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if line == "\r\n" {
				break
			}
		}
		d := f.service(int(f.n.Add(1) - 1))
		if d < 0 {
			return
		}
		time.Sleep(d) // fake time: the bubble's clock jumps
		if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")); err != nil {
			return
		}
	}
}

// runFake runs spec against a fakeServer inside a synctest bubble, so
// every latency is exact.
func runFake(t *testing.T, spec Spec, service func(i int) time.Duration) (rep Report, err error, conns int64) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		s := spec.withDefaults()
		tg, perr := prepare(context.Background(), s)
		if perr != nil {
			t.Fatal(perr)
		}
		f := &fakeServer{service: service}
		rep, err = newRun(s, tg, f.dial).run(context.Background())
		conns = f.conns.Load()
		time.Sleep(time.Hour) // fake time: a stalled answer the client gave up on finishes, its write fails
	})
	return rep, err, conns
}

const ms = time.Millisecond

// TestCoordinatedOmission: one connection, 100 requests/s (one due every
// 10 ms), 1 ms answers except one 500 ms stall. Without the correction the
// stall is one slow request in ten (p50 1 ms); the eight requests that
// waited behind it were due long before they could be sent, and measured
// from when they were due they took 491 ms, 482 ms, … 428 ms.
func TestCoordinatedOmission(t *testing.T) {
	stall := func(i int) time.Duration {
		if i == 1 {
			return 500 * ms
		}
		return ms
	}
	steady := func(int) time.Duration { return ms }
	tests := []struct {
		name        string
		rate        float64
		service     func(int) time.Duration
		wantLatency map[float64]time.Duration // percentile → value
		wantService map[float64]time.Duration
		wantElapsed time.Duration
	}{
		{"steady at rate", 100, steady,
			map[float64]time.Duration{50: ms, 100: ms}, map[float64]time.Duration{50: ms, 100: ms}, 91 * ms},
		{"stall at rate is corrected", 100, stall,
			// sorted: 1, 428, 437, 446, 455, 464, 473, 482, 491, 500 ms
			map[float64]time.Duration{10: ms, 20: 428 * ms, 50: 455 * ms, 90: 491 * ms, 100: 500 * ms},
			map[float64]time.Duration{50: ms, 90: ms, 100: 500 * ms}, 518 * ms},
		{"stall closed loop is service time", 0, stall,
			map[float64]time.Duration{50: ms, 90: ms, 100: 500 * ms},
			map[float64]time.Duration{50: ms, 100: 500 * ms}, 509 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err, _ := runFake(t, Spec{URL: "http://127.0.0.1:8080/", Connections: 1, Requests: 10, Rate: tt.rate}, tt.service)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Requests != 10 || rep.Status[200] != 10 || rep.Errors != 0 {
				t.Fatalf("got %d answers (%v), %d errors; want 10 × 200, none", rep.Requests, rep.Status, rep.Errors)
			}
			check := func(what string, h *Histogram, want map[float64]time.Duration) {
				for q, w := range want {
					// the histogram knows a value to within 1/128 of it
					if got := h.Percentile(q); got < w-w/128 || got > w+w/128 {
						t.Errorf("%s p%g: got %v, want %v within 1/128", what, q, got, w)
					}
				}
			}
			check("latency", rep.Latency, tt.wantLatency)
			check("service", rep.Service, tt.wantService)
			if rep.Elapsed != tt.wantElapsed {
				t.Errorf("elapsed: got %v, want %v", rep.Elapsed, tt.wantElapsed)
			}
		})
	}
}

// TestSchedule: several connections share one schedule, so a rate of 200/s
// over 4 connections for 1 s sends 200 requests, each on time.
func TestSchedule(t *testing.T) {
	rep, err, conns := runFake(t, Spec{URL: "http://127.0.0.1:8080/", Connections: 4, Duration: time.Second, Rate: 200},
		func(int) time.Duration { return 3 * ms })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 200 || conns != 4 {
		t.Errorf("got %d requests on %d connections, want 200 on 4", rep.Requests, conns)
	}
	if got := rep.Latency.Max(); got != 3*ms {
		t.Errorf("max latency: got %v, want 3ms (no request waited)", got)
	}
	if got := rep.RPS(); got < 199 || got > 201 {
		t.Errorf("rps: got %.1f, want 200", got)
	}
}

// TestClosedLoop: N connections, answers after d: throughput is N/d.
func TestClosedLoop(t *testing.T) {
	rep, err, _ := runFake(t, Spec{URL: "http://127.0.0.1:8080/", Connections: 5, Duration: time.Second},
		func(int) time.Duration { return 50 * ms })
	if err != nil {
		t.Fatal(err)
	}
	// 5 connections × 20 answers each in 1 s.
	if rep.Requests != 100 || rep.Elapsed != time.Second {
		t.Errorf("got %d requests in %v, want 100 in 1s", rep.Requests, rep.Elapsed)
	}
}

// TestErrors: a stalled answer past the timeout is a timeout; a server
// that hangs up after the request is "closed early"; a kept-alive
// connection closed between requests is dialled again without an error.
func TestErrors(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		rep, err, _ := runFake(t, Spec{URL: "http://127.0.0.1:8080/", Connections: 1, Requests: 3, Timeout: 100 * ms},
			func(i int) time.Duration {
				if i == 1 {
					return time.Second
				}
				return ms
			})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Requests != 2 || rep.ByKind[Timeout] != 1 {
			t.Errorf("got %d answers, errors %v; want 2 answers and 1 timeout", rep.Requests, rep.ByKind)
		}
	})
	t.Run("closed mid-request", func(t *testing.T) {
		rep, err, _ := runFake(t, Spec{URL: "http://127.0.0.1:8080/", Connections: 1, Requests: 1},
			func(i int) time.Duration { return -1 })
		if err != nil {
			t.Fatal(err)
		}
		if rep.Requests != 0 || rep.ByKind[Closed] != 1 || !strings.Contains(rep.Text("en"), "closed early") {
			t.Errorf("got %d answers, errors %v; want 1 closed early\n%s", rep.Requests, rep.ByKind, rep.Text("en"))
		}
	})
	t.Run("keep-alive closed between requests is retried", func(t *testing.T) {
		rep, err, conns := runFake(t, Spec{URL: "http://127.0.0.1:8080/", Connections: 1, Requests: 4},
			func(i int) time.Duration {
				if i == 2 { // the server hangs up on the third request, as after keepalive_requests
					return -1
				}
				return ms
			})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Requests != 4 || rep.Errors != 0 || conns != 2 {
			t.Errorf("got %d answers, %d errors on %d connections; want 4, 0 on 2", rep.Requests, rep.Errors, conns)
		}
	})
}

// TestCancel: cancelling the context ends a run that would last an hour,
// with what was measured so far.
func TestCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := Spec{URL: "http://127.0.0.1:8080/", Connections: 3, Duration: time.Hour}.withDefaults()
		var calls atomic.Int64
		var last atomic.Pointer[Progress]
		s.Progress = func(p Progress) {
			calls.Add(1)
			if !p.Final {
				last.Store(&p)
			}
		}
		tg, _ := prepare(context.Background(), s)
		f := &fakeServer{service: func(int) time.Duration { return 10 * ms }}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		rep, err := newRun(s, tg, f.dial).run(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || !rep.Cancelled {
			t.Fatalf("got err %v, cancelled %v; want the context's error and Cancelled", err, rep.Cancelled)
		}
		if rep.Requests < 500 || rep.Requests > 600 {
			t.Errorf("got %d answers in 2 s on 3 connections at 10 ms each, want about 600", rep.Requests)
		}
		time.Sleep(time.Hour)          // the fake server's answers in flight finish
		if n := calls.Load(); n != 9 { // 8 ticks of 250 ms, then the final call
			t.Errorf("progress called %d times, want 9", n)
		}
		// The last tick (at 2 s) saw the run live: its status counts and
		// its latency histogram, 10 ms each.
		p := last.Load()
		if p == nil || p.Status[200] != p.Done || p.Done < 500 || p.Latency == nil {
			t.Fatalf("last progress: %+v; want Status[200] = Done ≈ 600 and the live histogram", p)
		}
		if got := p.Latency.Percentile(50); got < 9*ms || got > 11*ms {
			t.Errorf("live p50: got %v, want 10ms", got)
		}
	})
}

// TestRefusedTargets: a URL that is not http or not loopback is refused
// before anything is sent, naming the flag that allows it.
func TestRefusedTargets(t *testing.T) {
	tests := []struct {
		name, url string
		want      string
	}{
		{"remote IP", "http://10.1.2.3/", "--allow-remote"},
		{"https", "https://127.0.0.1/", "only http://"},
		{"no host", "/employees/", "not a URL with a host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), Spec{URL: tt.url, Requests: 1})
			if err == nil {
				t.Fatalf("got no error, want one mentioning %q", tt.want)
			}
			var e interface{ Block(string) string }
			if !errors.As(err, &e) || !strings.Contains(e.Block("en"), tt.want) || e.Block("zh") == e.Block("en") {
				t.Errorf("got %v, want an explain.Error in both languages mentioning %q", err, tt.want)
			}
		})
	}
	_, err := Run(context.Background(), Spec{URL: "http://10.1.2.3/", Requests: 1})
	if !errors.Is(err, ErrRemote) {
		t.Errorf("remote: got %v, want it to wrap ErrRemote", err)
	}
}

// TestRealServer: real sockets against net/http's server, keep-alive and
// not, chunked answers included; every request is answered and counted.
func TestRealServer(t *testing.T) {
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(strings.Repeat("x", 10000))) // no Content-Length past 2 KB: chunked
	}))
	defer srv.Close()
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprintf("keepalive=%v", keep), func(t *testing.T) {
			seen.Store(0)
			rep, err := Run(context.Background(), Spec{URL: srv.URL + "/x", Connections: 4, Requests: 200, NoKeepAlive: !keep})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Requests != 200 || rep.Status[200] != 200 || rep.Errors != 0 || seen.Load() != 200 {
				t.Errorf("got %d answers %v, %d errors %v, server saw %d; want 200 × 200", rep.Requests, rep.Status, rep.Errors, rep.FirstError, seen.Load())
			}
			if rep.Bytes < 200*10000 {
				t.Errorf("got %d bytes, want at least %d", rep.Bytes, 200*10000)
			}
		})
	}
	rep, err := Run(context.Background(), Spec{URL: srv.URL + "/missing", Connections: 2, Requests: 10, Header: [][2]string{{"Cookie", "a=b"}}})
	if err != nil || rep.Status[404] != 10 {
		t.Errorf("got %v %v, want 10 × 404", rep.Status, err)
	}
}

// TestRefused: nothing listens, every request is refused.
func TestRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rep, err := Run(context.Background(), Spec{URL: "http://" + addr + "/", Connections: 2, Requests: 6})
	if err != nil {
		t.Fatal(err)
	}
	if rep.ByKind[Refused] != 6 || rep.Requests != 0 {
		t.Errorf("got %d answers, errors %v, want 6 refused", rep.Requests, rep.ByKind)
	}
}
