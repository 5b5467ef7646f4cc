//go:build unix

package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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
	// Ports picked free may be taken by the time serve binds them (other
	// tests run labs too): then serve exits, and a new pair is tried.
	var url string
	for attempt := 1; ; attempt++ {
		ports := testenv.FreePorts(t, 2)
		serve := exec.Command(bin, "serve", "--workspace", ws, "--quiet",
			"--port", strconv.Itoa(ports[0]), "--app-port", strconv.Itoa(ports[1]))
		serve.Dir = dir
		out, err := serve.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		serve.Stderr = &stderr
		if err := serve.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { io.Copy(io.Discard, out); exited <- serve.Wait() }()
		url = "http://127.0.0.1:" + strconv.Itoa(ports[0])
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
			break
		}
		if attempt == 3 || !strings.Contains(stderr.String(), "already in use") {
			t.Fatalf("serve never served %s:\n%s", url, stderr.String())
		}
		os.RemoveAll(ws) // the ports are written into a new workspace
	}
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
