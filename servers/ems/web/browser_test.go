package web

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"webflow-lab/servers/ems"
	"webflow-lab/servers/ems/sqlite"
	"webflow-lab/servers/uwsgi"
	"webflow-lab/servers/wsgi"
)

const chromiumPath = "/usr/bin/chromium"

// startEMS runs the EMS the way the course deploys it without nginx: our
// uWSGI-compatible server with `http = 127.0.0.1:0`, `chdir`, `wsgi-file =
// ems_project/wsgi.py`, `static-map` for /static (after collectstatic) and
// /media, and the settings as `env =` lines.
func startEMS(t *testing.T, dir string, env ...string) (base string) {
	t.Helper()
	if _, err := CollectStatic(filepath.Join(dir, "static")); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "ems_project"), 0o755)
	os.WriteFile(filepath.Join(dir, "ems_project", "wsgi.py"), []byte("from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "media"), 0o755)
	log := &logBuf{}
	cfg := uwsgi.Config{
		HTTP:       []string{"127.0.0.1:0"},
		Processes:  2,
		Threads:    2,
		Master:     true,
		Chdir:      dir,
		WSGIFile:   "ems_project/wsgi.py",
		StaticMaps: []string{"/static=" + filepath.Join(dir, "static"), "/media=" + filepath.Join(dir, "media")},
		Env:        append([]string{"EMS_CAPTCHA=fixed:1234", "EMS_SESSIONS=db", "EMS_INSTANCE=uwsgi-1"}, env...),
	}
	srv := uwsgi.New(cfg, uwsgi.Options{
		Name:   "uwsgi-1",
		Logger: log,
		Loader: func(ref uwsgi.AppRef) (wsgi.App, error) { return Load(EnvMap(ref.Env), ref.Dir) },
	})
	if err := srv.Start(); err != nil {
		t.Fatalf("uwsgi Start: %v\n%s", err, log.String())
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("uwsgi Shutdown: %v", err)
		}
		if t.Failed() {
			t.Logf("uwsgi log:\n%s", log.String())
		}
	})
	if !srv.AppLoaded() {
		t.Fatalf("EMS not loaded:\n%s", log.String())
	}
	return "http://" + srv.Addrs()["http"][0].String()
}

// browser starts headless Chromium with a fresh profile.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		t.Skipf("chromium not installed at %s: %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 820),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Skipf("chromium does not start: %v", err)
	}
	return ctx
}

// shotDir is where screenshots go: $EMS_SCREENSHOTS, else a temp dir.
func shotDir(t *testing.T) string {
	if d := os.Getenv("EMS_SCREENSHOTS"); d != "" {
		os.MkdirAll(d, 0o755)
		return d
	}
	return t.TempDir()
}

// page is one browser tab under test, failing the test on any error.
type page struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v (at %s)", what, err, p.location())
	}
}

func (p *page) location() string {
	loc, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`location.pathname + location.search`))
	return loc
}

func (p *page) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("text of %s: %v (at %s)", sel, err, p.location())
	}
	return s
}

func eval[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// until waits for a JavaScript condition to hold, asking the browser every
// 50 ms for up to 15 s. Errors while the page navigates (the context the
// expression ran in is gone) just mean "not yet".
func until(cond string) chromedp.Action[chromedp.Void] {
	eval := chromedp.Evaluate[bool](cond)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		deadline := time.NewTimer(15 * time.Second)
		defer deadline.Stop()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		var last error
		for {
			ok, err := eval(ctx, t)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			last = err
			select {
			case <-tick.C:
			case <-deadline.C:
				return chromedp.Void{}, fmt.Errorf("timed out waiting for %s (last error: %v)", cond, last)
			case <-ctx.Done():
				return chromedp.Void{}, ctx.Err()
			}
		}
	}
}

// captchaChecked waits for the ajax captcha check's "验证码正确". Its answer
// puts a line above the submit button (the empty message box is
// display:none), so a click sent while it is in flight can land where the
// button was a moment ago and submit nothing: the page then just sits
// there, no request ever leaves the browser, and the step times out.
var captchaChecked = until(`document.querySelector('[data-error=captcha]').textContent === '验证码正确'`)

// loaded waits for the navigated-to document to finish loading: the
// location changes when the new page commits, and a node looked up while it
// is still being built can be replaced under chromedp ("Could not find node
// with given id").
var loaded = until(`document.readyState === 'complete'`)

// at waits until the location starts with prefix.
func at(prefix string) chromedp.Action[chromedp.Void] {
	return until(fmt.Sprintf(`(location.pathname + location.search).startsWith(%q)`, prefix))
}

// setValue replaces an input's value (chromedp's SetValue refuses some inputs).
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	return js(fmt.Sprintf(`document.querySelector(%q).value = %q`, sel, v))
}

// js runs a statement in the page.
func js(stmt string) chromedp.Action[chromedp.Void] {
	eval := chromedp.Evaluate[bool]("(() => { " + stmt + "; return true })()")
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := eval(ctx, t)
		return chromedp.Void{}, err
	}
}

func typeIn(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), text)
}

func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

func (p *page) screenshot(name string) {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.shots, name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// TestBrowserJourney drives real Chromium through the whole EMS behind our
// app server: register, a wrong password shown by ajax, log in, add an
// employee with a Chinese name and an avatar, see the avatar (served by
// static-map from MEDIA_ROOT), sort, edit, delete, log out.
func TestBrowserJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("real browser test; skipped with -short")
	}
	ctx := browser(t)
	dir := t.TempDir()
	base := startEMS(t, dir)
	p := &page{t: t, ctx: ctx, shots: shotDir(t)}
	avatar := filepath.Join(dir, "avatar.png")
	os.WriteFile(avatar, pngBytes(t, 64, 64), 0o644)

	p.do("register",
		chromedp.Navigate(base+"/register/"),
		visible(`input[name=username]`),
		typeIn(`input[name=username]`, "alice"),
		typeIn(`input[name=real_name]`, "爱丽丝"),
		typeIn(`input[name=password]`, "secret123"),
		typeIn(`input[name=password2]`, "secret123"),
		typeIn(`input[name=captcha]`, "1234"),
		chromedp.Blur(chromedp.CSS(`input[name=captcha]`)),
		until(`document.querySelector('[data-error=captcha]').textContent === '验证码正确'`),
	)
	p.screenshot("register.png")
	p.do("submit register",
		click(`main button[type=submit]`),
		at("/login/?registered=alice"),
		visible(`img.captcha`),
	)
	// The stylesheet came through static-map: the card has its rounded corners.
	if r := eval[string](p, `getComputedStyle(document.querySelector('.card')).borderTopLeftRadius`); r != "12px" {
		t.Fatalf("card radius %q, want 12px from /static/ems/css/style.css", r)
	}
	if f := p.text(`.flash`); !strings.Contains(f, "注册成功") {
		t.Fatalf("login page flash %q, want 注册成功 (the value the redirect's query string carried)", f)
	}
	p.do("captcha image loaded", until(`document.querySelector('img.captcha').complete && document.querySelector('img.captcha').naturalWidth === 128`))
	p.screenshot("login.png")

	// Wrong password: the error appears in place, the page does not reload.
	p.do("wrong password by ajax",
		js(`window.__stay = 1`),
		typeIn(`input[name=password]`, "wrong-pass"),
		typeIn(`input[name=captcha]`, "1234"),
		captchaChecked,
		click(`main button[type=submit]`),
		visible(`.form-error:not([hidden])`),
	)
	if e, stayed := p.text(`.form-error`), eval[bool](p, `window.__stay === 1`); !strings.Contains(e, "用户名或密码错误") || !stayed {
		t.Fatalf("ajax login error %q (same page: %v), want 用户名或密码错误 without a reload", e, stayed)
	}
	p.screenshot("login-error.png")

	p.do("log in",
		setValue(`input[name=password]`, ""),
		typeIn(`input[name=password]`, "secret123"),
		setValue(`input[name=captcha]`, ""),
		typeIn(`input[name=captcha]`, "1234"),
		captchaChecked,
		click(`main button[type=submit]`),
		at("/employees/"),
		visible(`.flash`),
	)
	if f := p.text(`.flash`); !strings.Contains(f, "欢迎回来，爱丽丝") {
		t.Fatalf("after login flash %q, want 欢迎回来，爱丽丝", f)
	}

	p.do("add employee",
		click(`a[href="/employees/add/"]`),
		visible(`input[name=name]`),
		typeIn(`input[name=name]`, "张三丰"),
		typeIn(`input[name=salary]`, "18000"),
		typeIn(`input[name=age]`, "36"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=avatar]`), []string{avatar}),
		until(`document.querySelector('[data-avatar-preview] img') !== null`),
	)
	p.screenshot("add.png")
	p.do("submit add",
		click(`main button[type=submit]`),
		at("/employees/1/edit/"),
		visible(`.flash`),
	)
	if f := p.text(`.flash`); !strings.Contains(f, "已添加员工「张三丰」") {
		t.Fatalf("after add flash %q", f)
	}

	// More colleagues, written through another handle on the same database
	// file, so the list shows paging and sorting.
	db, err := sqlite.Open(filepath.Join(dir, "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{"李四", "王五", "赵六", "钱七", "孙八", "周九", "吴十", "郑晓明", "冯丽", "陈伟", "Alice Wang", "褚红"} {
		if err := db.CreateEmployee(context.Background(), &ems.Employee{Name: n, Salary: int64(8000 + 750*i), Age: 23 + i*2}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	p.do("list shows the avatar",
		chromedp.Navigate(base+"/employees/"),
		visible(`img.avatar`),
		until(`(() => { const i = document.querySelector('img.avatar'); return i.complete && i.naturalWidth === 64 })()`),
	)
	if n := p.text(`tbody tr:first-child td.name`); n != "张三丰" {
		t.Fatalf("first row %q, want 张三丰", n)
	}
	p.screenshot("list.png")

	p.do("sort by salary, then descending",
		click(`th a[href="/employees/?sort=salary"]`),
		at("/employees/?sort=salary"),
		loaded,
		click(`th a.sort-active`),
		at("/employees/?dir=desc&sort=salary"),
		visible(`tbody`),
	)
	if n := p.text(`tbody tr:first-child td.name`); n != "张三丰" { // 18000 is the top salary
		t.Fatalf("top salary %q, want 张三丰", n)
	}

	p.do("edit",
		chromedp.Navigate(base+"/employees/1/edit/"),
		visible(`input[name=name]`),
		setValue(`input[name=name]`, "张三"),
		click(`main button[type=submit]`),
		at("/employees/"),
		visible(`.flash`),
	)
	if f := p.text(`.flash`); !strings.Contains(f, "已保存员工「张三」") {
		t.Fatalf("after edit flash %q", f)
	}

	p.do("delete asks first",
		click(`a[href="/employees/1/delete/"]`),
		at("/employees/1/delete/"),
		visible(`button.btn-danger`),
	)
	p.screenshot("confirm-delete.png")
	p.do("confirm delete",
		click(`button.btn-danger`),
		at("/employees/"),
		visible(`.flash`),
	)
	if f := p.text(`.flash`); !strings.Contains(f, "已删除员工「张三」") {
		t.Fatalf("after delete flash %q", f)
	}
	if n := eval[int](p, `document.querySelectorAll('tbody tr').length`); n != 10 {
		t.Fatalf("rows after delete %d, want 10 (page 1 of the remaining 12)", n)
	}

	p.do("log out",
		click(`.nav-logout button`),
		at("/login/"),
		chromedp.Navigate(base+"/employees/"),
		at("/login/?next="),
	)
}
