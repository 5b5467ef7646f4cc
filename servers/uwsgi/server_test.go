package uwsgi

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/internal/tracetest"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/servers/wsgi"
)

func TestUwsgiHello(t *testing.T) {
	checkGoroutines(t)
	s, log := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello.py", Processes: 2, Threads: 2}, Options{})
	got := string(uwsgiDo(t, "tcp", addrOf(t, s, "socket"), nginxVars("GET", "/hello?x=1"), nil))
	if got != helloResponse {
		t.Errorf("response: got %q, want %q", got, helloResponse)
	}
	// core/logging.c's line: 14 vars = 28 items; 2 headers in 65 bytes as real uWSGI logs for this app.
	re := regexp.MustCompile(`\[pid: \d+\|app: 0\|req: 1/1\] 127\.0\.0\.1 \(\) \{28 vars in \d+ bytes\} \[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] GET /hello\?x=1 => generated 12 bytes in \d+ msecs \(HTTP/1\.1 200\) 2 headers in 65 bytes \(1 switches on core \d\)`)
	log.waitFor(t, "GET /hello?x=1", 5*time.Second)
	if !re.MatchString(log.String()) {
		t.Errorf("request log line: got\n%s\nwant a match for %s", log.String(), re)
	}
	for _, want := range []string{"uwsgi socket 0 bound to TCP address 127.0.0.1:", "*** Operational MODE: preforking+threaded ***",
		"spawned uWSGI worker 1 (pid: ", ", cores: 2)", "spawned uWSGI worker 2 (pid: ",
		"WSGI app 0 (mountpoint='') ready in 0 seconds"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("banner: missing %q in\n%s", want, log.String())
		}
	}
}

func TestEnvironFromVars(t *testing.T) {
	s, _ := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "echo", Processes: 2, Threads: 2}, Options{})
	body := []byte(strings.Repeat("x", 100000))
	vs := nginxVars("POST", "/e?q=%E4%B8%AD", uwsgiproto.Var{Key: "HTTP_X_A", Value: "1"}, uwsgiproto.Var{Key: "HTTP_X_A", Value: "2"})
	for i := range vs {
		if vs[i].Key == "CONTENT_LENGTH" {
			vs[i].Value = fmt.Sprint(len(body))
		}
	}
	raw := uwsgiDo(t, "tcp", addrOf(t, s, "socket"), vs, body)
	_, jsonPart, _ := strings.Cut(string(raw), "\r\n\r\n")
	var got wsgi.EchoReply
	if err := json.Unmarshal([]byte(jsonPart), &got); err != nil {
		t.Fatalf("echo reply: %v\n%s", err, raw)
	}
	tests := []struct{ key, want string }{
		{"QUERY_STRING", "q=%E4%B8%AD"}, {"REQUEST_METHOD", "POST"}, {"HTTP_X_A", "2"}, {"SERVER_NAME", "lab.local"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if g := got.Environ[tt.key]; g != tt.want {
				t.Errorf("environ[%s]: got %q, want %q", tt.key, g, tt.want)
			}
		})
	}
	if got.Body.Length != int64(len(body)) {
		t.Errorf("body length: got %d, want %d", got.Body.Length, len(body))
	}
	if !got.WSGI.Multithread || !got.WSGI.Multiprocess {
		t.Errorf("wsgi.multithread/multiprocess: got %v/%v, want true/true", got.WSGI.Multithread, got.WSGI.Multiprocess)
	}
}

// TestBadInput sends each malformed request, checks the log line and the
// closed connection, and then that a good request still succeeds.
func TestBadInput(t *testing.T) {
	checkGoroutines(t)
	s, log := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello", SocketTimeout: 300 * time.Millisecond}, Options{})
	address := addrOf(t, s, "socket")
	hdr := func(m1 byte, size int, m2 byte) []byte {
		b := []byte{m1, 0, 0, m2}
		binary.LittleEndian.PutUint16(b[1:3], uint16(size))
		return b
	}
	overrun := append(hdr(0, 8, 0), 4, 0, 'P', 'A', 'T', 'H', 9, 0) // value of 9 bytes in an 8-byte block
	garbage := []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	tests := []struct {
		name  string
		send  []byte
		close bool // close our side after sending
		log   string
	}{
		{"truncated header", []byte{0, 5}, true, "uwsgi header truncated: got 2 of 4 bytes"},
		{"block larger than buffer-size", append(hdr(0, 5000, 0), make([]byte, 5000)...), false, "invalid request block size: 5000 (max 4096)...skip"},
		{"vars entry overruns the block", overrun, false, "invalid uwsgi request"},
		{"random garbage (HTTP on a uwsgi socket)", garbage, false, ""},
		{"half a packet, then silence", append(hdr(0, 100, 0), 4, 0, 'P', 'A'), false, "the client stalled longer than socket-timeout"},
		{"unavailable modifier1", hdr(5, 0, 0), false, "-- unavailable modifier requested: 5 --"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(log.String())
			c, err := net.Dial("tcp", address)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(tt.send)
			if tt.close {
				c.(*net.TCPConn).CloseWrite()
			}
			got, _ := readAllConn(c)
			if len(got) != 0 {
				t.Errorf("response: got %q, want 0 bytes", got)
			}
			if tt.log != "" {
				log.waitFor(t, tt.log, 5*time.Second)
			} else {
				deadline := time.Now().Add(5 * time.Second)
				for len(log.String()) == before && time.Now().Before(deadline) {
					<-time.After(10 * time.Millisecond)
				}
				if len(log.String()) == before {
					t.Errorf("no log line for %s", tt.name)
				}
			}
			if got := string(uwsgiDo(t, "tcp", address, nginxVars("GET", "/after"), nil)); got != helloResponse {
				t.Errorf("good request after bad: got %q, want %q", got, helloResponse)
			}
		})
	}
}

func TestBlockTooBigResets(t *testing.T) {
	s, _ := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello"}, Options{})
	vs := nginxVars("GET", "/", uwsgiproto.Var{Key: "HTTP_COOKIE", Value: strings.Repeat("c", 5000)})
	c, err := net.Dial("tcp", addrOf(t, s, "socket"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	uwsgiproto.WriteRequest(c, 0, 0, vs, nil)
	_, err = readAllConn(c)
	if err == nil || !errors.Is(err, errConnReset) && !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("read after a too-big block: got %v, want connection reset by peer (nginx: recv() failed (104))", err)
	}
}

var errConnReset = errors.New("connection reset by peer")

func TestAppErrors(t *testing.T) {
	apps := map[string]wsgi.App{
		"before": wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
			return nil, errors.New("boom")
		}),
		"after": wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
			start("200 OK", []wsgi.Header{{Name: "X-A", Value: "1"}})
			return nil, errors.New("boom")
		}),
	}
	loader := func(r AppRef) (wsgi.App, error) { return apps[r.WSGIFile], nil }
	tests := []struct {
		app, want, log string
	}{
		{"before", "", "generated 0 bytes in 0 msecs (HTTP/1.1 500) 0 headers in 0 bytes (0 switches on core 0)"},
		{"after", "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n", "(HTTP/1.1 200) 1 headers in 27 bytes (0 switches on core 0)"},
	}
	for _, tt := range tests {
		t.Run(tt.app, func(t *testing.T) {
			s, log := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: tt.app}, Options{Loader: loader})
			got := string(uwsgiDo(t, "tcp", addrOf(t, s, "socket"), nginxVars("GET", "/x"), nil))
			if got != tt.want {
				t.Errorf("response: got %q, want %q", got, tt.want)
			}
			log.waitFor(t, tt.log, 5*time.Second)
		})
	}
}

func TestNoAppDynamicMode(t *testing.T) {
	dir := t.TempDir()
	s, log := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, Chdir: dir, WSGIFile: "nope.py"}, Options{})
	for _, want := range []string{"failed to open python file nope.py",
		"unable to load app 0 (mountpoint='') (callable not found or import error)",
		"*** no app loaded. going in full dynamic mode ***"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log: missing %q", want)
		}
	}
	got := string(uwsgiDo(t, "tcp", addrOf(t, s, "socket"), nginxVars("GET", "/x"), nil))
	want := "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nInternal Server Error"
	if got != want {
		t.Errorf("response: got %q, want %q (uWSGI 2.0's answer with no app)", got, want)
	}
	log.waitFor(t, "[pid: ", 5*time.Second)
	if !strings.Contains(log.String(), "|app: -1|req: -1/1]") || !strings.Contains(log.String(), "--- no python application found, check your startup logs for errors ---") {
		t.Errorf("log: got\n%s", log.String())
	}
}

func TestUnixSocketPidfileVacuum(t *testing.T) {
	dir := t.TempDir()
	pid := filepath.Join(dir, "uwsgi.pid")
	s := New(Config{Sockets: []string{"app.sock"}, Chdir: dir, WSGIFile: "hello", Pidfile: pid, Vacuum: true}, Options{})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pid)
	if err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(os.Getpid()) {
		t.Errorf("pidfile: got %q, %v; want %d", b, err, os.Getpid())
	}
	sock := filepath.Join(dir, "app.sock")
	if got := string(uwsgiDo(t, "unix", sock, nginxVars("GET", "/"), nil)); got != helloResponse {
		t.Errorf("over UNIX socket: got %q", got)
	}
	if err := s.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pid, sock} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after vacuum, %s: got %v, want not exist", p, err)
		}
	}
}

func TestStatsJSON(t *testing.T) {
	s, _ := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, Stats: "127.0.0.1:0", WSGIFile: "hello", Processes: 2, Threads: 2, Master: true}, Options{})
	for i := 0; i < 3; i++ {
		uwsgiDo(t, "tcp", addrOf(t, s, "socket"), nginxVars("GET", "/"), nil)
	}
	c, err := net.Dial("tcp", addrOf(t, s, "stats"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := readAllConn(c)
	c.Close()
	var top map[string]any
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatalf("stats: %v\n%s", err, raw)
	}
	wantOrder := []string{"version", "listen_queue", "listen_queue_errors", "signal_queue", "load", "pid", "uid", "gid", "cwd", "locks", "sockets", "workers"}
	if got := topKeys(raw, 1); strings.Join(got, ",") != strings.Join(wantOrder, ",") {
		t.Errorf("top-level keys: got %v, want %v", got, wantOrder)
	}
	workers := top["workers"].([]any)
	if len(workers) != 2 {
		t.Fatalf("workers: got %d, want 2", len(workers))
	}
	var reqs, tx float64
	for _, w := range workers {
		m := w.(map[string]any)
		reqs += m["requests"].(float64)
		tx += m["tx"].(float64)
		if m["status"] != "idle" || m["respawn_count"].(float64) != 1 || len(m["cores"].([]any)) != 2 {
			t.Errorf("worker: got status %v respawn_count %v cores %d, want idle 1 2", m["status"], m["respawn_count"], len(m["cores"].([]any)))
		}
	}
	if reqs != 3 || tx != 3*77 {
		t.Errorf("requests, tx: got %v, %v; want 3, %d", reqs, tx, 3*77)
	}
	if !strings.Contains(string(raw), "\n\t\"version\":\"") || !strings.Contains(string(raw), "\"req_info\":\t\t\t\t\t{") {
		t.Errorf("layout: not uWSGI's TAB layout:\n%s", raw)
	}
	sock := top["sockets"].([]any)[0].(map[string]any)
	if sock["proto"] != "uwsgi" || sock["max_queue"].(float64) != 100 {
		t.Errorf("socket: got %v", sock)
	}
}

// topKeys lists the keys at the given TAB depth, in order.
func topKeys(raw []byte, depth int) []string {
	var keys []string
	prefix := strings.Repeat("\t", depth) + "\""
	for _, ln := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(ln, prefix) && !strings.HasPrefix(ln, prefix+"\t") {
			k, _, _ := strings.Cut(ln[len(prefix):], "\"")
			keys = append(keys, k)
		}
	}
	return keys
}

func TestStatsHTTP(t *testing.T) {
	s, _ := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, Stats: "127.0.0.1:0", StatsHTTP: true, WSGIFile: "hello"}, Options{})
	c, err := net.Dial("tcp", addrOf(t, s, "stats"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	raw, _ := readAllConn(c)
	want := "HTTP/1.0 200 OK\r\nConnection: close\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: application/json\r\n\r\n{"
	if !strings.HasPrefix(string(raw), want) {
		t.Errorf("stats-http: got %q, want prefix %q", raw[:min(len(raw), 200)], want)
	}
}

func TestTraceEvents(t *testing.T) {
	var rec tracetest.Recorder
	s, _ := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello"}, Options{Recorder: &rec, Name: "uwsgi-1"})
	uwsgiDo(t, "tcp", addrOf(t, s, "socket"), nginxVars("GET", "/", uwsgiproto.Var{Key: "HTTP_X_REQUEST_ID", Value: "r1"}), nil)
	var sawPacket, sawEnviron, sawReturned bool
	for _, ev := range rec.Events() {
		if ev.ReqID != "r1" {
			continue
		}
		if ev.Instance != "uwsgi-1" {
			t.Errorf("instance: got %q, want uwsgi-1", ev.Instance)
		}
		if ev.PDU != nil && ev.PDU.Kind == trace.UwsgiPacket && len(ev.PDU.Data) > 4 {
			sawPacket = true
		}
		if ev.PDU != nil && ev.PDU.Kind == trace.Environ && strings.Contains(string(ev.PDU.Data), "REQUEST_METHOD=GET\n") {
			sawEnviron = true
		}
		if ev.Phase == trace.Returned && ev.Status == 200 {
			sawReturned = true
		}
	}
	if !sawPacket || !sawEnviron || !sawReturned {
		t.Errorf("events: packet %v environ %v returned %v, want all true; got %+v", sawPacket, sawEnviron, sawReturned, rec.Events())
	}
}

// countingListener is a fault-injection stand-in: it sees every accept.
type countingListener struct {
	net.Listener
	mu sync.Mutex
	n  int
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.n++
		l.mu.Unlock()
	}
	return c, err
}

// TestListenerHook: a wrapped listener (sim's faults) carries the traffic.
func TestListenerHook(t *testing.T) {
	checkGoroutines(t)
	var hooked *countingListener
	s, _ := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello", Threads: 2},
		Options{Listener: func(ln net.Listener) net.Listener {
			hooked = &countingListener{Listener: ln}
			return hooked
		}})
	for i := 0; i < 3; i++ {
		if got := string(uwsgiDo(t, "tcp", addrOf(t, s, "socket"), nginxVars("GET", "/"), nil)); got != helloResponse {
			t.Fatalf("response: got %q", got)
		}
	}
	hooked.mu.Lock()
	defer hooked.mu.Unlock()
	if hooked.n != 3 {
		t.Errorf("accepts through the hook: got %d, want 3", hooked.n)
	}
}
