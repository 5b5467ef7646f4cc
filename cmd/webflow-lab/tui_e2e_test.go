package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/testenv"
)

// tmuxScreen drives webflow-lab in a real terminal: tmux runs it, send-keys
// types, capture-pane reads the screen, as a learner would see it.
type tmuxScreen struct {
	t       *testing.T
	session string
	socket  string // a tmux server of its own (-L), when set
}

func (s *tmuxScreen) tmux(args ...string) (string, error) {
	if s.socket != "" {
		args = append([]string{"-L", s.socket}, args...)
	}
	out, err := exec.Command("tmux", args...).CombinedOutput()
	return string(out), err
}

func (s *tmuxScreen) keys(keys ...string) {
	s.t.Helper()
	if out, err := s.tmux(append([]string{"send-keys", "-t", s.session}, keys...)...); err != nil {
		s.t.Fatalf("tmux send-keys %q: %v %s", keys, err, out)
	}
}

func (s *tmuxScreen) capture() string {
	out, _ := s.tmux("capture-pane", "-t", s.session, "-p")
	return out
}

// waitFor polls the screen until cond holds or d passes: polling is how one
// waits on another process's terminal.
func (s *tmuxScreen) waitFor(what string, d time.Duration, cond func(screen string) bool) string {
	s.t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(d)
	for {
		scr := s.capture()
		if cond(scr) {
			return scr
		}
		select {
		case <-deadline:
			s.t.Fatalf("waited %v for %s; the screen:\n%s", d, what, scr)
		case <-tick.C:
		}
	}
}

func (s *tmuxScreen) waitText(text string) string {
	s.t.Helper()
	return s.waitFor(fmt.Sprintf("%q on screen", text), 15*time.Second, func(scr string) bool { return strings.Contains(scr, text) })
}

func (s *tmuxScreen) alive() bool {
	_, err := s.tmux("has-session", "-t", s.session)
	return err == nil
}

// labPorts finds a proxy port and an app port base N with N, N+1, N+2,
// N+10, N+11 and N+12 free (the lab's two instances).
func labPorts(t *testing.T) (int, int) {
	free := func(p int) bool {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		ln.Close()
		return true
	}
	for range 200 {
		proxy, app := 20000+rand.IntN(20000), 40000+rand.IntN(20000)
		ok := free(proxy)
		for _, d := range []int{0, 1, 2, 10, 11, 12} {
			ok = ok && free(app+d)
		}
		if ok {
			return proxy, app
		}
	}
	t.Fatal("no free ports")
	return 0, 0
}

// answered is how long a row may take to show its status: the list shows it
// once the screen's slowed replay has brought the answer back (a dynamic
// page's replay takes several seconds at 1×).
const answered = 30 * time.Second

// TestTUIEndToEnd runs the real binary in tmux: a request sent with an HTTP
// client shows up in the list, the strategy switches to ip_hash, stopping
// instances sends the next requests to the other and then gives a 502, a
// breakpoint holds a real request until it is released, a reload typed in
// another terminal shows up, the language switches live, and quitting
// leaves no process, port or pid file behind.
func TestTUIEndToEnd(t *testing.T) {
	dir, bin := tmuxBinary(t)
	ws := filepath.Join(dir, "workspace")
	proxyPort, appPort := labPorts(t)
	s := &tmuxScreen{t: t, session: fmt.Sprintf("wfl-e2e-%d", os.Getpid())}
	// a plain environment: English, no editor, a terminal tmux knows
	cmd := fmt.Sprintf("env -u EDITOR -u VISUAL LANG=C.UTF-8 LC_ALL= NO_COLOR=1 %s --workspace %s --port %d --app-port %d 2>%s",
		bin, ws, proxyPort, appPort, filepath.Join(dir, "stderr"))
	if out, err := s.tmux("new-session", "-d", "-s", s.session, "-x", "120", "-y", "36", cmd); err != nil {
		t.Fatalf("tmux new-session: %v %s", err, out)
	}
	t.Cleanup(func() {
		if s.alive() {
			s.tmux("kill-session", "-t", s.session)
		}
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", proxyPort)

	// first run: the welcome, then the topology
	s.waitText("welcome to webflow-lab")
	s.keys("Escape")
	s.waitText("g: send a request")

	get := func(path string) int {
		t.Helper()
		c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(url + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("a request appears in the list", func(t *testing.T) {
		if st := get("/login/"); st != 200 {
			t.Fatalf("GET /login/ = %d", st)
		}
		s.waitFor("/login/ 200 in the list", answered, func(scr string) bool {
			return rowWith(scr, "GET", "/login/", "200") != ""
		})
	})

	t.Run("switch to ip_hash", func(t *testing.T) {
		s.keys(":strategy ip_hash", "Enter")
		s.waitText("upstream ems: ip_hash")
		get("/login/")
		s.waitFor("the request after the switch", answered, func(scr string) bool {
			return len(rowsWith(scr, "GET  /login/", " 200 ")) >= 2
		})
	})

	t.Run("virtual browsers walk a journey, a load runs, both stop", func(t *testing.T) {
		s.keys("w")
		// a fresh workspace draws a real captcha: the screen offers the fix on the same key
		s.waitText("press w again")
		s.keys("w")
		s.waitText("users 1–3, from")
		s.waitFor("a virtual user's request in the list", 20*time.Second, func(scr string) bool {
			return rowWith(scr, "/login/", "user ") != ""
		})
		s.keys("u")
		s.waitText("the load generator, from 127.0.0.")
		s.waitFor("the load's spread over the instances", 20*time.Second, func(scr string) bool {
			return strings.Contains(scr, "served by") && rowWith(scr, "uwsgi-", "%") != ""
		})
		s.keys(":traffic stop all", "Enter")
		s.waitText("stopped traffic")
		if scr := s.capture(); strings.Contains(scr, "running  ") {
			t.Errorf("a run still shows as running after traffic stop all:\n%s", scr)
		}
	})

	t.Run("a breakpoint holds a request until released", func(t *testing.T) {
		s.keys(":break app", "Enter")
		s.waitText("armed at")
		type answer struct {
			status int
			err    error
		}
		done := make(chan answer, 1)
		go func() {
			c := &http.Client{Timeout: 30 * time.Second}
			resp, err := c.Get(url + "/login/?held=1")
			if err != nil {
				done <- answer{err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			done <- answer{status: resp.StatusCode}
		}()
		s.waitFor("the request held in the list", 10*time.Second, func(scr string) bool {
			for _, r := range rowsWith(scr, "GET  /login/?held=1") {
				if strings.Count(r, "held") >= 2 { // its path, and its status
					return true
				}
			}
			return false
		})
		select {
		case a := <-done:
			t.Fatalf("the held request finished before release: %+v", a)
		default:
		}
		s.keys("R")
		s.waitText("released 1 held request")
		select {
		case a := <-done:
			if a.err != nil || a.status != 200 {
				t.Errorf("after release: %+v, want 200", a)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the request did not finish 10 s after release")
		}
		s.keys(":clear all", "Enter")
		s.waitText("breakpoint(s)")
	})

	t.Run("a stopped instance gets no requests, two give a 502", func(t *testing.T) {
		s.keys(":stop uwsgi-1", "Enter")
		s.waitText("uwsgi --stop uwsgi-1.pid")
		s.waitText("STOPPED")
		for range 2 {
			if st := get("/register/"); st != 200 {
				t.Fatalf("GET /register/ with uwsgi-2 up = %d", st)
			}
		}
		scr := s.waitFor("two answered /register/ rows", answered, func(scr string) bool {
			return len(rowsWith(scr, "GET  /register/", " 200 ")) == 2
		})
		for _, l := range rowsWith(scr, "GET  /register/") {
			if !strings.Contains(l, "uwsgi-2") {
				t.Errorf("a request went elsewhere than uwsgi-2: %q", l)
			}
		}
		s.keys(":stop uwsgi-2", "Enter")
		s.waitText("uwsgi --stop uwsgi-2.pid")
		if st := get("/employees/"); st != 502 {
			t.Errorf("GET /employees/ with both stopped = %d, want 502", st)
		}
		s.waitFor("a 502 row", answered, func(scr string) bool {
			return rowWith(scr, "/employees/", "502") != ""
		})
		s.keys(":start uwsgi-1", "Enter")
		s.waitText("uwsgi --ini uwsgi-1.ini")
	})

	t.Run("a real reload command reaches the screen", func(t *testing.T) {
		out, err := exec.Command(bin, "proxy", "-p", ws, "-c", "nginx.conf", "-s", "reload").CombinedOutput()
		if err != nil {
			t.Fatalf("proxy -s reload: %v %s", err, out)
		}
		s.waitText("≈ nginx -s reload")
	})

	t.Run("the language switches live", func(t *testing.T) {
		s.keys("L")
		s.waitText("拓扑")
		s.keys("L")
		s.waitText("topology")
	})

	t.Run("quit leaves nothing behind", func(t *testing.T) {
		s.keys("q")
		s.waitFor("the program to exit", 15*time.Second, func(string) bool { return !s.alive() })
		for _, p := range []int{proxyPort, appPort, appPort + 1, appPort + 2, appPort + 10, appPort + 11, appPort + 12} {
			if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), time.Second); err == nil {
				c.Close()
				t.Errorf("port %d still accepts after quit", p)
			}
		}
		pids, _ := filepath.Glob(filepath.Join(ws, "*.pid"))
		more, _ := filepath.Glob(filepath.Join(ws, "*", "*.pid"))
		if len(pids)+len(more) > 0 {
			t.Errorf("pid files left: %v %v", pids, more)
		}
		if pids := running(bin); len(pids) > 0 {
			t.Errorf("processes left: %v", pids)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "stderr")); len(b) > 0 {
			t.Logf("stderr: %s", b)
		}
	})
}

// rowWith returns the first screen line holding every one of words.
func rowWith(screen string, words ...string) string {
	if rows := rowsWith(screen, words...); len(rows) > 0 {
		return rows[0]
	}
	return ""
}

// rowsWith returns the screen lines holding every one of words.
func rowsWith(screen string, words ...string) []string {
	var out []string
	for _, l := range strings.Split(screen, "\n") {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(l, w)
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// TestTUIBusyPortThenRetry starts webflow-lab on a busy port: the screen
// shows the error in full, not a stack trace, and once the port is free r
// starts the lab.
func TestTUIBusyPortThenRetry(t *testing.T) {
	dir, bin := tmuxBinary(t)
	proxyPort, appPort := labPorts(t)
	busy, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", proxyPort))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	s := &tmuxScreen{t: t, session: fmt.Sprintf("wfl-e2e-busy-%d", os.Getpid())}
	cmd := fmt.Sprintf("env -u EDITOR -u VISUAL LANG=C.UTF-8 LC_ALL= %s --workspace %s --port %d --app-port %d",
		bin, filepath.Join(dir, "ws"), proxyPort, appPort)
	if out, err := s.tmux("new-session", "-d", "-s", s.session, "-x", "80", "-y", "24", cmd); err != nil {
		t.Fatalf("tmux new-session: %v %s", err, out)
	}
	t.Cleanup(func() {
		if s.alive() {
			s.tmux("kill-session", "-t", s.session)
		}
	})
	scr := s.waitText("Address already in use")
	for _, want := range []string{"where:", "r: start the lab again", "$EDITOR is not set"} {
		if !strings.Contains(scr, want) {
			t.Errorf("the error screen lacks %q:\n%s", want, scr)
		}
	}
	if strings.Contains(scr, "goroutine") || strings.Contains(scr, "panic") {
		t.Errorf("a stack trace on screen:\n%s", scr)
	}
	s.keys("g", "k", "x") // keys mashed on the error screen
	busy.Close()
	s.keys("r")
	s.waitText("topology")
	s.keys("q")
	s.waitFor("the program to exit", 15*time.Second, func(string) bool { return !s.alive() })
}

// TestTUITerminalClosed closes the terminal under a running webflow-lab:
// the hangup stops the lab, as a foreground nginx stops with its terminal.
func TestTUITerminalClosed(t *testing.T) {
	terminalClosed(t, "wfl-e2e-hup", "", "welcome")
}

// running lists the processes executing bin (by /proc/PID/exe, so that a
// shell or tmux whose command line names bin does not count).
func running(bin string) []string {
	var out []string
	exes, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, e := range exes {
		if target, err := os.Readlink(e); err == nil && target == bin {
			out = append(out, filepath.Base(filepath.Dir(e)))
		}
	}
	return out
}

// TestTUIReplay records a short run with `webflow-lab record` and plays it
// on the screen: the header says it is a recording, the virtual users'
// requests come back, a control that would change a lab is refused with
// the recording's explanation, :speed and space reach the playback, q
// quits; --print still prints the events.
func TestTUIReplay(t *testing.T) {
	dir, bin := tmuxBinary(t)
	proxyPort, appPort := labPorts(t)
	file := filepath.Join(dir, "walk.jsonl.gz")
	rec := exec.Command(bin, "record", "--workspace", filepath.Join(dir, "ws"), "--port", fmt.Sprint(proxyPort),
		"--app-port", fmt.Sprint(appPort), "--quiet", "--traffic", "2 browsers, journey open-list, every 500ms, 2 times", "-o", file)
	if out, err := rec.CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "replay", file, "--print", "--speed", "100").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "end of the recording") {
		t.Errorf("replay --print: %v\n%s", err, out)
	}

	s := &tmuxScreen{t: t, session: fmt.Sprintf("wfl-e2e-replay-%d", os.Getpid())}
	cmd := fmt.Sprintf("env LANG=C.UTF-8 LC_ALL= NO_COLOR=1 %s replay %s --speed 0.5 2>%s", bin, file, filepath.Join(dir, "stderr"))
	if out, err := s.tmux("new-session", "-d", "-s", s.session, "-x", "80", "-y", "24", cmd); err != nil {
		t.Fatalf("tmux new-session: %v %s", err, out)
	}
	t.Cleanup(func() {
		if s.alive() {
			s.tmux("kill-session", "-t", s.session)
		}
	})
	s.waitText("replay of walk.jsonl.gz")
	s.waitFor("a virtual user's request", 20*time.Second, func(scr string) bool { return rowWith(scr, "GET", "user ") != "" })
	s.keys("k")
	s.waitText("this is a recording")
	s.keys("Escape")
	// an escape followed at once by ':' reads as alt+:, as in any terminal
	s.waitFor("the refusal to close", 10*time.Second, func(scr string) bool { return !strings.Contains(scr, "why:") })
	s.keys(":speed 2", "Enter")
	s.waitText("· 2×")
	s.keys("Space")
	s.waitText("(paused)")
	s.keys("L")
	s.waitText("回放 walk.jsonl.gz")
	s.keys("q")
	s.waitFor("the program to exit", 15*time.Second, func(string) bool { return !s.alive() })
	if b, _ := os.ReadFile(filepath.Join(dir, "stderr")); len(b) > 0 {
		t.Errorf("stderr: %s", b)
	}
}

// TestServeTerminalClosed: `serve` in a terminal window that is closed
// (SIGHUP, and the terminal gone) stops and frees its ports, as the screen
// does; before, it took the SIGHUP for a reload and served on, orphaned.
func TestServeTerminalClosed(t *testing.T) {
	terminalClosed(t, "wfl-e2e-serve-hup", "serve ", "Ctrl-C stops")
}

// terminalClosed runs `webflow-lab SUBCOMMAND…` in a tmux window, waits for
// ready on its screen, closes the window, and wants the lab's port closed
// and no process left within 15 s.
func terminalClosed(t *testing.T, name, subcommand, ready string) {
	dir, bin := tmuxBinary(t)
	proxyPort, appPort := labPorts(t)
	s := &tmuxScreen{t: t, session: fmt.Sprintf("%s-%d", name, os.Getpid())}
	cmd := fmt.Sprintf("%s %s--workspace %s --port %d --app-port %d", bin, subcommand, filepath.Join(dir, "ws"), proxyPort, appPort)
	if out, err := s.tmux("new-session", "-d", "-s", s.session, "-x", "80", "-y", "24", cmd); err != nil {
		t.Fatalf("tmux new-session: %v %s", err, out)
	}
	s.waitText(ready)
	s.tmux("kill-session", "-t", s.session)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", proxyPort), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the lab still serves 15 s after its terminal closed")
		}
		<-tick.C
	}
	for deadline := time.Now().Add(15 * time.Second); ; {
		pids := running(bin)
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("process left after the terminal closed: %v", pids)
		}
		<-tick.C
	}
}

// tmuxBinary skips without tmux (or with -short) and gives the test its
// own copy of the built binary in a new folder, so that the processes it
// leaves, if any, are told from other tests' by their path.
func tmuxBinary(t *testing.T) (dir, bin string) {
	t.Helper()
	testenv.Need(t, "tmux")
	shared := builtBinary(t)
	dir = t.TempDir()
	bin = filepath.Join(dir, "webflow-lab")
	b, err := os.ReadFile(shared)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, bin
}
