package web

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"webflow-lab/servers/ems/sqlite"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
)

// Config is the EMS's settings.py. ConfigFromEnv reads it from the EMS_*
// variables an instance's ini passes with `env = KEY=value`.
type Config struct {
	Database   string // SQLite file (DATABASES['default']['NAME'])
	Sessions   string // SessionsMemory or SessionsDB (SESSION_ENGINE)
	MediaRoot  string // where uploads are written (MEDIA_ROOT)
	MediaURL   string // the URL prefix of uploads (MEDIA_URL)
	StaticRoot string // where collectstatic copies static files (STATIC_ROOT)
	StaticURL  string // the URL prefix of static files (STATIC_URL)
	Instance   string // the name printed in the footer; the server's own name when empty
	Captcha    string // "" draws random codes; otherwise the fixed code every captcha shows
	SecretKey  string // SECRET_KEY; "" means the one stored in the database
	MaxUpload  int64  // the largest avatar accepted, in bytes

	// BcryptCost is the password hashing cost (default bcrypt.DefaultCost);
	// tests lower it. Not settable from the environment.
	BcryptCost int
	// Recorder receives the app's hop events when the environ carries none
	// (an environ's own Trace wins). nil means nowhere.
	Recorder trace.Recorder
	// Log receives error lines when the environ has no wsgi.errors. nil means os.Stderr.
	Log io.Writer
	// Store is an open database the caller owns (the lab owns its
	// databases, so it can stop and start them as a service): the app
	// uses it in place of opening Database, and never closes it. nil: the
	// app opens Database itself and closes it on Close.
	Store *sqlite.DB
}

// Session engines.
const (
	SessionsMemory = "memory" // per instance, like Django's cache sessions on one box
	SessionsDB     = "db"     // shared in the database, like django.contrib.sessions.backends.db
)

// DefaultMaxUpload is EMS_MAX_UPLOAD's default, 2 MiB.
const DefaultMaxUpload = 2 << 20

// ConfigFromEnv reads the settings from env (the instance's `env =` lines);
// relative paths are relative to dir (the instance's chdir). Variables:
//
//	EMS_DATABASE     SQLite file (default db.sqlite3)
//	EMS_SESSIONS     memory (default) or db
//	EMS_MEDIA_ROOT   upload folder (default media)
//	EMS_MEDIA_URL    upload URL prefix (default /media/)
//	EMS_STATIC_ROOT  collectstatic's target (default static)
//	EMS_STATIC_URL   static URL prefix (default /static/)
//	EMS_INSTANCE     instance name for the footer (default: the server's)
//	EMS_CAPTCHA      real (default) or fixed:CODE, a predictable captcha for lesson checks
//	EMS_SECRET_KEY   SECRET_KEY (default: generated once per database and stored in it)
//	EMS_MAX_UPLOAD   largest avatar in bytes (default 2097152)
func ConfigFromEnv(env map[string]string, dir string) (Config, error) {
	get := func(k, def string) string {
		if v, ok := env[k]; ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
		return def
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) || dir == "" {
			return p
		}
		return filepath.Join(dir, p)
	}
	c := Config{
		Database:   abs(get("EMS_DATABASE", "db.sqlite3")),
		Sessions:   get("EMS_SESSIONS", SessionsMemory),
		MediaRoot:  abs(get("EMS_MEDIA_ROOT", "media")),
		MediaURL:   get("EMS_MEDIA_URL", "/media/"),
		StaticRoot: abs(get("EMS_STATIC_ROOT", "static")),
		StaticURL:  get("EMS_STATIC_URL", "/static/"),
		Instance:   get("EMS_INSTANCE", ""),
		SecretKey:  get("EMS_SECRET_KEY", ""),
		MaxUpload:  DefaultMaxUpload,
	}
	if c.Sessions != SessionsMemory && c.Sessions != SessionsDB {
		return c, settingError("EMS_SESSIONS", c.Sessions,
			explain.T("must be memory or db", "只能是 memory 或 db"),
			explain.T("use EMS_SESSIONS=db to share sessions between instances, memory to keep them per instance",
				"多个实例共享会话用 EMS_SESSIONS=db；每个实例各自保存用 memory"))
	}
	switch cap := get("EMS_CAPTCHA", "real"); {
	case cap == "real":
	case strings.HasPrefix(cap, "fixed:"):
		code := strings.TrimPrefix(cap, "fixed:")
		if !validCode(code) {
			return c, settingError("EMS_CAPTCHA", cap,
				explain.T("a fixed code must be 1 to 6 digits", "固定验证码须为 1 到 6 位数字"),
				explain.T("write EMS_CAPTCHA=fixed:1234", "写成 EMS_CAPTCHA=fixed:1234"))
		}
		c.Captcha = code
	default:
		return c, settingError("EMS_CAPTCHA", cap,
			explain.T("must be real or fixed:CODE", "只能是 real 或 fixed:CODE"),
			explain.T("write EMS_CAPTCHA=real, or EMS_CAPTCHA=fixed:1234 for predictable lesson checks",
				"写成 EMS_CAPTCHA=real，或用 EMS_CAPTCHA=fixed:1234 得到可预测的验证码"))
	}
	if v, ok := env["EMS_MAX_UPLOAD"]; ok && strings.TrimSpace(v) != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n <= 0 {
			return c, settingError("EMS_MAX_UPLOAD", v,
				explain.T("must be a positive number of bytes", "必须是正整数（字节数）"),
				explain.T("write EMS_MAX_UPLOAD=2097152 for 2 MiB", "例如 EMS_MAX_UPLOAD=2097152 表示 2 MiB"))
		}
		c.MaxUpload = n
	}
	for _, u := range []struct{ key, v string }{{"EMS_MEDIA_URL", c.MediaURL}, {"EMS_STATIC_URL", c.StaticURL}} {
		if !strings.HasPrefix(u.v, "/") || !strings.HasSuffix(u.v, "/") {
			// Django: "The MEDIA_URL setting must end with a slash."
			return c, settingError(u.key, u.v,
				explain.T("a URL prefix must start and end with a slash", "URL 前缀必须以 / 开头并以 / 结尾"),
				explain.T("write it like /static/ or /media/", "写成 /static/ 或 /media/ 这样的形式"))
		}
	}
	if c.MediaURL == c.StaticURL {
		// Django: "The MEDIA_URL and STATIC_URL settings must have different values".
		return c, settingError("EMS_MEDIA_URL", c.MediaURL,
			explain.T("MEDIA_URL and STATIC_URL must differ", "MEDIA_URL 与 STATIC_URL 不能相同"),
			explain.T("keep /static/ for static files and /media/ for uploads", "静态文件用 /static/，上传文件用 /media/"))
	}
	return c, nil
}

// EnvMap turns `env = KEY=value` lines into a map; a line without '='
// is skipped, a repeated key keeps its last value (uWSGI's putenv order).
func EnvMap(lines []string) map[string]string {
	m := make(map[string]string, len(lines))
	for _, l := range lines {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[strings.TrimSpace(k)] = v
		}
	}
	return m
}

func validCode(s string) bool {
	if len(s) < 1 || len(s) > 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func settingError(key, value string, why, try explain.Text) error {
	return &explain.Error{
		What:  explain.T(fmt.Sprintf("ems: bad setting %s=%q", key, value), fmt.Sprintf("ems: 配置项 %s=%q 有误", key, value)),
		Where: "env " + key,
		Why:   why,
		Try:   try,
	}
}

func (c *Config) defaults() {
	if c.Sessions == "" {
		c.Sessions = SessionsMemory
	}
	if c.MediaURL == "" {
		c.MediaURL = "/media/"
	}
	if c.StaticURL == "" {
		c.StaticURL = "/static/"
	}
	if c.MaxUpload <= 0 {
		c.MaxUpload = DefaultMaxUpload
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = bcrypt.DefaultCost
	}
	if c.Log == nil {
		c.Log = os.Stderr
	}
	c.Recorder = trace.OrNop(c.Recorder)
}
