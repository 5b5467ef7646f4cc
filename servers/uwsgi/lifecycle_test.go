package uwsgi

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"webflow-lab/servers/uwsgiproto"
)

// TestLifecycleUnderTraffic runs several instances in one process, as sim
// does, each going through Start, Reload, BrutalReload and Shutdown while
// clients keep sending requests. No instance may log an accept error (the
// "accept(): invalid argument" loop), every phase must serve requests, and
// Shutdown must return.
func TestLifecycleUnderTraffic(t *testing.T) {
	checkGoroutines(t)
	for _, tc := range []struct {
		name string
		cfg  Config
		opt  string
	}{
		{"socket", Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello", Processes: 2, Threads: 2}, "socket"},
		{"socket-1x1", Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello", Processes: 1, Threads: 1}, "socket"},
		{"http", Config{HTTP: []string{"127.0.0.1:0"}, WSGIFile: "hello", Processes: 2, Threads: 2}, "http"},
		{"two-sockets", Config{Sockets: []string{"127.0.0.1:0", "127.0.0.1:0"}, WSGIFile: "hello", Processes: 2, Threads: 2}, "socket"},
	} {
		for i := range 3 {
			t.Run(fmt.Sprintf("%s-%d", tc.name, i), func(t *testing.T) {
				t.Parallel()
				lifecycleCycles(t, tc.cfg, tc.opt, 3)
			})
		}
	}
}

func lifecycleCycles(t *testing.T, cfg Config, opt string, cycles int) {
	for range cycles {
		log := newSyncBuf()
		s := New(cfg, Options{Logger: log})
		if err := s.Start(); err != nil {
			t.Fatalf("Start: %v\n%s", err, log.String())
		}
		address := addrOf(t, s, opt)
		var served atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if helloOnce(opt, address) {
						served.Add(1)
					}
				}
			}()
		}
		// waitServed waits until clients got n more answers than now.
		waitServed := func(phase string) {
			t.Helper()
			want := served.Load() + 20
			deadline := time.Now().Add(10 * time.Second)
			for served.Load() < want {
				if time.Now().After(deadline) {
					t.Fatalf("%s: served %d, want %d\nlog:\n%s", phase, served.Load(), want, log.String())
				}
				<-time.After(time.Millisecond)
			}
		}
		waitServed("after Start")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.Reload(ctx); err != nil {
			t.Errorf("Reload: %v", err)
		}
		waitServed("after Reload")
		if err := s.BrutalReload(); err != nil {
			t.Errorf("BrutalReload: %v", err)
		}
		waitServed("after BrutalReload")
		shut := make(chan error, 1)
		go func() { shut <- s.Shutdown(ctx) }()
		if err := s.Reload(ctx); err != nil && err != ErrServerClosed {
			t.Errorf("Reload during Shutdown: got %v, want nil or ErrServerClosed", err)
		}
		if err := <-shut; err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		cancel()
		close(stop)
		wg.Wait()
		if strings.Contains(log.String(), "accept(") {
			t.Fatalf("accept error logged:\n%s", log.String())
		}
	}
}

// helloOnce sends one request and reports whether the hello answer came back.
func helloOnce(opt, address string) bool {
	c, err := net.DialTimeout("tcp", address, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if opt == "http" {
		io.WriteString(c, "GET / HTTP/1.0\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b) == "Hello World\n"
	}
	if _, err := uwsgiproto.WriteRequest(c, 0, 0, nginxVars("GET", "/"), nil); err != nil {
		return false
	}
	b, _ := io.ReadAll(c)
	return bytes.Equal(b, []byte(helloResponse))
}

// TestReloadMercy: a worker that does not finish before Reload's context
// ends is killed, as uWSGI's master does after worker-reload-mercy (its
// client gets nothing), and new workers start all the same: the instance
// never stays without workers.
func TestReloadMercy(t *testing.T) {
	checkGoroutines(t)
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"direct", Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "gate", Processes: 1, Threads: 1}},
		{"acceptor", Config{Sockets: []string{"127.0.0.1:0", "127.0.0.1:0"}, WSGIFile: "gate", Processes: 1, Threads: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGate()
			s, log := startServer(t, tc.cfg, Options{Loader: gateLoader(g)})
			address := addrOf(t, s, "socket")
			c := sendClient(t, address, "slow")
			<-g.in
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := s.Reload(ctx); err != context.DeadlineExceeded {
				t.Fatalf("Reload: got %v, want %v", err, context.DeadlineExceeded)
			}
			if got, _ := readAllConn(c); len(got) != 0 {
				t.Errorf("killed request: got %q, want nothing", got)
			}
			if !strings.Contains(log.String(), "worker 1 (pid: ") || !strings.Contains(log.String(), "is taking too much time to die...NO MERCY !!!") {
				t.Errorf("log: missing uWSGI's NO MERCY line:\n%s", log)
			}
			c2 := sendClient(t, address, "next")
			if id := <-g.in; id != "next" {
				t.Fatalf("after Reload: got %q, want next", id)
			}
			g.release <- struct{}{}
			if got, _ := readAllConn(c2); !strings.HasSuffix(string(got), "ok") {
				t.Errorf("request after Reload: got %q, want the app's ok", got)
			}
		})
	}
}

// TestShutdownAfterFailedStart: Shutdown after a Start that failed returns
// (it used to close an already closed channel).
func TestShutdownAfterFailedStart(t *testing.T) {
	s := New(Config{WSGIFile: "hello"}, Options{})
	if err := s.Start(); err == nil {
		t.Fatal("Start without a socket: got nil, want an error")
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown: got %v, want nil", err)
	}
}

// TestShutdownReportsBusy: when Shutdown's time is up it says what it is
// still waiting for, then a second Shutdown finishes once the request ends.
func TestShutdownReportsBusy(t *testing.T) {
	checkGoroutines(t)
	g := newGate()
	log := newSyncBuf()
	s := New(Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "gate", Processes: 1, Threads: 1}, Options{Loader: gateLoader(g), Logger: log})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	c := sendClient(t, addrOf(t, s, "socket"), "slow")
	<-g.in
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Shutdown: got %v, want %v", err, context.DeadlineExceeded)
	}
	if want := "shutdown: worker 1 core 0 still busy with GET /slow (127.0.0.1) since "; !strings.Contains(log.String(), want) {
		t.Errorf("log: missing %q:\n%s", want, log)
	}
	readAllConn(c) // the request's Context was cancelled: the gate app returns
	if err := s.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

// TestAcceptErrorBacksOff reproduces the "accept(): Invalid argument" loop:
// a worker socket stops listening (shutdown(2) on it, as a stray shutdown
// or a closed-and-reused descriptor does), so every accept fails with
// EINVAL while the poller keeps reporting it readable. Whoever accepts (the
// cores themselves on a lone socket, the acceptors with two) logs the error
// and backs off, 5 ms doubling to 1 s, instead of spinning; another socket
// keeps serving; and Shutdown still returns at once.
func TestAcceptErrorBacksOff(t *testing.T) {
	checkGoroutines(t)
	for _, tc := range []struct {
		name    string
		sockets int
	}{
		{"cores accept", 1},
		{"acceptors", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := newSyncBuf()
			var socks []string
			for range tc.sockets {
				socks = append(socks, "127.0.0.1:0")
			}
			s := New(Config{Sockets: socks, WSGIFile: "hello", Processes: 2, Threads: 2}, Options{Logger: log})
			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			broken := s.workerSockets[0]
			stopListening(t, broken.fd)
			// Wake whoever waits in the poller, as a connection would.
			net.DialTimeout("tcp", broken.raw.Addr().String(), time.Second)
			log.waitFor(t, "accept(): Invalid argument", 5*time.Second)
			<-time.After(300 * time.Millisecond) // the window in which a spin would log thousands of lines
			n := strings.Count(log.String(), "accept(): Invalid argument")
			// At most 4 accepting goroutines, each ~7 tries in 300 ms (0, 5, 15, 35, 75, 155, 315 ms).
			if n > 4*8 {
				t.Errorf("accept errors logged in 300 ms: got %d, want ≤ 32 (back off, do not spin)", n)
			}
			if tc.sockets > 1 {
				if !helloOnce("socket", s.workerSockets[1].raw.Addr().String()) {
					t.Error("the other socket: no answer, want hello")
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := s.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
}
