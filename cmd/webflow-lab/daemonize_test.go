//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"webflow-lab/assets"
	"webflow-lab/servers/testenv"
	"webflow-lab/servers/uwsgiproto"
)

func init() {
	// A daemonize start inside this test binary (run in-process, or as
	// TestUwsgiHelperProcess) runs the helper again, not every test.
	daemonCommand = func(args []string) (*exec.Cmd, error) {
		cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestUwsgiHelperProcess$", "--", "uwsgi"}, args...)...)
		cmd.Env = append(os.Environ(), "WEBFLOW_LAB_HELPER=1")
		return cmd, nil
	}
}

// shellRun runs a command the way a shell does and returns what it printed
// and its exit status. The command must give the prompt back: if it, or
// anything it left running, still holds the terminal's output 5 s after it
// exited (a daemon that kept its stdout or stderr), the test fails.
func shellRun(t *testing.T, dir string, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s %q: still running after 30 s, the shell never got its prompt back\n%s%s", bin, args, o.String(), e.String())
	}
	var ee *exec.ExitError
	switch {
	case errors.Is(err, exec.ErrWaitDelay):
		t.Fatalf("%s %q exited but left its output open (a daemon holding the terminal)\n%s", bin, args, e.String())
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// alive reports whether pid runs; a zombie (a daemon whose parent, init in
// a container, has not reaped it) has exited.
func alive(pid int) bool {
	if runtime.GOOS == "linux" {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		_, rest, _ := strings.Cut(string(b), ") ")
		return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
	}
	return syscall.Kill(pid, 0) == nil
}

// readPid reads a pidfile, 0 when it is not there (yet).
func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// reapDaemon stops, at the end of the test, the daemon whose pid is in
// pidfile if it still runs: SIGINT, then SIGKILL to its whole process group
// (a daemon has its own session), so that no worker outlives a failed test.
func reapDaemon(t *testing.T, pidfile string) {
	t.Cleanup(func() {
		pid := readPid(pidfile)
		if pid <= 0 || !alive(pid) {
			return
		}
		pgid, err := syscall.Getpgid(pid)
		syscall.Kill(pid, syscall.SIGINT)
		deadline := time.Now().Add(10 * time.Second)
		for alive(pid) && time.Now().Before(deadline) {
			<-time.After(20 * time.Millisecond)
		}
		if err == nil && pgid > 1 && pgid != syscall.Getpgrp() {
			syscall.Kill(-pgid, syscall.SIGKILL)
		} else if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// uwsgiGet sends GET path over the uwsgi protocol, as nginx's uwsgi_pass
// does, and returns the status line.
func uwsgiGet(address, path string) (string, error) {
	c, err := net.DialTimeout("tcp", address, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	vars := uwsgiproto.Vars{{Key: "REQUEST_METHOD", Value: "GET"}, {Key: "PATH_INFO", Value: path}, {Key: "REQUEST_URI", Value: path},
		{Key: "QUERY_STRING", Value: ""}, {Key: "SERVER_PROTOCOL", Value: "HTTP/1.1"}, {Key: "SERVER_NAME", Value: "localhost"},
		{Key: "SERVER_PORT", Value: "80"}, {Key: "REMOTE_ADDR", Value: "127.0.0.1"}, {Key: "HTTP_HOST", Value: "localhost"}}
	if _, err := uwsgiproto.WriteRequest(c, 0, 0, vars, nil); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// courseIni is one of the course's ini files from assets/uwsgi/course with
// its machine-specific parts (IP addresses, ports, directories) moved into
// dir, every glued comment kept as the course wrote it.
func courseIni(t *testing.T, name, dir string, ports []int, venv string) string {
	t.Helper()
	b, err := assets.FS.ReadFile("uwsgi/course/" + name)
	if err != nil {
		t.Fatal(err)
	}
	for len(ports) < 3 {
		ports = append(ports, 0)
	}
	r := strings.NewReplacer(
		"192.168.134.128:9000", fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"192.168.134.128:9001", fmt.Sprintf("127.0.0.1:%d", ports[1]),
		"192.168.134.128:9002", fmt.Sprintf("127.0.0.1:%d", ports[2]),
		"127.0.0.1:3031", fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"/usr/local/django_projects", dir,
		"/usr/local/项目目录", filepath.Join(dir, "项目目录"),
		"/root/from/P8", filepath.Join(dir, "P8"),
		"/root/.virtualenvs/text_dev", venv,
	)
	ini := r.Replace(string(b))
	if err := os.WriteFile(filepath.Join(dir, name), []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	return ini
}

// realUWSGI is the path of real uWSGI with the plugins the course's ini
// files need; it skips the test, saying what is missing, when there is
// none.
func realUWSGI(t *testing.T) string {
	t.Helper()
	bin := testenv.NeedUWSGI(t, "http")
	return bin
}

// The course's config.ini, its paths as written after the value:
// chdir's and daemonize's glued comments are part of the paths.
const (
	courseLog     = "uwsgi.log    # 路径要正确"
	coursePidfile = "uwsgi.pid #进程ID存放于此文件，位置可以自定义   路径要正确"
	courseChdir   = "ems_project #项目所在目录  保证项目路径正确"
)

// daemonPid is the daemon's pid as the detaching process printed it.
func daemonPid(terminal string) int {
	m := regexp.MustCompile(`in the background \(pid ([0-9]+)\)`).FindStringSubmatch(terminal)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestDaemonizeCourseConfigIni: the course's config.ini with its
// directories present. The shell gets exit status 0 and its prompt back at
// once; the daemon writes the log file whose name carries the glued
// comment, writes the pidfile (whose name carries one too), fails at chdir
// (its path carries a third) and ends, leaving the pidfile (a daemon that
// fails this early does not vacuum). The error is in the log file only: the
// terminal shows the static-map line, the lab's notes and where the log went.
func TestDaemonizeCourseConfigIni(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "ems"), 0o755)
	os.MkdirAll(filepath.Join(dir, "ems_project"), 0o755)
	ports := testenv.FreePorts(t, 3)
	courseIni(t, "config.ini", dir, ports, "")
	reapDaemon(t, filepath.Join(dir, "ems", coursePidfile))

	stdout, stderr, code := shellRun(t, dir, bin, "uwsgi", "--ini", "config.ini")
	if code != 0 || stdout != "" {
		t.Errorf("exit status %d, stdout %q; want 0 and nothing, as uWSGI", code, stdout)
	}
	for _, want := range []string{
		"[uWSGI] getting INI configuration from config.ini\n",
		"[uwsgi-static] added mapping for /static => " + filepath.Join(dir, "项目目录") + "/static  # 只在你写的static-map中找静态资源    路径要正确\n",
		"uwsgi: chdir = " + filepath.Join(dir, courseChdir) + ": uWSGI has no inline comments",
		"(webflow-lab: daemonize: the server goes on in the background",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("terminal: missing %q\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, "[core/uwsgi.c line 2625]") || strings.Contains(stderr, "*** Starting uWSGI") {
		t.Errorf("terminal: got what comes after detaching:\n%s", stderr)
	}

	logPath, pidPath := filepath.Join(dir, "ems", courseLog), filepath.Join(dir, "ems", coursePidfile)
	pid := daemonPid(stderr)
	if pid == 0 || pid == os.Getpid() {
		t.Fatalf("terminal: got daemon pid %d\n%s", pid, stderr)
	}
	waitUntil(t, "the daemon fails at chdir and exits", 15*time.Second, func() bool { return !alive(pid) }, func() string { return readFile(logPath) })
	log := readFile(logPath)
	for _, want := range []string{
		"*** Starting uWSGI 2.0.21-webflow-lab",
		"current working directory: " + dir + "\n",
		"writing pidfile to " + pidPath + "\n",
		"chdir() to " + filepath.Join(dir, courseChdir) + "\n",
		"chdir(): No such file or directory [core/uwsgi.c line 2625]\n",
		"where: config.ini:4: chdir = ",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log file: missing %q\n%s", want, log)
		}
	}
	names, _ := os.ReadDir(filepath.Join(dir, "ems"))
	var got []string
	for _, n := range names {
		got = append(got, n.Name())
	}
	if want := []string{courseLog, coursePidfile}; !slices.Equal(got, want) {
		t.Errorf("files left: got %q, want %q", got, want)
	}
	if got := readPid(pidPath); got != pid {
		t.Errorf("pidfile: got %d, want the daemon's pid %d", got, pid)
	}
	if strings.Contains(log, "VACUUM") {
		t.Errorf("log file: a daemon failing at chdir does not vacuum\n%s", log)
	}
	if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", ports[0])); err == nil {
		c.Close()
		t.Errorf("port %d answers: want nothing listening after the chdir error", ports[0])
	}
}

// TestDaemonizeCourseConfigIniVerbatim: the course's config.ini pasted as
// is, on a machine without /usr/local/django_projects: the log file cannot
// be opened; uWSGI's daemon prints that on the terminal after its parent
// has exited 0, so the shell sees success and nothing runs.
func TestDaemonizeCourseConfigIniVerbatim(t *testing.T) {
	if _, err := os.Stat("/usr/local/django_projects/ems"); err == nil {
		t.Skip("/usr/local/django_projects/ems exists on this machine")
	}
	bin := builtBinary(t)
	dir := t.TempDir()
	b, _ := assets.FS.ReadFile("uwsgi/course/config.ini")
	os.WriteFile(filepath.Join(dir, "config.ini"), b, 0o644)
	_, stderr, code := shellRun(t, dir, bin, "uwsgi", "--ini", "config.ini")
	want := `open("/usr/local/django_projects/ems/uwsgi.log    # 路径要正确"): No such file or directory [core/logging.c line 288]`
	if code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("got exit status %d and\n%s\nwant 0 and %q", code, stderr, want)
	}
	if strings.Contains(stderr, "daemonize: the server goes on") {
		t.Errorf("terminal: says a server goes on, but none was started:\n%s", stderr)
	}
}

// TestDaemonizeCourseUwsgiIni: the course's second ini file (each comment on
// its own line, relative pidfile and daemonize). The shell gets exit status
// 0 at once, the daemon serves, its log is the file, --reload reads the ini
// again and logs its notes again (and applies an edit), --stop stops it.
func TestDaemonizeCourseUwsgiIni(t *testing.T) {
	bin := builtBinary(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "P8", "P8"), 0o755)
	os.WriteFile(filepath.Join(dir, "P8", "P8", "wsgi.py"), []byte("from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"), 0o644)
	ports := testenv.FreePorts(t, 1)
	ini := courseIni(t, "uwsgi.ini", dir, ports, "/root/.virtualenvs/text_dev")
	pidPath, logPath := filepath.Join(dir, "uwsgi.pid"), filepath.Join(dir, "uwsgi.log")
	reapDaemon(t, pidPath)
	logs := func() string { return readFile(logPath) }

	stdout, stderr, code := shellRun(t, dir, bin, "uwsgi", "--ini", "uwsgi.ini")
	if code != 0 || stdout != "" {
		t.Fatalf("exit status %d, stdout %q; want 0 and nothing\n%s", code, stdout, stderr)
	}
	waitUntil(t, "the daemon writes its pidfile", 15*time.Second, func() bool { return readPid(pidPath) > 0 }, logs)
	pid := readPid(pidPath)
	if !strings.Contains(stderr, fmt.Sprintf("(pid %d)", pid)) {
		t.Errorf("terminal: want the daemon's pid %d\n%s", pid, stderr)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	waitUntil(t, "the daemon answers on its socket", 15*time.Second, func() bool {
		st, _ := uwsgiGet(addr, "/login/")
		return st == "HTTP/1.1 200 OK" && strings.Contains(logs(), "spawned uWSGI worker 4")
	}, logs)
	if !alive(pid) {
		t.Fatalf("pid %d from the pidfile does not run", pid)
	}
	waitUntil(t, "the request is logged", 15*time.Second, func() bool { return strings.Contains(logs(), "GET /login/ => generated") }, logs)
	for _, want := range []string{"*** Starting uWSGI", "writing pidfile to uwsgi.pid\n", "spawned uWSGI worker 4 (pid: " + strconv.Itoa(pid) + ", cores: 50)",
		"uwsgi: virtualenv = /root/.virtualenvs/text_dev is accepted"} {
		if !strings.Contains(logs(), want) {
			t.Errorf("log file: missing %q\n%s", want, logs())
		}
	}
	if strings.Contains(logs(), "[uWSGI] getting INI configuration") {
		t.Errorf("log file: the ini line belongs to the terminal at start\n%s", logs())
	}

	// --reload: the daemon reads the ini again and logs it with its notes.
	if _, e, code := shellRun(t, dir, bin, "uwsgi", "--reload", "uwsgi.pid"); code != 0 {
		t.Fatalf("--reload: exit status %d\n%s", code, e)
	}
	waitUntil(t, "the reload is logged", 15*time.Second, func() bool {
		return strings.Contains(logs(), "gracefully (RE)spawned uWSGI master process")
	}, logs)
	after := logs()[strings.Index(logs(), "binary reloading uWSGI..."):]
	for _, want := range []string{"[uWSGI] getting INI configuration from uwsgi.ini\n", "uwsgi: virtualenv = /root/.virtualenvs/text_dev is accepted"} {
		if !strings.Contains(after, want) {
			t.Errorf("log after --reload: missing %q\n%s", want, after)
		}
	}

	// An edited ini takes effect at the next reload, as in uWSGI.
	os.WriteFile(filepath.Join(dir, "uwsgi.ini"), []byte(strings.Replace(ini, "processes=4", "processes=2 # two", 1)), 0o644)
	if _, e, code := shellRun(t, dir, bin, "uwsgi", "--reload", "uwsgi.pid"); code != 0 {
		t.Fatalf("second --reload: exit status %d\n%s", code, e)
	}
	waitUntil(t, "the edited ini is running", 15*time.Second, func() bool {
		l := logs()
		i := strings.Index(l, "(webflow-lab: the options changed")
		return i >= 0 && strings.Contains(l[i:], "spawned uWSGI worker 2 (pid: ")
	}, logs)
	edited := logs()[strings.Index(logs(), "(webflow-lab: the options changed"):]
	for _, want := range []string{"[uWSGI] getting INI configuration from uwsgi.ini\n", "uwsgi: processes = 2 # two"} {
		if !strings.Contains(edited, want) {
			t.Errorf("log after the edit: missing %q\n%s", want, edited)
		}
	}
	if strings.Contains(edited, "spawned uWSGI worker 3") {
		t.Errorf("log after the edit: still 4 workers\n%s", edited)
	}
	waitUntil(t, "the edited instance answers", 15*time.Second, func() bool {
		st, _ := uwsgiGet(addr, "/login/")
		return st == "HTTP/1.1 200 OK"
	}, logs)

	if _, e, code := shellRun(t, dir, bin, "uwsgi", "--stop", "uwsgi.pid"); code != 0 {
		t.Fatalf("--stop: exit status %d\n%s", code, e)
	}
	waitUntil(t, "the daemon exits after --stop", 15*time.Second, func() bool { return !alive(pid) }, logs)
	if !strings.Contains(logs(), "goodbye to uWSGI.\n") {
		t.Errorf("log file: missing goodbye\n%s", logs())
	}
	if _, err := uwsgiGet(addr, "/"); err == nil {
		t.Errorf("the socket still answers after --stop")
	}
}

// workersThreaded reports whether the last workers the log says were
// spawned each run at least n threads (Linux's /proc; elsewhere it cannot
// tell and says yes).
func workersThreaded(log string, workers, n int) bool {
	if runtime.GOOS != "linux" {
		return true
	}
	ms := regexp.MustCompile(`spawned uWSGI worker [0-9]+ \(pid: ([0-9]+),`).FindAllStringSubmatch(log, -1)
	if len(ms) < workers {
		return false
	}
	for _, m := range ms[len(ms)-workers:] {
		b, err := os.ReadFile("/proc/" + m[1] + "/status")
		if err != nil {
			return false
		}
		_, v, _ := strings.Cut(string(b), "\nThreads:\t")
		v, _, _ = strings.Cut(v, "\n")
		if th, _ := strconv.Atoi(v); th < n {
			return false
		}
	}
	return len(ms) > 0
}

// logKey keeps the log lines both servers write, with what belongs to one
// run (version, date, pids, fds, ports, the binary, the directory) made
// equal, so their order and text can be compared.
func logKey(log, dir string) []string {
	prefixes := []string{"*** Starting uWSGI", "current working directory:", "writing pidfile to", "detected binary path:",
		"chdir() to", "chdir():", "uwsgi socket 0 bound to", "uwsgi socket 0 inherited", "Set PythonHome to", "your server socket listen backlog",
		"your mercy for graceful", "*** Operational MODE", "spawned uWSGI master", "spawned uWSGI worker", "VACUUM:",
		"...gracefully killing workers...", "binary reloading uWSGI...", "[uWSGI] getting INI configuration from",
		"gracefully (RE)spawned", "SIGINT/SIGTERM received", "goodbye to uWSGI."}
	norm := strings.NewReplacer("2.0.21-debian", "V", "2.0.21-webflow-lab", "V", dir, "DIR")
	date := regexp.MustCompile(`\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} [0-9]{4}\]`)
	num := regexp.MustCompile(`[0-9]+`)
	var out []string
	for _, ln := range strings.Split(log, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(ln, p) {
				if strings.HasPrefix(ln, "detected binary path:") {
					ln = "detected binary path: BIN"
				}
				out = append(out, num.ReplaceAllString(date.ReplaceAllString(norm.Replace(ln), "[DATE]"), "N"))
				break
			}
		}
	}
	return out
}

// termLines are the terminal's lines with the directory made equal.
func termLines(s, dir string) []string {
	return strings.Split(strings.ReplaceAll(s, dir, "DIR"), "\n")
}

// TestInteropDaemonize runs the course's ini files under real uWSGI 2.0.21
// and under webflow-lab, each in its own directory, and compares what a
// learner sees: the exit status, the terminal (every line uWSGI prints, the
// lab prints too), the files the daemon makes, the log file's lines in
// order, and --reload and --stop on the pidfile.
func TestInteropDaemonize(t *testing.T) {
	lab := builtBinary(t)
	real := realUWSGI(t)
	type run struct {
		dir, bin string
		args     []string
	}
	setup := func(t *testing.T, name string, prepare func(dir string)) map[string]*run {
		runs := map[string]*run{}
		for who, bin := range map[string]string{"uWSGI": real, "lab": lab} {
			r := &run{dir: t.TempDir(), bin: bin, args: []string{"uwsgi", "--ini", name}}
			if who == "uWSGI" {
				r.args = []string{"--plugins", "http,python3", "--ini", name}
			}
			prepare(r.dir)
			runs[who] = r
		}
		return runs
	}

	t.Run("config.ini", func(t *testing.T) {
		runs := setup(t, "config.ini", func(dir string) {
			os.MkdirAll(filepath.Join(dir, "ems"), 0o755)
			os.MkdirAll(filepath.Join(dir, "ems_project"), 0o755)
			courseIni(t, "config.ini", dir, testenv.FreePorts(t, 3), "")
			reapDaemon(t, filepath.Join(dir, "ems", coursePidfile))
		})
		out := map[string][]string{}
		for who, r := range runs {
			stdout, stderr, code := shellRun(t, r.dir, r.bin, r.args...)
			if code != 0 || stdout != "" {
				t.Errorf("%s: exit status %d, stdout %q; want 0 and nothing", who, code, stdout)
			}
			out[who] = termLines(stderr, r.dir)
			logPath := filepath.Join(r.dir, "ems", courseLog)
			waitUntil(t, who+" fails at chdir", 15*time.Second, func() bool {
				return strings.Contains(readFile(logPath), "chdir(): No such file or directory")
			}, func() string { return readFile(logPath) })
			pid := readPid(filepath.Join(r.dir, "ems", coursePidfile))
			waitUntil(t, who+"'s daemon exits", 15*time.Second, func() bool { return pid > 0 && !alive(pid) }, func() string { return readFile(logPath) })
		}
		for _, ln := range out["uWSGI"] {
			if ln != "" && !slices.Contains(out["lab"], ln) {
				t.Errorf("terminal: uWSGI printed %q, the lab did not\nlab:\n%s", ln, strings.Join(out["lab"], "\n"))
			}
		}
		files := map[string][]string{}
		for who, r := range runs {
			names, _ := os.ReadDir(filepath.Join(r.dir, "ems"))
			for _, n := range names {
				files[who] = append(files[who], n.Name())
			}
		}
		if !slices.Equal(files["lab"], files["uWSGI"]) {
			t.Errorf("files made: lab %q, uWSGI %q", files["lab"], files["uWSGI"])
		}
		compareLogs(t, runs["uWSGI"].dir, runs["lab"].dir, filepath.Join("ems", courseLog))
	})

	t.Run("uwsgi.ini", func(t *testing.T) {
		ports := map[string]int{}
		runs := setup(t, "uwsgi.ini", func(dir string) {
			os.MkdirAll(filepath.Join(dir, "P8", "P8"), 0o755)
			// Real uWSGI runs this file; the lab runs the EMS for any wsgi.py.
			os.WriteFile(filepath.Join(dir, "P8", "P8", "wsgi.py"), []byte("def application(env, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [b'hello']\n"), 0o644)
			p := testenv.FreePorts(t, 1)
			ports[dir] = p[0]
			// virtualenv = /usr: a Python home that exists, so real uWSGI's
			// Python starts (the lab notes the line either way). threads = 2,
			// not 50: real uWSGI 2.0.21 with 50 Python threads per worker
			// sometimes crashes (pthread_cancel in gracefully_kill) or waits
			// out its 60 s mercy when a reload comes soon after the start.
			ini := courseIni(t, "uwsgi.ini", dir, p, "/usr")
			os.WriteFile(filepath.Join(dir, "uwsgi.ini"), []byte(strings.Replace(ini, "threads=50", "threads=2", 1)), 0o644)
			reapDaemon(t, filepath.Join(dir, "uwsgi.pid"))
		})
		realHung := false
		for who, r := range runs {
			stdout, stderr, code := shellRun(t, r.dir, r.bin, r.args...)
			if code != 0 || stdout != "" {
				t.Errorf("%s: exit status %d, stdout %q; want 0 and nothing\n%s", who, code, stdout, stderr)
			}
			logs := func() string { return readFile(filepath.Join(r.dir, "uwsgi.log")) }
			addr := fmt.Sprintf("127.0.0.1:%d", ports[r.dir])
			waitUntil(t, who+" answers", 15*time.Second, func() bool {
				st, _ := uwsgiGet(addr, "/login/")
				return st == "HTTP/1.1 200 OK" && strings.Contains(logs(), "spawned uWSGI worker 4")
			}, logs)
			// uWSGI 2.0.21 crashes (pthread_cancel in gracefully_kill) when
			// a reload or stop comes while a worker is still starting its
			// threads: wait until every worker has them.
			threaded := func() {
				if who == "uWSGI" {
					waitUntil(t, "uWSGI's workers have their threads", 15*time.Second, func() bool {
						return workersThreaded(logs(), 4, 2)
					}, logs)
				}
			}
			threaded()
			reload := append(slices.Clone(r.args[:len(r.args)-2]), "--reload", "uwsgi.pid")
			if r.bin == real {
				reload = []string{"--reload", "uwsgi.pid"}
			}
			if _, e, code := shellRun(t, r.dir, r.bin, reload...); code != 0 {
				t.Errorf("%s --reload: exit status %d\n%s", who, code, e)
			}
			waitUntil(t, who+" reloaded", 15*time.Second, func() bool {
				return strings.Contains(logs(), "gracefully (RE)spawned uWSGI master process") && strings.Count(logs(), "spawned uWSGI worker 4") == 2
			}, logs)
			threaded()
			pid := readPid(filepath.Join(r.dir, "uwsgi.pid"))
			stop := slices.Clone(reload)
			stop[len(stop)-2] = "--stop"
			if _, e, code := shellRun(t, r.dir, r.bin, stop...); code != 0 {
				t.Errorf("%s --stop: exit status %d\n%s", who, code, e)
			}
			if who == "uWSGI" {
				// Real uWSGI 2.0.21 now and then hangs in its graceful stop
				// on a loaded machine (a worker waits out the 60 s mercy).
				// That is uWSGI's own flakiness, not what this test checks:
				// kill it and leave the log comparison out.
				deadline := time.Now().Add(20 * time.Second)
				for alive(pid) && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond) // polling a process, bounded by the deadline
				}
				if alive(pid) {
					syscall.Kill(pid, syscall.SIGKILL)
					realHung = true
				}
				continue
			}
			waitUntil(t, who+" stops", 15*time.Second, func() bool { return !alive(pid) }, logs)
		}
		if realHung {
			t.Skipf("real uWSGI did not finish its graceful stop within 20 s (its own hang under load); the lab's run passed every step, the log comparison is left out")
		}
		compareLogs(t, runs["uWSGI"].dir, runs["lab"].dir, "uwsgi.log")
	})
}

// compareLogs compares the two daemons' log files (name relative to each
// run's directory) line by line, as logKey keeps them.
func compareLogs(t *testing.T, realDir, labDir, name string) {
	t.Helper()
	want := logKey(readFile(filepath.Join(realDir, name)), realDir)
	got := logKey(readFile(filepath.Join(labDir, name)), labDir)
	if !slices.Equal(got, want) {
		t.Errorf("log file %s, the lines both write:\nlab:\n%s\n\nuWSGI:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
