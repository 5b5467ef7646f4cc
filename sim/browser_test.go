package sim

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
)

const chromiumPath = "/usr/bin/chromium"

// browser starts headless Chromium with a fresh profile (the allocator
// options servers/ems/web's browser test found to work here).
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
	ctx, cancelC := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Skipf("chromium does not start: %v", err)
	}
	return ctx
}

// page is one browser tab under test; any failed step fails the test with
// where the browser was.
type page struct {
	t   *testing.T
	ctx context.Context
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		loc, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`location.href`))
		msgs, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('.form-error:not([hidden]), [data-error], .errorlist, .flash')).map(e => e.textContent.trim()).filter(s => s).join(" | ")`))
		p.t.Fatalf("%s: %v (at %s; the page says: %s)", what, err, loc, msgs)
	}
}

func evalIn[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// until waits for a JavaScript condition, asking every 50 ms for up to
// 15 s; an error while the page navigates just means "not yet".
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

func at(prefix string) chromedp.Action[chromedp.Void] {
	return until(fmt.Sprintf(`(location.pathname + location.search).startsWith(%q)`, prefix))
}

func typeIn(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), text)
}

func click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

func visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}

// TestBrowserThroughProxy is a learner's first visit to the running lab in
// a real browser: everything through the proxy's address, the pages from
// the EMS behind round robin, CSS and the avatar from the proxy's disk.
func TestBrowserThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("real browser test; skipped with -short")
	}
	noLeaks(t) // chromedp's goroutines too: cancelling the allocator waits for Chromium
	ctx := browser(t)
	lab := startLab(t, nil)
	base := lab.URL()
	p := &page{t: t, ctx: ctx}
	shots := t.TempDir()
	if d := os.Getenv("SIM_SCREENSHOTS"); d != "" {
		shots = d
		os.MkdirAll(d, 0o755)
	}
	avatar := filepath.Join(t.TempDir(), "avatar.png")
	os.WriteFile(avatar, pngBytes(t, 64, 64), 0o644)

	p.do("open the lab",
		chromedp.Navigate(base+"/"),
		at("/login/?next="),
		visible(`img.captcha`),
	)
	// The stylesheet came through the proxy's /static/ alias.
	if r := evalIn[string](p, `getComputedStyle(document.querySelector('.card')).borderTopLeftRadius`); r != "12px" {
		t.Fatalf("card corner radius %q, want 12px from /static/ems/css/style.css", r)
	}
	p.do("register",
		click(`a[href="/register/"]`),
		visible(`input[name=username]`),
		typeIn(`input[name=username]`, "alice"),
		typeIn(`input[name=real_name]`, "爱丽丝"),
		typeIn(`input[name=password]`, "secret123"),
		typeIn(`input[name=password2]`, "secret123"),
		typeIn(`input[name=captcha]`, labCaptcha),
		// The ajax checks print their verdicts under the fields; a learner
		// reads them before pressing the button (which they move down).
		until(`document.querySelector('[data-error=username]').textContent === '用户名可用'`),
		until(`document.querySelector('[data-error=captcha]').textContent === '验证码正确'`),
		click(`main button[type=submit]`),
		at("/login/?registered=alice"),
		visible(`img.captcha`),
		until(`document.querySelector('img.captcha').complete && document.querySelector('img.captcha').naturalWidth > 0`),
	)
	p.do("log in",
		typeIn(`input[name=password]`, "secret123"),
		typeIn(`input[name=captcha]`, labCaptcha),
		until(`document.querySelector('[data-error=captcha]').textContent === '验证码正确'`),
		click(`main button[type=submit]`),
		at("/employees/"),
		visible(`.flash`),
	)
	if f := evalIn[string](p, `document.querySelector('.flash').textContent`); !strings.Contains(f, "欢迎回来，爱丽丝") {
		t.Fatalf("after login flash %q, want 欢迎回来，爱丽丝", f)
	}
	p.do("add an employee with an avatar",
		chromedp.Navigate(base+"/employees/add/"),
		visible(`input[name=name]`),
		typeIn(`input[name=name]`, "张三丰"),
		typeIn(`input[name=salary]`, "18000"),
		typeIn(`input[name=age]`, "36"),
		chromedp.SetUploadFiles(chromedp.CSS(`input[name=avatar]`), []string{avatar}),
		click(`main button[type=submit]`),
		at("/employees/1/edit/"),
		visible(`.flash`),
	)
	p.do("the list shows the avatar",
		chromedp.Navigate(base+"/employees/"),
		visible(`img.avatar`),
		until(`(() => { const i = document.querySelector('img.avatar'); return i.complete && i.naturalWidth === 64 })()`),
	)
	if n := evalIn[string](p, `document.querySelector('tbody tr:first-child td.name').textContent.trim()`); n != "张三丰" {
		t.Fatalf("first row %q, want 张三丰", n)
	}
	src := evalIn[string](p, `document.querySelector('img.avatar').src`)
	if !strings.HasPrefix(src, base+"/media/avatars/") {
		t.Fatalf("avatar src %q, want it under %s/media/avatars/", src, base)
	}
	if _, err := os.Stat(filepath.Join(lab.Dir, "media", "avatars", filepath.Base(src))); err != nil {
		t.Fatalf("the avatar is not in the workspace's media/: %v", err)
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is a PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shot := filepath.Join(shots, "list-through-proxy.png")
	if err := os.WriteFile(shot, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)

	p.do("log out",
		click(`.nav-logout button`),
		at("/login/"),
		chromedp.Navigate(base+"/employees/"),
		at("/login/?next="),
	)
	// Every request went through the proxy: its access log has them all.
	log := waitFile(t, filepath.Join(lab.Dir, "logs", "access.log"), `"POST /logout/ HTTP/1.1" 302`)
	for _, want := range []string{`"GET /static/ems/css/style.css HTTP/1.1" 200`, `"POST /employees/add/ HTTP/1.1" 302`, `"GET /media/avatars/`} {
		mustContain(t, "access.log", log, want)
	}
}
