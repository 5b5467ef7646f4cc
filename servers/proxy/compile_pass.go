package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/proxy/balance"
	"webflow-lab/servers/proxy/config"
	"webflow-lab/servers/proxy/upstream"
)

// Passing requests on: uwsgi_pass and proxy_pass with their uwsgi_* and
// proxy_* settings, and upstream { } blocks (ngx_http_uwsgi_module,
// ngx_http_proxy_module, ngx_http_upstream.c and the balancers' modules).

// passConf is one proxy module's settings: uwsgi_* for uwsgi_pass, proxy_*
// for proxy_pass. Each directive is inherited on its own, as nginx merges
// them; the engine's Settings are ready for every request.
type passConf struct {
	set         upstream.Settings
	params      []param // uwsgi_param, proxy_set_header
	passHeaders bool    // *_pass_request_headers
	intercept   bool    // *_intercept_errors
	passBody    bool    // *_pass_request_body
	// proxy_pass only: the headers to send, proxy_set_header's merged with
	// nginx's defaults (see finishHeaders), and their lower-cased names,
	// which the client's headers of the same name give way to
	headers     []param
	headerNames map[string]bool
	httpVersion string // proxy_http_version: "1.0" or "1.1"
}

func defaultPassConf(protocol string) passConf {
	c := passConf{set: upstream.Settings{Protocol: protocol}, passHeaders: true, passBody: true, httpVersion: "1.0"}
	if protocol == "http" {
		c.finishHeaders()
	}
	return c
}

// proxyDefaultHeaders are what proxy_pass sends unless proxy_set_header
// names them (ngx_http_proxy_headers, nginx 1.22). An empty value sends
// nothing, but the client's header of that name is still dropped.
var proxyDefaultHeaders = []struct{ name, value string }{
	{"Host", "$proxy_host"},
	{"Connection", "close"},
	{"Content-Length", "$proxy_internal_body_length"},
	{"Transfer-Encoding", "$proxy_internal_chunked"},
	{"TE", ""},
	{"Keep-Alive", ""},
	{"Expect", ""},
	{"Upgrade", ""},
}

// finishHeaders merges as ngx_http_proxy_init_headers does: the
// proxy_set_header lines in order, then each default header whose name
// none of them has (compared without case).
func (c *passConf) finishHeaders() {
	c.headers = append([]param(nil), c.params...)
	c.headerNames = map[string]bool{}
	for _, p := range c.params {
		c.headerNames[strings.ToLower(p.key)] = true
	}
	for _, h := range proxyDefaultHeaders {
		if c.headerNames[strings.ToLower(h.name)] {
			continue
		}
		c.headerNames[strings.ToLower(h.name)] = true
		c.headers = append(c.headers, param{key: h.name, val: mustTmpl(h.value)})
	}
}

// module is the settings of the module a directive belongs to.
func (l *scope) module(d *config.Directive) *passConf {
	if strings.HasPrefix(d.Name, "uwsgi_") {
		return &l.s.uwsgi
	}
	return &l.s.proxy
}

// passParam is uwsgi_param KEY VALUE [if_not_empty] and proxy_set_header
// FIELD VALUE: a level that sets any replaces all it inherited.
func passParam(l *scope, d *config.Directive) error {
	if len(d.Args) < 2 || len(d.Args) > 3 {
		return errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
	}
	t, err := compileTmpl(d.Args[1])
	if err != nil {
		return errAt(d, "%v", err)
	}
	p := param{key: d.Args[0], val: t}
	if len(d.Args) == 3 {
		if d.Name != "uwsgi_param" || d.Args[2] != "if_not_empty" {
			return errAt(d, "invalid parameter \"%s\"", d.Args[2])
		}
		p.ifNotEmpty = true
	}
	m := l.module(d)
	if l.first(d) {
		m.params = nil
	}
	m.params = append(m.params, p)
	if d.Name == "proxy_set_header" {
		m.finishHeaders()
	}
	return nil
}

// passTimeout is *_connect_timeout, *_send_timeout, *_read_timeout and
// *_next_upstream_timeout.
func passTimeout(l *scope, d *config.Directive) error {
	t, err := msecArg(d)
	if err != nil {
		return err
	}
	set := &l.module(d).set
	switch {
	case strings.HasSuffix(d.Name, "_connect_timeout"):
		set.ConnectTimeout = t
	case strings.HasSuffix(d.Name, "_send_timeout"):
		set.SendTimeout = t
	case strings.HasSuffix(d.Name, "_read_timeout"):
		set.ReadTimeout = t
	default:
		set.TriesTimeout = t
	}
	return nil
}

// passNextUpstream is *_next_upstream: when a failed attempt goes to the
// next peer.
func passNextUpstream(l *scope, d *config.Directive) error {
	m := l.module(d)
	mask, _, err := upstream.ParseNextUpstream(m.set.Protocol, d.Args)
	if err != nil {
		return errAt(d, "%v", err)
	}
	m.set.NextUpstream = mask
	return nil
}

func passTries(l *scope, d *config.Directive) (err error) {
	l.module(d).set.Tries, err = numArg(d)
	return err
}

func passBufferSize(l *scope, d *config.Directive) error {
	n, err := sizeArg(d)
	l.module(d).set.BufferSize = int(n)
	return err
}

func passIgnoreAbort(l *scope, d *config.Directive) (err error) {
	l.module(d).set.IgnoreClientAbort, err = flagArg(d)
	return err
}

// passModifier is uwsgi_modifier1 and uwsgi_modifier2: the packet header's
// first and last byte.
func passModifier(l *scope, d *config.Directive) error {
	n, err := numArg(d)
	if err != nil {
		return err
	}
	if d.Name == "uwsgi_modifier1" {
		l.s.uwsgi.set.Modifier1 = byte(n)
	} else {
		l.s.uwsgi.set.Modifier2 = byte(n)
	}
	return nil
}

// passRequestHeaders is *_pass_request_headers: off sends no client header.
func passRequestHeaders(l *scope, d *config.Directive) (err error) {
	l.module(d).passHeaders, err = flagArg(d)
	return err
}

// passIntercept is *_intercept_errors: an upstream answer of 300 or more
// that the location has an error_page for gets that page instead.
func passIntercept(l *scope, d *config.Directive) (err error) {
	l.module(d).intercept, err = flagArg(d)
	return err
}

// passRequestBody is *_pass_request_body: off sends no body (proxy_pass
// still sends the Content-Length of the one the client sent, as nginx does).
func passRequestBody(l *scope, d *config.Directive) (err error) {
	l.module(d).passBody, err = flagArg(d)
	return err
}

// proxyHTTPVersion is proxy_http_version 1.0 | 1.1: the version of the
// request line (the connection still closes: the lab keeps no upstream
// connection alive).
func proxyHTTPVersion(l *scope, d *config.Directive) error {
	v, err := oneArg(d)
	if err != nil {
		return err
	}
	if v != "1.0" && v != "1.1" {
		return errAt(d, "invalid value \"%s\"", v)
	}
	l.s.proxy.httpVersion = v
	return nil
}

// passPass is uwsgi_pass and proxy_pass (a location's handler, not
// inherited).
func passPass(l *scope, d *config.Directive) error {
	if l.kind != scopeLocation {
		return errAt(d, "\"%s\" directive is not allowed here", d.Name)
	}
	if l.loc.pass != nil {
		return errAt(d, "\"%s\" directive is duplicate", d.Name)
	}
	p, err := l.cf.parsePass(d, l.loc)
	if err != nil {
		return err
	}
	l.loc.pass = p
	return nil
}

func (cf *conf) parsePass(d *config.Directive, loc *location) (*passSpec, error) {
	if len(d.Args) != 1 {
		return nil, errAt(d, "invalid number of arguments in \"%s\" directive", d.Name)
	}
	p := &passSpec{file: d.File, line: d.Line}
	a := d.Args[0]
	if strings.Contains(a, "$") {
		// ngx_http_proxy_pass with variables: nothing is checked now;
		// the request evaluates it (and the URI part of a regex location
		// is no error then)
		p.kind = "http"
		if d.Name == "uwsgi_pass" {
			p.kind = "uwsgi"
		}
		t, err := compileTmpl(a)
		if err != nil {
			return nil, errAt(d, "%v", err)
		}
		p.url = t
		return p, nil
	}
	if d.Name == "uwsgi_pass" {
		p.kind = "uwsgi"
		a = strings.TrimPrefix(a, "uwsgi://")
		if strings.HasPrefix(a, "suwsgi://") {
			return nil, errAt(d, "suwsgi:// (TLS) is not supported by the lab")
		}
	} else {
		p.kind = "http"
		switch {
		case strings.HasPrefix(a, "http://"):
			a = a[len("http://"):]
		case strings.HasPrefix(a, "https://"):
			return nil, errAt(d, "https upstreams are not supported by the lab")
		default:
			return nil, errAt(d, "invalid URL prefix in \"%s\"", d.Args[0])
		}
		if strings.HasPrefix(a, "unix:") {
			if i := strings.Index(a, ":/"); i >= 0 {
				if j := strings.IndexByte(a[5:], ':'); j >= 0 {
					p.uri, _ = compileTmpl(a[5+j+1:])
					p.hasURI = true
					a = a[:5+j]
				}
			}
		} else if i := strings.IndexByte(a, '/'); i >= 0 {
			t, err := compileTmpl(a[i:])
			if err != nil {
				return nil, errAt(d, "%v", err)
			}
			p.uri, p.hasURI, a = t, true, a[:i]
			if loc.mod == modRegex || loc.mod == modRegexCI || loc.mod == modNamed {
				return nil, errAt(d, "\"proxy_pass\" cannot have URI part in location given by regular expression, "+
					"or inside named location, or inside \"if\" statement, or inside \"limit_except\" block")
			}
		}
	}
	p.target = a
	p.hostHeader, p.port = proxyHostHeader(a)
	if p.kind == "http" {
		// proxy_redirect's default (ngx_http_proxy_merge_loc_conf): the
		// URL as written becomes the location's name; without a URI part,
		// the URL and "/" become "/"
		if p.hasURI {
			p.redirectFrom, p.redirectTo = d.Args[0], loc.name
		} else {
			p.redirectFrom, p.redirectTo = d.Args[0]+"/", "/"
		}
	}
	if u, ok := cf.upstreams[a]; ok {
		p.upstream = u
		return p, nil
	}
	if strings.HasPrefix(a, "unix:") {
		return p, nil
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		if d.Name == "proxy_pass" {
			host, port = a, "80"
		} else {
			return nil, errAt(d, "no port in upstream \"%s\"", a)
		}
	}
	if _, err := strconv.Atoi(port); err != nil {
		return nil, errAt(d, "invalid port in upstream \"%s\"", a)
	}
	if net.ParseIP(host) == nil && host != "localhost" {
		return nil, errAt(d, "host not found in upstream \"%s\"", a)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	p.target = net.JoinHostPort(host, port)
	return p, nil
}

// proxyHostHeader is $proxy_host and $proxy_port for a proxy_pass
// address as written (ngx_http_proxy_set_vars): the port is left out when
// there is none or it is 80.
func proxyHostHeader(a string) (host, port string) {
	if strings.HasPrefix(a, "unix:") {
		return "localhost", ""
	}
	i := strings.LastIndexByte(a, ':')
	if i < 0 || strings.HasSuffix(a, "]") {
		return a, "80"
	}
	if a[i+1:] == "80" {
		return a[:i], "80"
	}
	return a, a[i+1:]
}

// Upstream blocks.

// balancer is one upstream block's balancer state for one conf. A reload
// builds new ones: nginx's new workers start with fresh weights and fails.
type balancer struct {
	u   *balance.Upstream
	key *tmpl // hash key, evaluated per request
}

// upstreamBuild is an upstream { } being read.
type upstreamBuild struct {
	peers     []*balance.Peer
	method    balance.Balancer
	methodDir *config.Directive
	key       *tmpl
}

// passUpstream is upstream NAME { … } in http, compiled before the servers
// so that any *_pass can name it.
func passUpstream(l *scope, d *config.Directive) error {
	if len(d.Args) != 1 {
		return errAt(d, "invalid number of arguments in \"upstream\" directive")
	}
	if _, dup := l.cf.upstreams[d.Args[0]]; dup {
		return errAt(d, "duplicate upstream %q", d.Args[0])
	}
	u := &upstreamBlock{name: d.Args[0], dir: d}
	b, err := newBalancer(u)
	if err != nil {
		return err
	}
	u.bal = b
	l.cf.upstreams[d.Args[0]] = u
	return nil
}

// newBalancer reads an upstream { } block: server lines and balancing
// methods (ip_hash, least_conn, hash KEY [consistent], random [two …]); as
// in nginx the last method written wins.
func newBalancer(ub *upstreamBlock) (*balancer, error) {
	d := ub.dir
	ul := &scope{kind: scopeUpstream, block: d, up: &upstreamBuild{}}
	if err := ul.apply(d.Block); err != nil {
		return nil, err
	}
	up := ul.up
	if len(up.peers) == 0 {
		return nil, errAt(d, "no servers are inside upstream")
	}
	var opts []balance.Option
	if up.methodDir != nil && peerLineBefore(d, up.methodDir) {
		opts = append(opts, balance.MethodAfterServers())
	}
	u, err := balance.NewUpstream(ub.name, up.peers, up.method, opts...)
	if err != nil {
		return nil, explainedAt(d, err)
	}
	return &balancer{u: u, key: up.key}, nil
}

// upstreamServer is a server line of an upstream block: weight=,
// max_fails=, fail_timeout=, max_conns=, backup, down (config.ParseServer,
// the one reader of these lines, with ngx_http_upstream_server's rules). As
// in nginx, backup is refused only when ip_hash, hash or random came before
// the line.
func upstreamServer(l *scope, d *config.Directive) error {
	up := l.up
	backupOK := up.methodDir == nil || up.methodDir.Name == "least_conn"
	sp, err := config.ParseServer(d.Args, backupOK)
	if err != nil {
		return errAt(d, "%v", err)
	}
	for _, addr := range peerAddrs(sp.Addr) {
		p := balance.NewPeer(addr)
		p.Name = sp.Name
		p.Weight, p.MaxFails, p.FailTimeout, p.MaxConns = sp.Weight, sp.MaxFails, sp.FailTimeout, sp.MaxConns
		p.Backup, p.Down = sp.Backup, sp.Down
		up.peers = append(up.peers, p)
	}
	return nil
}

// upstreamMethod is ip_hash, least_conn, hash and random. A second method
// is no error: nginx warns "load balancing method redefined" (the config
// package prints that warning with the others) and the later one replaces
// the earlier.
func upstreamMethod(l *scope, d *config.Directive) error {
	up := l.up
	m, err := balance.ByDirective(d.Name, d.Args, nil)
	if err != nil {
		return explainedAt(d, err)
	}
	up.method, up.methodDir, up.key = m, d, nil
	if d.Name == "hash" {
		t, err := compileTmpl(d.Args[0])
		if err != nil {
			return errAt(d, "%v", err)
		}
		up.key = t
	}
	return nil
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
