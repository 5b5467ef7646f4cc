package web

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/testenv/golden"
)

func TestConfigFromEnvDefaults(t *testing.T) {
	cfg, err := ConfigFromEnv(map[string]string{}, "/srv/ems")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Database: "/srv/ems/db.sqlite3", Sessions: "memory", MediaRoot: "/srv/ems/media", MediaURL: "/media/",
		StaticRoot: "/srv/ems/static", StaticURL: "/static/", MaxUpload: 2 << 20}
	if cfg != want {
		t.Fatalf("got %+v\nwant %+v", cfg, want)
	}
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(Config) bool
	}{
		{"absolute database", map[string]string{"EMS_DATABASE": "/var/lib/ems.db"}, func(c Config) bool { return c.Database == "/var/lib/ems.db" }},
		{"relative database", map[string]string{"EMS_DATABASE": "data/ems.db"}, func(c Config) bool { return c.Database == "/srv/ems/data/ems.db" }},
		{"db sessions", map[string]string{"EMS_SESSIONS": "db"}, func(c Config) bool { return c.Sessions == SessionsDB }},
		{"fixed captcha", map[string]string{"EMS_CAPTCHA": "fixed:0042"}, func(c Config) bool { return c.Captcha == "0042" }},
		{"real captcha", map[string]string{"EMS_CAPTCHA": "real"}, func(c Config) bool { return c.Captcha == "" }},
		{"max upload", map[string]string{"EMS_MAX_UPLOAD": " 1024 "}, func(c Config) bool { return c.MaxUpload == 1024 }},
		{"urls", map[string]string{"EMS_STATIC_URL": "/assets/", "EMS_MEDIA_URL": "/uploads/"}, func(c Config) bool {
			return c.StaticURL == "/assets/" && c.MediaURL == "/uploads/"
		}},
		{"instance and key", map[string]string{"EMS_INSTANCE": "uwsgi-2", "EMS_SECRET_KEY": "k"}, func(c Config) bool {
			return c.Instance == "uwsgi-2" && c.SecretKey == "k"
		}},
		{"media root", map[string]string{"EMS_MEDIA_ROOT": "static/media"}, func(c Config) bool { return c.MediaRoot == "/srv/ems/static/media" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(tt.env, "/srv/ems")
			if err != nil || !tt.check(cfg) {
				t.Fatalf("got %+v, %v", cfg, err)
			}
		})
	}
}

// TestConfigErrorsGolden renders each bad setting's error in both languages
// beside its golden file (testdata/config/<case>.golden; -update rewrites).
func TestConfigErrorsGolden(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"sessions", map[string]string{"EMS_SESSIONS": "redis"}},
		{"captcha-mode", map[string]string{"EMS_CAPTCHA": "easy"}},
		{"captcha-code", map[string]string{"EMS_CAPTCHA": "fixed:abcd"}},
		{"max-upload", map[string]string{"EMS_MAX_UPLOAD": "2MB"}},
		{"static-url-slash", map[string]string{"EMS_STATIC_URL": "/static"}},
		{"same-urls", map[string]string{"EMS_STATIC_URL": "/files/", "EMS_MEDIA_URL": "/files/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ConfigFromEnv(tt.env, "/srv/ems")
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *explain.Error", err)
			}
			got := e.Block("en") + "\n\n" + e.Block("zh") + "\n"
			golden.Check(t, filepath.Join("testdata", "config", tt.name+".golden"), got)
		})
	}
}

func TestOpenErrors(t *testing.T) {
	cfg := testConfig(t, "")
	cfg.Database = filepath.Join(t.TempDir(), "missing", "db.sqlite3")
	_, err := Open(cfg)
	var e *explain.Error
	if !errors.As(err, &e) || !strings.Contains(e.Block("en"), "where: "+cfg.Database) || !strings.Contains(e.Block("zh"), "EMS_DATABASE") {
		t.Fatalf("got %v, want an explained error naming the file", err)
	}
}

func TestLoadFromEnvLines(t *testing.T) {
	dir := t.TempDir()
	a, err := Load(EnvMap([]string{"EMS_DATABASE=ems.db", "EMS_SESSIONS=db", "IGNORED", "EMS_INSTANCE=uwsgi-9"}), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got := a.Config(); got.Database != filepath.Join(dir, "ems.db") || got.Sessions != "db" || got.Instance != "uwsgi-9" {
		t.Fatalf("got %+v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "ems.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
}
