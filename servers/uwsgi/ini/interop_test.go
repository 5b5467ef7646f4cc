package ini

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"webflow-lab/servers/explain"
)

// These tests run the real uWSGI (2.0.21 with the python3 and http plugins)
// on the same files and check that Config says what uWSGI did. They skip
// when uwsgi is not installed.

func needUWSGI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("uwsgi")
	if err != nil {
		t.Skipf("uwsgi not in PATH: %v", err)
	}
	return p
}

// plugins makes the Debian build behave like pip's monolithic uWSGI.
var plugins = []string{"--plugins", "python3,http"}

// stopFast bounds a test's shutdown: a SIGINT that reaches a worker before
// it has installed its own handlers is swallowed, and the master would wait
// worker-reload-mercy (60 s) before killing it. It changes nothing the
// tests check.
var stopFast = []string{"--worker-reload-mercy", "3"}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

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

// TestInteropGet compares, line by line, the option values uWSGI prints
// for --get (the first option of that name, after every pass) with ours.
func TestInteropGet(t *testing.T) {
	bin := needUWSGI(t)
	tests := []struct {
		name, text string
		env        map[string]string
		keys       []string
		files      map[string]string
	}{
		{"inline comments", "[uwsgi]\nhttp = 127.0.0.1:19101 # inline comment\nmaster = false ; semicolon comment\nprocesses = 2 # two workers\nsocket = /tmp/app.sock # x\n",
			nil, []string{"http", "master", "processes", "socket"}, nil},
		{"trim and split", "[uwsgi]\r\n\t x \t=  a = b  \r\ny=\"q\"\nbare\n = e\n", nil, []string{"x", "y", "bare", ""}, nil},
		{"comment lines only at the start", "[uwsgi]\n# a = 1\n; b = 2\nc = 3 # 4\n  #d = 5\n", nil, []string{"a", "b", "c", "#d", "d"}, nil},
		{"section header with a comment", "[uwsgi] # main\na = 1\n[uwsgi]\nb = 2\n", nil, []string{"a", "b"}, nil},
		{"section header minus its last character", "[uwsgi]]\na = 1\n[uwsgi]\nb = 2\n[ uwsgi ]\nc = 3\n", nil, []string{"a", "b", "c"}, nil},
		{"lines before the header", "a = 1\n[uwsgi]\nb = 2\n", nil, []string{"a", "b"}, nil},
		{"magic variables", "[uwsgi]\nd = %d\np = %p\ns = %s\nn = %n\ne = %e\nc = %c\nx = [%x]\nz = [%z]\npct = 100%%\nv = %v\nh = %h\nD = %D\n",
			nil, []string{"d", "p", "s", "n", "e", "c", "x", "z", "pct", "v", "h", "D"}, nil}, // %V: Debian's build says 2.0.21-debian
		{"percent before a newline joins lines", "[uwsgi]\na = 1%\nb = 2\nc = 3\n", nil, []string{"a", "b", "c"}, nil},
		{"placeholders", "[uwsgi]\np = a\np = b\nx = %(p)\ny = %(nope)\nz = $(LABVAR)/$(UNSETVAR)\nw = @(w.txt)\nm = %(q * 2 + 1)\nq = 4\nr = %(t)\nt = %(x)\n",
			map[string]string{"LABVAR": "lab"}, []string{"x", "y", "z", "w", "m", "r"}, map[string]string{"w.txt": "from file\n"}},
		{"immediate options are not expanded", "[uwsgi]\nset-ph = q=5\nlisten = %(q)\nx = %(listen)\n", nil, []string{"listen", "x"}, nil},
		{"environment options", "[uwsgi]\nx = %(processes)\n", map[string]string{"UWSGI_PROCESSES": "3"}, []string{"processes", "x"}, nil},
		{"quotes are kept", "[uwsgi]\nchdir = \"/srv/app\"\nname = 'x'\n", nil, []string{"chdir", "name"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			text := tt.text
			if err := os.WriteFile(filepath.Join(dir, "app.ini"), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			for name, body := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"--socket", "127.0.0.1:1", "--ini", "app.ini"}
			for _, k := range tt.keys {
				args = append(args, "--get", k)
			}
			env := minimalEnv(tt.env)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append(append([]string{}, plugins...), args...)...)
			cmd.Dir, cmd.Env = dir, env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("uwsgi %v: %v\n%s", args, err, stderr.String())
			}

			c, err := realHost(dir, env).ParseArgs(append(append([]string{}, plugins...), "--socket", "127.0.0.1:1", "--ini", "app.ini"))
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for _, k := range tt.keys {
				for _, o := range c.Options {
					if o.Key == k {
						want.WriteString(o.Value + "\n")
						break
					}
				}
			}
			if got := stdout.String(); got != want.String() {
				t.Errorf("uWSGI --get printed\n%q\nConfig holds\n%q", got, want.String())
			}
		})
	}
}

// TestInteropCommandLine compares uWSGI's --get with ours for command
// lines: getopt's abbreviations, short flags, "=" values, the order of ini
// files and flags, and flags without a value.
func TestInteropCommandLine(t *testing.T) {
	bin := needUWSGI(t)
	dir := t.TempDir()
	files := map[string]string{
		"a.ini": "[uwsgi]\nprocesses = 2\nname = a\n[dev]\nprocesses = 5\nname = dev\n",
		"b.ini": "[uwsgi]\nprocesses = 3\nref = %(master)\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		keys []string
	}{
		{"short flags combined", []string{"-Mp", "4", "-s", ":1"}, []string{"master", "processes", "socket"}},
		{"short glued values", []string{"-s:1", "-p4", "-t30"}, []string{"socket", "processes", "harakiri"}},
		{"abbreviations", []string{"--proce", "3", "--wsgi-f", "x.py", "--socket", ":1"}, []string{"processes", "wsgi-file"}},
		{"equals", []string{"--socket=:1", "--static-map=/s=d"}, []string{"socket", "static-map"}},
		{"ini then flag", []string{"--ini", "a.ini", "--processes", "7", "--socket", ":1"}, []string{"processes", "name"}},
		{"bare ini after flags", []string{"a.ini", "--processes", "7", "--socket", ":1"}, []string{"processes", "name"}},
		{"section", []string{"--ini", "a.ini:dev", "--socket", ":1"}, []string{"processes", "name"}},
		{"reread with :section", []string{"--ini", "a.ini", "--ini", ":dev", "--socket", ":1"}, []string{"processes", "name"}},
		{"flag without value is NULL", []string{"--master", "--ini", "b.ini", "--socket", ":1"}, []string{"master", "ref"}},
		{"set", []string{"--set", "foo=bar", "--set-ph", "ph=1", "--socket", ":1"}, []string{"foo", "ph"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{}, tt.args...)
			for _, k := range tt.keys {
				args = append(args, "--get", k)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append(append([]string{}, plugins...), args...)...)
			cmd.Dir, cmd.Env = dir, minimalEnv(nil)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("uwsgi %v: %v\n%s", args, err, stderr.String())
			}
			c, err := realHost(dir, minimalEnv(nil)).ParseArgs(append(append([]string{}, plugins...), tt.args...))
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for _, k := range tt.keys {
				for _, o := range c.Options {
					if o.Key == k {
						if !o.NoValue {
							want.WriteString(o.Value + "\n")
						}
						break
					}
				}
			}
			if got := stdout.String(); got != want.String() {
				t.Errorf("uWSGI --get printed\n%q\nConfig holds\n%q", got, want.String())
			}
		})
	}
}

// TestInteropFatal runs uWSGI on each mistake that stops it and checks
// that it exits 1 printing the very lines our error names.
func TestInteropFatal(t *testing.T) {
	bin := needUWSGI(t)
	dir := t.TempDir()
	port := freePort(t)
	sock := fmt.Sprintf("127.0.0.1:%d", port)
	files := map[string]string{
		"strict.ini": "[uwsgi]\nstrict = true\nsocket = " + sock + "\nbase = /srv\n",
		"at.ini":     "[uwsgi]\nsocket = " + sock + "\nenv = SECRET=@(secret.txt)\n",
		"header.ini": "[uwsgi] # main\nsocket = " + sock + "\n",
		"autoip.ini": "[uwsgi]\nsocket = :" + strconv.Itoa(port) + " # *important*\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
	}{
		{"unknown flag", []string{"--foo"}},
		{"flag that takes no value", []string{"--master=1"}},
		{"missing value", []string{"--socket"}},
		{"unknown short flag", []string{"-k"}},
		{"set without =", []string{"--set", "novalue"}},
		{"missing ini file", []string{"--ini", "nope.ini"}},
		{"bare non-ini argument", []string{"--socket", sock, "foo.txt"}},
		{"static-map without =", []string{"--socket", sock, "--static-map", "foo"}},
		{"negative processes", []string{"--socket", sock, "--processes", "-1"}},
		{"negative listen", []string{"--listen", "-3", "--socket", sock}},
		{"strict", []string{"--ini", "strict.ini"}},
		{"missing @file", []string{"--ini", "at.ini"}},
		{"header with a comment: no socket", []string{"--ini", "header.ini"}},
		{"empty socket", []string{"--socket", " "}},
		{"listen above somaxconn", []string{"--socket", sock, "--listen", "1000000"}},
		{"autoip in a comment", []string{"--ini", "autoip.ini"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := realHost(dir, minimalEnv(nil)).ParseArgs(append(append([]string{}, plugins...), tt.args...))
			if err == nil {
				t.Fatalf("Config: got no error")
			}
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *explain.Error", err)
			}
			what := strings.Split(e.What.EN, "\n")
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append(append([]string{}, plugins...), tt.args...)...)
			cmd.Dir, cmd.Env = dir, minimalEnv(nil)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("uwsgi exit code: got %d, want 1\n%s", code, out)
			}
			for _, line := range what {
				if !strings.Contains(string(out), line) {
					t.Errorf("uWSGI did not print %q:\n%s", line, out)
				}
			}
		})
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
	bin := needUWSGI(t)
	p := &proc{log: newLogBuf(), done: make(chan struct{})}
	p.cmd = exec.Command(bin, append(append(append([]string{}, plugins...), stopFast...), args...)...)
	p.cmd.Dir, p.cmd.Env = dir, minimalEnv(nil)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
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
		_ = p.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-p.done:
			return
		case <-time.After(3 * time.Second):
		}
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
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

func TestInteropHTTPInlineComment(t *testing.T) {
	needUWSGI(t)
	tests := []struct{ key, bound string }{
		{"http", "uWSGI http bound on %s fd"},
		{"http-socket", "uwsgi socket 0 bound to TCP address %s fd"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			port := freePort(t)
			dir, c := writeINI(t, fmt.Sprintf("[uwsgi]\n%s = 127.0.0.1:%d # inline comment\nwsgi-file = app.py\n", tt.key, port))
			a := append(c.HTTP, c.HTTPSockets...)[0]
			if a.Address != fmt.Sprintf("127.0.0.1:%d", port) || a.Port != fmt.Sprintf("%d # inline comment", port) {
				t.Fatalf("Config: got %+v", a)
			}
			p := startUWSGI(t, dir, "--ini", "app.ini")
			if !p.waitLog(t, fmt.Sprintf(tt.bound, a.Raw)) || !p.waitLog(t, "spawned uWSGI worker 1") {
				return
			}
			resp, err := http.Get("http://" + a.Address + "/")
			if err != nil {
				t.Fatalf("GET %s: %v", a.Address, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) != a.Port {
				t.Errorf("SERVER_PORT: uWSGI sent %q, Config says %q", body, a.Port)
			}
		})
	}
}

func TestInteropMasterAndProcesses(t *testing.T) {
	needUWSGI(t)
	tests := []struct{ name, lines string }{
		{"semicolon comment keeps master on", "master = false ; semicolon comment\nprocesses = 2 # two workers\n"},
		{"master off", "master = false\nprocesses = 1\n"},
		{"stats implies master", "stats = 127.0.0.1:%d\nprocesses = 3\n"},
		{"master = false beats stats", "stats = 127.0.0.1:%d\nmaster = false\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines := tt.lines
			if strings.Contains(lines, "%d") {
				lines = fmt.Sprintf(lines, freePort(t))
			}
			dir, c := writeINI(t, fmt.Sprintf("[uwsgi]\nhttp-socket = 127.0.0.1:%d\nwsgi-file = app.py\n%s", freePort(t), lines))
			p := startUWSGI(t, dir, "--ini", "app.ini")
			last := fmt.Sprintf("spawned uWSGI worker %d ", c.Processes)
			if c.Processes == 1 && !c.Master {
				last = "spawned uWSGI worker 1 (and the only)"
			}
			if !p.waitLog(t, last) {
				return
			}
			// A signal that arrives before the processes enter their loops
			// is lost; one answered request says they are in them.
			httpReady(t, p, c.HTTPSockets[0].Address)
			if c.Stats.Raw != "" && c.Master {
				p.waitLog(t, "*** Stats server enabled on ")
			}
			p.stop(t)
			log := p.log.String()
			if got := strings.Count(log, "spawned uWSGI worker "); got != c.Processes {
				t.Errorf("workers: uWSGI spawned %d, Config says %d", got, c.Processes)
			}
			if got := strings.Contains(log, "spawned uWSGI master process"); got != c.Master {
				t.Errorf("master: uWSGI %v, Config %v", got, c.Master)
			}
			if got := strings.Contains(log, "*** Stats server enabled on "); got != (c.Stats.Raw != "" && c.Master) {
				t.Errorf("stats server: uWSGI %v, Config stats %q master %v", got, c.Stats.Raw, c.Master)
			}
		})
	}
}

func TestInteropChdirComment(t *testing.T) {
	needUWSGI(t)
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, c := writeINI(t, fmt.Sprintf("[uwsgi]\nhttp-socket = 127.0.0.1:%d\nchdir = %s/app # project dir\n", freePort(t), base))
	if want := base + "/app # project dir"; c.Chdir != want {
		t.Fatalf("Config chdir: got %q, want %q", c.Chdir, want)
	}
	if _, err := os.Stat(c.Chdir); err == nil {
		t.Fatalf("%q exists; the trap needs it not to", c.Chdir)
	}
	p := startUWSGI(t, dir, "--ini", "app.ini")
	if code := p.waitExit(t); code != 1 {
		t.Errorf("exit code: got %d, want 1", code)
	}
	log := p.log.String()
	if !strings.Contains(log, "chdir() to "+c.Chdir+"\n") || !strings.Contains(log, "chdir(): No such file or directory [core/uwsgi.c line") {
		t.Errorf("uWSGI's log lacks the chdir failure for %q:\n%s", c.Chdir, log)
	}
}

func TestInteropUnixSocketComment(t *testing.T) {
	needUWSGI(t)
	base := t.TempDir()
	dir, c := writeINI(t, fmt.Sprintf("[uwsgi]\nsocket = %s/app.sock # x\nwsgi-file = app.py\n", base))
	a := c.Sockets[0]
	if a.Network != "unix" || a.Address != base+"/app.sock # x" {
		t.Fatalf("Config: got %+v", a)
	}
	p := startUWSGI(t, dir, "--ini", "app.ini")
	if !p.waitLog(t, "uwsgi socket 0 bound to UNIX address "+a.Address+" fd") {
		return
	}
	fi, err := os.Stat(a.Address)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("uWSGI should have created the socket %q: %v", a.Address, err)
	}
	if _, err := os.Stat(base + "/app.sock"); err == nil {
		t.Errorf("%s/app.sock exists; uWSGI named its socket with the comment", base)
	}
}

func TestInteropHTTPColonInComment(t *testing.T) {
	needUWSGI(t)
	port := freePort(t)
	dir, c := writeINI(t, fmt.Sprintf("[uwsgi]\nhttp = :%d # see: docs\nwsgi-file = app.py\n", port))
	a := c.HTTP[0]
	if a.Address != "255.255.255.255:0" || a.Port != " docs" {
		t.Fatalf("Config: got %+v, want 255.255.255.255:0 with port text \" docs\"", a)
	}
	before := listeningOn(t, "255.255.255.255")
	p := startUWSGI(t, dir, "--ini", "app.ini")
	if !p.waitLog(t, "uWSGI http bound on "+a.Raw+" fd") {
		return
	}
	after := listeningOn(t, "255.255.255.255")
	if len(after) <= len(before) {
		t.Errorf("no new listening socket on 255.255.255.255: before %v, after %v", before, after)
	}
	for _, port := range after {
		if port == 0 {
			t.Errorf("port 0 listening: want a random port")
		}
	}
	if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
		t.Errorf("port %d should be free (uWSGI did not bind it): %v", port, err)
	} else {
		ln.Close()
	}
}

// listeningOn lists the ports of listening TCP sockets bound to ip, from
// /proc/net/tcp.
func listeningOn(t *testing.T, ip string) []int {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Skipf("no /proc/net/tcp: %v", err)
	}
	parsed := net.ParseIP(ip).To4()
	hex := fmt.Sprintf("%02X%02X%02X%02X", parsed[3], parsed[2], parsed[1], parsed[0])
	var ports []int
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "0A" {
			continue
		}
		addr, port, _ := strings.Cut(f[1], ":")
		if addr == hex {
			n, _ := strconv.ParseInt(port, 16, 32)
			ports = append(ports, int(n))
		}
	}
	return ports
}

// TestInteropCourseConfig runs the course's first ini file with its
// addresses moved to 127.0.0.1 and free ports and its paths into a temp
// dir, comments untouched: uWSGI detaches (exit 0), writes a pidfile whose
// name holds the comment, and its log (named with the comment too) ends
// with the chdir failure. Config must name those very files.
func TestInteropCourseConfig(t *testing.T) {
	needUWSGI(t)
	src, err := os.ReadFile("../../../assets/uwsgi/course/config.ini")
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	for _, d := range []string{"ems", "ems_project", "static"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	text := strings.NewReplacer(
		"192.168.134.128:9000", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"192.168.134.128:9001", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"192.168.134.128:9002", fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		"/usr/local/django_projects", base,
		"/usr/local/项目目录", base,
	).Replace(string(src))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.ini"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := realHost(dir, minimalEnv(nil)).ParseArgs(append(append([]string{}, plugins...), "--ini", "config.ini"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(c.Daemonize, "# 路径要正确") || !strings.Contains(c.Pidfile, "#进程ID") || !strings.Contains(c.Chdir, "#项目所在目录") {
		t.Fatalf("Config: daemonize %q pidfile %q chdir %q", c.Daemonize, c.Pidfile, c.Chdir)
	}
	p := startUWSGI(t, dir, "--ini", "config.ini")
	if code := p.waitExit(t); code != 0 {
		t.Fatalf("uwsgi --ini config.ini: exit %d, want 0 (it daemonizes before failing)\n%s", code, p.log.String())
	}
	log := waitFile(t, c.Daemonize, "chdir(): No such file or directory")
	if !strings.Contains(log, "writing pidfile to "+c.Pidfile+"\n") {
		t.Errorf("the daemon's log %q does not show the pidfile Config names (%q):\n%s", c.Daemonize, c.Pidfile, log)
	}
	if _, err := os.Stat(c.Pidfile); err != nil {
		t.Errorf("pidfile %q: %v", c.Pidfile, err)
	}
}

// TestInteropCourseUWSGI runs the course's second ini file (restored), with
// its paths in a temp dir and virtualenv pointing at the system Python: it
// daemonizes, writes uwsgi.pid and uwsgi.log where it started, runs 4
// workers of 50 threads under a master, and stops with --stop uwsgi.pid.
func TestInteropCourseUWSGI(t *testing.T) {
	bin := needUWSGI(t)
	src, err := os.ReadFile("../../../assets/uwsgi/course/uwsgi.ini")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "P8", "P8"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "P8", "P8", "wsgi.py"), []byte(serverPortApp), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	text := strings.NewReplacer(
		"127.0.0.1:3031", fmt.Sprintf("127.0.0.1:%d", port),
		"/root/from/P8", filepath.Join(dir, "P8"),
		"/root/.virtualenvs/text_dev", "/usr",
	).Replace(string(src))
	if err := os.WriteFile(filepath.Join(dir, "uwsgi.ini"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := realHost(dir, minimalEnv(nil)).ParseArgs(append(append([]string{}, plugins...), "--ini", "uwsgi.ini"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Processes != 4 || c.Threads != 50 || !c.Master || c.Pidfile != "uwsgi.pid" || c.Daemonize != "uwsgi.log" || len(c.Notes) != 1 {
		t.Fatalf("Config: processes %d threads %d master %v pidfile %q daemonize %q notes %d", c.Processes, c.Threads, c.Master, c.Pidfile, c.Daemonize, len(c.Notes))
	}
	p := startUWSGI(t, dir, "--ini", "uwsgi.ini")
	if code := p.waitExit(t); code != 0 {
		t.Fatalf("exit %d\n%s", code, p.log.String())
	}
	logPath, pidPath := filepath.Join(dir, c.Daemonize), filepath.Join(dir, c.Pidfile)
	t.Cleanup(func() { stopDaemon(t, bin, dir, pidPath, logPath) })
	log := waitFile(t, logPath, fmt.Sprintf("spawned uWSGI worker %d ", c.Processes))
	uwsgiReady(t, c.Sockets[0].Address)
	if !strings.Contains(log, fmt.Sprintf("cores: %d)", c.Threads)) || !strings.Contains(log, "spawned uWSGI master process") {
		t.Errorf("log does not show %d threads per worker under a master:\n%s", c.Threads, log)
	}
	if !strings.Contains(log, fmt.Sprintf("uwsgi socket 0 bound to TCP address %s", c.Sockets[0].Address)) {
		t.Errorf("log does not show the socket %s:\n%s", c.Sockets[0].Address, log)
	}
	stopDaemon(t, bin, dir, pidPath, logPath)
	waitFile(t, logPath, "goodbye to uWSGI.")
}

// httpReady polls addr with GET / until uWSGI answers (an external
// process: polling with a deadline).
func httpReady(t *testing.T, p *proc, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("uWSGI never answered on %s: %v\n%s", addr, err, p.log.String())
		}
		<-time.After(20 * time.Millisecond)
	}
}

// uwsgiReady sends one uwsgi-protocol request to addr until a worker
// answers it with an HTTP status line.
func uwsgiReady(t *testing.T, addr string) {
	t.Helper()
	var vars []byte
	for _, kv := range [][2]string{{"REQUEST_METHOD", "GET"}, {"PATH_INFO", "/"}, {"SERVER_PROTOCOL", "HTTP/1.0"}} {
		for _, s := range kv {
			vars = append(vars, byte(len(s)), byte(len(s)>>8))
			vars = append(vars, s...)
		}
	}
	packet := append([]byte{0, byte(len(vars)), byte(len(vars) >> 8), 0}, vars...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			_, err = conn.Write(packet)
			var head []byte
			if err == nil {
				head, err = io.ReadAll(conn)
			}
			conn.Close()
			if err == nil && bytes.HasPrefix(head, []byte("HTTP/1.0 200")) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no uwsgi answer from %s: %v", addr, err)
		}
		<-time.After(20 * time.Millisecond)
	}
}

// stopDaemon runs `uwsgi --stop pidfile` once, as the course does.
func stopDaemon(t *testing.T, bin, dir, pidPath, logPath string) {
	b, err := os.ReadFile(pidPath)
	if err != nil {
		return
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return
	}
	cmd := exec.Command(bin, "--stop", pidPath)
	cmd.Dir, cmd.Env = dir, minimalEnv(nil)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("uwsgi --stop: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("daemon %d did not stop", pid)
			return
		}
		<-time.After(20 * time.Millisecond) // an external process: poll its pid with a deadline
	}
}

// waitFile polls a file written by a detached uWSGI until it contains s.
func waitFile(t *testing.T, path, s string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), s) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %q in %s:\n%s", s, path, b)
		}
		<-time.After(20 * time.Millisecond)
	}
}
