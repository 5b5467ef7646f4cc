package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webflow-lab/servers/ems/emstest"
)

// TestWindowsEditedWorkspace: a workspace in a folder whose path has spaces
// and Chinese characters (a learner's "My Documents" or 桌面), whose config
// files a Windows editor saved with CRLF line endings. nginx reads CR as a
// space between tokens (ngx_conf_read_token) and uWSGI strips it from both
// ends of every ini line (core/ini.c ini_rstrip/ini_lstrip), so the lab
// starts, serves pages and static files, and writes its logs exactly as
// from the files it wrote itself, and has nothing to note about them.
func TestWindowsEditedWorkspace(t *testing.T) {
	noLeaks(t)
	lab := startLabIn(t, filepath.Join("My Lab 实验", "工作区 ws"), func(dir string) {
		for _, name := range []string{"nginx.conf", "conf.d/ems.conf", "mime.types", "uwsgi_params", "uwsgi-1.ini", "uwsgi-2.ini"} {
			path := filepath.Join(dir, name)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			crlf := strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n", "\r\n")
			if err := os.WriteFile(path, []byte(crlf), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	})
	if len(lab.Notes()) != 0 {
		t.Errorf("notes for CRLF configs: got %q, want none", lab.Notes())
	}
	c := emstest.NewClient(t, lab.URL())
	page := c.Get("/login/")
	if page.Status != 200 || !strings.Contains(page.Body, `name="captcha"`) {
		t.Fatalf("GET /login/: got %d, want 200 with the login form\n%.500s", page.Status, page.Body)
	}
	if res := c.Get("/static/ems/css/style.css"); res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Errorf("GET style.css: got %d %q, want 200 text/css", res.Status, res.Header.Get("Content-Type"))
	}
	c.Token(page)
	if res := c.Register("bob", "secret123", "鲍勃"); res.Status != 302 {
		t.Errorf("register (a write to db.sqlite3 under the path): got %d, want 302\n%.500s", res.Status, res.Body)
	}
	waitFile(t, filepath.Join(lab.Dir(), "logs", "access.log"), `"GET /static/ems/css/style.css HTTP/1.1" 200 `)
	waitFile(t, filepath.Join(lab.Dir(), "logs", servedBy(t, page)+".log"), "GET /login/ => generated ")
	if _, err := os.Stat(filepath.Join(lab.Dir(), "uwsgi-1.pid")); err != nil {
		t.Errorf("pidfile under the path: %v", err)
	}
}
