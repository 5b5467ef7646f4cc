package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"webflow-lab/servers/ems"
	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/ems/sqlite"
	"webflow-lab/servers/uwsgi"
	"webflow-lab/servers/wsgi"
)

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

// TestBrowserJourney drives real Chromium through the whole EMS behind our
// app server: register, a wrong password shown by ajax, log in, add an
// employee with a Chinese name and an avatar, see the avatar (served by
// static-map from MEDIA_ROOT), sort, edit, delete, log out.
func TestBrowserJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("real browser test; skipped with -short")
	}
	p := emstest.NewPage(t, emstest.PageOptions{Timeout: 90 * time.Second, ShotsEnv: "EMS_SCREENSHOTS"})
	dir := t.TempDir()
	base := startEMS(t, dir)
	avatar := filepath.Join(dir, "avatar.png")
	os.WriteFile(avatar, emstest.PNG(t, 64, 64), 0o644)

	p.Do("register",
		chromedp.Navigate(base+"/register/"),
		emstest.Visible(`input[name=username]`),
		emstest.FillRegister("alice", "爱丽丝", "secret123"),
		chromedp.Blur(chromedp.CSS(`input[name=captcha]`)),
		emstest.CaptchaChecked,
	)
	p.Screenshot("register.png")
	p.Do("submit register",
		emstest.Click(`main button[type=submit]`),
		emstest.At("/login/?registered=alice"),
		emstest.Visible(`img.captcha`),
	)
	// The stylesheet came through static-map: the card has its rounded corners.
	if r := emstest.Eval[string](p, `getComputedStyle(document.querySelector('.card')).borderTopLeftRadius`); r != "12px" {
		t.Fatalf("card radius %q, want 12px from /static/ems/css/style.css", r)
	}
	if f := p.Text(`.flash`); !strings.Contains(f, "注册成功") {
		t.Fatalf("login page flash %q, want 注册成功 (the value the redirect's query string carried)", f)
	}
	p.Do("captcha image loaded", emstest.Until(`document.querySelector('img.captcha').complete && document.querySelector('img.captcha').naturalWidth === 128`))
	p.Screenshot("login.png")

	// Wrong password: the error appears in place, the page does not reload.
	p.Do("wrong password by ajax",
		emstest.JS(`window.__stay = 1`),
		emstest.TypeIn(`input[name=password]`, "wrong-pass"),
		emstest.TypeIn(`input[name=captcha]`, "1234"),
		emstest.CaptchaChecked,
		emstest.Click(`main button[type=submit]`),
		emstest.Visible(`.form-error:not([hidden])`),
	)
	if e, stayed := p.Text(`.form-error`), emstest.Eval[bool](p, `window.__stay === 1`); !strings.Contains(e, "用户名或密码错误") || !stayed {
		t.Fatalf("ajax login error %q (same page: %v), want 用户名或密码错误 without a reload", e, stayed)
	}
	p.Screenshot("login-error.png")

	p.Do("log in",
		emstest.SetValue(`input[name=password]`, ""),
		emstest.TypeIn(`input[name=password]`, "secret123"),
		emstest.SetValue(`input[name=captcha]`, ""),
		emstest.TypeIn(`input[name=captcha]`, "1234"),
		emstest.CaptchaChecked,
		emstest.Click(`main button[type=submit]`),
		emstest.At("/employees/"),
		emstest.Visible(`.flash`),
	)
	if f := p.Text(`.flash`); !strings.Contains(f, "欢迎回来，爱丽丝") {
		t.Fatalf("after login flash %q, want 欢迎回来，爱丽丝", f)
	}

	p.Do("add employee",
		emstest.Click(`a[href="/employees/add/"]`),
		emstest.Visible(`input[name=name]`),
		emstest.FillEmployee("张三丰", "18000", "36", avatar),
		emstest.Until(`document.querySelector('[data-avatar-preview] img') !== null`),
	)
	p.Screenshot("add.png")
	p.Do("submit add",
		emstest.Click(`main button[type=submit]`),
		emstest.At("/employees/1/edit/"),
		emstest.Visible(`.flash`),
	)
	if f := p.Text(`.flash`); !strings.Contains(f, "已添加员工「张三丰」") {
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

	p.Do("list shows the avatar",
		chromedp.Navigate(base+"/employees/"),
		emstest.Visible(`img.avatar`),
		emstest.Until(`(() => { const i = document.querySelector('img.avatar'); return i.complete && i.naturalWidth === 64 })()`),
	)
	if n := p.Text(`tbody tr:first-child td.name`); n != "张三丰" {
		t.Fatalf("first row %q, want 张三丰", n)
	}
	p.Screenshot("list.png")

	p.Do("sort by salary, then descending",
		emstest.Click(`th a[href="/employees/?sort=salary"]`),
		emstest.At("/employees/?sort=salary"),
		emstest.Loaded,
		emstest.Click(`th a.sort-active`),
		emstest.At("/employees/?dir=desc&sort=salary"),
		emstest.Visible(`tbody`),
	)
	if n := p.Text(`tbody tr:first-child td.name`); n != "张三丰" { // 18000 is the top salary
		t.Fatalf("top salary %q, want 张三丰", n)
	}

	p.Do("edit",
		chromedp.Navigate(base+"/employees/1/edit/"),
		emstest.Visible(`input[name=name]`),
		emstest.SetValue(`input[name=name]`, "张三"),
		emstest.Click(`main button[type=submit]`),
		emstest.At("/employees/"),
		emstest.Visible(`.flash`),
	)
	if f := p.Text(`.flash`); !strings.Contains(f, "已保存员工「张三」") {
		t.Fatalf("after edit flash %q", f)
	}

	p.Do("delete asks first",
		emstest.Click(`a[href="/employees/1/delete/"]`),
		emstest.At("/employees/1/delete/"),
		emstest.Visible(`button.btn-danger`),
	)
	p.Screenshot("confirm-delete.png")
	p.Do("confirm delete",
		emstest.Click(`button.btn-danger`),
		emstest.At("/employees/"),
		emstest.Visible(`.flash`),
	)
	if f := p.Text(`.flash`); !strings.Contains(f, "已删除员工「张三」") {
		t.Fatalf("after delete flash %q", f)
	}
	if n := emstest.Eval[int](p, `document.querySelectorAll('tbody tr').length`); n != 10 {
		t.Fatalf("rows after delete %d, want 10 (page 1 of the remaining 12)", n)
	}

	p.Do("log out",
		emstest.Click(`.nav-logout button`),
		emstest.At("/login/"),
		chromedp.Navigate(base+"/employees/"),
		emstest.At("/login/?next="),
	)
}
