package upstream

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"webflow-lab/servers/proxy/balance"
	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/servers/wsgi"
)

// checkLeaks fails the test if goroutines outlive it. Call it first, so its
// cleanup runs after the backends' cleanups.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutines: got %d, want %d\n%s", runtime.NumGoroutine(), before, buf[:n])
				return
			}
			runtime.Gosched()
			<-time.After(time.Millisecond) // polling a condition, with a deadline
		}
	})
}

// A received request, as a backend saw it.
type received struct {
	packet uwsgiproto.Packet // uwsgi
	req    *http.Request     // http
	body   []byte
}

// A behaviour is what a backend does with one connection after reading the
// request: answer, close, reset, hang …
type behaviour func(c net.Conn)

// backend is an in-process peer on 127.0.0.1:0 speaking uwsgi or HTTP/1.x.
// Its cleanup fails the test if the proxy left one of its connections open.
type backend struct {
	t        *testing.T
	protocol string
	ln       net.Listener
	addr     string
	do       behaviour
	wg       sync.WaitGroup
	got      chan received // every request read, buffered
	mu       sync.Mutex
	hits     int
}

func newBackend(t *testing.T, protocol string, do behaviour) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveBackend(t, protocol, ln, do)
}

func serveBackend(t *testing.T, protocol string, ln net.Listener, do behaviour) *backend {
	b := &backend{t: t, protocol: protocol, ln: ln, addr: ln.Addr().String(), do: do, got: make(chan received, 64)}
	if ln.Addr().Network() == "unix" {
		b.addr = "unix:" + ln.Addr().String()
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.hits++
			b.mu.Unlock()
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				defer c.Close()
				b.serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		done := make(chan struct{})
		go func() { b.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("backend %s: a connection was left open by the proxy", b.addr)
		}
	})
	return b
}

func (b *backend) Hits() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.hits
}

func (b *backend) serve(c net.Conn) {
	br := bufio.NewReader(c)
	var rv received
	switch b.protocol {
	case "uwsgi":
		p, err := uwsgiproto.PacketReader{BufferSize: 65536}.Read(br)
		if err != nil {
			return
		}
		rv.packet = p
		cl, _ := p.Vars.Get("CONTENT_LENGTH")
		n := int64(0)
		for _, ch := range cl {
			if ch < '0' || ch > '9' {
				break
			}
			n = n*10 + int64(ch-'0')
		}
		rv.body = make([]byte, n)
		if _, err := io.ReadFull(br, rv.body); err != nil {
			return
		}
	default:
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		rv.req = req
		rv.body, _ = io.ReadAll(req.Body)
	}
	b.got <- rv
	b.do(c)
}

// waitEOF half-closes and waits for the proxy to close its end: a peer that
// answered sees the proxy hang up, as uWSGI does after every response.
func waitEOF(c net.Conn) {
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	io.Copy(io.Discard, c)
}

// respond writes raw bytes, then closes after the proxy does.
func respond(raw string) behaviour {
	return func(c net.Conn) {
		io.WriteString(c, raw)
		waitEOF(c)
	}
}

// closeNow answers nothing: an app that raised before start_response.
func closeNow(c net.Conn) {}

// reset closes with SO_LINGER 0, which sends RST: uWSGI refusing a too-big packet.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
}

// hang never answers; it returns when the proxy gives up and closes.
func hang(c net.Conn) { io.Copy(io.Discard, c) }

// partial writes raw and closes without waiting: a response cut short.
func partial(raw string) behaviour {
	return func(c net.Conn) { io.WriteString(c, raw) }
}

// refusedAddr is a loopback port nobody listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// group builds an upstream block of the given peers, round robin.
func group(t *testing.T, name string, peers ...*balance.Peer) *balance.Upstream {
	t.Helper()
	u, err := balance.NewUpstream(name, peers, nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func peer(addr string, mod ...func(*balance.Peer)) *balance.Peer {
	p := balance.NewPeer(addr)
	for _, m := range mod {
		m(p)
	}
	return p
}

func asBackup(p *balance.Peer) { p.Backup = true }

// uwsgiReq is a GET as nginx's stock uwsgi_params would describe it.
func uwsgiReq(method, uri string, body string) *Request {
	cl := ""
	if body != "" {
		cl = strconv.Itoa(len(body))
	}
	return &Request{
		Method: method,
		Vars: uwsgiproto.Vars{
			{Key: "QUERY_STRING", Value: ""}, {Key: "REQUEST_METHOD", Value: method},
			{Key: "CONTENT_TYPE", Value: ""}, {Key: "CONTENT_LENGTH", Value: cl},
			{Key: "REQUEST_URI", Value: uri}, {Key: "PATH_INFO", Value: uri},
			{Key: "SERVER_PROTOCOL", Value: "HTTP/1.1"}, {Key: "HTTP_HOST", Value: "lab.local"},
		},
		Body: []byte(body),
		ID:   "req-1",
	}
}

func httpReq(method, uri, body string) *Request {
	hs := []wsgi.Header{{Name: "Host", Value: "app"}, {Name: "Connection", Value: "close"}}
	if body != "" {
		hs = append(hs, wsgi.Header{Name: "Content-Length", Value: strconv.Itoa(len(body))})
	}
	return &Request{
		Method:   method,
		URI:      uri,
		HTTPHead: HTTPHead(method, uri, "HTTP/1.0", hs),
		Body:     []byte(body),
	}
}

// readBody reads a relayed body to its end and closes it.
func readBody(t *testing.T, r *Result) (string, error) {
	t.Helper()
	if r.Body == nil {
		return "", errors.New("no body")
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	return string(b), err
}

// logLines renders a result's error.log entries compactly.
func logLines(r *Result) []string {
	var out []string
	for _, e := range r.Logs {
		out = append(out, e.String())
	}
	return out
}

// stallDialer never connects: it returns when the connect timeout (or the
// client) ends the dial, like a peer whose SYNs are dropped.
type stallDialer struct{}

func (stallDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	<-ctx.Done()
	return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
}

// errDialer fails every dial with an errno, like a UNIX socket whose backlog is full.
type errDialer struct{ errno syscall.Errno }

func (d errDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", d.errno)}
}
