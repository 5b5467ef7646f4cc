package emstest

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Captcha is the answer to the fixed captcha the tests configure with
// EMS_CAPTCHA=fixed:1234; Register and Login type it in.
const Captcha = "1234"

// A Client is one browser: its own cookie jar, shared by every server it
// talks to (cookies ignore ports, so a proxy and the instances behind it on
// 127.0.0.1 see the same session, as behind one nginx), and redirects shown,
// not followed, so tests see them. Any transport error fails the test.
type Client struct {
	t    testing.TB
	http *http.Client
	base string
}

// NewClient returns a client with an empty cookie jar that sends to base
// ("http://127.0.0.1:8080", no trailing slash). Its idle connections are
// closed when the test ends.
func NewClient(t testing.TB, base string) *Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &Client{t: t, base: base, http: &http.Client{
		Jar:           jar,
		Transport:     tr,
		Timeout:       30 * time.Second, // a hung hop fails the test instead of hanging it
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// At returns a copy of c that sends to another base URL with the same
// cookies: the same browser opening another instance's address.
func (c *Client) At(base string) *Client { d := *c; d.base = base; return &d }

// Cookies returns the cookies c would send to its base URL.
func (c *Client) Cookies() []*http.Cookie {
	c.t.Helper()
	u, err := url.Parse(c.base)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.http.Jar.Cookies(u)
}

// A Result is what the server answered to one request.
type Result struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends req and reads the whole answer.
func (c *Client) Do(req *http.Request) Result {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return Result{resp.StatusCode, resp.Header, string(b)}
}

func (c *Client) request(method, path string, body io.Reader) *http.Request {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return req
}

// Get fetches path (with its query) from c's base URL.
func (c *Client) Get(path string) Result {
	c.t.Helper()
	return c.Do(c.request("GET", path, nil))
}

// Post submits form to path, urlencoded as an HTML form is. header holds
// name, value pairs set on the request besides ("X-Requested-With",
// "XMLHttpRequest" for the EMS's ajax answers).
func (c *Client) Post(path string, form url.Values, header ...string) Result {
	c.t.Helper()
	if len(header)%2 != 0 {
		c.t.Fatalf("Post %s: header %q is not name, value pairs", path, header)
	}
	req := c.request("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.Do(req)
}

// Multipart submits fields to path as multipart/form-data, the employee
// form's encoding, with avatar as the file field "avatar" when it is not
// nil.
func (c *Client) Multipart(path string, fields map[string]string, avatar []byte) Result {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if avatar != nil {
		fw, _ := mw.CreateFormFile("avatar", "avatar.png")
		fw.Write(avatar)
	}
	mw.Close()
	req := c.request("POST", path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.Do(req)
}

var tokenRE = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"`)

// Token is the CSRF token in page's form, which a browser submits with it
// (Django's csrfmiddlewaretoken).
func (c *Client) Token(page Result) string {
	c.t.Helper()
	m := tokenRE.FindStringSubmatch(page.Body)
	if m == nil {
		c.t.Fatalf("no csrf token in the page (status %d):\n%s", page.Status, page.Body)
	}
	return m[1]
}

// Register walks the register page as a browser does: the page, its
// captcha image, the POST. It returns the POST's answer.
func (c *Client) Register(username, password, realName string) Result {
	c.t.Helper()
	page := c.Get("/register/")
	c.Get("/captcha.png")
	return c.Post("/register/", url.Values{
		"csrfmiddlewaretoken": {c.Token(page)}, "username": {username}, "real_name": {realName},
		"password": {password}, "password2": {password}, "captcha": {Captcha},
	})
}

// Login walks the login page: the page, its captcha image, the POST. It
// returns the POST's answer. The three requests go to c's base URL, or,
// when via names base URLs, to each of them in turn (cycling), the way
// round robin behind one proxy spreads them over the instances.
func (c *Client) Login(username, password string, via ...string) Result {
	c.t.Helper()
	step := func(i int) *Client {
		if len(via) == 0 {
			return c
		}
		return c.At(via[i%len(via)])
	}
	page := step(0).Get("/login/")
	step(1).Get("/captcha.png")
	return step(2).Post("/login/", url.Values{
		"csrfmiddlewaretoken": {c.Token(page)}, "username": {username}, "password": {password}, "captcha": {Captcha},
	})
}
