package uwsgiproto

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/internal/realpeer"
	"webflow-lab/servers/testenv"
)

// interopHeads are answers an app server might send, from ordinary to
// broken; TestInteropParseHead asks real nginx what it makes of each.
var interopHeads = []string{
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
	"HTTP/1.0 404 Not Found\nX-A: 1\n\n",
	"HTTP/1.1 403.1 Forbidden\r\n\r\n",
	"HTTP/1.1 201 Created\r\nStatus: 500 Oops\r\n\r\n",
	"HTTP/1.1 000 OK\r\nStatus: 404 Gone\r\n\r\n",
	"HTTP/1.1 000 OK\r\n\r\n",
	"Status: 404 Not Found\r\nStatus: 500 Bad\r\n\r\n",
	"Status: 000 Zero\r\n\r\n",
	"Status: OK\r\n\r\n",
	"Location: /login\r\n\r\n",
	"X-A: 1\r\n\r\n",
	"\r\n",
	"garbage\r\n\r\n",
	"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n",
	"HTTP/1.1 200 OK\r\n: x\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX: 1\rY\r\n\r\n",
	"HTTP/1.1 200 OK\r\nHTTP/1.1 200 OK\r\nX: 1\r\n\r\n",
	"HTTP/0.9 200 OK\r\n\r\n",
	"hello world",
	"HTTP/1.1  2 00 OK\r\n\r\n",
	"HTTP/1.1 204\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX(y):   a b  \r\n\r\n",
	"\r\r\n",
	"Status: 40\r\n\r\n",
	"status: 418 Teapot\r\nLocation: /x\r\n\r\n",
	"HTTP/1.1 200 OK\r\nX_Under: 1\r\n\r\n",
	"HTTP/12.1 200 OK\r\n\r\n",
}

// TestInteropParseHead sends every head in interopHeads, followed by a body,
// through real nginx 1.22 with uwsgi_pass and with proxy_pass, and checks
// that ParseHead predicts what nginx did: the status line it relayed
// ("HTTP/1.1 " + StatusLine), the bare bytes of HTTP/0.9, or the 502 and
// the exact error.log text.
func TestInteropParseHead(t *testing.T) {
	backend := rawBackend(t)
	addr, errLog := runNginx(t, backend)
	for i, head := range interopHeads {
		for _, m := range []Module{UwsgiModule, ProxyModule} {
			prefix := "/u/"
			if m == ProxyModule {
				prefix = "/p/"
			}
			t.Run(fmt.Sprintf("%s%d %q", prefix, i, head), func(t *testing.T) {
				want, werr := ParseHead([]byte(head+"BODY"), m)
				if werr == ErrNeedMore {
					werr = ErrPrematureClose // the backend closes after the body
				}
				before := fileSize(t, errLog)
				resp := get(t, addr, prefix+strconv.Itoa(i))
				line, _, _ := strings.Cut(resp, "\r\n")
				logged := readFrom(t, errLog, before)
				var inv *InvalidHeaderError
				switch {
				case errors.As(werr, &inv):
					if !strings.HasPrefix(line, "HTTP/1.1 502 ") || !strings.Contains(logged, inv.Log+" while reading response header from upstream") {
						t.Errorf("ParseHead: %v; nginx answered %q and logged %q", werr, line, logged)
					}
				case werr != nil:
					if !strings.HasPrefix(line, "HTTP/1.1 502 ") || !strings.Contains(logged, werr.Error()) {
						t.Errorf("ParseHead: %v; nginx answered %q and logged %q", werr, line, logged)
					}
				case want.HTTP09:
					// nginx answers as an HTTP/0.9 server would: the bytes, no head.
					if resp != head+"BODY" || !strings.Contains(logged, "upstream sent no valid HTTP/1.0 header") {
						t.Errorf("ParseHead: HTTP/0.9; nginx answered %q and logged %q", resp, logged)
					}
				default:
					if line != "HTTP/1.1 "+want.StatusLine || strings.Contains(logged, "[error]") {
						t.Errorf("ParseHead: %d %q; nginx answered %q and logged %q", want.Status, want.StatusLine, line, logged)
					}
				}
			})
		}
	}
}

// rawBackend answers a uwsgi packet or an HTTP request for /u/N or /p/N
// with interopHeads[N] and "BODY", then closes, as uWSGI does.
func rawBackend(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				var uri string
				if b, err := br.Peek(1); err == nil && b[0] == 0 {
					p, err := PacketReader{}.Read(br)
					if err != nil {
						return
					}
					uri, _ = p.Vars.Get("REQUEST_URI")
				} else {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					uri = req.RequestURI
				}
				n, err := strconv.Atoi(uri[strings.LastIndexByte(uri, '/')+1:])
				if err != nil || n < 0 || n >= len(interopHeads) {
					return
				}
				io.WriteString(c, interopHeads[n]+"BODY")
			}()
		}
	}()
	return ln.Addr().String()
}

// runNginx starts real nginx passing /u/ with uwsgi_pass and /p/ with
// proxy_pass to backend; it is stopped in Cleanup.
func runNginx(t *testing.T, backend string) (addr, errLog string) {
	t.Helper()
	testenv.Need(t, "nginx")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	conf := fmt.Sprintf(`
error_log %[1]s/logs/error.log info;
events { worker_connections 64; }
http {
    access_log %[1]s/logs/access.log;
    uwsgi_temp_path %[1]s/uwsgi_temp;
    proxy_temp_path %[1]s/proxy_temp;
    client_body_temp_path %[1]s/body_temp;
    server {
        listen %[2]s;
        location /u/ { uwsgi_pass %[3]s; include %[4]s; }
        location /p/ { proxy_pass http://%[3]s; }
    }
}
`, dir, addr, backend, filepath.Join(dir, "uwsgi_params"))
	params := "uwsgi_param REQUEST_METHOD $request_method;\nuwsgi_param REQUEST_URI $request_uri;\n"
	if err := os.WriteFile(filepath.Join(dir, "uwsgi_params"), []byte(params), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	realpeer.NginxIn(t, dir, addr)
	return addr, filepath.Join(dir, "logs", "error.log")
}

// get sends an HTTP/1.0 GET and returns nginx's whole answer.
func get(t *testing.T, addr, uri string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.0\r\nHost: lab.local\r\n\r\n", uri)
	resp, err := io.ReadAll(c) // HTTP/1.0: nginx closes when done, so its log is written
	if err != nil {
		t.Fatal(err)
	}
	return string(resp)
}

func fileSize(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func readFrom(t *testing.T, path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[offset:])
}
