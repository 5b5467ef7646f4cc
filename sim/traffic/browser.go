package traffic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options are what every virtual browser of a run shares.
type Options struct {
	// Base is the lab's URL, "http://127.0.0.1:8080".
	Base string
	// Captcha is the answer of the instances' fixed captcha
	// (EMS_CAPTCHA=fixed:1234 gives "1234"). Without it the browsers can
	// open pages but not register or log in.
	Captcha string
	// Password is every browser's password; "" is "webflow-lab". Browser
	// N's username is "userN".
	Password string
	// Timeout bounds each request; 0 is 30 s.
	Timeout time.Duration
	// Avatar is the image Add uploads; nil is a generated 64×64 PNG.
	Avatar []byte
	// Users, if set, learns the source port of every connection, so that
	// Users.Who can name the browser where all share one address.
	Users *Users
	// OnRequest, if set, is called with every request as it ends, from
	// the browser's goroutines (several at once while a page loads its
	// resources).
	OnRequest func(Request)
	// OnWalk, if set, is called as each journey of a browsers line ends,
	// with its error (nil when it was walked to the end), from the
	// browser's goroutine: a running count of journeys.
	OnWalk func(browser int, err error)
}

// A Request is one request a virtual browser made (or answered from its
// cache), as a browser's network panel lists it.
type Request struct {
	Browser  int       // the browser: user N
	Step     Step      // the journey step it belongs to; 0 for a plain request
	Kind     Kind      // document, form, stylesheet, …
	Method   string    //
	URL      string    // path and query on the lab
	Status   int       // 0 when Err is set or Cached
	Start    time.Time //
	Duration time.Duration
	Bytes    int64  // body bytes received
	Cached   bool   // served from the browser's cache: nothing was sent
	From     string // the source address and port it left from ("127.0.3.1:40112")
	Err      error
}

// A Browser is one virtual user: a cookie jar, a cache, up to six
// connections to the lab (as a browser keeps per host), all from its own
// source address. Its methods may be called from one goroutine at a time.
type Browser struct {
	N     int
	addr  netip.Addr
	opts  Options
	base  *url.URL
	tr    *http.Transport
	http  *http.Client
	cache cache

	registered bool
	employee   int // the id of the employee this browser added last
	step       Step
	cur        page   // the page on screen
	curURL     string // and its address
}

// NewBrowser returns virtual browser n (from 1), connecting from
// SourceAddr(n) where the system allows it, else from 127.0.0.1.
func NewBrowser(n int, opts Options) (*Browser, error) {
	base, err := url.Parse(opts.Base)
	if err != nil || base.Scheme != "http" || base.Host == "" {
		return nil, fmt.Errorf("traffic: base URL %q: want http://host:port", opts.Base)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Password == "" {
		opts.Password = "webflow-lab"
	}
	if opts.Avatar == nil {
		opts.Avatar = avatarPNG(n)
	}
	b := &Browser{N: n, opts: opts, base: base, addr: netip.MustParseAddr("127.0.0.1")}
	d := &net.Dialer{Timeout: opts.Timeout}
	if ok, _ := OwnAddresses(); ok {
		b.addr = SourceAddr(n)
		d.LocalAddr = &net.TCPAddr{IP: b.addr.AsSlice()}
	}
	b.tr = &http.Transport{
		DialContext:         opts.Users.dialer(n, d.DialContext),
		MaxConnsPerHost:     6, // what browsers open per host over HTTP/1.1
		MaxIdleConnsPerHost: 6,
		IdleConnTimeout:     60 * time.Second,
		DisableCompression:  true, // bodies are counted as they cross the wire
	}
	jar, _ := cookiejar.New(nil)
	b.http = &http.Client{
		Transport: b.tr,
		Jar:       jar,
		// Redirects are followed by hand, each a request of its own in
		// the list, as a network panel shows them.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return b, nil
}

// Addr is the source address the browser connects from.
func (b *Browser) Addr() netip.Addr { return b.addr }

// ServedBy is the instance the EMS's footer names on the page on screen
// ("uwsgi-1"), or "" when the page has none.
func (b *Browser) ServedBy() string { return strings.TrimSpace(b.cur.servedBy) }

// Username is the browser's account: "userN".
func (b *Browser) Username() string { return fmt.Sprintf("user%d", b.N) }

// Close closes the browser's idle connections.
func (b *Browser) Close() { b.tr.CloseIdleConnections() }

// resolve turns a link on a page into a URL on the lab.
func (b *Browser) resolve(ref string) (*url.URL, error) {
	u, err := b.base.Parse(ref)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// send makes one request and reads its whole body.
func (b *Browser) send(ctx context.Context, kind Kind, method, ref string, body []byte, ctype string, header http.Header) (Request, []byte, http.Header) {
	rec := Request{Browser: b.N, Step: b.step, Kind: kind, Method: method, URL: ref, Start: time.Now()}
	defer func() {
		if b.opts.OnRequest != nil {
			b.opts.OnRequest(rec)
		}
	}()
	u, err := b.resolve(ref)
	if err != nil {
		rec.Err = err
		return rec, nil, nil
	}
	rec.URL = u.RequestURI()
	if u.Host != b.base.Host {
		rec.Err = fmt.Errorf("traffic: %s leaves the lab (%s); virtual browsers stay on %s", ref, u.Host, b.base.Host)
		return rec, nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.Timeout)
	defer cancel()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(ci httptrace.GotConnInfo) { rec.From = ci.Conn.LocalAddr().String() },
	})
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		rec.Err = err
		return rec, nil, nil
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "Mozilla/5.0 (webflow-lab virtual browser)")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := b.http.Do(req)
	if err != nil {
		rec.Err, rec.Duration = err, time.Since(rec.Start)
		return rec, nil, nil
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	rec.Status, rec.Bytes, rec.Duration = resp.StatusCode, int64(len(data)), time.Since(rec.Start)
	if err != nil {
		rec.Err = err
	}
	return rec, data, resp.Header
}

// Open loads a page as a browser does: the document (following redirects,
// each one request), then every stylesheet, script, icon and image it
// names, up to six at a time, each once. It returns the final page and
// every request, in the order they were started.
func (b *Browser) Open(ctx context.Context, ref string) ([]Request, error) {
	reqs, _, _, err := b.open(ctx, ref, "")
	return reqs, err
}

// open is Open, also returning the page and its final URL. referer is the
// page the navigation comes from.
func (b *Browser) open(ctx context.Context, ref, referer string) ([]Request, page, string, error) {
	var reqs []Request
	for hops := 0; ; hops++ {
		h := http.Header{"Accept": {"text/html,application/xhtml+xml,*/*;q=0.8"}}
		if referer != "" {
			h.Set("Referer", referer)
		}
		rec, body, hdr := b.send(ctx, Document, "GET", ref, nil, "", h)
		reqs = append(reqs, rec)
		if rec.Err != nil {
			return reqs, page{}, rec.URL, rec.Err
		}
		if loc := hdr.Get("Location"); isRedirect(rec.Status) && loc != "" {
			if hops == 10 {
				return reqs, page{}, rec.URL, fmt.Errorf("GET %s: more than 10 redirects", ref)
			}
			ref = loc
			continue
		}
		pg := page{}
		if strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			pg = parsePage(bytes.NewReader(body))
			reqs = append(reqs, b.resources(ctx, pg, rec.URL)...)
		}
		b.cur, b.curURL = pg, rec.URL
		if rec.Status >= 400 {
			return reqs, pg, rec.URL, fmt.Errorf("GET %s: %d", rec.URL, rec.Status)
		}
		return reqs, pg, rec.URL, nil
	}
}

func isRedirect(status int) bool {
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308
}

// resources loads what pg names, six at a time, each URL once; cached
// ones are not sent again while fresh, and revalidated when stale.
func (b *Browser) resources(ctx context.Context, pg page, pageURL string) []Request {
	var todo []resource
	seen := map[string]bool{}
	for _, r := range pg.resources {
		u, err := b.base.Parse(r.url)
		if err != nil {
			continue
		}
		key := u.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		todo = append(todo, r)
	}
	out := make([]Request, len(todo))
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	for i, r := range todo {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = b.resource(ctx, r, pageURL)
		}()
	}
	wg.Wait()
	return out
}

func (b *Browser) resource(ctx context.Context, r resource, pageURL string) Request {
	u, _ := b.base.Parse(r.url)
	key := u.String()
	now := time.Now()
	e, ok := b.cache.get(key)
	if ok && e.fresh(now) {
		rec := Request{Browser: b.N, Step: b.step, Kind: r.kind, Method: "GET", URL: u.RequestURI(), Start: now, Status: e.status, Bytes: e.size, Cached: true}
		if b.opts.OnRequest != nil {
			b.opts.OnRequest(rec)
		}
		return rec
	}
	h := http.Header{"Accept": {"*/*"}}
	if p, err := b.base.Parse(pageURL); err == nil {
		h.Set("Referer", p.String())
	}
	if ok {
		e.conditional(h)
	}
	rec, body, hdr := b.send(ctx, r.kind, "GET", r.url, nil, "", h)
	if rec.Err == nil {
		b.cache.store(key, rec.Status, int64(len(body)), hdr, e, ok, time.Now())
	}
	return rec
}

// ErrNoCaptcha is returned by steps that need the captcha's answer when
// Options.Captcha is empty.
var ErrNoCaptcha = errors.New("traffic: the captcha's answer is unknown: run the instances with EMS_CAPTCHA=fixed:1234 and set Options.Captcha")
