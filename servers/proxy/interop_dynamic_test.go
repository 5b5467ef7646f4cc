package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"webflow-lab/assets"
	"webflow-lab/servers/testenv"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgi"
)

// startRealUwsgi runs uWSGI 2.0 with testdata/echo.py on a loopback socket.
func startRealUwsgi(t *testing.T, dir string) string {
	t.Helper()
	bin := testenv.NeedUWSGI(t)
	echo, err := filepath.Abs("../uwsgi/testdata/echo.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(echo); err != nil {
		t.Skipf("echo.py missing: %v", err)
	}
	addr := "127.0.0.1:" + freePort(t)
	cmd := exec.Command(bin, "--plugins", "python3", "--socket", addr, "--wsgi-file", echo,
		"--buffer-size", "32768", "--processes", "2", "--master", "--die-on-term")
	runUntilAccepting(t, cmd, addr)
	return addr
}

// startOurUwsgi runs our app server with a built-in app (echo, hello).
func startOurUwsgi(t testing.TB, app string) string {
	t.Helper()
	return startOurUwsgiRec(t, app, nil)
}

// startOurUwsgiRec is startOurUwsgi recording hop events to rec.
func startOurUwsgiRec(t testing.TB, app string, rec trace.Recorder) string {
	t.Helper()
	addr := "127.0.0.1:" + freePort(t)
	log := &syncBuffer{}
	s := uwsgi.New(uwsgi.Config{Sockets: []string{addr}, WSGIFile: app, Processes: 2, Threads: 4, BufferSize: 32768},
		uwsgi.Options{Logger: log, Recorder: rec})
	if err := s.Start(); err != nil {
		t.Fatalf("uwsgi Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		if t.Failed() {
			t.Logf("uwsgi %s log:\n%s", addr, log.String())
		}
	})
	return addr
}

const dynamicConf = `
user root;
events {}
http {
    access_log logs/access-PORT.log;
    error_log logs/error-PORT.log;
    client_max_body_size 10m;
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        location / {
            include uwsgi_params;
            uwsgi_pass BACKEND;
        }
        location /own/ {
            uwsgi_param REQUEST_METHOD $request_method;
            uwsgi_param PATH_INFO $uri;
            uwsgi_param QUERY_STRING $query_string;
            uwsgi_param SERVER_NAME $server_name;
            uwsgi_param SERVER_PORT $server_port;
            uwsgi_param SERVER_PROTOCOL $server_protocol;
            uwsgi_param CONTENT_LENGTH $content_length;
            uwsgi_pass BACKEND;
        }
        location /dead/ { include uwsgi_params; uwsgi_pass 127.0.0.1:DEADPORT; }
    }
}
`

// echoView reduces an echo response body to what both proxies must agree
// on: the environ minus per-connection values (REMOTE_PORT, SERVER_PORT),
// and $request_id (passed by the workspace's config) blanked: each server
// makes its own random one.
func echoView(t *testing.T, body string) string {
	t.Helper()
	var v struct {
		Environ map[string]string `json:"environ"`
		Body    map[string]any    `json:"body"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return body // not JSON (an error page): compare as is
	}
	delete(v.Environ, "REMOTE_PORT")
	delete(v.Environ, "SERVER_PORT")
	if id, ok := v.Environ["HTTP_X_REQUEST_ID"]; ok && requestIDRe.MatchString(id) && len(id) == 32 {
		v.Environ["HTTP_X_REQUEST_ID"] = "<request_id>"
	}
	keys := make([]string, 0, len(v.Environ))
	for k := range v.Environ {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, v.Environ[k])
	}
	fmt.Fprintf(&b, "body=%v\n", v.Body)
	return b.String()
}

func TestInteropDynamic(t *testing.T) {
	testenv.Need(t, "nginx")
	big := bytes.Repeat([]byte("0123456789abcdef"), 2<<20/16) // 2 MB
	sum := sha256.Sum256(big)
	requests := []struct{ name, req string }{
		{"get", get("/echo")},
		{"query", get("/echo?x=1&y=%41&z=%E4%B8%AD")},
		{"chinese path", get("/%E4%B8%AD%E6%96%87/%E8%B7%AF%E5%BE%84")},
		{"normalized path", get("/a/./b/../c//d")},
		{"post 2MB", "POST /upload HTTP/1.1\r\nHost: lab.test\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
			fmt.Sprint(len(big)) + "\r\nConnection: close\r\n\r\n" + string(big)},
		{"chunked post", "POST /chunked HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"},
		{"headers", "GET /h HTTP/1.1\r\nHost: lab.test\r\nX-One: 1\r\nX-One: 2\r\nX_Under: dropped\r\nCookie: a=b\r\nConnection: close\r\n\r\n"},
		{"own params", get("/own/x?q=1")},
		{"dead backend", get("/dead/x")},
		{"head", "HEAD /echo HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"},
	}
	backends := []struct {
		name  string
		start func(t *testing.T, dir string) string
	}{
		{"real uWSGI", startRealUwsgi},
		{"our uwsgi", func(t *testing.T, dir string) string { return startOurUwsgi(t, "echo.py") }},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			dir := t.TempDir()
			os.Chmod(dir, 0o755)
			params, _ := assets.FS.ReadFile("nginx/uwsgi_params")
			writeFiles(t, dir, map[string]string{"uwsgi_params": string(params)})
			backend := be.start(t, dir)
			dead := freePort(t)
			nginxPort, ourPort := freePort(t), freePort(t)
			conf := func(port string) string {
				r := strings.NewReplacer("DIR", dir, "PORT", port, "BACKEND", backend, "DEADPORT", dead)
				return r.Replace(dynamicConf)
			}
			startNginx(t, dir, conf(nginxPort), "127.0.0.1:"+nginxPort)
			ours := startOurs(t, dir, conf(ourPort))
			defer func() {
				ours.Shutdown(context.Background())
				compareErrorLogs(t, filepath.Join(dir, "logs/error-"+nginxPort+".log"),
					filepath.Join(dir, "logs/error-"+ourPort+".log"), nginxPort, ourPort)
			}()
			for _, tt := range requests {
				t.Run(tt.name, func(t *testing.T) {
					n := do(t, "127.0.0.1:"+nginxPort, tt.req)
					o := do(t, "127.0.0.1:"+ourPort, tt.req)
					if n.status != o.status {
						t.Errorf("status: nginx %d, ours %d\n%s", n.status, o.status, o.raw)
					}
					for _, h := range []string{"Content-Type", "Content-Length", "Transfer-Encoding"} {
						if n.header.Get(h) != o.header.Get(h) {
							t.Errorf("%s: nginx %q, ours %q", h, n.header.Get(h), o.header.Get(h))
						}
					}
					nv, ov := echoView(t, strings.ReplaceAll(n.body, nginxPort, "PORT")), echoView(t, strings.ReplaceAll(o.body, ourPort, "PORT"))
					if nv != ov {
						t.Errorf("bodies differ\n--- nginx:\n%s\n--- ours:\n%s", nv, ov)
					}
					if tt.name == "post 2MB" && !strings.Contains(o.body, hex.EncodeToString(sum[:])) {
						t.Errorf("2 MB body did not arrive whole: %s", o.body[:min(len(o.body), 300)])
					}
				})
			}
		})
	}
}
