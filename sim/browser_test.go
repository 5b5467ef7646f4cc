package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"webflow-lab/servers/ems/emstest"
)

// TestBrowserThroughProxy is a learner's first visit to the running lab in
// a real browser: everything through the proxy's address, the pages from
// the EMS behind round robin, CSS and the avatar from the proxy's disk.
func TestBrowserThroughProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("real browser test; skipped with -short")
	}
	noLeaks(t) // chromedp's goroutines too: cancelling the allocator waits for Chromium
	p := emstest.NewPage(t, emstest.PageOptions{Timeout: 60 * time.Second, ShotsEnv: "SIM_SCREENSHOTS"})
	lab := startLab(t, nil)
	base := lab.URL()
	avatar := filepath.Join(t.TempDir(), "avatar.png")
	os.WriteFile(avatar, emstest.PNG(t, 64, 64), 0o644)

	p.Do("open the lab",
		chromedp.Navigate(base+"/"),
		emstest.At("/login/?next="),
		emstest.Visible(`img.captcha`),
	)
	// The stylesheet came through the proxy's /static/ alias.
	if r := emstest.Eval[string](p, `getComputedStyle(document.querySelector('.card')).borderTopLeftRadius`); r != "12px" {
		t.Fatalf("card corner radius %q, want 12px from /static/ems/css/style.css", r)
	}
	p.Do("register",
		emstest.Click(`a[href="/register/"]`),
		emstest.Visible(`input[name=username]`),
		emstest.FillRegister("alice", "爱丽丝", "secret123"),
		// The ajax checks print their verdicts under the fields; a learner
		// reads them before pressing the button (which they move down).
		emstest.Until(`document.querySelector('[data-error=username]').textContent === '用户名可用'`),
		emstest.CaptchaChecked,
		emstest.Click(`main button[type=submit]`),
		emstest.At("/login/?registered=alice"),
		emstest.Visible(`img.captcha`),
		emstest.Until(`document.querySelector('img.captcha').complete && document.querySelector('img.captcha').naturalWidth > 0`),
	)
	p.Do("log in",
		emstest.TypeIn(`input[name=password]`, "secret123"),
		emstest.TypeIn(`input[name=captcha]`, emstest.Captcha),
		emstest.CaptchaChecked,
		emstest.Click(`main button[type=submit]`),
		emstest.At("/employees/"),
		emstest.Visible(`.flash`),
	)
	if f := emstest.Eval[string](p, `document.querySelector('.flash').textContent`); !strings.Contains(f, "欢迎回来，爱丽丝") {
		t.Fatalf("after login flash %q, want 欢迎回来，爱丽丝", f)
	}
	p.Do("add an employee with an avatar",
		chromedp.Navigate(base+"/employees/add/"),
		emstest.Visible(`input[name=name]`),
		emstest.FillEmployee("张三丰", "18000", "36", avatar),
		emstest.Click(`main button[type=submit]`),
		emstest.At("/employees/1/edit/"),
		emstest.Visible(`.flash`),
	)
	p.Do("the list shows the avatar",
		chromedp.Navigate(base+"/employees/"),
		emstest.Visible(`img.avatar`),
		emstest.Until(`(() => { const i = document.querySelector('img.avatar'); return i.complete && i.naturalWidth === 64 })()`),
	)
	if n := emstest.Eval[string](p, `document.querySelector('tbody tr:first-child td.name').textContent.trim()`); n != "张三丰" {
		t.Fatalf("first row %q, want 张三丰", n)
	}
	src := emstest.Eval[string](p, `document.querySelector('img.avatar').src`)
	if !strings.HasPrefix(src, base+"/media/avatars/") {
		t.Fatalf("avatar src %q, want it under %s/media/avatars/", src, base)
	}
	if _, err := os.Stat(filepath.Join(lab.Dir(), "media", "avatars", filepath.Base(src))); err != nil {
		t.Fatalf("the avatar is not in the workspace's media/: %v", err)
	}
	p.Screenshot("list-through-proxy.png")

	p.Do("log out",
		emstest.Click(`.nav-logout button`),
		emstest.At("/login/"),
		chromedp.Navigate(base+"/employees/"),
		emstest.At("/login/?next="),
	)
	// Every request went through the proxy: its access log has them all.
	log := waitFile(t, filepath.Join(lab.Dir(), "logs", "access.log"), `"POST /logout/ HTTP/1.1" 302`)
	for _, want := range []string{`"GET /static/ems/css/style.css HTTP/1.1" 200`, `"POST /employees/add/ HTTP/1.1" 302`, `"GET /media/avatars/`} {
		mustContain(t, "access.log", log, want)
	}
}
