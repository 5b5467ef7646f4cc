package sim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"webflow-lab/assets"
	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/errno"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
)

// TestBusyPort: a port held by another program is the server's own
// explanation, passed through, and whatever had started is stopped again
// (every other port of the lab can be bound afterwards).
func TestBusyPort(t *testing.T) {
	tests := []struct {
		name      string
		busy      func(p Ports) int
		wantWhat  string
		wantWhere string
	}{
		{"proxy listen", func(p Ports) int { return p.Proxy }, "address already in use", filepath.Join("conf.d", "ems.conf") + ":"},
		{"uwsgi-1 socket", func(p Ports) int { return p.Instances[0].Socket }, "is already in use", "uwsgi-1.ini"},
		{"uwsgi-2 stats", func(p Ports) int { return p.Instances[1].Stats }, "is already in use", "uwsgi-2.ini"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			noLeaks(t)
			ports := freeLabPorts(t)
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(tt.busy(ports)))
			if err != nil {
				t.Skipf("the port was taken before the test could hold it: %v", err)
			}
			defer ln.Close()
			lab, err := StartWith(filepath.Join(t.TempDir(), "ws"), Options{Ports: ports})
			if err == nil {
				stopOnCleanup(t, lab)
				t.Fatalf("StartWith: got a running lab with port %d busy, want an error", tt.busy(ports))
			}
			var e *explain.Error
			if !errors.As(err, &e) || !errno.Is(err, errno.EADDRINUSE) {
				t.Fatalf("got %T %v, want an *explain.Error wrapping EADDRINUSE", err, err)
			}
			if !strings.Contains(strings.ToLower(e.Error()), tt.wantWhat) || !strings.Contains(e.Where, tt.wantWhere) || e.Try.EN == "" || e.Try.ZH == "" {
				t.Errorf("got\n%s\nwant %q, where naming %s, and what to try in both languages", e.Block("en"), tt.wantWhat, tt.wantWhere)
			}
			for _, u := range ports.uses() {
				if u.port == tt.busy(ports) {
					continue
				}
				l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(u.port))
				if err != nil {
					t.Errorf("%s port %d still bound after the failed start: %v", u.what, u.port, err)
					continue
				}
				l.Close()
			}
		})
	}
}

// TestThroughProxy is what a browser sees at the proxy's address, hop by
// hop, in the default topology: dynamic pages from the EMS through either
// instance, static files from the proxy's own disk.
func TestThroughProxy(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	if len(lab.Notes()) != 0 {
		t.Errorf("notes for the shipped configs: got %q, want none", lab.Notes())
	}
	c := emstest.NewClient(t, lab.URL())

	t.Run("home redirects to login", func(t *testing.T) {
		// The EMS's home is the list; @login_required sends a stranger on
		// to the login page with ?next=, as Django does.
		var hops []string
		path := "/"
		for range 3 {
			res := c.Get(path)
			if res.Status != 302 {
				break
			}
			path = res.Header.Get("Location")
			hops = append(hops, path)
		}
		if len(hops) != 2 || hops[0] != "/employees/" || !strings.HasPrefix(hops[1], "/login/?next=") {
			t.Fatalf("GET /: redirected %q, want /employees/, then /login/?next=…", hops)
		}
		res := c.Get("/")
		if s := res.Header.Get("Server"); s != "nginx/1.22.1" {
			t.Errorf("Server: got %q, want nginx/1.22.1 (the proxy answers)", s)
		}
	})

	t.Run("login page and captcha from the EMS", func(t *testing.T) {
		sub := lab.Watch(4096)
		defer sub.Close()
		page := c.Get("/login/")
		if page.Status != 200 || !strings.Contains(page.Body, `name="captcha"`) {
			t.Fatalf("GET /login/: got %d, want 200 with the login form\n%.500s", page.Status, page.Body)
		}
		c.Token(page)
		name := servedBy(t, page)
		waitEvent(t, sub, "uwsgi→app for the page", func(e trace.Event) bool {
			return e.From == trace.Uwsgi && e.To == trace.App && e.Instance == name
		})
		img := c.Get("/captcha.png")
		if ct := img.Header.Get("Content-Type"); img.Status != 200 || ct != "image/png" || !strings.HasPrefix(img.Body, "\x89PNG\r\n\x1a\n") {
			t.Fatalf("GET /captcha.png: got %d %q %.8q, want 200 image/png with PNG bytes", img.Status, ct, img.Body)
		}
	})

	t.Run("static files come from the proxy's disk", func(t *testing.T) {
		sub := lab.Watch(4096)
		defer sub.Close()
		res := c.Get("/static/ems/css/style.css")
		want, _ := fs.ReadFile(assets.FS, "ems/static/ems/css/style.css")
		if res.Status != 200 || res.Body != string(want) || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
			t.Fatalf("GET style.css: got %d %q, %d bytes; want 200 text/css, the collected file (%d bytes)",
				res.Status, res.Header.Get("Content-Type"), len(res.Body), len(want))
		}
		css := filepath.Join(lab.Dir(), "static", "ems", "css", "style.css")
		e, before := waitEvent(t, sub, "disk→proxy returned", func(e trace.Event) bool {
			return e.From == trace.Disk && e.To == trace.Proxy && e.Phase == trace.Returned
		})
		if e.Why != css || e.Bytes != len(want) {
			t.Errorf("disk→proxy: got %q %dB, want %q %dB", e.Why, e.Bytes, css, len(want))
		}
		// Events of the previous request may still arrive; this request's
		// carry the disk event's id.
		for _, b := range before {
			if b.ReqID == e.ReqID && (b.From == trace.Uwsgi || b.To == trace.Uwsgi) {
				t.Errorf("a static file touched an app server: %s", FormatEvent(b))
			}
		}
	})

	t.Run("round robin alternates the instances", func(t *testing.T) {
		var got []string
		for range 4 {
			got = append(got, servedBy(t, c.Get("/login/")))
		}
		for i := 1; i < len(got); i++ {
			if got[i] == got[i-1] {
				t.Fatalf("instances in order: got %v, want them to alternate (round robin, weights 1,1)", got)
			}
		}
		if !strings.HasPrefix(got[0], "uwsgi-") || !strings.HasPrefix(got[1], "uwsgi-") {
			t.Fatalf("instances: got %v, want uwsgi-1 and uwsgi-2", got)
		}
	})

	t.Run("register then log in, one shared database", func(t *testing.T) {
		// The default workspace: both instances on db.sqlite3, sessions in
		// it (EMS_SESSIONS=db), so it does not matter who serves what.
		if res := c.Register("alice", "secret123", "爱丽丝"); res.Status != 302 || !strings.HasPrefix(res.Header.Get("Location"), "/login/?registered=alice") {
			t.Fatalf("register: got %d Location %q, want 302 to /login/?registered=alice\n%.800s", res.Status, res.Header.Get("Location"), res.Body)
		}
		if res := c.Login("alice", "secret123"); res.Status != 302 || res.Header.Get("Location") != "/employees/" {
			t.Fatalf("login: got %d Location %q, want 302 to /employees/\n%.800s", res.Status, res.Header.Get("Location"), res.Body)
		}
		seen := map[string]bool{}
		for range 2 {
			res := c.Get("/employees/")
			if res.Status != 200 {
				t.Fatalf("list: got %d, want 200 (logged in on every instance)", res.Status)
			}
			seen[servedBy(t, res)] = true
		}
		if !seen["uwsgi-1"] || !seen["uwsgi-2"] {
			t.Errorf("list served by %v, want both instances", seen)
		}
		if _, err := os.Stat(filepath.Join(lab.Dir(), "db.sqlite3")); err != nil {
			t.Errorf("db.sqlite3 in the workspace: %v", err)
		}
	})

	t.Run("access log", func(t *testing.T) {
		waitFile(t, filepath.Join(lab.Dir(), "logs", "access.log"), `"GET /static/ems/css/style.css HTTP/1.1" 200 `)
	})
}

// TestLoginRedirectNext pins the ?next= a learner sees in the address bar:
// Django's redirect_to_login encodes it with QueryDict.urlencode(safe="/"),
// so the slashes stay readable.
func TestLoginRedirectNext(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	res := emstest.NewClient(t, lab.URL()).Get("/employees/")
	if got, want := res.Header.Get("Location"), "/login/?next=/employees/"; res.Status != 302 || got != want {
		t.Fatalf("GET /employees/: got %d Location %q, want 302 %q", res.Status, got, want)
	}
}

// shutdownInstance stops one app server as `uwsgi --stop` would.
func shutdownInstance(t *testing.T, lab *Lab, i int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	name := lab.Snapshot().Instances[i].Name
	if _, err := lab.StopInstance(ctx, name); err != nil {
		t.Fatalf("StopInstance %s: %v", name, err)
	}
}

// TestSecondStartReuses: stopping the lab and starting it again (other
// ports asked for) runs the workspace as the learner left it: their edit
// kept, their data kept, the ports their files name.
func TestSecondStartReuses(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	url := lab.URL()
	if res := emstest.NewClient(t, url).Register("alice", "secret123", "爱丽丝"); res.Status != 302 {
		t.Fatalf("register: got %d, want 302", res.Status)
	}
	conf := filepath.Join(lab.Dir(), "conf.d", "ems.conf")
	replaceInFile(t, conf, "client_max_body_size  2m;", "client_max_body_size  1k;")
	edited := readFile(t, conf)
	if err := lab.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	again, err := StartWith(lab.Dir(), Options{Ports: freeLabPorts(t)})
	if err != nil {
		t.Fatalf("second StartWith: %v", err)
	}
	stopOnCleanup(t, again)
	if again.Created() || again.URL() != url {
		t.Errorf("second start: got created=%v at %s, want the existing workspace at %s", again.Created(), again.URL(), url)
	}
	if got := readFile(t, conf); got != edited {
		t.Errorf("conf.d/ems.conf: got\n%s\nwant the learner's edit\n%s", got, edited)
	}
	c := emstest.NewClient(t, url)
	if res := c.Login("alice", "secret123"); res.Status != 302 {
		t.Errorf("login after the restart: got %d, want 302 (db.sqlite3 kept)", res.Status)
	}
	// The edit is live: a 2 KiB avatar is now over client_max_body_size.
	form := c.Get("/employees/add/")
	res := c.Multipart("/employees/add/", map[string]string{"csrfmiddlewaretoken": c.Token(form), "name": "x", "salary": "1", "age": "20"}, make([]byte, 2048))
	if res.Status != 413 {
		t.Errorf("2 KiB upload with client_max_body_size 1k: got %d, want 413", res.Status)
	}
}

// TestLabListensWhereFilesSay: every server listens on the port its file
// names, the ports startLab asked for, and the stats socket answers with
// uWSGI's JSON.
func TestLabListensWhereFilesSay(t *testing.T) {
	noLeaks(t)
	ports := freeLabPorts(t)
	lab, err := StartWith(filepath.Join(t.TempDir(), "ws"), Options{Ports: ports})
	if errno.Is(err, errno.EADDRINUSE) {
		t.Skipf("a picked port was taken meanwhile: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	stopOnCleanup(t, lab)
	if want := "http://127.0.0.1:" + strconv.Itoa(ports.Proxy); lab.URL() != want {
		t.Errorf("proxy: got %s, want %s", lab.URL(), want)
	}
	for i, want := range ports.Instances {
		s := lab.Snapshot().Instances[i]
		for _, kind := range []struct {
			name string
			addr string
			port int
		}{{"socket", s.Socket, want.Socket}, {"http", s.HTTP, want.HTTP}, {"stats", s.Stats, want.Stats}} {
			if kind.addr != "127.0.0.1:"+strconv.Itoa(kind.port) {
				t.Errorf("%s %s: got %v, want 127.0.0.1:%d", s.Name, kind.name, kind.addr, kind.port)
			}
		}
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(want.Stats), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		b, err := io.ReadAll(conn) // the stats server writes its JSON and closes
		conn.Close()
		var stats struct {
			Version string `json:"version"`
			Workers []any  `json:"workers"`
		}
		if err != nil || json.Unmarshal(b, &stats) != nil || stats.Version == "" || len(stats.Workers) != 2 {
			t.Errorf("%s stats on %d: got %v %.200q, want uWSGI's JSON with 2 workers", s.Name, want.Stats, err, b)
		}
	}
}

// TestReloadAndPidFile: the lab writes nginx's pid file (this process), a
// Reload keeps it serving and picks up an edited ini, and Shutdown removes
// the pid file as nginx does on exit.
func TestReloadAndPidFile(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	pf := lab.Snapshot().Proxy.Pidfile
	b, err := os.ReadFile(pf)
	if err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Fatalf("pid file %s: %q, %v; want this process's pid", pf, b, err)
	}
	ini := filepath.Join(lab.Dir(), "uwsgi-1.ini")
	src, _ := os.ReadFile(ini)
	if err := os.WriteFile(ini, []byte(strings.Replace(string(src), "env = EMS_INSTANCE=uwsgi-1", "env = EMS_INSTANCE=111", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := lab.Reload(ctx); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	c := emstest.NewClient(t, lab.URL())
	seen := ""
	for range 4 { // round robin: both instances answer within four requests
		seen += c.Get("/login/").Body
	}
	if !strings.Contains(seen, "served by <b>111</b>") {
		t.Errorf("after the reload no page says served by 111 (the edited EMS_INSTANCE)")
	}
	if err := lab.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pf); !os.IsNotExist(err) {
		t.Errorf("pid file %s still there after Shutdown: %v", pf, err)
	}
}
