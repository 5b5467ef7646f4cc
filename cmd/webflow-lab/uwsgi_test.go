package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/assets"
	"webflow-lab/servers/testenv"
)

// TestUwsgiHelperProcess is not a test: it is `webflow-lab` itself when the
// tests below run this binary as a child (the os/exec tests' pattern).
func TestUwsgiHelperProcess(t *testing.T) {
	if os.Getenv("WEBFLOW_LAB_HELPER") != "1" {
		t.Skip("helper process only")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitUntil polls cond (an external process's state) until it holds or d passes.
func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool, out func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s\n%s", what, out())
		}
		<-time.After(20 * time.Millisecond)
	}
}

func get(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestUwsgiStopReload runs `webflow-lab uwsgi app.ini` as a real process,
// then `--reload` and `--stop` on its pidfile, as the course does.
func TestUwsgiStopReload(t *testing.T) {
	dir := t.TempDir()
	port := testenv.FreePort(t)
	pid := filepath.Join(dir, "uwsgi.pid")
	ini := fmt.Sprintf("[uwsgi]\nhttp = 127.0.0.1:%d\nwsgi-file = hello\nprocesses = 2\nmaster = true\npidfile = %s\nvacuum = true\n", port, pid)
	if err := os.WriteFile(filepath.Join(dir, "app.ini"), []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	var out lockedBuf
	cmd := exec.Command(os.Args[0], "-test.run=^TestUwsgiHelperProcess$", "--", "uwsgi", "app.ini")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WEBFLOW_LAB_HELPER=1")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	waitUntil(t, "the instance answers", 10*time.Second, func() bool { b, _ := get(url); return b == "Hello World\n" }, out.String)
	if b, err := os.ReadFile(pid); err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(cmd.Process.Pid) {
		t.Fatalf("pidfile: got %q, %v; want %d", b, err, cmd.Process.Pid)
	}
	if !strings.Contains(out.String(), "[uWSGI] getting INI configuration from app.ini") {
		t.Errorf("output: missing the ini line:\n%s", out.String())
	}

	var rout, rerr bytes.Buffer
	if code := run([]string{"uwsgi", "--reload", pid}, &rout, &rerr); code != 0 {
		t.Fatalf("--reload: exit %d: %s", code, rerr.String())
	}
	waitUntil(t, "the reload is logged", 10*time.Second, func() bool {
		return strings.Contains(out.String(), "gracefully (RE)spawned uWSGI master process")
	}, out.String)
	if b, err := get(url); b != "Hello World\n" {
		t.Errorf("after --reload: got %q, %v", b, err)
	}

	if code := run([]string{"uwsgi", "--stop", pid}, &rout, &rerr); code != 0 {
		t.Fatalf("--stop: exit %d: %s", code, rerr.String())
	}
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("instance after --stop: %v, want exit 0\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("instance still running 10 s after --stop\n%s", out.String())
	}
	for _, want := range []string{"SIGINT/SIGTERM received...killing workers...", "goodbye to uWSGI.", "VACUUM: pidfile removed."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output: missing %q", want)
		}
	}
	if _, err := os.Stat(pid); !os.IsNotExist(err) {
		t.Errorf("pidfile after --stop with vacuum: got %v, want removed", err)
	}

	rerr.Reset()
	if code := run([]string{"uwsgi", "--stop", pid}, &rout, &rerr); code != 1 {
		t.Errorf("--stop on a removed pidfile: exit %d, want 1", code)
	}
	if want := fmt.Sprintf("open(\"%s\"): No such file or directory [core/io.c line 525]", pid); !strings.Contains(rerr.String(), want) {
		t.Errorf("--stop on a removed pidfile: got %q, want %q", rerr.String(), want)
	}
}

func TestUwsgiExplain(t *testing.T) {
	dir := t.TempDir()
	ini := filepath.Join(dir, "app.ini")
	os.WriteFile(ini, []byte("[uwsgi]\nhttp = 127.0.0.1:9000 # web\nprocesses = 2\n"), 0o644)
	var out, errb bytes.Buffer
	if code := run([]string{"uwsgi", "--explain", "--ini", ini}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), `SERVER_PORT = "9000 # web"`) || !strings.Contains(out.String(), "processes = 2") {
		t.Errorf("--explain: got\n%s", out.String())
	}
}

// TestUwsgiLabIniRunsEMS: the lab's own uwsgi-1.ini (ports moved to free
// ones) with the shipped ems_project/wsgi.py serves the EMS.
func TestUwsgiLabIniRunsEMS(t *testing.T) {
	dir := t.TempDir()
	src, err := assets.FS.ReadFile("uwsgi/uwsgi-1.ini")
	if err != nil {
		t.Fatal(err)
	}
	wsgiPy, err := assets.FS.ReadFile("ems/ems_project/wsgi.py")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "ems_project"), 0o755)
	os.WriteFile(filepath.Join(dir, "ems_project", "wsgi.py"), wsgiPy, 0o644)
	port := testenv.FreePort(t)
	ini := string(src)
	for old, p := range map[string]int{"127.0.0.1:9000": port, "127.0.0.1:9001": testenv.FreePort(t), "127.0.0.1:9002": testenv.FreePort(t)} {
		ini = strings.ReplaceAll(ini, old, fmt.Sprintf("127.0.0.1:%d", p))
	}
	os.WriteFile(filepath.Join(dir, "uwsgi-1.ini"), []byte(ini), 0o644)
	var out lockedBuf
	cmd := exec.Command(os.Args[0], "-test.run=^TestUwsgiHelperProcess$", "--", "uwsgi", "--ini", "uwsgi-1.ini")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WEBFLOW_LAB_HELPER=1")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/login/", port)
	var body string
	waitUntil(t, "the EMS answers", 15*time.Second, func() bool { body, _ = get(url); return body != "" }, out.String)
	if !strings.Contains(body, "<form") {
		t.Errorf("GET /login/: got %.300q, want the EMS login page", body)
	}
	// The child's log reaches out through a pipe that exec copies on its own
	// goroutine, so the line may arrive after the page did: wait for it.
	waitUntil(t, "the log says the app loaded", 15*time.Second, func() bool {
		return strings.Contains(out.String(), "WSGI app 0 (mountpoint='') ready")
	}, out.String)
}

// TestUwsgiReloadRereadsIni: SIGHUP reads the ini file again, as uWSGI's
// re-executed binary does. Unchanged, the instance reloads in place and
// prints its notes again; edited, it runs the edit; gone, the instance ends
// with exit status 1.
func TestUwsgiReloadRereadsIni(t *testing.T) {
	dir := t.TempDir()
	port := testenv.FreePort(t)
	pid := filepath.Join(dir, "uwsgi.pid")
	ini := fmt.Sprintf("[uwsgi]\nhttp = 127.0.0.1:%d\nwsgi-file = hello\nprocesses = 2 # two\npidfile = %s\n", port, pid)
	path := filepath.Join(dir, "app.ini")
	os.WriteFile(path, []byte(ini), 0o644)
	var out lockedBuf
	cmd := exec.Command(os.Args[0], "-test.run=^TestUwsgiHelperProcess$", "--", "uwsgi", "app.ini")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WEBFLOW_LAB_HELPER=1")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	waitUntil(t, "the instance answers", 10*time.Second, func() bool { b, _ := get(url); return b == "Hello World\n" }, out.String)
	const note = "uwsgi: processes = 2 # two"
	if n := strings.Count(out.String(), note); n != 1 {
		t.Fatalf("note at start: %d times, want 1\n%s", n, out.String())
	}

	sighup := func() {
		t.Helper()
		if code := run([]string{"uwsgi", "--reload", pid}, io.Discard, io.Discard); code != 0 {
			t.Fatalf("--reload: exit %d", code)
		}
	}
	sighup()
	waitUntil(t, "the note again after the reload", 10*time.Second, func() bool {
		o := out.String()
		i := strings.Index(o, "binary reloading uWSGI...")
		return i >= 0 && strings.Contains(o[i:], note) && strings.Contains(o[i:], "gracefully (RE)spawned")
	}, out.String)

	os.WriteFile(path, []byte(strings.Replace(ini, "processes = 2 # two", "processes = 3", 1)), 0o644)
	sighup()
	waitUntil(t, "the edit runs", 10*time.Second, func() bool {
		o := out.String()
		i := strings.Index(o, "(webflow-lab: the options changed")
		return i >= 0 && strings.Contains(o[i:], "spawned uWSGI worker 3 (pid: ")
	}, out.String)
	if b, err := get(url); b != "Hello World\n" {
		t.Errorf("after the edit: got %q, %v", b, err)
	}
	if o := out.String(); strings.Contains(o[strings.Index(o, "(webflow-lab: the options changed"):], note) {
		t.Errorf("the note about the old line came back after it was fixed:\n%s", o)
	}

	os.Remove(path)
	sighup()
	select {
	case err := <-exited:
		exited <- err
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("instance after a reload with its ini gone: %v, want exit status 1\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("instance still running 10 s after a reload with its ini gone\n%s", out.String())
	}
	if !strings.Contains(out.String(), "app.ini") || !strings.Contains(out.String(), "No such file or directory") {
		t.Errorf("output: want the missing ini's error\n%s", out.String())
	}
}
