package web

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"webflow-lab/servers/wsgi"
)

// testConfig is a Config in a fresh temp dir: fixed captcha 1234 (the
// documented lab setting), the cheapest bcrypt, log lines kept in logBuf.
func testConfig(t testing.TB, dir string) Config {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	cfg, err := ConfigFromEnv(map[string]string{"EMS_CAPTCHA": "fixed:1234"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.BcryptCost = bcrypt.MinCost
	return cfg
}

// logBuf is a goroutine-safe log sink.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func openApp(t testing.TB, cfg Config) (*App, *logBuf) {
	t.Helper()
	log := &logBuf{}
	cfg.Log = log
	a, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, log
}

// serve runs the app behind net/http (wsgi.Handler) on loopback. The
// environ's wsgi.errors is os.Stderr there, so the app logs to cfg.Log only
// when the environ has none; we route it to the app's log by wrapping.
func serve(t testing.TB, a *App) *httptest.Server {
	t.Helper()
	h := wsgi.Handler(wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
		env.Errors = a.cfg.Log
		return a.ServeWSGI(env, start)
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// A client is a browser: a cookie jar shared by every server it talks to
// (cookies ignore ports, so two instances on 127.0.0.1 share them, as
// behind one nginx), redirects not followed so tests see them.
type client struct {
	t    testing.TB
	http *http.Client
	base string // the default server
}

func newClient(t testing.TB, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second, // a hung server fails the test instead of hanging it
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type result struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(req *http.Request) result {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, resp.Header, string(b)}
}

func (c *client) url(base, path string) string {
	if base == "" {
		base = c.base
	}
	return base + path
}

func (c *client) getAt(base, path string) result {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.url(base, path), nil)
	return c.do(req)
}

func (c *client) get(path string) result { c.t.Helper(); return c.getAt("", path) }

var tokenRE = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"`)

// token returns the CSRF token of a page, as a browser submitting its form.
func (c *client) token(page string) string {
	c.t.Helper()
	m := tokenRE.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no csrf token in page:\n%s", page)
	}
	return m[1]
}

func (c *client) postAt(base, path string, form url.Values, hdr ...string) result {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.url(base, path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values, hdr ...string) result {
	c.t.Helper()
	return c.postAt("", path, form, hdr...)
}

// multipart posts fields and an optional avatar file.
func (c *client) multipart(path string, fields map[string]string, file []byte) result {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("avatar", "me.png")
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.url("", path), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// register walks the register page: page, captcha image, POST.
func (c *client) register(base, username, password, realName string) result {
	c.t.Helper()
	page := c.getAt(base, "/register/")
	c.getAt(base, "/captcha.png")
	return c.postAt(base, "/register/", url.Values{
		"csrfmiddlewaretoken": {c.token(page.body)}, "username": {username}, "real_name": {realName},
		"password": {password}, "password2": {password}, "captcha": {"1234"},
	})
}

// login walks the login page: page, captcha image, POST. bases lets each of
// the three requests go to a different instance (round robin).
func (c *client) login(username, password string, bases ...string) result {
	c.t.Helper()
	b := func(i int) string {
		if len(bases) == 0 {
			return ""
		}
		return bases[i%len(bases)]
	}
	page := c.getAt(b(0), "/login/")
	c.getAt(b(1), "/captcha.png")
	return c.postAt(b(2), "/login/", url.Values{
		"csrfmiddlewaretoken": {c.token(page.body)}, "username": {username}, "password": {password}, "captcha": {"1234"},
	})
}

// pngBytes is a small real PNG.
func pngBytes(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(40 + x*3), uint8(120 + y*2), 220, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mediaFile(a *App, rel string) string {
	return filepath.Join(a.cfg.MediaRoot, filepath.FromSlash(rel))
}
