package web

import (
	"path/filepath"
	"strings"
	"testing"
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
	c := newClient(t, urlA)
	if res := c.register(urlA, "alice", "secret1", "爱丽丝"); res.status != 302 {
		t.Fatalf("register on uwsgi-1: got %d, want 302", res.status)
	}
	// Page, captcha and POST each on a different instance: the session lives
	// in the shared database, so the captcha answer is found.
	if res := c.login("alice", "secret1", urlB, urlA, urlB); res.status != 302 {
		t.Fatalf("login across instances: got %d, want 302\n%s", res.status, res.body)
	}
	for _, u := range []string{urlA, urlB} {
		res := c.getAt(u, "/employees/")
		if res.status != 200 {
			t.Fatalf("list on %s: got %d, want 200 (logged in everywhere)", u, res.status)
		}
	}
	mustContain(t, "footer of uwsgi-2", c.getAt(urlB, "/employees/").body, "served by <b>uwsgi-2</b>")
}

// TestTwoDatabases is the course's "registered, then cannot log in": each
// instance has its own database, so the account exists only where it was
// registered.
func TestTwoDatabases(t *testing.T) {
	_, _, urlA, urlB := twoInstances(t, SessionsDB, false)
	c := newClient(t, urlA)
	if res := c.register(urlA, "alice", "secret1", "爱丽丝"); res.status != 302 {
		t.Fatalf("register on uwsgi-1: got %d, want 302", res.status)
	}
	res := c.login("alice", "secret1", urlB)
	if res.status != 200 || !strings.Contains(res.body, "用户名或密码错误") {
		t.Fatalf("login on uwsgi-2: got %d, want the form with 用户名或密码错误\n%s", res.status, res.body)
	}
	if res := c.login("alice", "secret1", urlA); res.status != 302 {
		t.Fatalf("login on uwsgi-1: got %d, want 302", res.status)
	}
}

// TestMemorySessionsRoundRobin: with sessions in each instance's memory, the
// captcha drawn by one instance is checked by the other, which has never
// heard of it.
func TestMemorySessionsRoundRobin(t *testing.T) {
	_, _, urlA, urlB := twoInstances(t, SessionsMemory, true)
	c := newClient(t, urlA)
	if res := c.register(urlA, "alice", "secret1", "爱丽丝"); res.status != 302 {
		t.Fatalf("register on one instance: got %d, want 302", res.status)
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
			c := newClient(t, urlA)
			res := c.login("alice", "secret1", tt.bases...)
			if res.status != tt.status || !strings.Contains(res.body, tt.message) {
				t.Fatalf("got %d, want %d %q\n%s", res.status, tt.status, tt.message, res.body)
			}
		})
	}
	// Logged in on uwsgi-2 only: uwsgi-1 does not know the session.
	c2 := newClient(t, urlB)
	c2.login("alice", "secret1", urlB)
	if res := c2.getAt(urlA, "/employees/"); res.status != 302 {
		t.Fatalf("list on the other instance: got %d, want 302 to login", res.status)
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
	c := newClient(t, urlA)
	c.register(urlA, "alice", "secret1", "爱丽丝")
	if res := c.login("alice", "secret1", urlA); res.status != 302 {
		t.Fatalf("login: got %d", res.status)
	}
	if res := c.getAt(urlB, "/employees/"); res.status != 302 {
		t.Fatalf("other SECRET_KEY: got %d, want 302 to login", res.status)
	}
}
