package sim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
)

// Each course failure produced with its control, and observed the way a
// learner observes it: the HTTP answer, the log line, the events.

func ctx10(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustDo(t *testing.T, lab *Lab, line string) Result {
	t.Helper()
	r, err := lab.Do(ctx10(t), line)
	if err != nil {
		var e *explain.Error
		if errors.As(err, &e) {
			t.Fatalf("%s: %s", line, e.Block("en"))
		}
		t.Fatalf("%s: %v", line, err)
	}
	if r.Did.EN == "" || r.Did.ZH == "" {
		t.Errorf("%s: the result does not say what it did in both languages: %+v", line, r.Did)
	}
	return r
}

// logLines reads a log of the lab.
func logFile(t *testing.T, lab *Lab, name string) string {
	return readFile(t, filepath.Join(lab.Dir(), "logs", name))
}

func TestStopInstanceGoesToTheOther(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	w := lab.Watch(4096)
	defer w.Close()
	r := mustDo(t, lab, "stop uwsgi-1")
	if r.Equivalent != "uwsgi --stop uwsgi-1.pid" {
		t.Errorf("equivalent: got %q, want uwsgi --stop uwsgi-1.pid", r.Equivalent)
	}
	waitEvent(t, w, "instance stopped", func(e trace.Event) bool { return e.Kind == trace.InstanceStopped && e.Subject == "uwsgi-1" })
	c := emstest.NewClient(t, lab.URL())
	for i := range 4 {
		if by := servedBy(t, c.Get("/login/")); by != "uwsgi-2" {
			t.Fatalf("request %d: served by %s, want uwsgi-2 (uwsgi-1 is stopped)", i, by)
		}
	}
	// A POST refused at connect was never sent, so nginx tries the next
	// peer even for a non-idempotent method.
	page := c.Get("/login/")
	post := c.Post("/login/", url.Values{"csrfmiddlewaretoken": {c.Token(page)}, "username": {"x"}, "password": {"y"}, "captcha": {emstest.Captcha}})
	if post.Status == 502 {
		t.Errorf("POST with uwsgi-1 stopped: got 502, want it retried on uwsgi-2")
	}
	mustContain(t, "error.log", logFile(t, lab, "error.log"), "connect() failed (111: Connection refused) while connecting to upstream")
	if snap := lab.Snapshot(); snap.Instances[0].State != Stopped {
		t.Errorf("snapshot: uwsgi-1 is %s, want stopped", snap.Instances[0].State)
	}

	mustDo(t, lab, "stop uwsgi-2")
	if res := c.Get("/login/"); res.Status != 502 {
		t.Errorf("both stopped: got %d, want 502", res.Status)
	}
	mustDo(t, lab, "start uwsgi-1")
	mustDo(t, lab, "start uwsgi-2")
	// Both peers are still marked failed (max_fails=1) for fail_timeout:
	// real nginx answers "no live upstreams" until it passes, or until a
	// reload starts the balancer afresh.
	if res := c.Get("/login/"); res.Status != 502 {
		t.Errorf("both started again, within fail_timeout: got %d, want nginx's 502", res.Status)
	}
	mustContain(t, "error.log", logFile(t, lab, "error.log"), "no live upstreams while connecting to upstream")
	mustDo(t, lab, "reload proxy")
	if res := c.Get("/login/"); res.Status != 200 {
		t.Errorf("after nginx -s reload: got %d, want 200", res.Status)
	}
	if _, err := lab.Do(ctx10(t), "stop uwsgi-9"); err == nil {
		t.Error("stop uwsgi-9: no error for an instance that does not exist")
	}
	if _, err := lab.Do(ctx10(t), "start uwsgi-1"); err == nil {
		t.Error("start uwsgi-1 twice: no error")
	}
}

func TestKillResetsAndLeavesThePidfile(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	pid := lab.Snapshot().Instances[1].Pidfile
	r := mustDo(t, lab, "kill uwsgi-2")
	if !strings.HasPrefix(r.Equivalent, "kill -9") {
		t.Errorf("equivalent: got %q, want kill -9 …", r.Equivalent)
	}
	if readFile(t, pid) == "" {
		t.Errorf("the killed instance's pidfile %s is gone; kill -9 leaves it", pid)
	}
	c := emstest.NewClient(t, lab.URL())
	for range 4 {
		if by := servedBy(t, c.Get("/login/")); by != "uwsgi-1" {
			t.Fatalf("served by %s, want uwsgi-1 (uwsgi-2 was killed)", by)
		}
	}
	mustDo(t, lab, "start uwsgi-2")
}

// TestDatabaseStopped: the course's 500 from a stopped MySQL, and recovery.
func TestDatabaseStopped(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	c := emstest.NewClient(t, lab.URL())
	if res := c.Register("dbuser", "secret123", "数据库"); res.Status != 302 {
		t.Fatalf("register: got %d", res.Status)
	}
	if res := c.Login("dbuser", "secret123"); res.Status != 302 {
		t.Fatalf("login: got %d", res.Status)
	}
	r := mustDo(t, lab, "db stop")
	if r.Equivalent != "service mysqld stop" {
		t.Errorf("equivalent: %q", r.Equivalent)
	}
	res := c.Get("/employees/")
	if res.Status != 500 {
		t.Errorf("GET /employees/ with the database stopped: got %d, want 500", res.Status)
	}
	logs := logFile(t, lab, "uwsgi-1.log") + logFile(t, lab, "uwsgi-2.log")
	if !strings.Contains(logs, "database service not started") && !strings.Contains(logs, "数据库服务未启动") {
		t.Errorf("no app-server log line says the database service is not started:\n%s", logs)
	}
	if _, err := lab.Do(ctx10(t), "db stop"); err == nil {
		t.Error("db stop twice: no error")
	}
	// An instance restarted while the database is down still loads its
	// app, as Django starts with MySQL down; it serves once the database is
	// back.
	mustDo(t, lab, "reload uwsgi-1")
	mustDo(t, lab, "db start")
	for range 4 {
		if res := c.Get("/employees/"); res.Status != 200 {
			t.Fatalf("after db start, both instances: got %d, want 200", res.Status)
		}
	}
	if res := c.Get("/employees/"); res.Status != 200 {
		t.Errorf("after db start: got %d, want 200", res.Status)
	}
}

func TestStaticPathBroken(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	c := emstest.NewClient(t, lab.URL())
	const css = "/static/ems/css/style.css"
	if res := c.Get(css); res.Status != 200 {
		t.Fatalf("before: got %d, want 200", res.Status)
	}
	r := mustDo(t, lab, "static break")
	mustContain(t, "diff", r.Diff, "-        alias static/;\n+        alias static;")
	if res := c.Get(css); res.Status != 404 {
		t.Errorf("broken: got %d, want 404", res.Status)
	}
	mustContain(t, "error.log", logFile(t, lab, "error.log"), `staticems/css/style.css" failed (2: No such file or directory)`)
	mustDo(t, lab, "static fix")
	if res := c.Get(css); res.Status != 200 {
		t.Errorf("fixed: got %d, want 200", res.Status)
	}
	// toggle reads the config, whoever changed it last (the TUI's f)
	for i, want := range []int{404, 200, 404} {
		mustDo(t, lab, "static toggle")
		if res := c.Get(css); res.Status != want {
			t.Errorf("toggle %d: got %d, want %d", i+1, res.Status, want)
		}
	}
}

func TestSeparateDatabasesControl(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	mustDo(t, lab, "databases separate")
	c := emstest.NewClient(t, lab.URL())
	one, two := c.At(instanceURL(t, lab, 0)), c.At(instanceURL(t, lab, 1))
	if res := one.Register("bob", "secret123", "鲍勃"); res.Status != 302 {
		t.Fatalf("register on uwsgi-1: got %d", res.Status)
	}
	if res := two.Login("bob", "secret123"); res.Status == 302 {
		t.Errorf("log in on uwsgi-2 with its own database: got 302, want the login refused")
	}
	mustDo(t, lab, "databases shared")
	if res := two.Login("bob", "secret123"); res.Status != 302 {
		t.Errorf("log in on uwsgi-2 with the shared database: got %d, want 302", res.Status)
	}
}

// TestSessionsAndStrategy: per-instance sessions behind round robin lose
// the captcha; ip_hash or shared sessions keep it.
func TestSessionsAndStrategy(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	c := emstest.NewClient(t, lab.URL())
	if res := c.At(instanceURL(t, lab, 0)).Register("carol", "secret123", "卡罗尔"); res.Status != 302 {
		t.Fatalf("register: got %d", res.Status)
	}
	mustDo(t, lab, "sessions per-instance")
	login := func() int {
		c := emstest.NewClient(t, lab.URL())
		return c.Login("carol", "secret123").Status
	}
	failed := 0
	for range 4 {
		if login() != 302 {
			failed++
		}
	}
	if failed == 0 {
		t.Errorf("per-instance sessions behind round robin: 4 of 4 logins passed, want the captcha lost")
	}
	r := mustDo(t, lab, "strategy ip_hash")
	mustContain(t, "diff", r.Diff, "+    ip_hash;")
	if st := lab.Snapshot().Upstreams[0].Strategy; st != "ip_hash" {
		t.Errorf("snapshot strategy: got %q, want ip_hash", st)
	}
	for range 3 {
		if s := login(); s != 302 {
			t.Fatalf("per-instance sessions with ip_hash: got %d, want 302", s)
		}
	}
	mustDo(t, lab, "strategy round-robin")
	mustDo(t, lab, "sessions shared")
	for range 3 {
		if s := login(); s != 302 {
			t.Fatalf("shared sessions with round robin: got %d, want 302", s)
		}
	}
	if _, err := lab.Do(ctx10(t), "strategy fastest"); err == nil {
		t.Error("strategy fastest: no error")
	}
}

func TestBlockedPort(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, func(dir string) {
		replaceInFile(t, filepath.Join(dir, "conf.d", "ems.conf"), "uwsgi_pass  ems;", "uwsgi_pass  ems;\n        uwsgi_connect_timeout 1s;")
	})
	c := emstest.NewClient(t, lab.URL())
	port := strings.TrimPrefix(lab.Snapshot().Instances[1].Socket, "127.0.0.1:")
	// Drop first: after a refusal nginx counts uwsgi-2 failed for
	// fail_timeout (10 s) and would not try it at all.
	r := mustDo(t, lab, "block "+port+" drop")
	mustContain(t, "equivalent", r.Equivalent, "iptables -A INPUT -p tcp --dport "+port)
	start := time.Now()
	var slow int
	for range 2 {
		t0 := time.Now()
		if by := servedBy(t, c.Get("/login/")); by != "uwsgi-1" {
			t.Fatalf("served by %s with uwsgi-2's port dropped", by)
		}
		if time.Since(t0) >= time.Second {
			slow++
		}
	}
	if slow == 0 {
		t.Errorf("with packets to uwsgi-2 dropped no request waited out the 1s connect timeout (took %s)", time.Since(start))
	}
	mustContain(t, "error.log", logFile(t, lab, "error.log"), "upstream timed out (110: Connection timed out) while connecting to upstream")
	mustDo(t, lab, "block "+port+" refuse")
	mustDo(t, lab, "reload proxy") // uwsgi-2 timed out: a fresh balancer tries it again
	for range 4 {
		if by := servedBy(t, c.Get("/login/")); by != "uwsgi-1" {
			t.Fatalf("served by %s with uwsgi-2's port refused", by)
		}
	}
	mustContain(t, "error.log", logFile(t, lab, "error.log"), "connect() failed (111: Connection refused) while connecting to upstream")
	mustDo(t, lab, "unblock "+port)
	if _, err := lab.Do(ctx10(t), "block 1 refuse"); err == nil {
		t.Error("block 1: no error for a port the lab does not use")
	}
	// the firewall stands on nginx's connections: nginx's own port and the
	// stats ports are refused with the reason, not silently "blocked"
	proxyPort := lab.URL()[strings.LastIndex(lab.URL(), ":")+1:]
	statsPort := lab.Snapshot().Instances[0].Stats[strings.LastIndex(lab.Snapshot().Instances[0].Stats, ":")+1:]
	for _, p := range []string{proxyPort, statsPort} {
		_, err := lab.Do(ctx10(t), "block "+p+" refuse")
		if err == nil {
			t.Errorf("block %s: no error for a port nginx does not connect to", p)
			continue
		}
		mustContain(t, "block "+p, err.Error(), "nginx connects to")
	}
}

// TestSlowInstanceLeastConn: with one instance slow, least_conn sends most
// of a concurrent load to the other.
func TestSlowInstanceLeastConn(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	mustDo(t, lab, "latency uwsgi-2 300ms")
	mustDo(t, lab, "strategy least_conn")
	if f := lab.Snapshot().Instances[1].Latency; f != 300*time.Millisecond {
		t.Errorf("snapshot latency: got %s", f)
	}
	var mu sync.Mutex
	count := map[string]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := emstest.NewClient(t, lab.URL())
			for range 5 {
				res := c.Get("/login/")
				mu.Lock()
				count[servedByOrEmpty(res.Body)]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if count["uwsgi-1"] <= 2*count["uwsgi-2"] {
		t.Errorf("least_conn with uwsgi-2 slow: %v, want most requests on uwsgi-1", count)
	}
	mustDo(t, lab, "latency uwsgi-2 off")
}

func servedByOrEmpty(body string) string {
	if m := servedByRE.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

func TestBrokenConfigKeepsTheOld(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	w := lab.Watch(4096)
	defer w.Close()
	r := mustDo(t, lab, "config break")
	mustContain(t, "refusal", r.Output, `unexpected "}"`)
	waitEvent(t, w, "config refused", func(e trace.Event) bool { return e.Kind == trace.ConfigRefused })
	mustContain(t, "error.log", logFile(t, lab, "error.log"), `[emerg]`)
	if res := emstest.NewClient(t, lab.URL()).Get("/login/"); res.Status != 200 {
		t.Errorf("with the broken config refused: got %d, want 200 from the old config", res.Status)
	}
	if lab.Snapshot().Proxy.LastError == nil {
		t.Error("the snapshot does not carry the refusal")
	}
	mustDo(t, lab, "config restore")
	if lab.Snapshot().Proxy.LastError != nil {
		t.Error("the refusal stayed after the restore")
	}
}

func TestDuplicateOnBusyPort(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	r := mustDo(t, lab, "duplicate uwsgi-1")
	mustContain(t, "did", r.Did.EN, "could not start")
	mustContain(t, "did", r.Did.EN, "already in use")
	if res := emstest.NewClient(t, lab.URL()).Get("/login/"); res.Status != 200 {
		t.Errorf("after the duplicate: got %d, want the first instance still serving", res.Status)
	}
}

// TestBreakpointHolds: a held request has no answer until it is released;
// releasing one of two leaves the other waiting; a timeout releases too.
func TestBreakpointHolds(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	id, _, err := lab.Break(ctx10(t), BreakSpec{Hop: trace.WorkerToApp, PathPrefix: "/login"})
	if err != nil {
		t.Fatal(err)
	}
	url := lab.URL() + "/login/"
	get := func() <-chan int {
		ch := make(chan int, 1)
		go func() {
			res, err := http.Get(url)
			if err != nil {
				ch <- -1
				return
			}
			res.Body.Close()
			ch <- res.StatusCode
		}()
		return ch
	}
	a, b := get(), get()
	held := waitHeld(t, lab, 2)
	select {
	case s := <-a:
		t.Fatalf("a held request was answered (%d)", s)
	case s := <-b:
		t.Fatalf("a held request was answered (%d)", s)
	default:
	}
	mustDo(t, lab, "release "+strconv.Itoa(held[0].ID))
	var first <-chan int
	select {
	case s := <-a:
		first = b
		if s != 200 {
			t.Errorf("released: got %d", s)
		}
	case s := <-b:
		first = a
		if s != 200 {
			t.Errorf("released: got %d", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the released request got no answer")
	}
	if got := len(lab.Snapshot().Held); got != 1 {
		t.Errorf("after releasing one of two: %d held, want 1", got)
	}
	mustDo(t, lab, "release all")
	if s := <-first; s != 200 {
		t.Errorf("second released: got %d", s)
	}
	mustDo(t, lab, "clear "+strconv.Itoa(id))

	if _, _, err := lab.Break(ctx10(t), BreakSpec{Hop: trace.AppToDB, Timeout: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c := emstest.NewClient(t, lab.URL())
	res := c.Register("dave", "secret123", "戴夫")
	if res.Status != 302 || time.Since(start) < 300*time.Millisecond {
		t.Errorf("held at app→db with a 300ms timeout: got %d after %s, want 302 after the timeouts", res.Status, time.Since(start))
	}
}

func waitHeld(t *testing.T, lab *Lab, n int) []Held {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h := lab.Snapshot().Held
		if len(h) >= n {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests held after 10s, want %d", len(h), n)
		}
		time.Sleep(10 * time.Millisecond) // polling the lab's state, bounded by the deadline
	}
}

// TestControlErrorsChangeNothing: a wrong name or state is an explained
// error in both languages, and the files stay as they were.
func TestControlErrorsChangeNothing(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	conf := filepath.Join(lab.Dir(), "conf.d", "ems.conf")
	before := readFile(t, conf)
	for _, line := range []string{"stop nobody", "strategy weight 1,2,3", "block 80", "latency uwsgi-1 soon",
		"errors uwsgi-7 2", "release 99", "clear 5", "break nowhere", "frobnicate", "db restart", "static sideways"} {
		t.Run(line, func(t *testing.T) {
			_, err := lab.Do(ctx10(t), line)
			var e *explain.Error
			if !errors.As(err, &e) || e.What.EN == "" || e.What.ZH == "" {
				t.Fatalf("got %v, want an explained error in both languages", err)
			}
		})
	}
	if after := readFile(t, conf); after != before {
		t.Errorf("a refused control changed %s:\n%s", conf, unifiedDiff("ems.conf", before, after))
	}
}

// TestHeldClientHangsUp: a browser that gives up on a request held at
// browser→proxy (or before the answer goes out) ends the hold: it leaves
// the held list at once, not at its timeout, and access.log says 499, as
// nginx logs a client that closed first.
func TestHeldClientHangsUp(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	for _, hop := range []string{"proxy", "response"} {
		t.Run(hop, func(t *testing.T) {
			mustDo(t, lab, "break "+hop+" /login/")
			defer mustDo(t, lab, "clear all")
			c, err := net.Dial("tcp", strings.TrimPrefix(lab.URL(), "http://"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write([]byte("GET /login/?hangup=" + hop + " HTTP/1.1\r\nHost: lab\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			waitHeld(t, lab, 1)
			c.Close()
			deadline := time.Now().Add(5 * time.Second)
			for len(lab.Snapshot().Held) > 0 {
				if time.Now().After(deadline) {
					t.Fatalf("the held request stayed held 5 s after its client hung up")
				}
				time.Sleep(10 * time.Millisecond)
			}
			for !strings.Contains(logFile(t, lab, "access.log"), "hangup="+hop+" HTTP/1.1\" 499 ") {
				if time.Now().After(deadline) {
					t.Fatalf("access.log has no 499 for the request:\n%s", logFile(t, lab, "access.log"))
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
