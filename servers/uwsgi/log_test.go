package uwsgi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRequestLogLine checks the line byte for byte against lines real
// uWSGI 2.0.21 wrote (reference uwsgi.md §1.6, and a static-map hit).
func TestRequestLogLine(t *testing.T) {
	tests := []struct {
		name string
		pid  int
		r    requestLog
		want string
	}{
		{"app request", 18419, requestLog{app: 0, appReqs: 1, totalReqs: 1, remoteAddr: "1.2.3.4", vars: 18, varsBytes: 177,
			start: time.Date(2026, 11, 21, 4, 30, 9, 0, time.Local), method: "GET", uri: "/hello", bodyBytes: 260,
			proto: "HTTP/1.1", status: 200, headers: 2, headerBytes: 66, switches: 1, core: 0},
			"[pid: 18419|app: 0|req: 1/1] 1.2.3.4 () {18 vars in 177 bytes} [Sat Nov 21 04:30:09 2026] GET /hello => generated 260 bytes in 0 msecs (HTTP/1.1 200) 2 headers in 66 bytes (1 switches on core 0)\n"},
		{"static-map hit, single-digit day", 10414, requestLog{app: -1, appReqs: -1, totalReqs: 2, remoteAddr: "127.0.0.1", vars: 28, varsBytes: 310,
			start: time.Date(2026, 11, 1, 5, 46, 35, 0, time.Local), method: "GET", uri: "/static/a.txt", bodyBytes: 3, sendfile: true,
			rt: 1500 * time.Microsecond, proto: "HTTP/1.1", status: 200, headers: 3, headerBytes: 110, switches: 0, core: 1},
			"[pid: 10414|app: -1|req: -1/2] 127.0.0.1 () {28 vars in 310 bytes} [Sun Nov  1 05:46:35 2026] GET /static/a.txt => generated 3 bytes in 1 msecs via sendfile() (HTTP/1.1 200) 3 headers in 110 bytes (0 switches on core 1)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendRequestLog(nil, tt.pid, &tt.r)); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestRequestLogToFile: with a regular file as the log (the lab's
// logs/uwsgi-N.log, or stderr redirected), request lines land whole, one
// per request, after the startup lines.
func TestRequestLogToFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "uwsgi.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, _ := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello"}, Options{Logger: f})
	address := addrOf(t, s, "socket")
	for range 3 {
		if got := uwsgiDo(t, "tcp", address, nginxVars("GET", "/hi"), nil); string(got) != helloResponse {
			t.Fatalf("answer: got %q, want %q", got, helloResponse)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "] GET /hi => generated 12 bytes in "); n != 3 {
		t.Errorf("request lines: got %d, want 3; log:\n%s", n, b)
	}
	if !strings.HasPrefix(string(b), "*** Starting uWSGI ") {
		t.Errorf("log starts with %q, want the startup banner", string(b)[:min(len(b), 40)])
	}
}
