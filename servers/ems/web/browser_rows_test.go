package web

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"webflow-lab/servers/ems"
	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/ems/sqlite"
)

// browserLogin registers alice over HTTP and logs her in through the
// browser's login page, checking on the way that the ajax captcha answer
// names the instance beside its message.
func browserLogin(t *testing.T, p *emstest.Page, base string) {
	t.Helper()
	if res := emstest.NewClient(t, base).Register("alice", "secret123", "爱丽丝"); res.Status != 302 {
		t.Fatalf("register: got %d", res.Status)
	}
	p.Do("login page",
		chromedp.Navigate(base+"/login/"),
		emstest.Visible(`input[name=username]`),
		emstest.TypeIn(`input[name=username]`, "alice"),
		emstest.TypeIn(`input[name=password]`, "wrong-pass"),
		emstest.TypeIn(`input[name=captcha]`, emstest.Captcha),
		emstest.CaptchaChecked,
	)
	if via := emstest.Eval[string](p, `getComputedStyle(document.querySelector('[data-error=captcha]'), '::after').content`); via != `"实例 uwsgi-1"` {
		t.Errorf("beside 验证码正确: got %s, want \"实例 uwsgi-1\"", via)
	}
	p.Screenshot("captcha-answered-by.png")
	p.Do("wrong password",
		emstest.Click(`main button[type=submit]`),
		emstest.Visible(`.form-error:not([hidden])`),
	)
	if via := emstest.Eval[string](p, `document.querySelector('.form-error').dataset.via || ''`); via != "uwsgi-1" {
		t.Errorf("beside 用户名或密码错误: got data-via %q, want uwsgi-1", via)
	}
	p.Screenshot("login-answered-by.png")
	p.Do("log in",
		emstest.SetValue(`input[name=password]`, ""),
		emstest.TypeIn(`input[name=password]`, "secret123"),
		emstest.SetValue(`input[name=captcha]`, ""),
		emstest.TypeIn(`input[name=captcha]`, emstest.Captcha),
		emstest.CaptchaChecked,
		emstest.Click(`main button[type=submit]`),
		emstest.At("/employees/"),
	)
}

// TestBrowserAvatarRows: in the employee list, a row whose avatar file is
// missing (uploaded on another instance, or deleted) is as high as a row
// with its avatar and a row without one, with the stylesheet alone and
// with the script, which shows it as missing. On the way: the ajax answers
// name their instance, and the 404 page keeps the user's navigation.
// scripts switches the page's JavaScript on or off.
func scripts(on bool) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return err
	})
}

func TestBrowserAvatarRows(t *testing.T) {
	if testing.Short() {
		t.Skip("real browser test; skipped with -short")
	}
	p := emstest.NewPage(t, emstest.PageOptions{Timeout: 90 * time.Second, ShotsEnv: "EMS_SCREENSHOTS"})
	dir := t.TempDir()
	base := startEMS(t, dir)
	os.MkdirAll(filepath.Join(dir, "media", "avatars"), 0o755)
	os.WriteFile(filepath.Join(dir, "media", "avatars", "present.png"), emstest.PNG(t, 64, 64), 0o644)
	db, err := sqlite.Open(filepath.Join(dir, "db.sqlite3"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*ems.Employee{
		{Name: "张三丰", Salary: 18000, Age: 36, Avatar: "avatars/present.png"},
		{Name: "李四", Salary: 9000, Age: 28, Avatar: "avatars/missing.png"},
		{Name: "王五", Salary: 8000, Age: 30},
		{Name: "Alice Wang", Salary: 12000, Age: 41, Avatar: "avatars/missing-too.png"},
	} {
		if err := db.CreateEmployee(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	browserLogin(t, p, base)
	rows := func(what string) {
		t.Helper()
		heights := emstest.Eval[[]float64](p, `Array.from(document.querySelectorAll('tbody tr')).map(r => r.getBoundingClientRect().height)`)
		names := emstest.Eval[[]string](p, `Array.from(document.querySelectorAll('tbody td.name')).map(td => td.textContent)`)
		if len(heights) != 4 {
			t.Fatalf("%s: got %d rows, want 4", what, len(heights))
		}
		for i, h := range heights {
			if h != heights[0] {
				t.Errorf("%s: row %q is %.1fpx high, row %q %.1fpx; want every row as high", what, names[i], h, names[0], heights[0])
			}
		}
	}

	// The stylesheet alone keeps the rows even: the broken image keeps its
	// circle, its alt text clipped.
	p.Do("list without the script",
		scripts(false),
		chromedp.Navigate(base+"/employees/"),
		emstest.Visible(`tbody`),
	)
	p.Do("every avatar settled", emstest.Until(`Array.from(document.querySelectorAll('img.avatar')).every(i => i.complete)`))
	p.Screenshot("avatar-rows-no-script.png")
	rows("without the script")

	// With the script, a missing avatar shows as missing, with its initial.
	p.Do("list with the script",
		scripts(true),
		chromedp.Navigate(base+"/employees/"),
		emstest.Visible(`tbody`),
		emstest.Until(`document.querySelectorAll('.avatar-missing').length === 2 && Array.from(document.querySelectorAll('img.avatar')).every(i => i.complete && i.naturalWidth > 0)`),
	)
	p.Screenshot("avatar-rows.png")
	rows("with the script")
	shown := emstest.Eval[[]string](p, `Array.from(document.querySelectorAll('tbody td.col-avatar > *')).map(e => e.className + ':' + e.textContent)`)
	want := []string{"avatar:", "avatar avatar-missing:李", "avatar avatar-empty:王", "avatar avatar-missing:A"}
	if !slices.Equal(shown, want) {
		t.Errorf("avatar cells: got %q, want %q", shown, want)
	}
	if title := emstest.Eval[string](p, `document.querySelector('.avatar-missing').title`); !strings.Contains(title, "/media/avatars/missing.png") {
		t.Errorf("a missing avatar's title: got %q, want the address that failed", title)
	}

	// The 404 page keeps the logged-in navigation.
	p.Do("a page that does not exist", chromedp.Navigate(base+"/nope/"), emstest.Visible(`.nav-user`))
	p.Screenshot("404-logged-in.png")
	if who := p.Text(`.nav-user`); who != "爱丽丝" {
		t.Errorf("404 page's navigation: got user %q, want 爱丽丝", who)
	}
}
