package proxy

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestWorkerConnections: with worker_connections 3 (the channel to the
// master and the listening socket take two), each new connection closes
// the longest-idle one to make room, with nginx's warning, as nginx 1.22
// does (checked: four connections opened at once, the first three are
// closed unanswered and the fourth is served).
func TestWorkerConnections(t *testing.T) {
	dir, errLog := t.TempDir(), &syncBuffer{}
	cfg := loadConf(t, dir, "error_log logs/error.log warn;\nevents { worker_connections 3; }\n"+
		"http { server { listen 127.0.0.1:FREEPORT; location / { return 200 \"ok\\n\"; } } }\n")
	srv, err := New(cfg, Options{Prefix: dir, ErrorLog: errLog, AccessLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	addr := srv.Addrs()[0].String()
	var conns []net.Conn
	for range 4 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	// the fourth is served: by then the server has accepted all four
	conns[3].SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conns[3], "GET / HTTP/1.0\r\n\r\n")
	b, _ := io.ReadAll(conns[3])
	if !strings.HasPrefix(string(b), "HTTP/1.1 200 OK") {
		t.Fatalf("fourth connection: got %q, want an answer", b)
	}
	for i, c := range conns[:3] {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
		if b, err := io.ReadAll(c); len(b) != 0 {
			t.Errorf("connection %d: got %q (%v), want it closed unanswered", i, b, err)
		}
	}
	if got := errLog.String(); strings.Count(got, "[warn]") != 1 ||
		!strings.Contains(got, "3 worker_connections are not enough, reusing connections") {
		t.Errorf("error log:\n%s\nwant one warning \"3 worker_connections are not enough, reusing connections\"", got)
	}
}
