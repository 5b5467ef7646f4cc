package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"webflow-lab/servers/proxy/upstream"
	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/servers/wsgi"
)

// engine returns the dynamic-path engine with the server's hooks.
func (s *Server) engine() *upstream.Engine {
	return &upstream.Engine{Dialer: s.dialer, Recorder: s.rec, Points: s.opts.Points}
}

// pass handles a uwsgi_pass or proxy_pass location: read the body (request
// buffering on), build the uwsgi packet or HTTP/1.0 request, let the upstream
// engine pick peers and retry, then relay the response.
func (r *request) pass() {
	p := r.loc.pass
	body, st := r.readBody()
	switch {
	case st < 0:
		return // ended without an answer
	case st > 0:
		r.special(st)
		return
	}
	set := r.passConf(p).set
	if p.url != nil {
		if p, st = r.resolvePass(p); st != 0 {
			r.special(st)
			return
		}
	}
	r.curPass = p
	r.passing = true
	ur := &upstream.Request{Method: r.method, Path: r.uri, Body: body, Client: r.clientAddr(), ID: r.id}
	if p.upstream != nil && p.upstream.bal != nil && p.upstream.bal.key != nil {
		ur.HashKey = p.upstream.bal.key.eval(r)
	}
	var target upstream.Target
	if p.upstream != nil {
		target.Group = p.upstream.bal.u
	} else {
		target.Addr = p.target
	}
	if p.kind == "uwsgi" {
		// the engine has encoded the vars by the time Do returns: the
		// slice goes back to the pool then
		vp := varsPool.Get().(*uwsgiproto.Vars)
		ur.Vars = r.uwsgiVars((*vp)[:0])
		defer func() { clear(ur.Vars); *vp = ur.Vars[:0]; varsPool.Put(vp) }()
	} else {
		ur.URI = r.proxyURI(p)
		r.proxyBodyLen = -1
		if body != nil || r.contentLength >= 0 {
			r.proxyBodyLen = int64(len(body))
		}
		ur.HTTPHead = r.proxyHead(ur.URI)
	}
	if !r.passConf(p).passBody {
		ur.Body = nil
	}

	// Watch the client while waiting for the upstream: a client that hangs
	// up is nginx's 499 ("client prematurely closed connection"), and the
	// engine gives up on the upstream as nginx does (unless
	// ignore_client_abort is on). Ending ctx is how the engine hears it.
	// (A hand-made context cheaper than WithCancel's saved about 2 µs a
	// request in a micro-benchmark, and nothing measurable in
	// BenchmarkDynamicHello, about 195 µs of CPU a request: it went.)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := func() {}
	if !set.IgnoreClientAbort {
		stop = r.watchClient(cancel)
	}
	// A fast shutdown (Close) cuts the client connection, which the watch
	// sees; a graceful one lets the upstream answer.
	res := r.c.s.engine().Do(ctx, target, set, ur)
	stop()

	r.upstreamAddr = res.UpstreamAddr()
	r.upstreamStatus = res.UpstreamStatus()
	r.upstreamTime = res.UpstreamResponseTime()
	for _, e := range res.Logs {
		r.upstreamURL = e.Upstream
		r.logf(level(e.Level), "%s", e.Text())
	}
	if res.Head == nil {
		if res.Status == statusClientClosed {
			r.status = statusClientClosed
			r.keepalive = false
			r.headerSent = true
			return
		}
		r.special(res.Status)
		return
	}
	if st := res.Head.Status; st >= 300 && r.passConf(p).intercept && r.hasErrorPage(st) {
		// *_intercept_errors on (ngx_http_upstream_intercept_errors): the
		// upstream's answer is dropped for the location's error page
		res.Body.Close()
		r.upstreamTime = res.UpstreamResponseTime()
		r.special(st)
		return
	}
	r.relay(res, p)
	res.Body.Close()
	// The attempt's time runs until the body's last byte (or the cut): the
	// engine settles $upstream_response_time in Body.Close, so the access
	// log reads it only now, as nginx's log phase does.
	r.upstreamTime = res.UpstreamResponseTime()
}

// passConf is the settings of the location's module: uwsgi_* for
// uwsgi_pass, proxy_* for proxy_pass.
func (r *request) passConf(p *passSpec) *passConf {
	if p.kind == "uwsgi" {
		return &r.loc.s.uwsgi
	}
	return &r.loc.s.proxy
}

// resolvePass evaluates a uwsgi_pass or proxy_pass with variables as
// ngx_http_proxy_eval and ngx_http_upstream_init_request do: the address
// is an upstream block's name or an IP address with a port (a host name
// would need a resolver, which nginx has not by default); for proxy_pass
// the URI written after it is sent as it is. Failures are nginx's: 500 for
// a URL it cannot read, 502 for a name it cannot resolve.
func (r *request) resolvePass(p *passSpec) (*passSpec, int) {
	v := p.url.eval(r)
	q := &passSpec{kind: p.kind, file: p.file, line: p.line}
	a := v
	if p.kind == "http" {
		if len(v) <= 7 || !strings.EqualFold(v[:7], "http://") {
			r.logf(levelError, "invalid URL prefix in \"%s\"", v)
			return nil, 500
		}
		a = v[7:]
		if i := strings.IndexAny(a, "/?"); i >= 0 {
			q.dynURI, q.hasURI, a = a[i:], true, a[:i]
			if q.dynURI[0] == '?' {
				q.dynURI = "/" + q.dynURI
			}
		}
	} else if len(a) > 8 && strings.EqualFold(a[:8], "uwsgi://") {
		a = a[8:]
	}
	q.target = a
	q.hostHeader, q.port = proxyHostHeader(a)
	if u, ok := r.cf.upstreams[a]; ok {
		q.upstream = u
		return q, 0
	}
	if strings.HasPrefix(a, "unix:") {
		return q, 0
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		host, port = a, ""
		if p.kind == "http" {
			port = "80"
		}
	}
	if port == "" {
		r.logf(levelError, "no port in upstream \"%s\"", a)
		return nil, 500
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip == nil {
		r.logf(levelError, "no resolver defined to resolve %s", host)
		return nil, 502
	}
	q.target = net.JoinHostPort(strings.Trim(host, "[]"), port)
	return q, 0
}

// proxyHead is the head ngx_http_proxy_create_request sends: the request
// line, the headers proxy_set_header and nginx's defaults give (each left
// out when its value is empty), then the client's headers but those.
func (r *request) proxyHead(uri string) []byte {
	c := &r.loc.s.proxy
	hs := make([]wsgi.Header, 0, len(c.headers)+len(r.headers))
	for _, h := range c.headers {
		if v := h.val.eval(r); v != "" {
			hs = append(hs, wsgi.Header{Name: h.key, Value: v})
		}
	}
	if c.passHeaders {
		for _, h := range r.headers {
			if !c.headerNames[strings.ToLower(h.Name)] {
				hs = append(hs, wsgi.Header{Name: h.Name, Value: h.Value})
			}
		}
	}
	return upstream.HTTPHead(r.method, uri, "HTTP/"+c.httpVersion, hs)
}

var varsPool = sync.Pool{New: func() any { v := make(uwsgiproto.Vars, 0, 32); return &v }}

// uwsgiVars appends the vars block to vars as ngx_http_uwsgi_create_request does:
// the uwsgi_param list (if_not_empty ones skipped when empty), then every
// client header as HTTP_NAME unless a param already names it. Nothing else:
// the workspace's config passes nginx's $request_id openly with
// "uwsgi_param HTTP_X_REQUEST_ID $request_id;", which real nginx accepts too.
func (r *request) uwsgiVars(vars uwsgiproto.Vars) uwsgiproto.Vars {
	params := r.loc.s.uwsgi.params
	for _, p := range params {
		v := p.val.eval(r)
		if p.ifNotEmpty && v == "" {
			continue
		}
		vars = append(vars, uwsgiproto.Var{Key: p.key, Value: v})
	}
	// a configured uwsgi_param HTTP_X replaces the client's X header
	named := func(key string) bool {
		for _, p := range params {
			if p.key == key {
				return true
			}
		}
		return false
	}
	if r.loc.s.uwsgi.passHeaders {
		for _, h := range r.headers {
			key := cgiName(h.Name)
			if named(key) {
				continue
			}
			vars = append(vars, uwsgiproto.Var{Key: key, Value: h.Value})
		}
	}
	return vars
}

// cgiName is "HTTP_" + the header name upper-cased with '-' → '_'.
func cgiName(name string) string {
	b := make([]byte, 0, 5+len(name))
	b = append(b, "HTTP_"...)
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c == '-':
			c = '_'
		}
		b = append(b, c)
	}
	return string(b)
}

// proxyURI is the URI proxy_pass sends: the client's original URI when the
// pass has no URI part (and $uri was not changed), else the location prefix
// replaced by the pass's URI.
func (r *request) proxyURI(p *passSpec) string {
	if p.dynURI != "" {
		return p.dynURI // evaluated from variables: used as it is, no args added
	}
	if !p.hasURI {
		if !r.internal {
			return r.target
		}
		u := escapeURI(r.uri)
		if r.args != "" {
			u += "?" + r.args
		}
		return u
	}
	repl := p.uri.eval(r)
	rest := r.uri
	if strings.HasPrefix(rest, r.loc.name) {
		rest = rest[len(r.loc.name):]
	}
	u := repl + escapeURI(rest)
	if r.args != "" {
		u += "?" + r.args
	}
	return u
}

// hasErrorPage reports whether the location has an error_page for status.
func (r *request) hasErrorPage(status int) bool {
	for _, ep := range r.loc0().s.errorPages {
		for _, c := range ep.codes {
			if c == status {
				return true
			}
		}
	}
	return false
}

// relayBufs are the buffers response bodies stream through (nginx's
// uwsgi_buffers), reused between requests.
var relayBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// hiddenHeaders are upstream headers nginx does not pass to the client by
// default (uwsgi_hide_header / proxy_hide_header defaults), plus the hop-by-hop
// ones it handles itself. A CGI Status: header is not among them: nginx 1.22
// takes the status from it and passes the header on as well.
var hiddenHeaders = map[string]bool{
	"x-accel-expires": true, "x-accel-redirect": true, "x-accel-limit-rate": true,
	"x-accel-buffering": true, "x-accel-charset": true,
	"connection": true, "keep-alive": true, "transfer-encoding": true, "content-length": true,
	"content-type": true, "last-modified": true,
}

// relay writes the upstream's response to the client: its status and
// headers (minus the hidden ones), then the body with Content-Length when
// known, else chunked to HTTP/1.1 clients and close-delimited to HTTP/1.0.
func (r *request) relay(res *upstream.Result, p *passSpec) {
	h := res.Head
	head := respHead{status: h.Status, statusLine: h.StatusLine, contentLength: h.ContentLength}
	if ct, ok := h.Get("Content-Type"); ok {
		head.contentType = ct
	}
	if lm, ok := h.Get("Last-Modified"); ok {
		if t, err := time.Parse("Mon, 02 Jan 2006 15:04:05 GMT", lm); err == nil {
			head.lastModified = t
		}
	}
	for _, x := range h.Header {
		n := strings.ToLower(x.Name)
		if hiddenHeaders[n] {
			continue
		}
		if p.kind == "http" && (n == "date" || n == "server" || n == "x-pad") {
			continue
		}
		// uwsgi passes the app's Server and Date; nginx then prints no own
		switch n {
		case "content-encoding":
			head.encoded = x.Value != ""
		case "server":
			head.ownServer = true
		case "date":
			head.ownDate = true
		case "location":
			// proxy_redirect default: a Location under the proxy_pass URL
			// is the client's URL again, nginx's own Location
			// (ngx_http_upstream_rewrite_location), made absolute if it
			// starts with "/"; any other is relayed as it is
			if p.redirectFrom != "" && strings.HasPrefix(x.Value, p.redirectFrom) {
				r.absLocation = true
				head.extra = append(head.extra, header{x.Name, p.redirectTo + x.Value[len(p.redirectFrom):]})
				continue
			}
		}
		head.extra = append(head.extra, header{x.Name, x.Value})
	}
	if h.Chunked || head.contentLength < 0 {
		head.contentLength = -1
		if r.minor >= 1 && r.major == 1 {
			head.chunked = true
		}
	}
	if r.method == "HEAD" {
		head.chunked = false
	}
	r.writeHead(&head)
	if r.headerOnly {
		return
	}
	bp := relayBufs.Get().(*[]byte)
	defer relayBufs.Put(bp)
	buf := *bp
	for {
		n, err := res.Body.Read(buf)
		if n > 0 {
			werr := r.writeBody(buf[:n])
			if werr == nil && r.c.bw.Buffered() > 0 {
				werr = r.c.bw.Flush()
			}
			if werr != nil {
				r.keepalive = false
				return
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			var be *upstream.BodyError
			if errors.As(err, &be) {
				r.upstreamURL = be.Entry.Upstream
				r.logf(level(be.Entry.Level), "%s", be.Entry.Text())
			}
			// nginx cannot change the status any more: it cuts the client
			// connection so the client sees a truncated response.
			r.keepalive = false
			r.flush()
			return
		}
	}
	r.endBody()
}

func (r *request) writeChunk(p []byte) error {
	r.c.nc.SetWriteDeadline(time.Now().Add(r.loc0().s.sendTimeout))
	size := strconv.FormatInt(int64(len(p)), 16)
	r.c.bw.WriteString(size)
	r.c.bw.WriteString("\r\n")
	n, err := r.c.bw.Write(p)
	r.c.bw.WriteString("\r\n")
	// nginx counts the chunk framing in $body_bytes_sent too
	r.bodySent += int64(n + len(size) + 4)
	r.bytesSent += int64(n + len(size) + 4)
	if err == nil {
		err = r.c.bw.Flush()
	}
	return err
}

// watchClient notices the client hanging up while the upstream works: it
// peeks at the connection (as ngx_http_upstream_check_broken_connection
// does with recv(MSG_PEEK)) and calls gone. Most upstream answers come back
// within milliseconds, so the watch starts only after watchDelay: a fast
// request costs a timer, not a goroutine. stop ends the watch and waits.
func (r *request) watchClient(gone func()) (stop func()) {
	r.c.nc.SetReadDeadline(time.Time{}) // the body's deadline no longer applies
	var (
		mu               sync.Mutex
		started, stopped bool
		done             = make(chan struct{})
	)
	t := time.AfterFunc(watchDelay, func() {
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		started = true
		mu.Unlock()
		defer close(done)
		if _, err := r.c.br.Peek(1); err != nil && !isTimeoutErr(err) {
			gone()
		}
	})
	return func() {
		mu.Lock()
		stopped = true
		running := started
		mu.Unlock()
		t.Stop()
		if running {
			r.c.nc.SetReadDeadline(time.Unix(1, 0)) // wake the Peek
			<-done
			r.c.nc.SetReadDeadline(time.Time{})
		}
	}
}

// watchDelay is how long an upstream may take before the proxy starts
// watching the client connection.
const watchDelay = 20 * time.Millisecond

func isTimeoutErr(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
