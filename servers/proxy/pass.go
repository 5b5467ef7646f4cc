package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/proxy/balance"
	"webflow-lab/servers/proxy/config"
	"webflow-lab/servers/proxy/upstream"
	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/servers/wsgi"
)

// balancer is one upstream block's balancer state for one conf. A reload
// builds new ones: nginx's new workers start with fresh weights and fails.
type balancer struct {
	u   *balance.Upstream
	key *tmpl // hash key, evaluated per request
}

// newBalancer reads an upstream { } block: server lines with weight=,
// max_fails=, fail_timeout=, max_conns=, backup, down (config.ParseServer,
// ngx_http_upstream_server's exact rules), and balancing methods (ip_hash,
// least_conn, hash KEY [consistent], random [two …]); as in nginx the last
// method written wins.
func newBalancer(ub *upstreamBlock) (*balancer, error) {
	d := ub.dir
	var peers []*balance.Peer
	var method balance.Balancer
	var methodDir *config.Directive
	var opts []balance.Option
	b := &balancer{}
	for _, c := range d.Block {
		switch c.Name {
		case "server":
			// config.ParseServer is the one reader of server lines. As in
			// nginx, backup is refused only when ip_hash, hash or random
			// came before the line.
			backupOK := methodDir == nil || methodDir.Name == "least_conn"
			sp, err := config.ParseServer(c.Args, backupOK)
			if err != nil {
				return nil, errAt(c, "%v", err)
			}
			for _, addr := range peerAddrs(sp.Addr) {
				p := balance.NewPeer(addr)
				p.Name = sp.Name
				p.Weight, p.MaxFails, p.FailTimeout, p.MaxConns = sp.Weight, sp.MaxFails, sp.FailTimeout, sp.MaxConns
				p.Backup, p.Down = sp.Backup, sp.Down
				peers = append(peers, p)
			}
		case "ip_hash", "least_conn", "hash", "random":
			m, err := balance.ByDirective(c.Name, c.Args, nil)
			if err != nil {
				return nil, explainedAt(c, err)
			}
			// A second method is no error: nginx warns "load balancing
			// method redefined" (the config package prints that warning
			// with the others) and the later method replaces the earlier.
			method, methodDir = m, c
			b.key = nil
			if c.Name == "hash" {
				t, err := compileTmpl(c.Args[0])
				if err != nil {
					return nil, errAt(c, "%v", err)
				}
				b.key = t
			}
		}
	}
	if len(peers) == 0 {
		return nil, errAt(d, "no servers are inside upstream")
	}
	if methodDir != nil && len(peers) > 0 && peerLineBefore(d, methodDir) {
		opts = append(opts, balance.MethodAfterServers())
	}
	u, err := balance.NewUpstream(ub.name, peers, method, opts...)
	if err != nil {
		return nil, explainedAt(d, err)
	}
	b.u = u
	return b, nil
}

// peerLineBefore reports whether a server line comes before the method's
// line: then nginx never checked backup against the method.
func peerLineBefore(block, method *config.Directive) bool {
	for _, c := range block.Block {
		if c == method {
			return false
		}
		if c.Name == "server" {
			return true
		}
	}
	return false
}

// explainedAt is nginx's message for a balance error (e.What.EN: the
// explanation is for the learner-facing views, not nginx's one line) with
// the directive's file and line.
func explainedAt(c *config.Directive, err error) *confError {
	var e *explain.Error
	if errors.As(err, &e) {
		return errAt(c, "%s", e.What.EN)
	}
	return errAt(c, "%v", err)
}

// peerAddrs is the peer addresses a server line's address stands for:
// nginx's default port 80, and localhost resolved as nginx resolves it at
// start-up (the system's hosts file). A Debian box lists localhost as
// 127.0.0.1 and ::1, so real nginx gets two peers and, with an app bound to
// 127.0.0.1 only, logs "connect() failed (111: Connection refused)" for
// [::1] before it falls back: a real pitfall, kept. Only loopback answers
// count (the lab talks to loopback only); none at all means 127.0.0.1.
func peerAddrs(addr string) []string {
	if strings.HasPrefix(addr, "unix:") {
		return []string{addr}
	}
	host, port := addr, "80"
	if i := strings.LastIndexByte(addr, ':'); i >= 0 && !strings.HasSuffix(addr, "]") {
		host, port = addr[:i], addr[i+1:]
	}
	if host != "localhost" {
		return []string{host + ":" + port}
	}
	var out []string
	for _, ip := range lookupLocalhost() {
		if a, err := netip.ParseAddr(ip); err == nil && a.IsLoopback() {
			out = append(out, net.JoinHostPort(a.String(), port))
		}
	}
	if len(out) == 0 {
		out = []string{"127.0.0.1:" + port}
	}
	return out
}

// lookupLocalhost resolves "localhost"; tests replace it.
var lookupLocalhost = func() []string {
	addrs, _ := net.DefaultResolver.LookupHost(context.Background(), "localhost")
	return addrs
}

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
	if st != 0 {
		r.special(st)
		return
	}
	set := r.passSettings(p)
	ur := &upstream.Request{Method: r.method, Path: r.uri, Body: body, Client: r.clientAddr(), ID: r.id}
	if p.upstream != nil && p.upstream.bal != nil && p.upstream.bal.key != nil {
		ur.HashKey = p.upstream.bal.key.eval(r)
	}
	var target upstream.Target
	if p.upstream != nil {
		target.Group = r.cf.upstreams[p.target].bal.u
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
		uri := r.proxyURI(p)
		ur.URI = uri
		var hs []wsgi.Header
		for _, h := range r.headers {
			if strings.EqualFold(h.Name, "X-Request-Id") {
				continue
			}
			hs = append(hs, wsgi.Header{Name: h.Name, Value: h.Value})
		}
		hs = append(hs, wsgi.Header{Name: "X-Request-Id", Value: r.id})
		bodyLen := int64(-1)
		if body != nil || r.contentLength >= 0 {
			bodyLen = int64(len(body))
		}
		ur.HTTPHead = upstream.HTTPHead(r.method, uri, p.target, hs, bodyLen)
	}

	// Watch the client while waiting for the upstream: a client that hangs
	// up is nginx's 499 ("client prematurely closed connection"), and the
	// engine gives up on the upstream as nginx does (unless
	// ignore_client_abort is on). Ending ctx is how the engine hears it.
	ctx := &abortCtx{}
	stop := func() {}
	if !set.IgnoreClientAbort {
		stop = r.watchClient(ctx.cancel)
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
	r.relay(res, p)
	res.Body.Close()
	// The attempt's time runs until the body's last byte (or the cut): the
	// engine settles $upstream_response_time in Body.Close, so the access
	// log reads it only now, as nginx's log phase does.
	r.upstreamTime = res.UpstreamResponseTime()
}

// passSettings turns the location's uwsgi_*/proxy_* directives into the
// engine's settings.
func (r *request) passSettings(p *passSpec) upstream.Settings {
	s := r.loc.s
	pre := p.kind + "_"
	if p.kind == "http" {
		pre = "proxy_"
	}
	set := upstream.Settings{
		Protocol:          p.kind,
		ConnectTimeout:    s.passTimeouts[pre+"connect_timeout"],
		SendTimeout:       s.passTimeouts[pre+"send_timeout"],
		ReadTimeout:       s.passTimeouts[pre+"read_timeout"],
		TriesTimeout:      s.passTimeouts[pre+"next_upstream_timeout"],
		IgnoreClientAbort: s.ignoreAbort,
	}
	if args, ok := s.passArgs[pre+"next_upstream"]; ok {
		if m, _, err := upstream.ParseNextUpstream(p.kind, args); err == nil {
			set.NextUpstream = m
		}
	}
	if args, ok := s.passArgs[pre+"next_upstream_tries"]; ok && len(args) == 1 {
		set.Tries, _ = strconv.Atoi(args[0])
	}
	if args, ok := s.passArgs[pre+"buffer_size"]; ok && len(args) == 1 {
		if n, err := config.ParseSize(args[0]); err == nil {
			set.BufferSize = int(n)
		}
	}
	if args, ok := s.passArgs["uwsgi_modifier1"]; ok && p.kind == "uwsgi" && len(args) == 1 {
		n, _ := strconv.Atoi(args[0])
		set.Modifier1 = byte(n)
	}
	if args, ok := s.passArgs["uwsgi_modifier2"]; ok && p.kind == "uwsgi" && len(args) == 1 {
		n, _ := strconv.Atoi(args[0])
		set.Modifier2 = byte(n)
	}
	return set
}

var varsPool = sync.Pool{New: func() any { v := make(uwsgiproto.Vars, 0, 32); return &v }}

// uwsgiVars appends the vars block to vars as ngx_http_uwsgi_create_request does:
// the uwsgi_param list (if_not_empty ones skipped when empty), then every
// client header as HTTP_NAME unless a param already names it; our request
// id travels as HTTP_X_REQUEST_ID so the app server's hops join this trace.
func (r *request) uwsgiVars(vars uwsgiproto.Vars) uwsgiproto.Vars {
	params := r.loc.s.uwsgiParams
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
	if args, ok := r.loc.s.passArgs["uwsgi_pass_request_headers"]; !ok || len(args) != 1 || args[0] != "off" {
		for _, h := range r.headers {
			key := cgiName(h.Name)
			if key == "HTTP_X_REQUEST_ID" || named(key) {
				continue
			}
			vars = append(vars, uwsgiproto.Var{Key: key, Value: h.Value})
		}
	}
	if !named("HTTP_X_REQUEST_ID") {
		vars = append(vars, uwsgiproto.Var{Key: "HTTP_X_REQUEST_ID", Value: r.id})
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
	var loc *header
	for _, x := range h.Header {
		n := strings.ToLower(x.Name)
		if hiddenHeaders[n] {
			continue
		}
		if p.kind == "http" && (n == "date" || n == "server" || n == "x-pad") {
			continue
		}
		if n == "location" {
			loc = &header{"Location", x.Value}
			continue
		}
		// uwsgi passes the app's Server and Date; nginx then prints no own
		switch n {
		case "server":
			head.ownServer = true
		case "date":
			head.ownDate = true
		}
		head.extra = append(head.extra, header{x.Name, x.Value})
	}
	if loc != nil {
		head.extra = append([]header{*loc}, head.extra...)
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
			var werr error
			if head.chunked {
				werr = r.writeChunk(buf[:n])
			} else {
				werr = r.write(buf[:n])
				if werr == nil && r.c.bw.Buffered() > 0 {
					werr = r.c.bw.Flush()
				}
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
	if head.chunked {
		r.c.bw.WriteString("0\r\n\r\n")
		r.bytesSent += 5
		r.bodySent += 5
	}
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
