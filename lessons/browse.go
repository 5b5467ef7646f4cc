package lessons

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"

	"webflow-lab/servers/explain"
)

// The learner's browser, for the actions that stand for one: `open` (a
// page and what it loads), `curl` (one request), `register` and `login`
// (the EMS's forms). The requests come from this process, as a browser's
// come from outside the lab, and land in access.log like any other.

// A request is what `open`, `curl` and `http` checks send.
type request struct {
	Method  string
	Path    string
	To      string // "" (the proxy) or an instance
	Host    string
	Data    string
	Header  []string // "Name: value"
	Timeout time.Duration
}

func parseRequest(verb string, args []word) (request, error) {
	r := request{}
	for _, w := range args {
		switch {
		case w.Key == "host":
			r.Host = w.Text
		case w.Key == "data":
			r.Data = w.Text
		case w.Key == "header":
			if !strings.Contains(w.Text, ":") {
				return r, errTry("header= is \"Name: value\"", "header= 的写法是 \"名称: 值\"", `header="X-Lesson: 3"`, `header="X-Lesson: 3"`)
			}
			r.Header = append(r.Header, w.Text)
		case w.Key == "timeout":
			d, err := time.ParseDuration(w.Text)
			if err != nil || d <= 0 {
				return r, errTry("timeout= is a duration: "+w.Text, "timeout= 应该是一段时间："+w.Text, "timeout=500ms, timeout=2s", "timeout=500ms、timeout=2s")
			}
			r.Timeout = d
		case w.Key != "":
			return r, errTry("`"+verb+"` has no "+w.Key+"=", "`"+verb+"` 没有 "+w.Key+"= 这个参数",
				"`"+verb+"` takes [METHOD] PATH [@INSTANCE] host= data= header= timeout=", "`"+verb+"` 的参数：[方法] 路径 [@实例] host= data= header= timeout=")
		case strings.HasPrefix(w.Text, "@"):
			r.To = w.Text[1:]
		case strings.HasPrefix(w.Text, "/") || strings.HasPrefix(w.Text, "{"):
			if r.Path != "" {
				return r, errText("two paths: "+r.Path+" and "+w.Text, "出现了两个路径："+r.Path+" 和 "+w.Text)
			}
			r.Path = w.Text
		case r.Method == "" && r.Path == "" && isMethod(w.Text):
			r.Method = w.Text
		default:
			return r, errTry("`"+verb+"` does not know "+quote(w.Text), "`"+verb+"` 不认识 "+quote(w.Text),
				"write the path with its leading slash, e.g. "+verb+" /login/", "路径以斜杠开头，例如 "+verb+" /login/")
		}
	}
	if r.Path == "" {
		return r, errTry("`"+verb+"` needs a path", "`"+verb+"` 需要一个路径", verb+" /login/", verb+" /login/")
	}
	if verb == "open" && r.Method != "" && r.Method != "GET" {
		return r, errText("`open` is a browser visit: GET only; use curl for "+r.Method, "`open` 是浏览器访问，只能 GET；"+r.Method+" 请用 curl")
	}
	return r, nil
}

func isMethod(s string) bool {
	switch s {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS":
		return true
	}
	return false
}

func (r request) expand(e *env) request {
	r.Path, r.Host, r.Data, r.To = e.expand(r.Path), e.expand(r.Host), e.expand(r.Data), e.expand(r.To)
	return r
}

// base is the URL the request goes to.
func (e *env) base(to string) (string, error) {
	if to == "" || to == "proxy" || to == "nginx" {
		return e.vars["url"], nil
	}
	if a := e.vars[to+".http"]; a != "" {
		return "http://" + a, nil
	}
	return "", &explain.Error{What: explain.T("lesson: no instance "+to+" with an http port", "课程：没有带 http 端口的实例 "+to),
		Try: explain.T("name an instance of the lab: uwsgi-1, uwsgi-2", "请写实验中的实例：uwsgi-1、uwsgi-2")}
}

// browser is one learner's browser: cookies kept between its requests.
type browser struct {
	client *http.Client
}

func newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{client: &http.Client{Jar: jar, Transport: &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	Status int
	Header http.Header
	Body   string
	Err    error
}

func (b *browser) do(ctx context.Context, method, u, host, data string, header []string, timeout time.Duration) answer {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if data != "" {
		body = strings.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return answer{Err: err}
	}
	if host != "" {
		req.Host = host
	}
	if data != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, h := range header {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	req.Header.Set("User-Agent", "webflow-lab lesson (a learner's browser)")
	resp, err := b.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("gave up after %s (as a user pressing Esc)", timeout)
		}
		return answer{Err: err}
	}
	defer resp.Body.Close()
	data2, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: string(data2), Err: err}
}

var (
	servedByRE = regexp.MustCompile(`served by <b>([^<]+)</b>`)
	subresRE   = regexp.MustCompile(`<(?:link[^>]+href|script[^>]+src|img[^>]+src)="(/[^"]*)"`)
	csrfRE     = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"`)
)

func describe(method, path string, a answer) string {
	if a.Err != nil {
		return fmt.Sprintf("%s %s → %v", method, path, a.Err)
	}
	s := fmt.Sprintf("%s %s → %d", method, path, a.Status)
	if m := servedByRE.FindStringSubmatch(a.Body); m != nil {
		s += " (served by " + m[1] + ")"
	}
	return s
}

// browse is `open` and `curl`.
func (e *env) browse(ctx context.Context, verb string, r request) (string, error) {
	base, err := e.base(r.To)
	if err != nil {
		return "", err
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
		if r.Data != "" {
			method = http.MethodPost
		}
	}
	a := e.browser.do(ctx, method, base+r.Path, r.Host, r.Data, r.Header, r.Timeout)
	lines := []string{describe(method, r.Path, a)}
	if r.Timeout > 0 || verb == "curl" {
		return lines[0], nil // a client that gave up is the point, not an error
	}
	// A browser follows redirects and then loads what the page names.
	path := r.Path
	for hops := 0; a.Err == nil && a.Status/100 == 3 && hops < 5; hops++ {
		loc := a.Header.Get("Location")
		u, err := url.Parse(loc)
		if err != nil || u.Host != "" && "http://"+u.Host != base {
			break
		}
		path = u.RequestURI()
		a = e.browser.do(ctx, http.MethodGet, base+path, r.Host, "", r.Header, 0)
		lines = append(lines, describe("GET", path, a))
	}
	if a.Err == nil {
		seen := map[string]bool{}
		for _, m := range subresRE.FindAllStringSubmatch(a.Body, -1) {
			if seen[m[1]] {
				continue
			}
			seen[m[1]] = true
			sa := e.browser.do(ctx, http.MethodGet, base+m[1], r.Host, "", r.Header, 0)
			lines = append(lines, "  "+describe("GET", m[1], sa))
		}
	}
	return strings.Join(lines, "\n"), nil
}

// errNeedsBrowser: the step's solution fills in a captcha, which only a
// person can read, unless the lab draws a fixed one (EMS_CAPTCHA=fixed:…).
var errNeedsBrowser = errors.New("lesson: this needs a person at a browser: the captcha")

// register is the EMS's register form through the proxy, as a new user.
func (e *env) register(ctx context.Context) (string, error) {
	if e.captcha == "" {
		return "register in the browser: " + e.vars["url"] + "/register/", errNeedsBrowser
	}
	var b [3]byte
	rand.Read(b[:])
	user := fmt.Sprintf("learner%02x%02x%02x", b[0], b[1], b[2])
	out, err := e.form(ctx, "/register/", url.Values{"username": {user}, "real_name": {"学员"},
		"password": {"secret123"}, "password2": {"secret123"}})
	if err == nil {
		e.state.User = user
	}
	return "register " + user + ": " + out, err
}

// login logs in as the user the last register made.
func (e *env) login(ctx context.Context) (string, error) {
	if e.captcha == "" {
		return "log in in the browser: " + e.vars["url"] + "/login/", errNeedsBrowser
	}
	if e.state.User == "" {
		return "", errors.New("lesson: login: no user registered yet in this step (register first)")
	}
	out, err := e.form(ctx, "/login/", url.Values{"username": {e.state.User}, "password": {"secret123"}})
	return "log in as " + e.state.User + ": " + out, err
}

// form opens a form page (and its captcha), then submits it.
func (e *env) form(ctx context.Context, path string, v url.Values) (string, error) {
	base := e.vars["url"]
	page := e.browser.do(ctx, http.MethodGet, base+path, "", "", nil, 0)
	if page.Err != nil {
		return describe("GET", path, page), page.Err
	}
	m := csrfRE.FindStringSubmatch(page.Body)
	if m == nil {
		return describe("GET", path, page), fmt.Errorf("lesson: %s has no form (status %d)", path, page.Status)
	}
	e.browser.do(ctx, http.MethodGet, base+"/captcha.png", "", "", nil, 0)
	v.Set("csrfmiddlewaretoken", m[1])
	v.Set("captcha", e.captcha)
	a := e.browser.do(ctx, http.MethodPost, base+path, "", v.Encode(), nil, 0)
	out := describe("POST", path, a)
	if a.Status == 200 {
		if msg := regexp.MustCompile(`class="(?:error|errors?|alert)[^"]*"[^>]*>([^<]+)<`).FindStringSubmatch(a.Body); msg != nil {
			out += ": " + strings.TrimSpace(msg[1])
		}
	}
	return out, a.Err
}
