package upstream

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/testenv"
	"webflow-lab/servers/uwsgiproto"
)

// runUwsgi starts real uWSGI (python3 plugin) serving testdata/app.py on a
// loopback uwsgi socket, stopped in Cleanup.
func runUwsgi(t *testing.T) string {
	t.Helper()
	bin := testenv.NeedUWSGI(t)
	app, err := filepath.Abs("testdata/app.py")
	if err != nil {
		t.Fatal(err)
	}
	addr := refusedAddr(t)
	cmd := exec.Command(bin, "--plugins", "python3", "--socket", addr, "--wsgi-file", app,
		"--processes", "1", "--threads", "1", "--buffer-size", "4096", "--logto", filepath.Join(t.TempDir(), "uwsgi.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) // SIGINT: uWSGI's immediate shutdown (SIGTERM would reload 2.0)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		select {
		case err := <-exited:
			t.Fatalf("uwsgi exited: %v", err)
		case <-time.After(20 * time.Millisecond): // polling the socket until it accepts, with a deadline
		}
		if time.Now().After(deadline) {
			t.Fatalf("uwsgi did not listen on %s", addr)
		}
	}
}

// TestAgainstUwsgi puts the engine in front of real uWSGI 2.0: a normal
// answer, a POST body, and the failures nginx.md and uwsgi.md describe.
func TestAgainstUwsgi(t *testing.T) {
	checkLeaks(t)
	addr := runUwsgi(t)
	big := strings.Repeat("0123456789abcdef", 128<<10) // 2 MiB
	tests := []struct {
		name   string
		req    *Request
		status int
		body   string
		logs   []string
	}{
		{name: "GET", req: uwsgiReq("GET", "/hello", ""), status: 200, body: "GET /hello "},
		{name: "POST body", req: uwsgiReq("POST", "/echo", "name=张三"), status: 200, body: "POST /echo name=张三"},
		{name: "POST 2 MiB", req: uwsgiReq("POST", "/big", big), status: 200, body: "POST /big " + big},
		{name: "exception before start_response", req: uwsgiReq("GET", "/raise", ""), status: 502,
			logs: []string{`[error] upstream prematurely closed connection while reading response header from upstream, upstream: "uwsgi://` + addr + `"`}},
		{name: "exception after start_response", req: uwsgiReq("GET", "/half", ""), status: 200, body: ""},
		{name: "packet over uWSGI's buffer-size", req: func() *Request {
			r := uwsgiReq("GET", "/cookie", "")
			r.Vars = append(r.Vars, uwsgiproto.Var{Key: "HTTP_COOKIE", Value: strings.Repeat("c", 5000)})
			return r
		}(), status: 502,
			logs: []string{`[error] recv() failed (104: Connection reset by peer) while reading response header from upstream, upstream: "uwsgi://` + addr + `"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := (&Engine{}).Do(context.Background(), Target{Addr: addr}, Settings{}, tt.req)
			body := ""
			if res.Body != nil {
				var err error
				if body, err = readBody(t, res); err != nil {
					t.Errorf("body: %v", err)
				}
			}
			if res.Status != tt.status || body != tt.body {
				t.Errorf("got %d %q, want %d %q", res.Status, body, tt.status, tt.body)
			}
			if got := logLines(res); !reflect.DeepEqual(got, tt.logs) {
				t.Errorf("got logs %q, want %q", got, tt.logs)
			}
		})
	}
}
