package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"webflow-lab/servers/testenv"
)

// refusingDialer is a fault injector: every dial is refused, as a dead peer does.
type refusingDialer struct{}

func (refusingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

func TestDialerSeam(t *testing.T) {
	backend := startOurUwsgi(t, "hello")
	dir := t.TempDir()
	cfg := loadConf(t, dir, "events {}\nhttp { server { listen 127.0.0.1:FREEPORT; location / { uwsgi_pass "+backend+"; } } }\n")
	errLog := &syncBuffer{}
	srv, err := New(cfg, Options{Prefix: dir, Dialer: refusingDialer{}, ErrorLog: errLog, AccessLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	got := do(t, srv.Addrs()[0].String(), get("/x"))
	if got.status != 502 {
		t.Errorf("got %d, want 502 from the refusing dialer", got.status)
	}
	if !strings.Contains(errLog.String(), "connect() failed (111: Connection refused) while connecting to upstream") {
		t.Errorf("error log:\n%s", errLog.String())
	}
}

// TestUpstreamRoundRobin: two peers answer in turn; a reload starts the
// rotation over, as nginx's new workers do.
func TestUpstreamRoundRobin(t *testing.T) {
	a, b := namedBackend(t, "A"), namedBackend(t, "B")
	conf := `upstream app { server ` + a + `; server ` + b + ` weight=2; }
    server { listen 127.0.0.1:FREEPORT; location / { proxy_pass http://app; } }`
	l := startLab(t, conf, nil)
	seq := func(n int) string {
		var s []string
		for i := 0; i < n; i++ {
			s = append(s, do(t, l.addr, get("/")).body)
		}
		return strings.Join(s, "")
	}
	if got := seq(6); got != "BABBAB" {
		t.Errorf("weights 1,2: got %s, want BABBAB (smooth weighted round robin)", got)
	}
	seq(1) // leave the balancer mid-cycle
	cfg := loadConf(t, t.TempDir(), "events {}\nhttp {\n"+strings.Replace(conf, "FREEPORT", l.addr[strings.LastIndexByte(l.addr, ':')+1:], 1)+"\n}\n")
	if err := l.srv.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	if got := seq(3); got != "BAB" {
		t.Errorf("after reload: got %s, want BAB (fresh balancer state)", got)
	}
	if !strings.Contains(l.accLog.String(), "\"GET / HTTP/1.1\" 200 1") {
		t.Errorf("access log:\n%s", l.accLog.String())
	}
}

// namedBackend is an HTTP backend that answers its name.
func namedBackend(t *testing.T, name string) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, name)
	}))
	t.Cleanup(ts.Close)
	return strings.TrimPrefix(ts.URL, "http://")
}

// TestGracefulShutdown: a request in flight when Shutdown starts is
// answered; the listener is closed at once; Shutdown returns after it.
func TestGracefulShutdown(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-release
		io.WriteString(w, "finished")
	}))
	defer slow.Close()
	l := startLab(t, `server { listen 127.0.0.1:FREEPORT; location / { proxy_pass `+slow.URL+`; } }`, nil)
	result := make(chan response, 1)
	go func() {
		c, err := net.Dial("tcp", l.addr)
		if err != nil {
			result <- response{}
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(c, get("/"))
		br := bufio.NewReader(c)
		if _, err := br.Peek(1); err != nil {
			result <- response{}
			return
		}
		result <- readResponse(t, br, false)
	}()
	select {
	case <-arrived:
	case r := <-result:
		t.Fatalf("the backend never got the request; the client got %d %q", r.status, r.body)
	case <-time.After(20 * time.Second):
		t.Fatal("the backend never got the request")
	}
	shut := make(chan error, 1)
	go func() { shut <- l.srv.Shutdown(context.Background()) }()
	// the listener closes at once: new connections are refused
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", l.addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting after Shutdown began")
		}
		runtimeGosched()
	}
	select {
	case <-shut:
		t.Fatal("Shutdown returned with a request in flight")
	default:
	}
	close(release)
	if got := <-result; got.status != 200 || got.body != "finished" {
		t.Errorf("in-flight request: got %d %q, want 200 \"finished\"", got.status, got.body)
	}
	select {
	case err := <-shut:
		if err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Shutdown did not return after the last request")
	}
}

// TestClientGoneIs499: the client hangs up while the app works; nginx logs
// 499 and closes the upstream connection too.
func TestClientGoneIs499(t *testing.T) {
	arrived := make(chan struct{})
	upstreamClosed := make(chan struct{})
	backend := fakeBackend(t, func(c net.Conn) {
		readUwsgiRequest(c)
		close(arrived)
		c.Read(make([]byte, 1)) // returns when the proxy closes its side
		close(upstreamClosed)
	})
	l := startLab(t, `server { listen 127.0.0.1:FREEPORT; location / { uwsgi_pass `+backend+`; } }`, nil)
	c, err := net.Dial("tcp", l.addr)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, get("/slow"))
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the backend never got the request")
	}
	c.Close()
	select {
	case <-upstreamClosed:
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy kept the upstream connection after the client left")
	}
	l.srv.Shutdown(context.Background())
	if !strings.Contains(l.accLog.String(), `"GET /slow HTTP/1.1" 499 0`) {
		t.Errorf("access log lacks the 499 line:\n%s", l.accLog.String())
	}
}

// TestInteropProxyPass compares proxy_pass with real nginx: what the HTTP
// backend receives (request line, Host, Connection, headers) and what the
// client gets back.
func TestInteropProxyPass(t *testing.T) {
	testenv.Need(t, "nginx")
	var mu sync.Mutex
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var hs []string
		for k, v := range r.Header {
			hs = append(hs, k+": "+strings.Join(v, ","))
		}
		sort.Strings(hs)
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Backend", "yes")
		if r.URL.Path == "/api/redirect" {
			http.Redirect(w, r, "/api/elsewhere", http.StatusFound)
			return
		}
		fmt.Fprintf(w, "%s %s %s\nHost: %s\n%s\nbody=%d\n", r.Method, r.RequestURI, r.Proto, r.Host, strings.Join(hs, "\n"), len(body))
	}))
	defer backend.Close()
	hostport := strings.TrimPrefix(backend.URL, "http://")
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	conf := func(port string) string {
		return strings.NewReplacer("PORT", port, "BACKEND", hostport).Replace(`user root;
events {}
http {
    access_log logs/access-PORT.log;
    error_log logs/error-PORT.log;
    upstream api { server BACKEND; }
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location /api/ { proxy_pass http://api; }
        location /v2/ { proxy_pass http://BACKEND/api/; }
        location /direct { proxy_pass http://BACKEND; }
    }
}
`)
	}
	nginxPort, ourPort := freePort(t), freePort(t)
	startNginx(t, dir, conf(nginxPort), "127.0.0.1:"+nginxPort)
	startOurs(t, dir, conf(ourPort))
	requests := []string{
		get("/api/x?y=1"),
		get("/v2/users/%E4%B8%AD?q=1"),
		get("/direct/a/../b"),
		get("/api/redirect"),
		"POST /api/post HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 5\r\nX-Custom: 1\r\nConnection: close\r\n\r\nhello",
		"POST /api/chunked HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		get("/api"),
	}
	for _, req := range requests {
		n := do(t, "127.0.0.1:"+nginxPort, req)
		o := do(t, "127.0.0.1:"+ourPort, req)
		nb := strings.ReplaceAll(n.body, nginxPort, "PORT")
		ob := strings.ReplaceAll(o.body, ourPort, "PORT")
		nl := strings.ReplaceAll(n.header.Get("Location"), nginxPort, "PORT")
		ol := strings.ReplaceAll(o.header.Get("Location"), ourPort, "PORT")
		if n.status != o.status || nb != ob || nl != ol || n.header.Get("X-Backend") != o.header.Get("X-Backend") {
			t.Errorf("%q:\n--- nginx %d %q\n%s\n--- ours %d %q\n%s", strings.SplitN(req, "\r\n", 2)[0], n.status, nl, nb, o.status, ol, ob)
		}
	}
	_ = errors.New
}
