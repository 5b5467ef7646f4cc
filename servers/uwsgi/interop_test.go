package uwsgi

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"webflow-lab/assets"
	"webflow-lab/servers/internal/realpeer"
	"webflow-lab/servers/internal/tracetest"
	"webflow-lab/servers/testenv"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/servers/wsgi"
)

// packetOf is the raw uwsgi packet the server received for request id.
func packetOf(rec *tracetest.Recorder, id string) []byte {
	var pkt []byte
	for _, e := range rec.Events() {
		if e.ReqID == id && e.PDU != nil && e.PDU.Kind == trace.UwsgiPacket {
			pkt = e.PDU.Data
		}
	}
	return pkt
}

// differs lists the environ keys that legitimately differ between the two
// paths: each request reaches nginx on its own client port and on the
// server block's own listen port (which the Host header carries too).
var differs = map[string]string{
	"REMOTE_PORT": "a new client connection each time",
	"SERVER_PORT": "each backend has its own nginx server block and port",
	"HTTP_HOST":   "the Host header carries that port",
}

type interopReq struct {
	name, method, path string
	header             http.Header
	body               []byte
}

func interopRequests() []interopReq {
	big := make([]byte, 2<<20)
	rand.Read(big)
	return []interopReq{
		{name: "GET with a query string", method: "GET", path: "/u/r?x=1&y=%41&empty="},
		{name: "POST with a 2 MB body", method: "POST", path: "/upload", body: big,
			header: http.Header{"Content-Type": {"application/octet-stream"}}},
		{name: "percent-encoded Chinese path", method: "GET", path: "/%E5%91%98%E5%B7%A5/%E5%88%97%E8%A1%A8?q=%E4%B8%AD"},
		{name: "custom and repeated headers", method: "GET", path: "/h",
			header: http.Header{"X-Custom": {"a b"}, "X-Dup": {"1", "2"}, "Cookie": {"sessionid=abc"}, "User-Agent": {"lab/1"}}},
	}
}

func doHTTP(t *testing.T, base string, r interopReq, id string) (int, http.Header, wsgi.EchoReply) {
	t.Helper()
	req, err := http.NewRequest(r.method, base+r.path, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range r.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("X-Request-Id", id)
	if r.body == nil {
		req.Body = nil
		req.ContentLength = 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, base+r.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var reply wsgi.EchoReply
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &reply); err != nil {
			t.Fatalf("echo reply: %v\n%s", err, b)
		}
	}
	return resp.StatusCode, resp.Header, reply
}

// TestInteropNginxEcho puts real nginx (uwsgi_pass + include uwsgi_params)
// in front of our server and of real uWSGI running testdata/echo.py, sends
// the same requests to both and compares the environ key by key.
func TestInteropNginxEcho(t *testing.T) {
	ours, _ := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "echo", Processes: 2, Threads: 2}, Options{})
	theirPort := testenv.FreePort(t)
	theirs := fmt.Sprintf("127.0.0.1:%d", theirPort)
	echoPy, _ := filepath.Abs("testdata/echo.py")
	realpeer.UWSGI(t, t.TempDir(), theirs, "--plugins", "python3", "--socket", theirs, "--wsgi-file", echoPy,
		"--processes", "2", "--threads", "2", "--master")
	params, err := assets.FS.ReadFile("nginx/uwsgi_params")
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := testenv.FreePort(t), testenv.FreePort(t)
	block := func(port int, upstream string) string {
		return fmt.Sprintf(`	server {
		listen 127.0.0.1:%d;
		server_name lab.local;
		client_max_body_size 10m;
		location / {
			include uwsgi_params;
			uwsgi_pass %s;
		}
	}
`, port, upstream)
	}
	ngx := realpeer.Nginx(t, params, block(p1, addrOf(t, ours, "socket"))+block(p2, theirs), p1, p2)
	for i, r := range interopRequests() {
		t.Run(r.name, func(t *testing.T) {
			id := fmt.Sprintf("req-%d", i)
			s1, _, got := doHTTP(t, fmt.Sprintf("http://127.0.0.1:%d", p1), r, id)
			s2, _, want := doHTTP(t, fmt.Sprintf("http://127.0.0.1:%d", p2), r, id)
			if s1 != 200 || s2 != 200 {
				t.Fatalf("status: ours %d, uWSGI %d, want 200, 200\n%s", s1, s2, realpeer.ErrorLog(ngx))
			}
			compareEnviron(t, got, want)
		})
	}
}

func compareEnviron(t *testing.T, got, want wsgi.EchoReply) {
	t.Helper()
	if len(got.Environ) < 14 || len(want.Environ) < 14 {
		t.Fatalf("environ: ours has %d keys, uWSGI %d; want at least the 14 uwsgi_params", len(got.Environ), len(want.Environ))
	}
	keys := map[string]bool{}
	for k := range got.Environ {
		keys[k] = true
	}
	for k := range want.Environ {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		g, gok := got.Environ[k]
		w, wok := want.Environ[k]
		if _, ok := differs[k]; ok && gok == wok {
			continue
		}
		if g != w || gok != wok {
			t.Errorf("environ[%s]: ours %q (present %v), uWSGI %q (present %v)", k, g, gok, w, wok)
		}
	}
	if got.WSGI != want.WSGI {
		t.Errorf("wsgi.*: ours %+v, uWSGI %+v", got.WSGI, want.WSGI)
	}
	if got.Body != want.Body {
		t.Errorf("body: ours %+v, uWSGI %+v", got.Body, want.Body)
	}
}

// TestInteropClientAgainstRealUWSGI replays, with our uwsgi client, the
// exact packets nginx sent, to real uWSGI running echo.py, and checks that
// the answer is the one nginx got from it.
func TestInteropClientAgainstRealUWSGI(t *testing.T) {
	var rec tracetest.Recorder
	ours, _ := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "echo"}, Options{Recorder: &rec})
	theirs := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	echoPy, _ := filepath.Abs("testdata/echo.py")
	realpeer.UWSGI(t, t.TempDir(), theirs, "--plugins", "python3", "--socket", theirs, "--wsgi-file", echoPy)
	params, _ := assets.FS.ReadFile("nginx/uwsgi_params")
	p1, p2 := testenv.FreePort(t), testenv.FreePort(t)
	servers := fmt.Sprintf(`	server { listen 127.0.0.1:%d; server_name lab.local; client_max_body_size 10m;
		location / { include uwsgi_params; uwsgi_pass %s; } }
	server { listen 127.0.0.1:%d; server_name lab.local; client_max_body_size 10m;
		location / { include uwsgi_params; uwsgi_pass %s; } }
`, p1, addrOf(t, ours, "socket"), p2, theirs)
	realpeer.Nginx(t, params, servers, p1, p2)
	for i, r := range interopRequests() {
		t.Run(r.name, func(t *testing.T) {
			id := fmt.Sprintf("client-%d", i)
			doHTTP(t, fmt.Sprintf("http://127.0.0.1:%d", p1), r, id) // capture nginx's packet
			pkt := packetOf(&rec, id)
			if pkt == nil {
				t.Fatal("no packet recorded")
			}
			vars, err := uwsgiproto.DecodeVars(pkt[uwsgiproto.HeaderLen:])
			if err != nil {
				t.Fatal(err)
			}
			c, err := net.Dial("tcp", theirs)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(20 * time.Second))
			if _, err := uwsgiproto.WriteRequest(c, 0, 0, vars, bytes.NewReader(r.body)); err != nil {
				t.Fatal(err)
			}
			resp, err := uwsgiproto.ReadResponse(bufio.NewReader(c), 0)
			if err != nil {
				t.Fatalf("ReadResponse from real uWSGI: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			var got wsgi.EchoReply
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("reply: %v\n%s", err, body)
			}
			status, hdr, want := doHTTP(t, fmt.Sprintf("http://127.0.0.1:%d", p2), r, id)
			if resp.Status != status || resp.Proto != "HTTP/1.1" {
				t.Errorf("status: client got %d %s, nginx got %d", resp.Status, resp.Proto, status)
			}
			if ct, _ := resp.Get("Content-Type"); ct != hdr.Get("Content-Type") {
				t.Errorf("Content-Type: client got %q, nginx got %q", ct, hdr.Get("Content-Type"))
			}
			compareEnviron(t, got, want)
			if !strings.HasPrefix(string(resp.Head), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ") {
				t.Errorf("raw head from uWSGI: got %q", resp.Head)
			}
		})
	}
}

// TestInteropNginxSeesUwsgiFailures: what a learner sees in front of our
// server is what nginx shows in front of real uWSGI (reference §1.4, §4.4):
// a block larger than buffer-size is reset → 502 "recv() failed (104:
// Connection reset by peer)"; a harakiri'd request closes with 0 bytes →
// 502 "upstream prematurely closed connection".
func TestInteropNginxSeesUwsgiFailures(t *testing.T) {
	slow := wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
		if env.Get("PATH_INFO") == "/slow" {
			<-env.Context.Done() // harakiri cancels it
			return nil, env.Context.Err()
		}
		return wsgi.Hello.ServeWSGI(env, start)
	})
	ours, _ := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "x", Harakiri: 1},
		Options{Loader: func(AppRef) (wsgi.App, error) { return slow, nil }})
	params, _ := assets.FS.ReadFile("nginx/uwsgi_params")
	port := testenv.FreePort(t)
	ngx := realpeer.Nginx(t, params, fmt.Sprintf(`	server { listen 127.0.0.1:%d; server_name lab.local;
		location / { include uwsgi_params; uwsgi_pass %s; } }
`, port, addrOf(t, ours, "socket")), port)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	tests := []struct {
		name, path, cookie, errorLog string
	}{
		{"cookie past buffer-size", "/", strings.Repeat("c", 5000), "recv() failed (104: Connection reset by peer) while reading response header from upstream"},
		{"harakiri", "/slow", "", "upstream prematurely closed connection while reading response header from upstream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", base+tt.path, nil)
			if tt.cookie != "" {
				req.Header.Set("Cookie", "big="+tt.cookie)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 502 {
				t.Errorf("status: got %d, want 502", resp.StatusCode)
			}
			if !strings.Contains(realpeer.ErrorLog(ngx), tt.errorLog) {
				t.Errorf("nginx error.log: missing %q in\n%s", tt.errorLog, realpeer.ErrorLog(ngx))
			}
		})
	}
	if resp, err := http.Get(base + "/"); err != nil || resp.StatusCode != 200 {
		t.Errorf("a good request afterwards: got %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
}
