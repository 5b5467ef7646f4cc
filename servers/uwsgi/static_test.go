package uwsgi

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/uwsgiproto"
)

func TestStaticMap(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"static/sub", "static/foo", "other"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	mustWrite(t, filepath.Join(dir, "static/a.txt"), "hi\n")
	mustWrite(t, filepath.Join(dir, "static/foo/x"), "prefix\n")
	mustWrite(t, filepath.Join(dir, "other/b.css"), "body{}")
	mustWrite(t, filepath.Join(dir, "app.py"), "# the project's code")
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	os.Chtimes(filepath.Join(dir, "static/a.txt"), mtime, mtime)

	s, log := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, Chdir: dir, WSGIFile: "hello",
		StaticMaps: []string{"/static=static", "/static=other"}}, Options{})
	address := addrOf(t, s, "socket")
	lm := mtime.Format(http.TimeFormat)
	tests := []struct {
		name, method, path string
		extra              []uwsgiproto.Var
		want               string
	}{
		{"file in the first mapping", "GET", "/static/a.txt", nil,
			"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nLast-Modified: " + lm + "\r\n\r\nhi\n"},
		{"miss in the first mapping, found in the second", "GET", "/static/b.css", nil,
			"HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nContent-Length: 6\r\nLast-Modified: "},
		{"plain prefix match: /staticfoo/x is static/foo/x", "GET", "/staticfoo/x", nil, "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n"},
		{"missing file falls through to the app", "GET", "/static/missing.txt", nil, helloResponse},
		{"directory falls through to the app", "GET", "/static/sub", nil, helloResponse},
		{"POST falls through to the app", "POST", "/static/a.txt", nil, helloResponse},
		{"escaping the docroot falls through to the app", "GET", "/static/../app.py", nil, helloResponse},
		{"If-Modified-Since not older gives a bare 304", "GET", "/static/a.txt",
			[]uwsgiproto.Var{{Key: "HTTP_IF_MODIFIED_SINCE", Value: lm}}, "HTTP/1.1 304 Not Modified\r\n\r\n"},
		{"If-Modified-Since older gives the file", "GET", "/static/a.txt",
			[]uwsgiproto.Var{{Key: "HTTP_IF_MODIFIED_SINCE", Value: mtime.Add(-time.Hour).Format(http.TimeFormat)}}, "HTTP/1.1 200 OK\r\n"},
		{"HEAD gets the head only", "HEAD", "/static/a.txt", nil,
			"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nLast-Modified: " + lm + "\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(uwsgiDo(t, "tcp", address, nginxVars(tt.method, tt.path, tt.extra...), nil))
			exact := strings.HasSuffix(tt.want, "\r\n\r\n") || strings.HasSuffix(tt.want, "\n") && !strings.HasSuffix(tt.want, "\r\n")
			if exact && got != tt.want || !exact && !strings.HasPrefix(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	want := "[uwsgi-fileserve] security error: " + filepath.Join(dir, "app.py") + " is not under " + filepath.Join(dir, "static") + " or a safe path"
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		want = "[uwsgi-fileserve] security error: " + filepath.Join(real, "app.py") + " is not under " + filepath.Join(real, "static") + " or a safe path"
	}
	log.waitFor(t, want, 5*time.Second)
	log.waitFor(t, "GET /static/a.txt => generated 3 bytes in ", 5*time.Second)
	if !strings.Contains(log.String(), "|app: -1|req: -1/") || !strings.Contains(log.String(), "msecs via sendfile() (HTTP/1.1 200) 3 headers in ") {
		t.Errorf("static request log line not uWSGI's:\n%s", log.String())
	}
	if !strings.Contains(log.String(), "[uwsgi-static] added mapping for /static => static") {
		t.Errorf("log: missing the added mapping line")
	}
}
