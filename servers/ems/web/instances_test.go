package web

import (
	"path/filepath"
	"strings"
	"testing"

	"webflow-lab/servers/ems/emstest"
)

// Two instances behind one proxy, as in the course's cluster lesson. The
// client's cookie jar is shared across both (cookies ignore ports), so the
// tests below are what a browser sees behind nginx's round robin.

func twoInstances(t *testing.T, sessions string, sharedDB bool) (a, b *App, urlA, urlB string) {
	t.Helper()
	dir := t.TempDir()
	cfgA, cfgB := testConfig(t, dir), testConfig(t, dir)
	cfgA.Sessions, cfgB.Sessions = sessions, sessions
	cfgA.Instance, cfgB.Instance = "uwsgi-1", "uwsgi-2"
	if !sharedDB {
		cfgB.Database = filepath.Join(dir, "db2.sqlite3")
	}
	a, _ = openApp(t, cfgA)
	b, _ = openApp(t, cfgB)
	return a, b, serve(t, a).URL, serve(t, b).URL
}

func TestTwoInstancesSharedDatabase(t *testing.T) {
	_, _, urlA, urlB := twoInstances(t, SessionsDB, true)
	c := emstest.NewClient(t, urlA)
	if res := c.Register("alice", "secret1", "爱丽丝"); res.Status != 302 {
		t.Fatalf("register on uwsgi-1: got %d, want 302", res.Status)
	}
	// Page, captcha and POST each on a different instance: the session lives
	// in the shared database, so the captcha answer is found.
	if res := c.Login("alice", "secret1", urlB, urlA, urlB); res.Status != 302 {
		t.Fatalf("login across instances: got %d, want 302\n%s", res.Status, res.Body)
	}
	for _, u := range []string{urlA, urlB} {
		res := c.At(u).Get("/employees/")
		if res.Status != 200 {
			t.Fatalf("list on %s: got %d, want 200 (logged in everywhere)", u, res.Status)
		}
	}
	mustContain(t, "footer of uwsgi-2", c.At(urlB).Get("/employees/").Body, "served by <b>uwsgi-2</b>")
}

// TestTwoDatabases is the course's "registered, then cannot log in": each
// instance has its own database, so the account exists only where it was
// registered.
func TestTwoDatabases(t *testing.T) {
	_, _, urlA, urlB := twoInstances(t, SessionsDB, false)
	c := emstest.NewClient(t, urlA)
	if res := c.Register("alice", "secret1", "爱丽丝"); res.Status != 302 {
		t.Fatalf("register on uwsgi-1: got %d, want 302", res.Status)
	}
	res := c.Login("alice", "secret1", urlB)
	if res.Status != 200 || !strings.Contains(res.Body, "用户名或密码错误") {
		t.Fatalf("login on uwsgi-2: got %d, want the form with 用户名或密码错误\n%s", res.Status, res.Body)
	}
	if res := c.Login("alice", "secret1", urlA); res.Status != 302 {
		t.Fatalf("login on uwsgi-1: got %d, want 302", res.Status)
	}
}

// TestMemorySessionsRoundRobin: with sessions in each instance's memory, the
// captcha drawn by one instance is checked by the other, which has never
// heard of it.
func TestMemorySessionsRoundRobin(t *testing.T) {
	_, _, urlA, urlB := twoInstances(t, SessionsMemory, true)
	c := emstest.NewClient(t, urlA)
	if res := c.Register("alice", "secret1", "爱丽丝"); res.Status != 302 {
		t.Fatalf("register on one instance: got %d, want 302", res.Status)
	}
	tests := []struct {
		name    string
		bases   []string
		status  int
		message string
	}{
		{"captcha from the other instance", []string{urlA, urlB, urlA}, 200, "验证码错误"},
		{"post to the other instance", []string{urlA, urlA, urlB}, 200, "验证码错误"},
		{"all on one instance", []string{urlB, urlB, urlB}, 302, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := emstest.NewClient(t, urlA)
			res := c.Login("alice", "secret1", tt.bases...)
			if res.Status != tt.status || !strings.Contains(res.Body, tt.message) {
				t.Fatalf("got %d, want %d %q\n%s", res.Status, tt.status, tt.message, res.Body)
			}
		})
	}
	// Logged in on uwsgi-2 only: uwsgi-1 does not know the session.
	c2 := emstest.NewClient(t, urlB)
	c2.Login("alice", "secret1", urlB)
	if res := c2.At(urlA).Get("/employees/"); res.Status != 302 {
		t.Fatalf("list on the other instance: got %d, want 302 to login", res.Status)
	}
}

// TestDifferentSecretKeys: sessions shared, SECRET_KEYs different. The auth
// hash made by one instance does not verify on the other, which logs the
// user out, as Django does.
func TestDifferentSecretKeys(t *testing.T) {
	dir := t.TempDir()
	cfgA, cfgB := testConfig(t, dir), testConfig(t, dir)
	cfgA.Sessions, cfgB.Sessions = SessionsDB, SessionsDB
	cfgA.SecretKey, cfgB.SecretKey = "key-one", "key-two"
	a, _ := openApp(t, cfgA)
	b, _ := openApp(t, cfgB)
	urlA, urlB := serve(t, a).URL, serve(t, b).URL
	c := emstest.NewClient(t, urlA)
	c.Register("alice", "secret1", "爱丽丝")
	if res := c.Login("alice", "secret1", urlA); res.Status != 302 {
		t.Fatalf("login: got %d", res.Status)
	}
	if res := c.At(urlB).Get("/employees/"); res.Status != 302 {
		t.Fatalf("other SECRET_KEY: got %d, want 302 to login", res.Status)
	}
}
