package web

import (
	"encoding/json"
	"net/url"
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

// TestAjaxAnswersNameTheInstance: every ajax answer of the forms says which
// instance gave it (the footer's label), so a page can show it beside the
// message.
func TestAjaxAnswersNameTheInstance(t *testing.T) {
	cfg := testConfig(t, "")
	cfg.Instance = "111"
	a, _ := openApp(t, cfg)
	srv := serve(t, a)
	emstest.NewClient(t, srv.URL).Register("taken", "secret1", "爱丽丝")
	c := emstest.NewClient(t, srv.URL)
	page := c.Get("/login/")
	c.Get("/captcha.png")
	tok := c.Token(page)
	ajax := []string{"X-CSRFToken", tok, "X-Requested-With", "XMLHttpRequest"}
	tests := []struct {
		name string
		do   func() emstest.Result
		want string // the message in the answer
	}{
		{"username taken", func() emstest.Result { return c.Get("/api/check-username/?username=taken") }, "用户名已存在"},
		{"username free", func() emstest.Result { return c.Get("/api/check-username/?username=newname") }, "用户名可用"},
		{"captcha wrong", func() emstest.Result {
			return c.Post("/api/check-captcha/", url.Values{"captcha": {"1111"}}, ajax...)
		}, "验证码错误"},
		{"captcha right", func() emstest.Result {
			return c.Post("/api/check-captcha/", url.Values{"captcha": {emstest.Captcha}}, ajax...)
		}, "验证码正确"},
		{"login, wrong password", func() emstest.Result {
			return c.Post("/login/", url.Values{"username": {"taken"}, "password": {"nope"}, "captcha": {emstest.Captcha}}, ajax...)
		}, "用户名或密码错误"},
		{"login, captcha used up", func() emstest.Result {
			return c.Post("/login/", url.Values{"username": {"taken"}, "password": {"secret1"}, "captcha": {emstest.Captcha}}, ajax...)
		}, "验证码错误"},
		{"register, captcha used up", func() emstest.Result {
			return c.Post("/register/", url.Values{"username": {"bob"}, "real_name": {"鲍勃"}, "password": {"secret1"},
				"password2": {"secret1"}, "captcha": {emstest.Captcha}}, ajax...)
		}, "验证码错误"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.do()
			var got struct {
				Instance string            `json:"instance"`
				Message  string            `json:"message"`
				Errors   map[string]string `json:"errors"`
			}
			if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
				t.Fatalf("answer %d %q: %v", res.Status, res.Body, err)
			}
			msg := got.Message
			for _, m := range got.Errors {
				msg += m
			}
			if got.Instance != "111" || !strings.Contains(msg, tt.want) {
				t.Errorf("got %s, want instance 111 and %q", res.Body, tt.want)
			}
		})
	}
}

// TestCaptchaRightThenWrong is the course's puzzle traced without the TUI:
// with sessions kept per instance, the ajax check answered by one instance
// says 验证码正确 and the submit answered by the other says 验证码错误, and
// each answer names its instance.
func TestCaptchaRightThenWrong(t *testing.T) {
	_, _, urlA, urlB := twoInstances(t, SessionsMemory, true)
	emstest.NewClient(t, urlA).Register("alice", "secret1", "爱丽丝")
	c := emstest.NewClient(t, urlA)
	page := c.Get("/login/")
	c.Get("/captcha.png")
	ajax := []string{"X-CSRFToken", c.Token(page), "X-Requested-With", "XMLHttpRequest"}
	check := c.Post("/api/check-captcha/", url.Values{"captcha": {emstest.Captcha}}, ajax...)
	submit := c.At(urlB).Post("/login/", url.Values{"username": {"alice"}, "password": {"secret1"}, "captcha": {emstest.Captcha}}, ajax...)
	for _, tt := range []struct{ name, body, want string }{
		{"check", check.Body, `{"instance":"uwsgi-1","message":"验证码正确","ok":true}`},
		{"submit", submit.Body, `{"errors":{"captcha":"验证码错误"},"instance":"uwsgi-2","ok":false}`},
	} {
		if tt.body != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.body, tt.want)
		}
	}
}
