package ini

import (
	"bytes"
	"fmt"
	"io"
	"net"
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

// TestInteropHTTPInlineComment: "http = 127.0.0.1:P # inline comment" binds
// port P, and every request's SERVER_PORT is "P # inline comment"; the same
// for http-socket.
func TestInteropHTTPInlineComment(t *testing.T) {
	testenv.NeedUWSGI(t)
	tests := []struct{ key, bound string }{
		{"http", "uWSGI http bound on %s fd"},
		{"http-socket", "uwsgi socket 0 bound to TCP address %s fd"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			port := testenv.FreePort(t)
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
	testenv.NeedUWSGI(t)
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
				lines = fmt.Sprintf(lines, testenv.FreePort(t))
			}
			dir, c := writeINI(t, fmt.Sprintf("[uwsgi]\nhttp-socket = 127.0.0.1:%d\nwsgi-file = app.py\n%s", testenv.FreePort(t), lines))
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
	testenv.NeedUWSGI(t)
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir, c := writeINI(t, fmt.Sprintf("[uwsgi]\nhttp-socket = 127.0.0.1:%d\nchdir = %s/app # project dir\n", testenv.FreePort(t), base))
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
	testenv.NeedUWSGI(t)
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
	testenv.NeedUWSGI(t)
	port := testenv.FreePort(t)
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
	testenv.NeedUWSGI(t)
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
		"192.168.134.128:9000", fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)),
		"192.168.134.128:9001", fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)),
		"192.168.134.128:9002", fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)),
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
	bin := testenv.NeedUWSGI(t)
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
	port := testenv.FreePort(t)
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
	if pid <= 0 || !testenv.Alive(pid) {
		return
	}
	cmd := exec.Command(bin, "--stop", pidPath)
	cmd.Dir, cmd.Env = dir, minimalEnv(nil)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("uwsgi --stop: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for testenv.Alive(pid) {
		if time.Now().After(deadline) {
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Kill()
			}
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

// TestInteropPathComments: a comment after wsgi-file, pidfile or static-map
// becomes part of the path. uWSGI cannot open "app.py # the app" (no app,
// every request 500), writes its pid to "u.pid # pid", and its static-map
// misses the file that exists, falling through to the (missing) app.
func TestInteropPathComments(t *testing.T) {
	testenv.NeedUWSGI(t)
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "static"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "static", "x.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir, c := writeINI(t, fmt.Sprintf("[uwsgi]\nhttp-socket = 127.0.0.1:%d\nwsgi-file = app.py # the app\npidfile = %s/u.pid # pid\nstatic-map = /static=%s/static # files\n",
		testenv.FreePort(t), base, base))
	if c.WSGIFile != "app.py # the app" || c.Pidfile != base+"/u.pid # pid" || c.StaticMaps[0].Dir != base+"/static # files" {
		t.Fatalf("Config: wsgi-file %q pidfile %q static-map dir %q", c.WSGIFile, c.Pidfile, c.StaticMaps[0].Dir)
	}
	p := startUWSGI(t, dir, "--ini", "app.ini")
	if !p.waitLog(t, "failed to open python file "+c.WSGIFile+"\n") || !p.waitLog(t, "spawned uWSGI worker 1") {
		return
	}
	if _, err := os.Stat(c.Pidfile); err != nil {
		t.Errorf("pidfile named as Config says: %v", err)
	}
	httpReady(t, p, c.HTTPSockets[0].Address)
	resp, err := http.Get("http://" + c.HTTPSockets[0].Address + "/static/x.txt")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || string(body) == "hello" {
		t.Errorf("GET /static/x.txt: got %d %q, want 500 from the missing app (the static-map dir has the comment in it)", resp.StatusCode, body)
	}
}
