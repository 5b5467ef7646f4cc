// Package web is the EMS (员工管理系统) as a WSGI application: what Django's
// ems_project/wsgi.py hands uWSGI, in Go. A uWSGI-compatible server (our
// servers/uwsgi, loading `wsgi-file = ems_project/wsgi.py`) or wsgi.Handler
// calls App.ServeWSGI once per request.
//
// Django ideas a learner will recognize, each in its place:
//   - urls.py: routes with names, reversed into paths (router.go); templates
//     and redirects never spell a path;
//   - views passing values to templates (render with a context map);
//   - a redirect carrying a query string (register → login?registered=alice)
//     and one carrying path parameters (add → /employees/<id>/edit/);
//   - values passed through the session (the flash message after a save);
//   - SessionMiddleware, CsrfViewMiddleware, the captcha in the session;
//   - STATIC_URL / MEDIA_URL: the app never serves /static/ or /media/
//     itself, as Django with DEBUG=False; nginx's alias or uWSGI's static-map
//     must, and a wrong path gives the course's unstyled page and missing
//     avatars for the real reason.
//
// Settings come from the instance's environment (see ConfigFromEnv):
// EMS_DATABASE, EMS_SESSIONS, EMS_MEDIA_ROOT, EMS_MEDIA_URL, EMS_STATIC_ROOT,
// EMS_STATIC_URL, EMS_INSTANCE, EMS_CAPTCHA, EMS_SECRET_KEY, EMS_MAX_UPLOAD.
//
// What it leaves out: Django's admin, the ORM, i18n machinery (pages are in
// Chinese with English where natural), DEBUG error pages, and password
// reset.
package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/bcrypt"

	"webflow-lab/servers/ems"
	"webflow-lab/servers/ems/sqlite"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/wsgi"
)

// App is the EMS application. It is safe for concurrent use by any number
// of workers and threads.
type App struct {
	cfg       Config
	db        *sqlite.DB
	sessions  ems.SessionStore
	employees ems.EmployeeService
	users     ems.UserService
	router    *router
	pages     map[string]*template.Template
	secret    string // guarded by secretMu: read lazily when the database was stopped at load
	secretMu  sync.Mutex
	// dummyHash is compared against when a username is unknown, so a
	// wrong name costs as long as a wrong password. Made on first use: a
	// bcrypt hash takes most of an instance's start otherwise (70 ms of
	// 75 at cost 10 on a laptop), and a lab restarts instances often.
	dummyHash func() ([]byte, error)
	closed    atomic.Bool
}

var _ wsgi.App = (*App)(nil)

// Open opens the database (migrating it), loads the templates and returns
// the app.
func Open(cfg Config) (*App, error) {
	cfg.defaults()
	db := cfg.Store
	var err error
	if db == nil {
		if db, err = sqlite.Open(cfg.Database); err != nil {
			return nil, err
		}
	}
	a := &App{cfg: cfg, db: db, employees: db, users: db, sessions: db}
	if cfg.Sessions == SessionsMemory {
		a.sessions = newMemorySessions()
	}
	// What `manage.py clearsessions` does from cron: expired rows go at
	// start. A stopped database does not stop the app from loading, as
	// Django starts with MySQL down and fails at the first query.
	if _, err := db.DeleteExpiredSessions(context.Background()); err != nil && !errors.Is(err, sqlite.ErrStopped) {
		a.closeDB()
		return nil, err
	}
	a.secret = cfg.SecretKey
	if a.secret == "" {
		if a.secret, err = db.SecretKey(context.Background()); err != nil && !errors.Is(err, sqlite.ErrStopped) {
			a.closeDB()
			return nil, err
		}
	}
	a.dummyHash = dummyHashFor(cfg.BcryptCost)
	if a.router, err = newRouter(routes()); err != nil {
		a.closeDB()
		return nil, err
	}
	if a.pages, err = a.parseTemplates(); err != nil {
		a.closeDB()
		return nil, err
	}
	return a, nil
}

// Load is what a server's `wsgi-file = ems_project/wsgi.py` does: read the
// settings from the instance's `env =` variables (paths relative to dir, the
// instance's chdir) and open the app.
func Load(env map[string]string, dir string) (*App, error) {
	cfg, err := ConfigFromEnv(env, dir)
	if err != nil {
		return nil, err
	}
	return Open(cfg)
}

// Close closes the database.
func (a *App) Close() error {
	if a.closed.Swap(true) {
		return nil
	}
	return a.closeDB()
}

// closeDB closes the database unless its owner is someone else (Config.Store).
func (a *App) closeDB() error {
	if a.cfg.Store != nil {
		return nil
	}
	return a.db.Close()
}

// DB returns the app's database, which the lab stops and starts.
func (a *App) DB() *sqlite.DB { return a.db }

// Config returns the app's settings, defaults filled in.
func (a *App) Config() Config { return a.cfg }

// Reverse returns the path of a named route ("employee_edit", 3 →
// "/employees/3/edit/"), for lesson checks and tests.
func (a *App) Reverse(name string, args ...any) (string, error) {
	return a.router.reverse(name, args...)
}

// A view is a Django view function.
type view func(a *App, r *request) (*response, error)

// A response is an HttpResponse.
type response struct {
	status  int
	headers []wsgi.Header
	body    []byte
}

func (resp *response) header(name, value string) *response {
	resp.headers = append(resp.headers, wsgi.Header{Name: name, Value: value})
	return resp
}

// ServeWSGI handles one request.
func (a *App) ServeWSGI(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
	r := newRequest(env)
	resp := a.handle(r)
	if err := a.saveSession(r); err != nil {
		resp = a.serverError(r, err)
	}
	headers := make([]wsgi.Header, 0, len(resp.headers)+8)
	headers = append(headers, resp.headers...)
	if _, ok := wsgi.HeaderValue(headers, "Content-Type"); !ok {
		headers = append(headers, wsgi.Header{Name: "Content-Type", Value: "text/html; charset=utf-8"})
	}
	headers = append(headers,
		wsgi.Header{Name: "Content-Length", Value: strconv.Itoa(len(resp.body))},
		// SecurityMiddleware and XFrameOptionsMiddleware's defaults.
		wsgi.Header{Name: "X-Frame-Options", Value: "DENY"},
		wsgi.Header{Name: "X-Content-Type-Options", Value: "nosniff"},
		wsgi.Header{Name: "Referrer-Policy", Value: "same-origin"},
	)
	if r.sess != nil {
		headers = append(headers, wsgi.Header{Name: "Vary", Value: "Cookie"})
	}
	for _, c := range r.setCookie {
		headers = append(headers, wsgi.Header{Name: "Set-Cookie", Value: c})
	}
	if _, err := start(strconv.Itoa(resp.status), headers); err != nil {
		return nil, err
	}
	if env.Get("REQUEST_METHOD") == "HEAD" {
		return nil, nil
	}
	return wsgi.Chunks(resp.body), nil
}

// handle routes the request through the middleware steps and its view.
func (a *App) handle(r *request) *response {
	rt, params := a.router.match(r.path)
	if rt == nil {
		// CommonMiddleware's APPEND_SLASH: /login → 301 /login/.
		if !strings.HasSuffix(r.path, "/") && r.method != "POST" {
			if rt2, _ := a.router.match(r.path + "/"); rt2 != nil {
				loc := r.path + "/"
				if q := r.env.Get("QUERY_STRING"); q != "" {
					loc += "?" + q
				}
				return (&response{status: 301}).header("Location", loc)
			}
		}
		return a.notFound(r, "您访问的地址不存在。")
	}
	r.params = params
	method := r.method
	if method == "HEAD" {
		method = "GET"
	}
	if !strings.Contains(" "+rt.methods+" ", " "+method+" ") {
		return a.errorPage(r, 405, "请求方法不允许 Method Not Allowed", "此地址不接受 "+r.method+" 请求。").
			header("Allow", strings.ReplaceAll(rt.methods, " ", ", "))
	}
	if r.method == "POST" {
		switch err := r.parseBody(a.cfg.MaxUpload); {
		case errors.Is(err, errTooLarge):
			a.logf(r, 413, "request body over EMS_MAX_UPLOAD=%d bytes (CONTENT_LENGTH %s)", a.cfg.MaxUpload, r.env.Get("CONTENT_LENGTH"))
			return a.errorPage(r, 413, "上传文件过大 Payload Too Large",
				fmt.Sprintf("请求体超过上限：头像最大 %s。", humanBytes(a.cfg.MaxUpload)))
		case err != nil:
			a.logf(r, 400, "%v", err)
			return a.errorPage(r, 400, "请求有误 Bad Request", "无法解析提交的表单。")
		}
		if reason := r.checkCSRF(); reason != "" {
			a.logf(r, 403, "Forbidden (%s): %s", reason, r.path)
			return a.errorPage(r, 403, "禁止访问 Forbidden (403)", "CSRF 验证失败，请求被中断。"+reason)
		}
	}
	resp, err := rt.view(a, r)
	if err != nil {
		var ee *ems.Error
		if errors.As(err, &ee) && ee.Code == ems.ENOTFOUND {
			return a.notFound(r, ee.Message)
		}
		return a.serverError(r, err)
	}
	return resp
}

// serverError is Django's 500 with DEBUG=False: a plain page for the
// browser, the cause in the server's log.
func (a *App) serverError(r *request, err error) *response {
	msg := err.Error()
	if ee := (*ems.Error)(nil); errors.As(err, &ee) && ee.Message != "" {
		msg += " — " + ee.Message
	}
	a.logf(r, 500, "%s", msg)
	r.setCookie = nil // nothing of a failed request sticks
	return a.errorPage(r, 500, "服务器错误 Server Error (500)", "服务器处理请求时出错，请稍后再试。")
}

// logf writes one line to wsgi.errors (the server's log):
//
//	ems[uwsgi-1] GET /employees/ → 500: ems: database service not started (unavailable) — 数据库服务未启动
func (a *App) logf(r *request, status int, format string, args ...any) {
	w := r.env.Errors
	if w == nil {
		w = a.cfg.Log
	}
	fmt.Fprintf(w, "ems[%s] %s %s → %d: %s\n", a.instance(r), r.method, r.path, status, fmt.Sprintf(format, args...))
}

// instance names who served the request: the EMS_INSTANCE label when the
// instance's config sets one (the course's "111" / "222" pages, told apart
// by a label the learner chose), else the app server's own name.
func (a *App) instance(r *request) string {
	if a.cfg.Instance != "" {
		return a.cfg.Instance
	}
	if r.env.Server.Instance != "" {
		return r.env.Server.Instance
	}
	return "ems"
}

// dbctx is the context the request's queries run with, carrying the trace
// recorder and request id.
func (a *App) dbctx(r *request) context.Context {
	rec := r.env.Trace
	if rec == nil || rec == trace.Nop {
		rec = a.cfg.Recorder
	}
	// The hop names the server's instance, as every other event of the
	// request does; the EMS's own label (EMS_INSTANCE) is for its pages.
	inst := r.env.Server.Instance
	if inst == "" {
		inst = a.instance(r)
	}
	return sqlite.WithTrace(r.ctx, sqlite.Hop{Recorder: rec, Points: r.env.Points, ReqID: r.env.RequestID,
		Instance: inst, Method: r.method, Path: r.path})
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d 字节", n)
}

// dummyHashes are the dummy hashes made so far, one per bcrypt cost, shared
// by every app in the process.
var dummyHashes sync.Map // int → func() ([]byte, error)

func dummyHashFor(cost int) func() ([]byte, error) {
	f, _ := dummyHashes.LoadOrStore(cost, sync.OnceValues(func() ([]byte, error) {
		return bcrypt.GenerateFromPassword([]byte("no such user"), cost)
	}))
	return f.(func() ([]byte, error))
}

// secretKey is SECRET_KEY: the setting, or the one stored in the database,
// read on first need when the database was stopped at load.
func (a *App) secretKey(ctx context.Context) (string, error) {
	a.secretMu.Lock()
	defer a.secretMu.Unlock()
	if a.secret != "" {
		return a.secret, nil
	}
	k, err := a.db.SecretKey(ctx)
	if err != nil {
		return "", err
	}
	a.secret = k
	return k, nil
}
