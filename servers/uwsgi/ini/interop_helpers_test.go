package ini

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/testenv"
)

// These tests run the real uWSGI (2.0.21 with the python3 and http plugins)
// on the same files and check that Config says what uWSGI did. They skip
// when uwsgi is not installed.

// plugins makes the Debian build behave like pip's monolithic uWSGI.
var plugins = []string{"--plugins", "python3,http"}

// stopFast bounds a test's shutdown: a SIGINT that reaches a worker before
// it has installed its own handlers is swallowed, and the master would wait
// worker-reload-mercy (60 s) before killing it. It changes nothing the
// tests check.
var stopFast = []string{"--worker-reload-mercy", "3"}

// minimalEnv is the environment the real uWSGI gets: no UWSGI_* leaking in.
func minimalEnv(extra map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// realHost is the Host that sees what uWSGI started in dir with env sees.
func realHost(dir string, env []string) Host {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return Host{
		Cwd:       dir,
		LookupEnv: func(k string) (string, bool) { v, ok := m[k]; return v, ok },
		Environ:   func() []string { return env },
	}
}

// logBuf collects a process's output and wakes waiters on every write.
type logBuf struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newLogBuf() *logBuf { return &logBuf{changed: make(chan struct{})} }

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	close(l.changed)
	l.changed = make(chan struct{})
	return len(p), nil
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) wait() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.changed
}

// proc is one real uWSGI started by a test.
type proc struct {
	cmd  *exec.Cmd
	log  *logBuf
	done chan struct{}
	err  error
}

// startUWSGI runs uwsgi in dir; t.Cleanup stops it (SIGINT, then SIGKILL to
// its process group) and waits for it.
func startUWSGI(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	bin := testenv.NeedUWSGI(t)
	p := &proc{log: newLogBuf(), done: make(chan struct{})}
	p.cmd = exec.Command(bin, append(append(append([]string{}, plugins...), stopFast...), args...)...)
	p.cmd.Dir, p.cmd.Env = dir, minimalEnv(nil)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	testenv.Group(p.cmd)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop asks uWSGI to shut down with SIGINT (uWSGI 2.0 reloads on SIGTERM)
// and waits. A SIGINT that lands while a process is still installing its
// handlers is lost, so it is sent again every 3 s; after 15 s the process
// group is killed and the test fails.
func (p *proc) stop(t *testing.T) {
	for range 5 {
		select {
		case <-p.done:
			return
		default:
		}
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.done:
			return
		case <-time.After(3 * time.Second):
		}
	}
	_ = testenv.KillGroup(p.cmd)
	<-p.done
	t.Errorf("uwsgi did not stop on SIGINT; killed\n%s", p.log.String())
}

// waitLog waits until the log contains s, the process exits, or 20 s pass.
func (p *proc) waitLog(t *testing.T, s string) bool {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		ch := p.log.wait()
		if strings.Contains(p.log.String(), s) {
			return true
		}
		select {
		case <-ch:
		case <-p.done:
			return strings.Contains(p.log.String(), s)
		case <-deadline:
			t.Errorf("timed out waiting for %q in uWSGI's log:\n%s", s, p.log.String())
			return false
		}
	}
}

// waitExit waits for the process to end by itself and returns its code.
func (p *proc) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("uwsgi did not exit:\n%s", p.log.String())
	}
	if p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// serverPortApp is a WSGI app that answers with its SERVER_PORT.
const serverPortApp = `def application(env, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [env.get('SERVER_PORT', '').encode('latin-1')]
`

// writeINI writes app.ini (and app.py) into a fresh directory and parses
// it with the lab's rules, as uWSGI will see it.
func writeINI(t *testing.T, text string) (string, *Config) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.ini"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte(serverPortApp), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := realHost(dir, minimalEnv(nil)).ParseArgs(append(append([]string{}, plugins...), "--ini", "app.ini"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, c
}
