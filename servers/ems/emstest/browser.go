package emstest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"webflow-lab/servers/testenv"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is the browser NewPage starts (Debian's chromium package).
const ChromiumPath = "/usr/bin/chromium"

// PageOptions tune NewPage.
type PageOptions struct {
	// Timeout bounds the whole browser session, from Chromium's start to
	// the test's last step; zero means a minute.
	Timeout time.Duration
	// ShotsEnv names an environment variable ("EMS_SCREENSHOTS", say)
	// which, when set, is the directory Screenshot writes to, so a person
	// can look at the pages afterwards; else they go to a temp dir.
	ShotsEnv string
}

// A Page is one tab of a headless Chromium under test. Its methods fail the
// test on any error, saying where the browser was and which errors the
// page itself showed.
type Page struct {
	t     testing.TB
	ctx   context.Context
	shots string // "" until the first Screenshot, unless ShotsEnv named one
}

// NewPage starts headless Chromium with a fresh profile, in Chinese (the
// EMS's language) at 1200×820, and returns its tab; the browser is stopped
// when the test ends. It skips the test when Chromium is not installed at
// ChromiumPath or does not start.
func NewPage(t testing.TB, o PageOptions) *Page {
	t.Helper()
	testenv.Need(t, ChromiumPath)
	if o.Timeout == 0 {
		o.Timeout = time.Minute
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
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
	// The first run allocates the browser, which lives as long as this
	// context: the timeout is the whole session's (see chromedp.Run).
	ctx, cancelC := context.WithTimeout(ctx, o.Timeout)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() }) // cancelling the allocator waits for Chromium to exit
	if err := chromedp.Do(ctx); err != nil {
		t.Skipf("chromium at %s does not start: %v", ChromiumPath, err)
	}
	p := &Page{t: t, ctx: ctx}
	if o.ShotsEnv != "" {
		if d := os.Getenv(o.ShotsEnv); d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatalf("$%s: %v", o.ShotsEnv, err)
			}
			p.shots = d
		}
	}
	return p
}

// Do runs steps in order, failing the test at the first that fails.
func (p *Page) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v (%s)", what, err, p.where())
	}
}

// Location is the address the tab shows.
func (p *Page) Location() string {
	loc, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`location.href`))
	return loc
}

// where says, for a failure message, where the tab is and what the page
// says: its visible form errors, ajax verdicts and flash messages.
func (p *Page) where() string {
	msgs, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('.form-error:not([hidden]), [data-error], .errorlist, .flash')).map(e => e.textContent.trim()).filter(s => s).join(" | ")`))
	return fmt.Sprintf("at %s; the page says: %s", p.Location(), msgs)
}

// Text is the rendered text of the first element matching the CSS selector
// sel, as chromedp.Text reads it.
func (p *Page) Text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("text of %s: %v (%s)", sel, err, p.where())
	}
	return s
}

// Eval evaluates a JavaScript expression in p's page.
func Eval[T any](p *Page, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v (%s)", expr, err, p.where())
	}
	return v
}

// Screenshot saves the whole page as a PNG named name, and logs where.
func (p *Page) Screenshot(name string) {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100)) // quality 100 is a PNG
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if p.shots == "" {
		p.shots = p.t.TempDir()
	}
	path := filepath.Join(p.shots, name)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
}

// Until waits for a JavaScript condition to hold, asking the browser every
// 50 ms for up to 15 s. Errors while the page navigates (the context the
// expression ran in is gone) just mean "not yet".
func Until(cond string) chromedp.Action[chromedp.Void] {
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

// Loaded waits for the navigated-to document to finish loading: the
// location changes when the new page commits, and a node looked up while it
// is still being built can be replaced under chromedp ("Could not find node
// with given id").
var Loaded = Until(`document.readyState === 'complete'`)

// At waits until the location's path and query start with prefix.
func At(prefix string) chromedp.Action[chromedp.Void] {
	return Until(fmt.Sprintf(`(location.pathname + location.search).startsWith(%q)`, prefix))
}

// JS runs a JavaScript statement in the page.
func JS(stmt string) chromedp.Action[chromedp.Void] {
	eval := chromedp.Evaluate[bool]("(() => { " + stmt + "; return true })()")
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := eval(ctx, t)
		return chromedp.Void{}, err
	}
}

// SetValue replaces an input's value (chromedp.SetValue refuses some
// inputs).
func SetValue(sel, v string) chromedp.Action[chromedp.Void] {
	return JS(fmt.Sprintf(`document.querySelector(%q).value = %q`, sel, v))
}

// TypeIn types text into the element matching sel, key by key.
func TypeIn(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(chromedp.CSS(sel), text)
}

// Click clicks the element matching sel.
func Click(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(chromedp.CSS(sel)) }

// Visible waits until the element matching sel is visible.
func Visible(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(sel))
}
