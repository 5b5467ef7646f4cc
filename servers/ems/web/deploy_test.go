package web

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/testenv"
	"webflow-lab/servers/uwsgi"
	"webflow-lab/servers/wsgi"
)

// The course's deployment failures, for the real reason: the app never
// serves /static/ or /media/, so whatever sits in front must.

// startUwsgiSocket runs the EMS behind our uWSGI server's `socket =` (the
// uwsgi protocol, for nginx's uwsgi_pass) and returns its address.
func startUwsgiSocket(t *testing.T, dir string) string {
	t.Helper()
	log := &logBuf{}
	srv := uwsgi.New(uwsgi.Config{
		Sockets:  []string{"127.0.0.1:0"},
		Chdir:    dir,
		WSGIFile: "ems_project/wsgi.py",
		Env:      []string{"EMS_CAPTCHA=fixed:1234", "EMS_SESSIONS=db"},
	}, uwsgi.Options{Name: "uwsgi-1", Logger: log,
		Loader: func(ref uwsgi.AppRef) (wsgi.App, error) { return Load(EnvMap(ref.Env), ref.Dir) }})
	if err := srv.Start(); err != nil {
		t.Fatalf("uwsgi: %v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv.Addrs()["socket"][0].String()
}

func freePort(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
}

// startNginx runs real nginx with conf (the http{} body) under a temp prefix.
func startNginx(t *testing.T, conf string) {
	t.Helper()
	bin := testenv.Need(t, "nginx")
	prefix := t.TempDir()
	os.MkdirAll(filepath.Join(prefix, "logs"), 0o755)
	params, err := os.ReadFile(filepath.Join("..", "..", "..", "assets", "nginx", "uwsgi_params"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(prefix, "uwsgi_params"), params, 0o644)
	full := fmt.Sprintf("error_log %s/logs/error.log;\nevents {}\nhttp {\n access_log %s/logs/access.log;\n%s\n}\n", prefix, prefix, conf)
	os.WriteFile(filepath.Join(prefix, "nginx.conf"), []byte(full), 0o644)
	cmd := exec.Command(bin, "-p", prefix, "-c", filepath.Join(prefix, "nginx.conf"),
		"-g", "daemon off; master_process on; worker_processes 1; pid "+prefix+"/nginx.pid;")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		cmd.Wait()
	})
	for _, addr := range regexp.MustCompile(`listen (\S+);`).FindAllStringSubmatch(conf, -1) {
		waitListening(t, addr[1], &stderr)
	}
}

// waitListening polls until addr accepts, for an external process.
func waitListening(t *testing.T, addr string, stderr *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx never listened on %s: %v\n%s", addr, err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond) // polling an external process, with a deadline
	}
}

// TestNginxMediaLesson: behind real nginx with only `location /static
// { alias … }`, the page and its CSS load but an uploaded avatar is a 404
// (the course's 头像不显示); a server that also aliases /media shows it.
func TestNginxMediaLesson(t *testing.T) {
	testenv.Need(t, "nginx")
	dir := t.TempDir()
	// nginx's workers run as an unprivileged user (nobody / www-data) when
	// started as root: the folders it aliases must be readable by them,
	// which t.TempDir's 0700 folders are not.
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755)
	os.MkdirAll(filepath.Join(dir, "ems_project"), 0o755)
	os.WriteFile(filepath.Join(dir, "ems_project", "wsgi.py"), nil, 0o644)
	if _, err := CollectStatic(filepath.Join(dir, "static")); err != nil {
		t.Fatal(err)
	}
	sock := startUwsgiSocket(t, dir)
	staticOnly, withMedia := freePort(t), freePort(t)
	startNginx(t, fmt.Sprintf(`
 server {
  listen %s;
  location /static { alias %s/static; }
  location / { include uwsgi_params; uwsgi_pass %s; }
 }
 server {
  listen %s;
  location /static { alias %s/static; }
  location /media { alias %s/media; }
  location / { include uwsgi_params; uwsgi_pass %s; }
 }`, staticOnly, dir, sock, withMedia, dir, dir, sock))

	base := "http://" + staticOnly
	c := emstest.NewClient(t, base)
	c.Register("alice", "secret1", "爱丽丝")
	if res := c.Login("alice", "secret1"); res.Status != 302 {
		t.Fatalf("login through nginx: got %d\n%s", res.Status, res.Body)
	}
	tok := c.Token(c.Get("/employees/add/"))
	avatar := emstest.PNG(t, 16, 16)
	if res := c.Multipart("/employees/add/", map[string]string{"csrfmiddlewaretoken": tok, "name": "张三", "salary": "1", "age": "30"}, avatar); res.Status != 302 {
		t.Fatalf("add through nginx: got %d", res.Status)
	}
	list := c.Get("/employees/")
	m := avatarRE.FindStringSubmatch(list.Body)
	if list.Status != 200 || m == nil {
		t.Fatalf("list through nginx: %d, avatar %v", list.Status, m)
	}
	tests := []struct {
		name, base, path string
		status           int
	}{
		{"css via alias", base, "/static/ems/css/style.css", 200},
		{"avatar without a media location", base, "/media/" + m[1], 404},
		{"avatar with location /media", "http://" + withMedia, "/media/" + m[1], 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.At(tt.base).Get(tt.path)
			if res.Status != tt.status {
				t.Fatalf("GET %s: got %d, want %d", tt.path, res.Status, tt.status)
			}
			if tt.status == 200 && strings.HasPrefix(tt.path, "/media/") && res.Body != string(avatar) {
				t.Fatalf("avatar bytes differ from the upload")
			}
		})
	}
}

// TestWrongStaticMap: a static-map pointing at a folder collectstatic never
// filled serves the page without its stylesheet (无 css 样式).
func TestWrongStaticMap(t *testing.T) {
	dir := t.TempDir()
	base := startEMS(t, dir) // static-map /static=<dir>/static, filled by collectstatic
	c := emstest.NewClient(t, base)
	if res := c.Get("/static/ems/css/style.css"); res.Status != 200 {
		t.Fatalf("right static-map: got %d, want 200", res.Status)
	}

	wrong := t.TempDir()
	log := &logBuf{}
	srv := uwsgi.New(uwsgi.Config{
		HTTP: []string{"127.0.0.1:0"}, Chdir: wrong, WSGIFile: "ems_project/wsgi.py",
		StaticMaps: []string{"/static=" + filepath.Join(wrong, "static")}, // never collected
		Env:        []string{"EMS_CAPTCHA=fixed:1234"},
	}, uwsgi.Options{Logger: log, Loader: func(ref uwsgi.AppRef) (wsgi.App, error) { return Load(EnvMap(ref.Env), ref.Dir) }})
	if err := srv.Start(); err != nil {
		t.Fatalf("uwsgi: %v\n%s", err, log.String())
	}
	defer srv.Shutdown(context.Background())
	c2 := emstest.NewClient(t, "http://"+srv.Addrs()["http"][0].String())
	page := c2.Get("/login/")
	css := c2.Get("/static/ems/css/style.css")
	if page.Status != 200 || css.Status != 404 {
		t.Fatalf("wrong static-map: page %d, css %d; want 200 and 404", page.Status, css.Status)
	}
}
