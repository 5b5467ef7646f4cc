package proxy

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/trace"
)

// request is one HTTP request on its way through the proxy: nginx's
// ngx_http_request_t, reduced to what the lab serves.
type request struct {
	traced bool // this request's hop events are built: someone watched when it began
	c      *conn
	cf     *conf
	g      *listenGroup
	srv    *vserver
	loc    *location

	id        string
	start     time.Time
	line      string // raw request line: $request
	method    string
	target    string // raw target: $request_uri
	uri       string // normalized: $uri
	args      string
	proto     string
	major     int
	minor     int
	absHost   string // the request line's host, validated
	hostSeen  bool   // a Host header came
	connType  int    // the Connection header: connNone, connClose, connKeepAlive
	headers   []header
	rawHead   []byte
	captures  []string          // $1…$9: the groups of the last regex that matched
	named     map[string]string // its named groups, $name (lower-case)
	reqLen    int64
	keepalive bool

	mergeSlashes  bool
	contentLength int64 // -1: no body header
	chunked       bool
	bodyLimit     int64
	body          io.Reader // the body still to be read from the client
	bodyDone      bool
	discarding    bool // discardRequestBody ran
	expectTested  bool // "100 Continue" was sent, or must not be

	internal   bool // set after an internal redirect
	uriChanges int  // nginx counts down from 11
	errorPage  bool // an error_page redirect happened
	errStatus  int  // status forced by error_page

	// response
	status      int
	headerSent  bool
	bodySent    int64
	bytesSent   int64
	sentHeaders []header
	lingering   bool
	absLocation bool   // the Location is nginx's own: a relative one is made absolute
	location    string // a redirect's Location, for the answer special writes
	hasLocation bool
	headerOnly  bool
	bodyChunked bool         // the body goes out in chunks
	gz          *gzip.Writer // the gzip filter's, while the body goes out
	gzOut       *gzipOut     // its output, gathered as nginx's gzip_buffers gather it
	noPadding   bool

	passing      bool      // the request is being passed on (the proxy modules' context exists)
	curPass      *passSpec // the pass it goes through (resolved when it has variables)
	proxyBodyLen int64     // $proxy_internal_body_length; -1: none

	upstreamAddr, upstreamStatus, upstreamTime, upstreamConnect, upstreamHeader string
	upstreamURL                                                                 string // for error-log context
}

func newRequest(c *conn, cf *conf, g *listenGroup) *request {
	return &request{
		c: c, cf: cf, g: g, srv: g.def,
		start:         c.s.now(),
		contentLength: -1,
		uriChanges:    11,
		mergeSlashes:  g.def.mergeSlashes,
		major:         1, // nginx answers an unparsable request as HTTP/1.0
	}
}

// setCaptures keeps a matched regex's groups as ngx_http_regex_exec does:
// $1…$9 and the named groups as variables. A nil re changes nothing.
func (r *request) setCaptures(re *regexp.Regexp, sub []string) {
	if re == nil {
		return
	}
	r.captures = sub
	for i, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		if r.named == nil {
			r.named = map[string]string{}
		}
		r.named[strings.ToLower(name)] = sub[i]
	}
}

// newID makes nginx's $request_id: 16 random bytes in hex.
func newID() string {
	const hex = "0123456789abcdef"
	var b [32]byte
	a, z := rand.Uint64(), rand.Uint64()
	for i := 0; i < 16; i++ {
		b[i] = hex[(a>>(60-4*i))&15]
		b[16+i] = hex[(z>>(60-4*i))&15]
	}
	return string(b[:])
}

func (r *request) header(name string) (string, bool) {
	for _, h := range r.headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

func (r *request) sentHeader(name string) (string, bool) {
	for _, h := range r.sentHeaders {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

// hostVar is $host: the request line's host, else the Host header without
// its port, else the server's first name.
func (r *request) hostVar() string {
	if r.absHost != "" {
		return r.absHost
	}
	if h, ok := r.header("Host"); ok {
		if n, ok := validateHost(h); ok {
			return n
		}
	}
	if r.srv != nil {
		return r.srv.firstName
	}
	return ""
}

// logAction writes an error-log line with nginx's " while ACTION" after
// the message, then the request's context.
func (r *request) logAction(lvl level, action, msg string) {
	if action != "" {
		msg += " while " + action
	}
	r.logf(lvl, "%s", msg)
}

// logf writes an error-log line with this request's context.
func (r *request) logf(lvl level, format string, a ...any) {
	el := r.cf.errorLog
	if r.loc != nil && r.loc.s.errorLog != nil {
		el = r.loc.s.errorLog
	} else if r.srv != nil && r.srv.top != nil && r.srv.top.s != nil && r.srv.top.s.errorLog != nil {
		el = r.srv.top.s.errorLog
	}
	if el == nil || lvl > el.level {
		return
	}
	msg := fmt.Sprintf(format, a...)
	el.log(r.c.s.now(), lvl, r.c.id, msg, r.logContext())
}

// logContext is ngx_http_log_error_handler's tail.
func (r *request) logContext() string {
	var b strings.Builder
	b.WriteString(", client: ")
	b.WriteString(r.c.remoteIP)
	b.WriteString(", server: ")
	if r.srv != nil {
		b.WriteString(r.srv.firstName)
	}
	if r.line != "" {
		b.WriteString(", request: \"")
		b.WriteString(r.line)
		b.WriteString("\"")
	}
	if r.upstreamURL != "" {
		b.WriteString(", upstream: \"")
		b.WriteString(r.upstreamURL)
		b.WriteString("\"")
	}
	if h, ok := r.header("Host"); ok {
		b.WriteString(", host: \"")
		b.WriteString(h)
		b.WriteString("\"")
	}
	if h, ok := r.header("Referer"); ok {
		b.WriteString(", referrer: \"")
		b.WriteString(h)
		b.WriteString("\"")
	}
	return b.String()
}

func (r *request) event(e trace.Event) {
	e.ReqID = r.id
	e.At = trace.Now()
	r.c.s.rec.Record(e)
}

// serve runs one request from its first byte to its access-log line and
// reports whether the connection may carry another.
func (r *request) serve() (keep bool) {
	perr := r.readHead(r.g)
	r.id = newID()
	// Events are built only while someone watches: with the lab's recorder
	// in place but no reader, a request costs no event at all.
	r.traced = r.c.s.traced && trace.Watched(r.c.s.rec)
	if perr == nil {
		perr = r.processHeaders()
	}
	if r.traced {
		arrived := trace.Event{From: trace.Browser, To: trace.Proxy, Phase: trace.Arrived, Bytes: int(r.reqLen),
			Instance: r.g.addr, Why: r.line, WhyZH: r.line, First: true, Conn: trace.ConnName(r.c.nc)}
		if r.rawHead != nil {
			arrived.PDU = &trace.PDU{Kind: trace.HTTPHead, Data: r.rawHead}
		}
		r.event(arrived)
	}
	if perr != nil {
		// nginx logs these at info; the client gets the page and the
		// connection closes (keepalive off for 400, 414, 494). What the
		// client still sends is read and dropped before the close, so it
		// gets the answer and a FIN, not a reset (lingering close).
		r.logAction(levelInfo, perr.action, perr.msg)
		r.keepalive = false
		r.lingering = true
		if perr.status == 408 || perr.closed {
			r.status = perr.status
			r.finish()
			return false
		}
		r.special(perr.status)
	} else if r.ask(trace.BrowserToProxy) {
		r.run()
	} else {
		return false
	}
	if !r.ask(trace.ProxyToBrowser) {
		return false
	}
	r.flush()
	if r.keepalive && !r.bodyDone {
		r.discardBody()
	}
	r.finish()
	if r.lingering {
		r.c.lingeringClose()
		return false
	}
	return r.keepalive
}

// uniqueHeaders are the headers nginx refuses twice ("client sent duplicate
// header line"): ngx_http_process_unique_header_line's in ngx_http_headers_in.
var uniqueHeaders = map[string]bool{
	"if-modified-since": true, "if-unmodified-since": true, "if-match": true, "if-none-match": true,
	"content-length": true, "content-range": true, "if-range": true, "transfer-encoding": true,
	"expect": true, "authorization": true,
}

// processHeader runs the handler nginx has for a header as it arrives
// (ngx_http_headers_in): Host is validated and picks the server, a second
// copy of a unique header is refused, Connection is noted.
func (r *request) processHeader(h header) *parseError {
	name := strings.ToLower(h.Name)
	switch {
	case name == "host":
		if r.hostSeen {
			prev, _ := r.header("Host")
			return &parseError{status: 400, action: actionHeaders, msg: fmt.Sprintf(
				"client sent duplicate host header: \"%s: %s\", previous value: \"Host: %s\"", h.Name, h.Value, prev)}
		}
		r.hostSeen = true
		host, ok := validateHost(h.Value)
		if !ok {
			return &parseError{status: 400, action: actionHeaders, msg: "client sent invalid host header"}
		}
		if r.absHost == "" {
			r.selectServer(host)
		}
	case uniqueHeaders[name]:
		for _, prev := range r.headers[:len(r.headers)-1] {
			if strings.EqualFold(prev.Name, h.Name) {
				return &parseError{status: 400, action: actionHeaders, msg: fmt.Sprintf(
					"client sent duplicate header line: \"%s: %s\", previous value: \"%s: %s\"", h.Name, h.Value, prev.Name, prev.Value)}
			}
		}
	case name == "connection":
		// ngx_http_process_connection: the last Connection header decides
		v := strings.ToLower(h.Value)
		if strings.Contains(v, "close") {
			r.connType = connClose
		} else if strings.Contains(v, "keep-alive") {
			r.connType = connKeepAlive
		}
	}
	return nil
}

// Connection header values, as ngx_http_headers_in_t.connection_type.
const (
	connNone = iota
	connClose
	connKeepAlive
)

// selectServer picks the virtual server for a valid host, with a server_name
// regex's captures (ngx_http_set_virtual_server).
func (r *request) selectServer(host string) {
	srv, re, sub := findServer(r.g, host)
	r.srv = srv
	r.setCaptures(re, sub)
}

// processHeaders is ngx_http_process_request_header, once every header is
// read: an HTTP/1.1 request needs a Host header, Content-Length must be a
// number, Transfer-Encoding must be chunked (and not with Content-Length or
// HTTP/1.0), and CONNECT and TRACE are refused.
func (r *request) processHeaders() *parseError {
	bad := func(status int, msg string) *parseError {
		return &parseError{status: status, msg: msg, action: actionHeaders}
	}
	if r.absHost == "" && !r.hostSeen {
		r.selectServer("")
	}
	if !r.hostSeen && (r.major > 1 || r.major == 1 && r.minor >= 1) {
		return bad(400, "client sent HTTP/1.1 request without \"Host\" header")
	}
	if v, ok := r.header("Content-Length"); ok {
		if !digits(v) || len(v) > 18 {
			return bad(400, "client sent invalid \"Content-Length\" header")
		}
		r.contentLength, _ = strconv.ParseInt(v, 10, 64)
	}
	if v, ok := r.header("Transfer-Encoding"); ok {
		if r.major == 0 || r.major == 1 && r.minor == 0 {
			return bad(400, "client sent HTTP/1.0 request with \"Transfer-Encoding\" header")
		}
		if !strings.EqualFold(v, "chunked") {
			return bad(501, "client sent unknown \"Transfer-Encoding\": \""+v+"\"")
		}
		if r.contentLength >= 0 {
			return bad(400, "client sent \"Content-Length\" and \"Transfer-Encoding\" headers at the same time")
		}
		r.chunked = true
	}
	switch r.connType {
	case connClose:
		r.keepalive = false
	case connKeepAlive:
		r.keepalive = r.major == 1
	}
	if r.major == 0 {
		r.keepalive = false
	}
	// keepalive_requests (default 1000): the last one says Connection: close
	if n := r.loc0().s.keepaliveReqs; n > 0 && r.c.requests >= n {
		r.keepalive = false
	}
	switch r.method {
	case "CONNECT":
		return bad(405, "client sent CONNECT method")
	case "TRACE":
		return bad(405, "client sent TRACE method")
	}
	return nil
}

const maxURIChanges = 11

// run is the phase engine (ngx_http_core_run_phases): server rewrite, find
// config (the location; client_max_body_size), location rewrite, post
// rewrite (a changed URI finds its location again), access, try_files,
// content. An internal redirect starts over at the server rewrite phase.
func (r *request) run() {
	r.find()
}

// after is how the phases after the location's choice ended.
type after struct {
	uri    string // an internal redirect to this URI (args after '?')
	status int    // finalize with this status
	refind bool   // a rewrite changed the URI: find the location again
}

// find runs the server's script, matches the location for r.uri and runs
// the phases after it, until the request is answered.
func (r *request) find() {
	serverPhase := true
	for {
		if serverPhase {
			serverPhase = false
			if res := r.runScript(r.srv.script); res.answered || res.status > 0 {
				if res.status > 0 {
					r.special(res.status)
				}
				return
			}
		}
		m := findLocation(r.srv, r.uri, r.traced)
		r.loc = m.loc
		r.setCaptures(m.re, m.captures)
		if r.traced {
			loc := "location " + m.loc.String()
			r.event(trace.Event{From: trace.Proxy, To: trace.Proxy, Phase: trace.Info,
				Why: loc + ": " + m.why, WhyZH: loc + "：" + m.whyZH})
		}
		if m.redirect {
			// ngx_http_core_find_config_phase: 301 to the same URI with '/'.
			loc := escapeURI(r.uri) + "/"
			if r.args != "" {
				loc += "?" + r.args
			}
			r.redirect(301, loc)
			return
		}
		if m.loc.internal && !r.internal {
			r.special(404)
			return
		}
		// client_max_body_size is checked when the location is known.
		if r.contentLength >= 0 && m.loc.s.maxBody > 0 && r.contentLength > m.loc.s.maxBody {
			r.logf(levelError, "client intended to send too large body: %d bytes", r.contentLength)
			r.lingering = true
			r.special(413)
			return
		}
		r.bodyLimit = m.loc.s.maxBody
		next := r.locationPhases()
		switch {
		case next.refind:
			// ngx_http_core_post_rewrite_phase
			r.uriChanges--
			if r.uriChanges == 0 {
				r.logf(levelError, "rewrite or internal redirection cycle while processing \"%s\"", r.uri)
				r.special(500)
				return
			}
		case next.uri != "":
			if !r.internalRedirect(next.uri) {
				return
			}
			serverPhase = true
		case next.status > 0:
			r.special(next.status)
			return
		default:
			return
		}
	}
}

// internalRedirect changes the URI (splitting args after '?') and counts
// the change; the 11th is nginx's redirection cycle → 500.
func (r *request) internalRedirect(uri string) bool {
	r.uriChanges--
	if r.uriChanges == 0 {
		r.logf(levelError, "rewrite or internal redirection cycle while internally redirecting to \"%s\"", uri)
		r.special(500)
		return false
	}
	if p, a, ok := strings.Cut(uri, "?"); ok {
		uri, r.args = p, a
	}
	r.uri = uri
	r.internal = true
	return true
}

// locationPhases runs the phases of the chosen location: its script (not
// for the server's own settings when no location matched: nginx skips the
// "server null location"), access, try_files and the content handler.
func (r *request) locationPhases() after {
	loc := r.loc
	if loc.mod != modServerTop {
		res := r.runScript(loc.script)
		switch {
		case res.answered:
			return after{}
		case res.status > 0:
			return after{status: res.status}
		case res.uriChanged:
			return after{refind: true}
		}
	}
	if st := r.accessCheck(); st != 0 { // allow, deny
		return after{status: st}
	}
	if loc.tryFiles != nil {
		next, code, named := r.tryFiles()
		if named != nil {
			return r.runNamed(named)
		}
		if next != "" || code != 0 {
			return after{uri: next, status: code}
		}
	}
	if loc.pass != nil {
		r.pass()
		return after{}
	}
	next, code := r.static()
	return after{uri: next, status: code}
}

// runNamed switches to a named location and runs its phases
// (ngx_http_named_location: from its rewrite phase on).
func (r *request) runNamed(l *location) after {
	r.uriChanges--
	if r.uriChanges == 0 {
		r.logf(levelError, "rewrite or internal redirection cycle while redirect to named location \"%s\"", l.name)
		return after{status: 500}
	}
	r.loc = l
	r.internal = true
	return r.locationPhases()
}

// doReturn is the rewrite module's return (ngx_http_script_return_code):
// a code below 400, or any code with a text, is answered by
// ngx_http_send_response (a redirect's Location is the text, possibly
// empty; another code's body is the text, typed by the URI's extension);
// 400 and above without a text finalize with that status (an error_page, the
// built-in page, or for 444 the close without an answer).
func (r *request) doReturn(ret *returnSpec) bool {
	if ret.text == nil && ret.code >= 400 {
		r.special(ret.code)
		return true
	}
	// ngx_http_send_response reads and drops the body first: a broken
	// chunked one makes the answer a 400
	if st := r.discardRequestBody(); st != 0 {
		r.special(st)
		return true
	}
	text := ""
	if ret.text != nil {
		text = ret.text.eval(r)
	}
	switch ret.code {
	case 301, 302, 303, 307, 308:
		r.redirect(ret.code, text)
	default:
		r.sendBody(ret.code, r.contentType(), []byte(text))
	}
	return true
}

// closeUnanswered is NGX_HTTP_CLOSE (return 444): the connection closes
// without a byte; the access log says 444.
func (r *request) closeUnanswered() {
	r.status = statusClose
	r.headerSent = true
	r.keepalive = false
}

func (r *request) loc0() *location {
	if r.loc != nil {
		return r.loc
	}
	return r.srv.top
}

// special finalizes with a status: an error_page if one matches, else the
// built-in page (ngx_http_special_response_handler).
func (r *request) special(code int) {
	if code == statusClose {
		r.closeUnanswered()
		return
	}
	r.expectTested = true // an error page sends no "100 Continue"
	switch code {
	case 400, 413, 414, 500, 501, statusHeaderTooLarge, 505:
		r.keepalive = false
	}
	loc := r.loc0()
	if !r.errorPage && r.uriChanges != 0 && r.method != "" {
		for _, ep := range loc.s.errorPages {
			for _, c := range ep.codes {
				if c == code {
					r.errorPage = true
					r.sendErrorPage(ep, code)
					return
				}
			}
		}
	}
	status := code
	if code == statusHeaderTooLarge {
		status = 400
	}
	page := builtinPage(code, loc.s.serverTokens)
	if page != "" && code >= 400 && r.major >= 1 && !r.noPadding {
		if ua, _ := r.header("User-Agent"); wantsPadding(ua) {
			page += strings.Repeat(msiePadding, 6)
		}
	}
	var extra []header
	if r.hasLocation {
		extra = []header{{"Location", r.location}} // a redirect's (headers_out.location)
	}
	r.writeResponse(status, "text/html", extra, []byte(page), page == "")
}

func (r *request) sendErrorPage(ep errorPage, code int) {
	target := ep.target.eval(r)
	if ep.overwrite >= 0 {
		r.errStatus = ep.overwrite
	} else {
		r.errStatus = code
	}
	switch {
	case strings.HasPrefix(target, "/"):
		if r.method != "HEAD" {
			r.method = "GET"
		}
		if !r.internalRedirect(target) {
			return
		}
		r.find()
	case strings.HasPrefix(target, "@"):
		l := r.srv.named[target]
		if l == nil {
			r.logf(levelError, "named location \"%s\" not found", target)
			r.errStatus = 0
			r.special(500)
			return
		}
		if r.method != "HEAD" {
			r.method = "GET"
		}
		switch next := r.runNamed(l); {
		case next.refind:
			r.find() // the URI the named location's rewrite made
		case next.uri != "":
			if r.internalRedirect(next.uri) {
				r.find()
			}
		case next.status > 0:
			r.special(next.status)
		}
	default:
		status := 302
		switch ep.overwrite {
		case 301, 302, 303, 307, 308:
			status = ep.overwrite
		}
		r.errStatus = 0
		r.redirect(status, target)
	}
}

func (r *request) finish() {
	if r.status == 0 {
		r.status = statusClientClosed
	}
	if r.traced {
		r.event(trace.Event{From: trace.Proxy, To: trace.Browser, Phase: trace.Returned, Status: r.status,
			Bytes: int(r.bytesSent), Instance: r.g.addr, Last: true})
	}
	s := r.loc0().s
	if s.accessOff {
		return
	}
	logs := s.accessLogs
	if logs == nil {
		logs = r.srvAccessLogs()
	}
	// one line buffer per connection: its requests are logged one by one
	b := r.c.logBuf[:0]
	for _, al := range logs {
		b = al.line(r, b[:0])
		al.f.write(b)
	}
	r.c.logBuf = b[:0]
}

func (r *request) srvAccessLogs() []*accessLog {
	if r.srv != nil && r.srv.top != nil && r.srv.top.s != nil {
		return r.srv.top.s.accessLogs
	}
	return nil
}

func (r *request) clientAddr() netip.Addr {
	a, _ := netip.ParseAddr(r.c.remoteIP)
	return a
}

// ask asks the lab's point at hop whether the request goes on: while a
// breakpoint holds it the browser waits for real, and a browser that hangs
// up meanwhile ends the hold (the proxy watches the connection as it does
// while an upstream answers). A fault there resets the client's connection,
// as a proxy that died would; either way the request ends with nginx's 499
// and ask reports false.
func (r *request) ask(hop trace.Hop) bool {
	pts := r.c.s.opts.Points
	if !pts.Armed() {
		return true
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := r.watchClient(cancel)
	err := pts.Ask(ctx, trace.Stop{Hop: hop, ReqID: r.id, Instance: r.g.addr, Method: r.method, Path: r.uri})
	stop()
	if err == nil {
		return true
	}
	if tc, ok := r.c.nc.(interface{ SetLinger(int) error }); ok {
		tc.SetLinger(0)
	}
	r.keepalive = false
	r.status = statusClientClosed
	r.finish()
	return false
}
