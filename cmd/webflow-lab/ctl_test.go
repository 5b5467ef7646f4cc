//go:build unix

package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/testenv"
)

// TestShellCommandsReachTheLab runs the built binary as a learner does: the
// lab in one terminal (`serve`), the real commands in another. Each acts on
// the one component it names, through the lab's control endpoint, not a
// signal to the whole process.
func TestShellCommandsReachTheLab(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	ws := filepath.Join(dir, "workspace")
	url, _ := startServe(t, bin, dir, ws)
	get := func(path string) (int, string) {
		t.Helper()
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	run := func(args ...string) string {
		t.Helper()
		o, e, code := shellRun(t, dir, bin, args...)
		if code != 0 {
			t.Fatalf("webflow-lab %s: exit %d\n%s%s", strings.Join(args, " "), code, o, e)
		}
		return o
	}

	// uwsgi --stop with the pidfile stops uwsgi-1 only.
	run("uwsgi", "--stop", filepath.Join("workspace", "uwsgi-1.pid"))
	if _, err := os.Stat(filepath.Join(ws, "uwsgi-1.pid")); !os.IsNotExist(err) {
		t.Errorf("uwsgi-1.pid after --stop: %v, want it removed (vacuum)", err)
	}
	for range 3 {
		if code, body := get("/login/"); code != 200 || !strings.Contains(body, "uwsgi-2") {
			t.Fatalf("with uwsgi-1 stopped: got %d, want 200 from uwsgi-2", code)
		}
	}
	if _, err := os.Stat(filepath.Join(ws, "uwsgi-2.pid")); err != nil {
		t.Errorf("uwsgi-2 must still run: %v", err)
	}
	// uwsgi --ini of a lab instance: the lab starts its stopped instance;
	// a second copy of a running one fails on its busy ports, exit 1.
	run("uwsgi", "--ini", filepath.Join("workspace", "uwsgi-1.ini"))
	if _, e, code := shellRun(t, dir, bin, "uwsgi", "--ini", filepath.Join("workspace", "uwsgi-1.ini")); code != 1 || !strings.Contains(e, "already in use") {
		t.Errorf("uwsgi --ini of a running instance: exit %d, %q; want 1 and the busy port", code, e)
	}

	// db stop: the EMS's queries fail; db status says so; db start recovers.
	if o := run("db", "--workspace", ws, "stop"); !strings.Contains(o, "service mysqld stop") {
		t.Errorf("db stop printed %q, want the real equivalent", o)
	}
	if o := run("db", "--workspace", ws, "status"); !strings.Contains(o, "stopped") {
		t.Errorf("db status printed %q, want stopped", o)
	}
	run("db", "--workspace", ws, "start")

	// proxy -s reload with a broken config: refused, exit 1, nginx's
	// [emerg] line in error.log, the old config still serving.
	conf := filepath.Join(ws, "conf.d", "ems.conf")
	good, _ := os.ReadFile(conf)
	os.WriteFile(conf, []byte(strings.Replace(string(good), "alias static/;", "alias static/", 1)), 0o644)
	_, e, code := shellRun(t, dir, bin, "proxy", "-p", ws, "-c", "nginx.conf", "-s", "reload")
	if code != 1 || !strings.Contains(e, `nginx: [emerg] unexpected "}" in `) {
		t.Errorf("reload of a broken config: exit %d, stderr %q; want 1 and nginx's [emerg] line", code, e)
	}
	errlog, _ := os.ReadFile(filepath.Join(ws, "logs", "error.log"))
	if !strings.Contains(string(errlog), `[emerg]`) || !strings.Contains(string(errlog), `unexpected "}"`) {
		t.Errorf("error.log after the refused reload:\n%s", errlog)
	}
	if code, _ := get("/static/ems/css/style.css"); code != 200 {
		t.Errorf("the old config must keep serving: got %d", code)
	}
	os.WriteFile(conf, good, 0o644)
	run("proxy", "-p", ws, "-c", "nginx.conf", "-s", "reload")

	// uwsgi --reload restarts uwsgi-2 alone and prints its notes again.
	ini := filepath.Join(ws, "uwsgi-2.ini")
	src, _ := os.ReadFile(ini)
	os.WriteFile(ini, []byte(strings.Replace(string(src), "\nprocesses = 2\n", "\nprocesses = 2 # two\n", 1)), 0o644)
	if o := run("uwsgi", "--reload", filepath.Join(ws, "uwsgi-2.pid")); !strings.Contains(o, "# two") {
		t.Errorf("uwsgi --reload printed %q, want the ini's inline-comment note again", o)
	}
}

// startServe runs `webflow-lab serve` on free ports in a new workspace ws
// (from dir) until the test ends, and returns the proxy's URL and the app
// servers' first port (uwsgi-N's http is app+10·(N−1), its socket one more).
// Ports picked free may be taken by the time serve binds them (other tests
// run labs too): then serve exits, and new ones are tried.
func startServe(t *testing.T, bin, dir, ws string) (url string, app int) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		proxy := testenv.FreePort(t)
		app = testenv.FreePort(t) / 100 * 100
		serve := exec.Command(bin, "serve", "--workspace", ws, "--quiet",
			"--port", strconv.Itoa(proxy), "--app-port", strconv.Itoa(app))
		serve.Dir = dir
		var stderr strings.Builder
		serve.Stdout, serve.Stderr = io.Discard, &stderr
		if err := serve.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- serve.Wait() }()
		url = "http://127.0.0.1:" + strconv.Itoa(proxy)
		if serving(url+"/login/", exited) {
			t.Cleanup(func() {
				serve.Process.Signal(os.Interrupt)
				select {
				case <-exited:
				case <-time.After(20 * time.Second):
					serve.Process.Kill()
					<-exited
				}
			})
			return url, app
		}
		if attempt == 3 || !strings.Contains(stderr.String(), "already in use") {
			t.Fatalf("serve never served %s:\n%s", url, stderr.String())
		}
		os.RemoveAll(ws) // the ports are written into a new workspace
	}
}

// serving waits until url answers, or the process ends (false).
func serving(url string, exited <-chan error) bool {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			return true
		}
		select {
		case <-exited:
			return false
		case <-time.After(50 * time.Millisecond): // polling a process we started, bounded by the deadline
		}
	}
	return false
}

// TestShellCourseFailures produces the course's other failures from a
// shell with `webflow-lab ctl`, against the built binary's running lab, and
// observes each through HTTP and the logs: the static path broken, a port
// blocked, a slow instance, separate databases, per-instance sessions under
// round robin and ip_hash, both instances stopped.
func TestShellCourseFailures(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	ws := filepath.Join(dir, "workspace")
	url, app := startServe(t, bin, dir, ws)
	ctl := func(args ...string) string {
		t.Helper()
		o, e, code := shellRun(t, dir, bin, append([]string{"ctl", "--workspace", ws}, args...)...)
		if code != 0 {
			t.Fatalf("webflow-lab ctl %s: exit %d\n%s%s", strings.Join(args, " "), code, o, e)
		}
		return o
	}
	errorLog := func() string { b, _ := os.ReadFile(filepath.Join(ws, "logs", "error.log")); return string(b) }
	inst := func(i int) string { return "http://127.0.0.1:" + strconv.Itoa(app+10*i) }
	c := emstest.NewClient(t, url)
	ctl("captcha", "fixed:"+emstest.Captcha)

	// the static path broken: the CSS is a 404 with nginx's open() line
	ctl("static", "break")
	if res := c.Get("/static/ems/css/style.css"); res.Status != 404 {
		t.Errorf("static break: CSS got %d, want 404", res.Status)
	}
	if !strings.Contains(errorLog(), `staticems/css/style.css" failed (2: No such file or directory)`) {
		t.Errorf("static break: error.log has no open() line:\n%s", errorLog())
	}
	ctl("static", "fix")

	// uwsgi-2's socket blocked: every request goes to uwsgi-1, nginx logs the refusal
	ctl("block", strconv.Itoa(app+11), "refuse")
	for range 4 {
		if by := servedByOf(c.Get("/login/").Body); by != "uwsgi-1" {
			t.Fatalf("with uwsgi-2's port blocked: served by %q", by)
		}
	}
	if !strings.Contains(errorLog(), "connect() failed (111: Connection refused) while connecting to upstream") {
		t.Errorf("block: error.log has no refused connect:\n%s", errorLog())
	}
	ctl("unblock", strconv.Itoa(app+11))
	ctl("reload", "proxy") // nginx counted uwsgi-2 failed: a fresh balancer tries it again

	// uwsgi-2 slow: its answers take the latency
	ctl("latency", "uwsgi-2", "300ms")
	start := time.Now()
	if res := c.At(inst(1)).Get("/login/"); res.Status != 200 || time.Since(start) < 300*time.Millisecond {
		t.Errorf("latency: uwsgi-2 answered %d after %s, want 200 after 300ms", res.Status, time.Since(start))
	}
	ctl("latency", "uwsgi-2", "off")

	// separate databases: registered on uwsgi-1, unknown to uwsgi-2
	ctl("databases", "separate")
	if res := c.At(inst(0)).Register("dora", "secret123", "朵拉"); res.Status != 302 {
		t.Fatalf("register on uwsgi-1: got %d", res.Status)
	}
	if res := c.At(inst(1)).Login("dora", "secret123"); res.Status == 302 {
		t.Error("separate databases: the login on uwsgi-2 passed")
	}
	ctl("databases", "shared")

	// per-instance sessions: round robin loses the captcha, ip_hash keeps it
	if res := c.At(inst(0)).Register("emil", "secret123", "埃米尔"); res.Status != 302 {
		t.Fatalf("register: got %d", res.Status)
	}
	ctl("sessions", "per-instance")
	failed := 0
	for range 4 {
		if emstest.NewClient(t, url).Login("emil", "secret123").Status != 302 {
			failed++
		}
	}
	if failed == 0 {
		t.Error("per-instance sessions behind round robin: every login passed")
	}
	ctl("strategy", "ip_hash")
	for range 3 {
		if s := emstest.NewClient(t, url).Login("emil", "secret123").Status; s != 302 {
			t.Fatalf("per-instance sessions with ip_hash: got %d, want 302", s)
		}
	}
	ctl("strategy", "round-robin")
	ctl("sessions", "shared")

	// both instances stopped: 502
	ctl("stop", "uwsgi-1")
	ctl("stop", "uwsgi-2")
	if res := c.Get("/login/"); res.Status != 502 {
		t.Errorf("both stopped: got %d, want 502", res.Status)
	}
	ctl("start", "uwsgi-1")
	ctl("start", "uwsgi-2")
}

var servedByPat = regexp.MustCompile(`served by <b>([^<]+)</b>`)

func servedByOf(body string) string {
	if m := servedByPat.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}
