package uwsgi

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webflow-lab/servers/explain"
)

// note is a config note like the ini package's inline-comment note.
var note = &explain.Error{
	What:  explain.T("uwsgi: processes = 2 # two: uWSGI has no inline comments", "uwsgi: processes = 2 # two：uWSGI 没有行尾注释"),
	Where: "app.ini:3",
	Why:   explain.T("uWSGI 2.0 reads the leading digits", "uWSGI 2.0 只读前面的数字"),
}

// lineIndex is the index of the first log line containing s, or -1.
func lineIndex(log, s string) int {
	for i, ln := range strings.Split(log, "\n") {
		if strings.Contains(ln, s) {
			return i
		}
	}
	return -1
}

// TestNotesAtStartAndReload: the config's notes are in the log before the
// startup banner, in the configured language, and again after a reload,
// with the ini files and static-map lines uWSGI logs when its re-executed
// binary reads the options again.
func TestNotesAtStartAndReload(t *testing.T) {
	for _, lang := range []string{"en", "zh_CN.UTF-8"} {
		t.Run(lang, func(t *testing.T) {
			cfg := Config{File: "app.ini", Files: []string{"app.ini"}, Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello",
				StaticMaps: []string{"/static=" + t.TempDir()}, Notes: []*explain.Error{note}}
			s, log := startServer(t, cfg, Options{Lang: lang})
			block := note.Block(lang)
			first, _, _ := strings.Cut(block, "\n")
			if got := strings.Count(log.String(), block); got != 1 {
				t.Fatalf("note blocks after start: got %d, want 1\n%s", got, log.String())
			}
			if n, b := lineIndex(log.String(), first), lineIndex(log.String(), "*** Starting uWSGI"); n < 0 || n > b {
				t.Errorf("note at line %d, banner at %d: want the note first", n, b)
			}
			if err := s.Reload(context.Background()); err != nil {
				t.Fatal(err)
			}
			after := log.String()[strings.Index(log.String(), "binary reloading uWSGI..."):]
			for _, want := range []string{"[uWSGI] getting INI configuration from app.ini\n", block, "[uwsgi-static] added mapping for /static => "} {
				if !strings.Contains(after, want) {
					t.Errorf("after the reload: missing %q\n%s", want, after)
				}
			}
			if i, j := strings.Index(after, block), strings.Index(after, "gracefully (RE)spawned"); i > j {
				t.Errorf("after the reload, the note comes after the respawn:\n%s", after)
			}
		})
	}
}

// TestDaemonizeInProcess: inside one process daemonize cannot detach; the
// log moves to the file (mode 0640, appended to) once the options are
// read, as uWSGI's does: the static-map line stays in the first log.
func TestDaemonizeInProcess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "uwsgi.log")
	os.WriteFile(path, []byte("earlier run\n"), 0o600)
	s, log := startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello", Daemonize: path,
		StaticMaps: []string{"/static=static"}, Notes: []*explain.Error{note}}, Options{})
	uwsgiDo(t, "tcp", addrOf(t, s, "socket"), nginxVars("GET", "/"), nil)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	file := string(b)
	if !strings.HasPrefix(file, "earlier run\n*** Starting uWSGI") || !strings.Contains(file, "GET / => generated") {
		t.Errorf("daemonize file: got\n%s\nwant the earlier content, then the banner and the request line", file)
	}
	for _, want := range []string{note.Block(""), "[uwsgi-static] added mapping for /static => static"} {
		if !strings.Contains(log.String(), want) || strings.Contains(file, want) {
			t.Errorf("%q: want it in the first log only\nlog:\n%s\nfile:\n%s", want, log.String(), file)
		}
	}
	path2 := filepath.Join(dir, "new.log")
	startServer(t, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello", Daemonize: path2}, Options{})
	if fi, err := os.Stat(path2); err != nil || fi.Mode().Perm()&^0o640 != 0 {
		t.Errorf("new daemonize file: got %v, %v; want mode 0640 (less the umask)", fi.Mode(), err)
	}
}

// TestDetached: the daemon that webflow-lab uwsgi detached logs to its
// Logger (already the daemonize file) without opening the file itself, and
// without the static-map lines the detaching process printed; the notes
// are there, so the file explains its own errors.
func TestDetached(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "uwsgi.log")
	cfg := Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello", Daemonize: path,
		StaticMaps: []string{"/static=static"}, Notes: []*explain.Error{note}}
	_, log := startServer(t, cfg, Options{Detached: true})
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the daemonize file: got %v, want it left to the process that detached", err)
	}
	if !strings.Contains(log.String(), note.Block("")) || !strings.Contains(log.String(), "*** Starting uWSGI") {
		t.Errorf("log: want the note and the banner\n%s", log.String())
	}
	if strings.Contains(log.String(), "[uwsgi-static]") {
		t.Errorf("log: got the static-map line the detaching process printed\n%s", log.String())
	}

	// The process that detaches: Configure prints those lines and refuses
	// a bad static-map before anything is opened.
	for _, tt := range []struct {
		name, sm, want string
		ok             bool
	}{
		{"good", "/static=static", "[uwsgi-static] added mapping for /static => static", true},
		{"bad", "/static", "invalid document root in static map, syntax mountpoint=docroot", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := newSyncBuf()
			s := New(Config{Sockets: []string{"127.0.0.1:0"}, StaticMaps: []string{tt.sm}, Daemonize: path}, Options{Logger: out})
			if err := s.Configure(); (err == nil) != tt.ok {
				t.Errorf("Configure: got %v, want ok=%v", err, tt.ok)
			}
			if !strings.Contains(out.String(), tt.want) {
				t.Errorf("output: got %q, want %q", out.String(), tt.want)
			}
			f, err := s.OpenDaemonizeLog()
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
		})
	}
	log2 := newSyncBuf()
	s := New(Config{Sockets: []string{"127.0.0.1:0"}, Daemonize: filepath.Join(dir, "no", "uwsgi.log    # 路径要正确")}, Options{Logger: log2})
	if _, err := s.OpenDaemonizeLog(); err == nil || !strings.Contains(log2.String(), `/no/uwsgi.log    # 路径要正确"): No such file or directory [core/logging.c line 288]`) {
		t.Errorf("OpenDaemonizeLog in a missing directory: got %v, log %q", err, log2.String())
	}
}

func TestConfigSame(t *testing.T) {
	base := Config{File: "a.ini", Sockets: []string{"127.0.0.1:9001"}, Processes: 2, Notes: []*explain.Error{note},
		Where: map[string]string{"processes": "a.ini:3"}}
	tests := []struct {
		name string
		edit func(c *Config)
		want bool
	}{
		{"identical", func(c *Config) {}, true},
		{"lines moved", func(c *Config) { c.Where = map[string]string{"processes": "a.ini:9"} }, true},
		{"processes", func(c *Config) { c.Processes = 4 }, false},
		{"a note fixed", func(c *Config) { c.Notes = nil }, false},
		{"socket", func(c *Config) { c.Sockets = []string{"127.0.0.1:9011"} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			o.Notes = append([]*explain.Error(nil), base.Notes...)
			tt.edit(&o)
			if got := o.Same(base); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
