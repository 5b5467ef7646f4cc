package uwsgi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/internal/realpeer"
	"webflow-lab/servers/testenv"
	"webflow-lab/servers/uwsgi/ini"
	"webflow-lab/servers/wsgi"
)

// The course's ini files (testdata/course) put comments after values. uWSGI
// has no inline comments, so the server sees the comment as part of each
// value. These tests check what the server then does, against real uWSGI.

func getEcho(t *testing.T, url string) wsgi.EchoReply {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r wsgi.EchoReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("GET %s: status %d: %v", url, resp.StatusCode, err)
	}
	return r
}

// TestCourseHTTPWithComment: `http = 127.0.0.1:PORT # comment` binds PORT
// (atoi stops at the space) and every request gets SERVER_PORT = "PORT #
// comment", with real uWSGI and with us.
func TestCourseHTTPWithComment(t *testing.T) {
	const comment = " # uWSGI服务器访问地址  保证ip地址正确"
	port := testenv.FreePort(t)
	value := fmt.Sprintf("127.0.0.1:%d%s", port, comment)
	_, log := startServer(t, Config{HTTP: []string{value}, WSGIFile: "echo"}, Options{})
	if want := "uWSGI http bound on " + value + " fd "; !strings.Contains(log.String(), want) {
		t.Errorf("log: missing %q", want)
	}
	got := getEcho(t, fmt.Sprintf("http://127.0.0.1:%d/", port))
	if want := fmt.Sprintf("%d%s", port, comment); got.Environ["SERVER_PORT"] != want {
		t.Errorf("SERVER_PORT: got %q, want %q", got.Environ["SERVER_PORT"], want)
	}

	theirPort := testenv.FreePort(t)
	echoPy, _ := filepath.Abs("testdata/echo.py")
	theirValue := fmt.Sprintf("127.0.0.1:%d%s", theirPort, comment)
	p := realpeer.UWSGI(t, t.TempDir(), fmt.Sprintf("127.0.0.1:%d", theirPort),
		"--plugins", "python3,http", "--http", theirValue, "--wsgi-file", echoPy)
	want := getEcho(t, fmt.Sprintf("http://127.0.0.1:%d/", theirPort))
	if w := fmt.Sprintf("%d%s", theirPort, comment); want.Environ["SERVER_PORT"] != w {
		t.Errorf("real uWSGI's SERVER_PORT: got %q, want %q", want.Environ["SERVER_PORT"], w)
	}
	if !strings.Contains(p.Output(), "uWSGI http bound on "+theirValue+" fd ") {
		t.Errorf("real uWSGI's log: missing the bound line with the comment:\n%s", p.Output())
	}
}

// TestCourseStaticMapWithComment: the docroot "static  # comment" does not
// exist, so static-map never matches and /static/... reaches the app
// (the course's "no CSS" symptom), with real uWSGI and with us.
func TestCourseStaticMapWithComment(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "static"), 0o755)
	mustWrite(t, filepath.Join(dir, "static", "style.css"), "body{}")
	const value = "/static=static  # 只在你写的static-map中找静态资源"
	port := testenv.FreePort(t)
	startServer(t, Config{HTTP: []string{fmt.Sprintf("127.0.0.1:%d", port)}, Chdir: dir, WSGIFile: "echo", StaticMaps: []string{value}}, Options{})
	got := getEcho(t, fmt.Sprintf("http://127.0.0.1:%d/static/style.css", port))
	if got.Environ["PATH_INFO"] != "/static/style.css" {
		t.Errorf("ours: got PATH_INFO %q at the app, want /static/style.css (static-map missed)", got.Environ["PATH_INFO"])
	}
	theirPort := testenv.FreePort(t)
	echoPy, _ := filepath.Abs("testdata/echo.py")
	realpeer.UWSGI(t, dir, fmt.Sprintf("127.0.0.1:%d", theirPort), "--plugins", "python3,http",
		"--http", fmt.Sprintf("127.0.0.1:%d", theirPort), "--wsgi-file", echoPy, "--static-map", value)
	want := getEcho(t, fmt.Sprintf("http://127.0.0.1:%d/static/style.css", theirPort))
	if want.Environ["PATH_INFO"] != "/static/style.css" {
		t.Errorf("real uWSGI: got PATH_INFO %q at the app, want /static/style.css", want.Environ["PATH_INFO"])
	}
}

// TestCourseIniFiles loads the course's two ini files, as shipped in
// assets/uwsgi/course, through the ini package and starts the server:
// each stops where real uWSGI 2.0.21 stops, with uWSGI's line.
func TestCourseIniFiles(t *testing.T) {
	if _, err := os.Stat("/usr/local/django_projects"); err == nil {
		t.Skip("/usr/local/django_projects exists on this machine; the course's paths would resolve")
	}
	tests := []struct {
		file    string
		logFile string // where the lines go: daemonize's file, or "" for the log stream
		want    string
	}{
		{"config.ini", "", `open("/usr/local/django_projects/ems/uwsgi.log    # 路径要正确"): No such file or directory [core/logging.c line 288]`},
		{"uwsgi.ini", "uwsgi.log", "chdir(): No such file or directory [core/uwsgi.c line 2625]"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join("..", "..", "assets", "uwsgi", "course", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			ours, theirs := t.TempDir(), t.TempDir()
			for _, d := range []string{ours, theirs} {
				mustWrite(t, filepath.Join(d, tt.file), string(src))
			}
			t.Chdir(ours) // relative pidfile and daemonize paths are relative to where uwsgi starts
			c, err := ini.LoadFile(tt.file)
			if err != nil {
				t.Fatalf("ini.LoadFile: %v", err)
			}
			stream := newSyncBuf()
			s := New(FromINI(c), Options{Logger: stream})
			if err := s.Start(); err == nil {
				s.Shutdown(t.Context())
				t.Fatal("Start: got nil, want the course's failure")
			}
			got := stream.String()
			if tt.logFile != "" {
				b, _ := os.ReadFile(filepath.Join(ours, tt.logFile))
				got = string(b)
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("ours: missing %q in\n%s", tt.want, got)
			}

			bin := testenv.NeedUWSGI(t)
			cmd := exec.Command(bin, "--plugins", "python3", "--ini", tt.file)
			cmd.Dir = theirs
			out, _ := cmd.CombinedOutput() // daemonize: the parent returns at once
			waitFor := func() string {
				if tt.logFile == "" {
					return string(out)
				}
				b, _ := os.ReadFile(filepath.Join(theirs, tt.logFile))
				return string(b)
			}
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(waitFor(), tt.want) && time.Now().Before(deadline) {
				<-time.After(50 * time.Millisecond) // the daemonized child writes its log
			}
			if !strings.Contains(waitFor(), tt.want) {
				t.Errorf("real uWSGI: missing %q in\n%s", tt.want, waitFor())
			}
		})
	}
}
