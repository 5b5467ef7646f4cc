package sim

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/trace"
)

// The course's deployment failures, each caused for the real reason in the
// real topology: the learner's edit to a workspace file, a restart or a
// reload, and what the browser and the logs then show.

// TestOwnDatabases: each instance on its own SQLite file. The account exists
// only where it was registered — "I registered, and now I cannot log in".
func TestOwnDatabases(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	replaceInFile(t, filepath.Join(lab.Dir(), "uwsgi-2.ini"), "env = EMS_DATABASE=%ddb.sqlite3", "env = EMS_DATABASE=%ddb2.sqlite3")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := lab.ReloadInstance(ctx, "uwsgi-2"); err != nil {
		t.Fatalf("RestartInstance: %v", err)
	}
	if _, err := os.Stat(filepath.Join(lab.Dir(), "db2.sqlite3")); err != nil {
		t.Fatalf("uwsgi-2's own database: %v", err)
	}
	c := emstest.NewClient(t, lab.URL())
	one, two := c.At(instanceURL(t, lab, 0)), c.At(instanceURL(t, lab, 1))
	if res := one.Register("alice", "secret123", "爱丽丝"); res.Status != 302 {
		t.Fatalf("register on uwsgi-1: got %d, want 302\n%.800s", res.Status, res.Body)
	}
	tests := []struct {
		name   string
		c      *emstest.Client
		status int
		body   string
	}{
		{"log in on uwsgi-2, which has its own database", two, 200, "用户名或密码错误"},
		{"log in on uwsgi-1, where alice registered", one, 302, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.c.Login("alice", "secret123")
			if res.Status != tt.status || !strings.Contains(res.Body, tt.body) {
				t.Fatalf("got %d, want %d %q\n%.800s", res.Status, tt.status, tt.body, res.Body)
			}
		})
	}
	// Through the proxy the three requests of a login alternate between the
	// two databases, and EMS_SESSIONS=db keeps sessions in them too: the
	// captcha drawn into one database's session is looked for in the other.
	for i := range 2 {
		res := emstest.NewClient(t, lab.URL()).Login("alice", "secret123")
		if res.Status != 200 || !strings.Contains(res.Body, "验证码错误") {
			t.Fatalf("login %d through the proxy: got %d, want the form again with 验证码错误\n%.800s", i, res.Status, res.Body)
		}
	}
}

// TestMemorySessionsRoundRobin: EMS_SESSIONS=memory keeps each instance's
// sessions to itself; behind round robin the captcha image comes from one
// instance and the form is checked by the other, which never drew it.
func TestMemorySessionsRoundRobin(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, func(dir string) {
		for _, ini := range []string{"uwsgi-1.ini", "uwsgi-2.ini"} {
			replaceInFile(t, filepath.Join(dir, ini), "env = EMS_SESSIONS=db", "env = EMS_SESSIONS=memory")
		}
	})
	sub := lab.Watch(4096)
	defer sub.Close()
	res := emstest.NewClient(t, lab.URL()).Register("alice", "secret123", "爱丽丝")
	if res.Status != 200 || !strings.Contains(res.Body, "验证码错误") {
		t.Fatalf("register through the proxy: got %d, want the form again with 验证码错误\n%.800s", res.Status, res.Body)
	}
	// The trace says why: page, captcha and POST went to alternating instances.
	var got []string
	for len(got) < 3 {
		e, _ := waitEvent(t, sub, "uwsgi→app", func(e trace.Event) bool { return e.From == trace.Uwsgi && e.To == trace.App })
		got = append(got, e.Instance)
	}
	if got[0] == got[1] || got[1] == got[2] {
		t.Errorf("instances for page, captcha, POST: got %v, want alternating", got)
	}
	// The same steps on one instance pass: the lesson's fix is shared
	// sessions (or ip_hash), not a different captcha.
	one := emstest.NewClient(t, instanceURL(t, lab, 0))
	if res := one.Register("alice", "secret123", "爱丽丝"); res.Status != 302 {
		t.Fatalf("register on uwsgi-1 alone: got %d, want 302\n%.800s", res.Status, res.Body)
	}
}

var connRefusedRE = regexp.MustCompile(`\[error\] \d+#\d+: \*\d+ connect\(\) failed \(111: Connection refused\) while connecting to upstream, client: 127\.0\.0\.1, server: localhost, request: "GET /login/ HTTP/1\.1", upstream: "uwsgi://127\.0\.0\.1:(\d+)", host: "127\.0\.0\.1:\d+"`)

// TestInstanceDown: a stopped instance refuses connections; nginx logs it
// and passes the GET to the next peer, so the browser sees nothing wrong.
// With both stopped there is no one left: 502.
func TestInstanceDown(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	c := emstest.NewClient(t, lab.URL())
	shutdownInstance(t, lab, 0)
	for i := range 2 { // round robin offers the dead peer on one of the two
		res := c.Get("/login/")
		if res.Status != 200 || servedBy(t, res) != "uwsgi-2" {
			t.Fatalf("GET %d with uwsgi-1 stopped: got %d from %s, want 200 from uwsgi-2", i, res.Status, servedBy(t, res))
		}
	}
	log := waitFile(t, filepath.Join(lab.Dir(), "logs", "error.log"), "connect() failed (111: Connection refused)")
	m := connRefusedRE.FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("error.log: got\n%s\nwant nginx's line matching %s", log, connRefusedRE)
	}
	if want := strconv.Itoa(socketPort(t, lab, 0)); m[1] != want {
		t.Errorf("error.log upstream port: got %s, want uwsgi-1's socket %s", m[1], want)
	}

	shutdownInstance(t, lab, 1)
	res := c.Get("/login/")
	if res.Status != 502 || !strings.Contains(res.Body, "<center><h1>502 Bad Gateway</h1></center>") {
		t.Fatalf("GET with both stopped: got %d, want nginx's 502 page\n%s", res.Status, res.Body)
	}
}

// socketPort reads instance i's socket port from its ini, the file the
// proxy's upstream line must agree with.
func socketPort(t *testing.T, lab *Lab, i int) int {
	t.Helper()
	text := readFile(t, filepath.Join(lab.Dir(), "uwsgi-"+strconv.Itoa(i+1)+".ini"))
	m := regexp.MustCompile(`(?m)^socket = 127\.0\.0\.1:(\d+)$`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no socket line in uwsgi-%d.ini", i+1)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// loggedIn registers and logs in a new browser through the proxy.
func loggedIn(t *testing.T, lab *Lab) *emstest.Client {
	t.Helper()
	c := emstest.NewClient(t, lab.URL())
	if res := c.Register("alice", "secret123", "爱丽丝"); res.Status != 302 {
		t.Fatalf("register: got %d, want 302\n%.800s", res.Status, res.Body)
	}
	if res := c.Login("alice", "secret123"); res.Status != 302 {
		t.Fatalf("login: got %d, want 302\n%.800s", res.Status, res.Body)
	}
	return c
}

var avatarRE = regexp.MustCompile(`<img[^>]+src="(/media/avatars/[^"]+)"`)

// TestAvatarUpload: the upload goes through the proxy to an instance, which
// writes it under MEDIA_ROOT (the workspace's media/); the proxy's /media/
// alias then serves it from disk without asking the app.
func TestAvatarUpload(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	c := loggedIn(t, lab)
	avatar := emstest.PNG(t, 48, 48)
	form := c.Get("/employees/add/")
	res := c.Multipart("/employees/add/", map[string]string{
		"csrfmiddlewaretoken": c.Token(form), "name": "张三丰", "salary": "18000", "age": "36",
	}, avatar)
	if res.Status != 302 || res.Header.Get("Location") != "/employees/1/edit/" {
		t.Fatalf("add: got %d Location %q, want 302 /employees/1/edit/\n%.800s", res.Status, res.Header.Get("Location"), res.Body)
	}
	files, _ := filepath.Glob(filepath.Join(lab.Dir(), "media", "avatars", "*"))
	if len(files) != 1 || readFile(t, files[0]) != string(avatar) {
		t.Fatalf("media/avatars: got %v, want the one uploaded file, byte for byte", files)
	}
	m := avatarRE.FindStringSubmatch(c.Get("/employees/").Body)
	if m == nil || filepath.Base(m[1]) != filepath.Base(files[0]) {
		t.Fatalf("list: got avatar %v, want <img src=/media/avatars/%s>", m, filepath.Base(files[0]))
	}
	sub := lab.Watch(4096)
	defer sub.Close()
	img := c.Get(m[1])
	if img.Status != 200 || img.Header.Get("Content-Type") != "image/png" || img.Body != string(avatar) {
		t.Fatalf("GET %s: got %d %q %d bytes, want 200 image/png, the file", m[1], img.Status, img.Header.Get("Content-Type"), len(img.Body))
	}
	e, before := waitEvent(t, sub, "disk→proxy", func(e trace.Event) bool { return e.From == trace.Disk && e.To == trace.Proxy })
	if e.Phase != trace.Returned || e.Why != files[0] {
		t.Errorf("disk→proxy: got %s, want returned %s", FormatEvent(e), files[0])
	}
	for _, b := range before { // only this request's: the list page's last events may come late
		if b.ReqID == e.ReqID && (b.From == trace.Uwsgi || b.To == trace.Uwsgi) {
			t.Errorf("the avatar went to an app server: %s", FormatEvent(b))
		}
	}
}

// TestBrokenStaticAlias: a wrong alias in the workspace's conf.d/ems.conf,
// applied by reload, loses the CSS with nginx's 404 and error.log line;
// putting the line back and reloading again brings it back.
func TestBrokenStaticAlias(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	c := emstest.NewClient(t, lab.URL())
	conf := filepath.Join(lab.Dir(), "conf.d", "ems.conf")
	const good = "alias static/;"
	tests := []struct {
		name   string
		broken string
		opened string // the path nginx tried: alias replaces the location's prefix, slash and all
	}{
		{"wrong folder", "alias statics/;", "statics/ems/css/style.css"},
		{"missing slash", "alias static;", "staticems/css/style.css"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replaceInFile(t, conf, good, tt.broken)
			if _, err := lab.ReloadProxy(context.Background()); err != nil {
				t.Fatalf("reload: %v", err)
			}
			res := c.Get("/static/ems/css/style.css")
			if res.Status != 404 || !strings.Contains(res.Body, "<center><h1>404 Not Found</h1></center>") {
				t.Fatalf("CSS with %q: got %d, want nginx's 404 page\n%s", tt.broken, res.Status, res.Body)
			}
			want := `open() "` + filepath.Join(lab.Dir(), tt.opened) + `" failed (2: No such file or directory), client: 127.0.0.1, server: localhost, request: "GET /static/ems/css/style.css HTTP/1.1"`
			waitFile(t, filepath.Join(lab.Dir(), "logs", "error.log"), want)

			replaceInFile(t, conf, tt.broken, good)
			if _, err := lab.ReloadProxy(context.Background()); err != nil {
				t.Fatalf("reload after the fix: %v", err)
			}
			if res := c.Get("/static/ems/css/style.css"); res.Status != 200 {
				t.Fatalf("CSS after the fix: got %d, want 200", res.Status)
			}
		})
	}
}

// TestInstanceDownPost: nginx passes even a POST to the next peer when the
// first refused the connection, because nothing of the request was sent yet
// (ngx_http_upstream_next only keeps a non-idempotent request once
// request_sent is set). The form is fetched from uwsgi-2 directly, so the
// POST is the first request the proxy sees and round robin offers it to the
// stopped uwsgi-1 first.
func TestInstanceDownPost(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	shutdownInstance(t, lab, 0)
	c := emstest.NewClient(t, lab.URL())
	two := c.At(instanceURL(t, lab, 1))
	page := two.Get("/register/")
	two.Get("/captcha.png")
	res := c.Post("/register/", url.Values{
		"csrfmiddlewaretoken": {c.Token(page)}, "username": {"bob"}, "real_name": {"鲍勃"},
		"password": {"secret123"}, "password2": {"secret123"}, "captcha": {emstest.Captcha},
	})
	if res.Status != 302 {
		t.Fatalf("POST /register/ with uwsgi-1 stopped: got %d, want 302 from uwsgi-2\n%.800s", res.Status, res.Body)
	}
	waitFile(t, filepath.Join(lab.Dir(), "logs", "error.log"),
		`connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: localhost, request: "POST /register/ HTTP/1.1", upstream: "uwsgi://127.0.0.1:`+strconv.Itoa(socketPort(t, lab, 0))+`"`)
}
