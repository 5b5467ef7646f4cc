package web

import (
	"bytes"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

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

func mediaFile(a *App, rel string) string {
	return filepath.Join(a.cfg.MediaRoot, filepath.FromSlash(rel))
}
