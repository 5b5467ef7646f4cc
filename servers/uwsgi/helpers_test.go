package uwsgi

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/servers/wsgi"
)

// syncBuf is a log sink tests can read while the server writes.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
	ch chan struct{}
}

func newSyncBuf() *syncBuf { return &syncBuf{ch: make(chan struct{}, 1)} }

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.ch <- struct{}{}:
	default:
	}
	return b.b.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor waits until the log contains s, or fails after d.
func (b *syncBuf) waitFor(t testing.TB, s string, d time.Duration) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for !strings.Contains(b.String(), s) {
		select {
		case <-b.ch:
		case <-deadline.C:
			t.Fatalf("log never got %q; log:\n%s", s, b.String())
		}
	}
}

// startServer starts an instance on loopback and shuts it down at cleanup,
// checking that Shutdown returns.
func startServer(t testing.TB, cfg Config, opts Options) (*Server, *syncBuf) {
	t.Helper()
	log := newSyncBuf()
	if opts.Logger == nil {
		opts.Logger = log
	}
	s := New(cfg, opts)
	if err := s.Start(); err != nil {
		t.Fatalf("Start: %v\nlog:\n%s", err, log.String())
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return s, log
}

func addrOf(t testing.TB, s *Server, opt string) string {
	t.Helper()
	as := s.Addrs()[opt]
	if len(as) == 0 {
		t.Fatalf("no %s address; have %v", opt, s.Addrs())
	}
	return as[0].String()
}

// uwsgiGet sends one uwsgi request the way nginx would and returns the raw
// response bytes (everything until the server closes).
func uwsgiDo(t testing.TB, network, address string, vars uwsgiproto.Vars, body []byte) []byte {
	t.Helper()
	c, err := net.Dial(network, address)
	if err != nil {
		t.Fatalf("dial %s: %v", address, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := uwsgiproto.WriteRequest(c, 0, 0, vars, bytes.NewReader(body)); err != nil {
		t.Fatalf("write: %v", err)
	}
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return out
}

// nginxVars is what nginx's stock uwsgi_params send for GET path.
func nginxVars(method, uri string, extra ...uwsgiproto.Var) uwsgiproto.Vars {
	path, query, _ := strings.Cut(uri, "?")
	vs := uwsgiproto.Vars{
		{Key: "QUERY_STRING", Value: query}, {Key: "REQUEST_METHOD", Value: method},
		{Key: "CONTENT_TYPE", Value: ""}, {Key: "CONTENT_LENGTH", Value: ""},
		{Key: "REQUEST_URI", Value: uri}, {Key: "PATH_INFO", Value: path},
		{Key: "DOCUMENT_ROOT", Value: "/usr/share/nginx/html"}, {Key: "SERVER_PROTOCOL", Value: "HTTP/1.1"},
		{Key: "REQUEST_SCHEME", Value: "http"}, {Key: "REMOTE_ADDR", Value: "127.0.0.1"},
		{Key: "REMOTE_PORT", Value: "50000"}, {Key: "SERVER_PORT", Value: "8080"},
		{Key: "SERVER_NAME", Value: "lab.local"}, {Key: "HTTP_HOST", Value: "127.0.0.1:8080"},
	}
	return append(vs, extra...)
}

const helloResponse = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nHello World\n"

// checkGoroutines fails if goroutines started during the test are still
// running after cleanup; it waits for them to settle.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		var n int
		for {
			n = runtime.NumGoroutine()
			if n <= before || time.Now().After(deadline) {
				break
			}
			runtime.Gosched()
			time.Sleep(10 * time.Millisecond) // polling an external condition with a deadline
		}
		if n > before {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutines: got %d after, want ≤ %d before\n%s", n, before, buf)
		}
	})
}

// gate is a test app that blocks until released, recording arrival order.
type gate struct {
	mu      sync.Mutex
	arrived []string
	in      chan string
	release chan struct{}
}

func newGate() *gate { return &gate{in: make(chan string, 64), release: make(chan struct{}, 64)} }

func (g *gate) ServeWSGI(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
	id := env.Get("HTTP_X_CLIENT")
	g.mu.Lock()
	g.arrived = append(g.arrived, id)
	g.mu.Unlock()
	g.in <- id
	select {
	case <-g.release:
	case <-env.Context.Done():
		return nil, env.Context.Err()
	}
	start("200 OK", []wsgi.Header{{Name: "Content-Length", Value: "2"}})
	return wsgi.Chunks([]byte("ok")), nil
}

func gateLoader(g *gate) func(AppRef) (wsgi.App, error) {
	return func(AppRef) (wsgi.App, error) { return g, nil }
}

func readAllConn(c net.Conn) ([]byte, error) {
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	return io.ReadAll(bufio.NewReader(c))
}

func mustWrite(t testing.TB, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
