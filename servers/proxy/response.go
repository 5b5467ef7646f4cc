package proxy

import (
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// redirect answers status with a Location and the built-in page (the
// header filter makes a location starting with "/" absolute).
//
// Like nginx (which sets headers_out.location and finalizes with the
// status), the answer goes through the error pages: error_page 301 applies.
func (r *request) redirect(status int, location string) {
	r.setLocation(location)
	r.special(status)
}

// setLocation keeps a redirect's Location for the answer.
func (r *request) setLocation(location string) {
	r.location, r.hasLocation, r.absLocation = location, true, true
}

// absoluteURL prefixes a path with scheme, host and port as
// ngx_http_header_filter does for a relative Location.
func (r *request) absoluteURL(path string) string {
	host := r.hostVar()
	if r.loc0().s.nameRedirect || host == "" {
		host = r.srv.firstName
	}
	if host == "" {
		host = r.c.localIP
	}
	port := ""
	if r.loc0().s.portRedirect && r.c.localPort != "80" {
		port = ":" + r.c.localPort
	}
	return "http://" + host + port + path
}

// sendBody answers with a small in-memory body.
func (r *request) sendBody(status int, ct string, body []byte) {
	r.writeResponse(status, ct, nil, body, false)
}

// writeResponse writes a complete response with a known body.
func (r *request) writeResponse(status int, ct string, extra []header, body []byte, empty bool) {
	if r.headerSent {
		return
	}
	h := respHead{status: status, contentLength: int64(len(body)), extra: extra}
	if !empty {
		h.contentType = ct
	}
	if status == 304 || status == 204 {
		h.contentLength = -2
	}
	r.writeHead(&h)
	r.writeBody(body)
	r.endBody()
}

// mediaType is a Content-Type without its parameters, lower-cased.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// writeStream answers with a body whose length nginx does not announce
// (autoindex): chunked on a keep-alive HTTP/1.1 connection, else ended by close.
func (r *request) writeStream(status int, ct string, body []byte) {
	h := respHead{status: status, contentType: ct, contentLength: -1}
	h.chunked = r.major == 1 && r.minor >= 1 // even with Connection: close, as nginx's chunked filter does
	r.writeHead(&h)
	r.writeBody(body)
	r.endBody()
}

// respHead is the response head nginx's header filter writes, in its order.
type respHead struct {
	status          int
	statusLine      string // the upstream's own "404 Gone": nginx relays it as is (headers_out.status_line)
	contentType     string
	contentLength   int64 // -1 unknown (chunked or close), -2 none at all
	lastModified    time.Time
	etag            string
	acceptRanges    bool
	extra           []header // in order; a Location starting with "/" is written early, made absolute
	chunked         bool
	ownServer       bool   // the upstream sent Server: nginx prints it instead of its own
	ownDate         bool   // likewise for Date
	encoded         bool   // the upstream's answer has a Content-Encoding: no gzip
	vary            bool   // gzip_vary: "Vary: Accept-Encoding"
	contentEncoding string // the gzip filter's
	etagName        string // the ETag header's name when add_header gave it ("" ETag)
	lmSet           bool   // add_header Last-Modified took the known slot's place
	contentRange    string // the range filter's, after the headers filter's
}

func (r *request) writeHead(h *respHead) {
	if r.headerSent {
		return
	}
	r.headerSent = true
	if r.chunked && !r.bodyDone && !r.discarding {
		if b, _ := r.c.br.Peek(r.c.br.Buffered()); chunkedPrefixBroken(b) {
			r.logf(levelError, "client sent invalid chunked body")
			r.keepalive = false
			r.bodyDone = true
		}
	}
	status := h.status
	if r.errStatus != 0 && status == 200 {
		status = r.errStatus
	}
	if status == 204 {
		// ngx_http_header_filter: no type, no length, no Last-Modified
		h.contentType, h.contentLength, h.lastModified = "", -2, time.Time{}
	}
	r.status = status
	r.headerOnly = r.method == "HEAD" || status == 304 || status == 204
	if r.major == 0 { // HTTP/0.9: no head
		return
	}
	r.headersFilter(h, status) // add_header, expires
	gz := r.gzipFilter(h, status)
	bw := r.c.bw
	start := r.c.cw.n + int64(bw.Buffered())
	bw.WriteString("HTTP/1.1 ")
	if h.statusLine != "" && status == h.status {
		// ngx_http_header_filter prints headers_out.status_line when set:
		// an upstream's reason phrase (or none at all) reaches the client
		bw.WriteString(h.statusLine)
	} else {
		bw.WriteString(statusLine(status))
	}
	bw.WriteString("\r\n")
	if !h.ownServer {
		bw.WriteString("Server: ")
		if r.loc0().s.serverTokens {
			bw.WriteString(nginxVersion)
		} else {
			bw.WriteString("nginx")
		}
		bw.WriteString("\r\n")
	}
	if !h.ownDate {
		bw.WriteString("Date: ")
		bw.WriteString(httpDate(r.c.s.now()))
		bw.WriteString("\r\n")
	}
	if h.contentType != "" {
		bw.WriteString("Content-Type: ")
		bw.WriteString(h.contentType)
		// the charset filter: "charset utf-8;" labels text types that have none
		if cs := r.loc0().s.charset; cs != "" && r.loc0().s.charsetTypes[mediaType(h.contentType)] &&
			!strings.Contains(strings.ToLower(h.contentType), "charset=") {
			bw.WriteString("; charset=")
			bw.WriteString(cs)
		}
		bw.WriteString("\r\n")
	}
	if h.contentLength >= 0 {
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.FormatInt(h.contentLength, 10))
		bw.WriteString("\r\n")
	}
	// ngx_http_header_filter drops Last-Modified unless 200/206/304; the
	// range filter offers ranges only on a 200.
	if status != 200 && status != 206 && status != 304 {
		h.lastModified = time.Time{}
	}
	if status != 200 {
		h.acceptRanges = false
	}
	if !h.lastModified.IsZero() {
		bw.WriteString("Last-Modified: ")
		bw.WriteString(h.lastModified.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))
		bw.WriteString("\r\n")
	}
	// ngx_http_header_filter writes nginx's own Location (headers_out.location)
	// here when it starts with "/", made absolute (absolute_redirect on); any
	// other stays in the list. An upstream's relative Location is not
	// nginx's own (ngx_http_upstream_rewrite_location leaves it alone).
	early := -1
	for i, x := range h.extra {
		if r.absLocation && strings.EqualFold(x.Name, "Location") && strings.HasPrefix(x.Value, "/") && r.loc0().s.absRedirect {
			early = i
			loc := header{"Location", r.absoluteURL(x.Value)}
			bw.WriteString("Location: ")
			bw.WriteString(loc.Value)
			bw.WriteString("\r\n")
			r.sentHeaders = append(r.sentHeaders, loc)
			break
		}
	}
	if h.chunked {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	if h.contentLength == -1 && !h.chunked && !r.headerOnly {
		r.keepalive = false // the end of the body is the close
	}
	if r.keepalive {
		bw.WriteString("Connection: keep-alive\r\n")
	} else {
		bw.WriteString("Connection: close\r\n")
	}
	if h.vary {
		bw.WriteString("Vary: Accept-Encoding\r\n")
	}
	// then the header list in the order the handler and the filters
	// added to it: the static handler's ETag first
	if h.etag != "" {
		if h.etagName != "" {
			bw.WriteString(h.etagName)
			bw.WriteString(": ")
		} else {
			bw.WriteString("ETag: ")
		}
		bw.WriteString(h.etag)
		bw.WriteString("\r\n")
	}
	for i, x := range h.extra {
		if i == early {
			continue
		}
		bw.WriteString(x.Name)
		bw.WriteString(": ")
		bw.WriteString(x.Value)
		bw.WriteString("\r\n")
		r.sentHeaders = append(r.sentHeaders, x)
	}
	if h.contentEncoding != "" {
		bw.WriteString("Content-Encoding: ")
		bw.WriteString(h.contentEncoding)
		bw.WriteString("\r\n")
	}
	if h.contentRange != "" {
		bw.WriteString("Content-Range: ")
		bw.WriteString(h.contentRange)
		bw.WriteString("\r\n")
	}
	if h.acceptRanges {
		bw.WriteString("Accept-Ranges: bytes\r\n")
	}
	bw.WriteString("\r\n")
	r.bytesSent += r.c.cw.n + int64(bw.Buffered()) - start
	r.startBody(h.chunked, gz)
}

// write sends body bytes.
func (r *request) write(p []byte) error {
	if r.headerOnly || len(p) == 0 {
		return nil
	}
	r.c.nc.SetWriteDeadline(time.Now().Add(r.loc0().s.sendTimeout))
	n, err := r.c.bw.Write(p)
	r.bodySent += int64(n)
	r.bytesSent += int64(n)
	return err
}

func (r *request) flush() {
	r.c.nc.SetWriteDeadline(time.Now().Add(r.loc0().s.sendTimeout))
	if err := r.c.bw.Flush(); err != nil {
		r.keepalive = false
	}
}

// httpDate formats t for Date and Last-Modified. Like nginx's cached time
// strings (ngx_cached_http_time), the formatted second is reused.
func httpDate(t time.Time) string {
	sec := t.Unix()
	if c := dateCache.Load(); c != nil && c.sec == sec {
		return c.s
	}
	s := t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
	dateCache.Store(&cachedTime{sec, s})
	return s
}

type cachedTime struct {
	sec int64
	s   string
}

var dateCache, localCache atomic.Pointer[cachedTime]

// timeLocalString is $time_local, cached per second the same way.
func timeLocalString(t time.Time) string {
	sec := t.Unix()
	if c := localCache.Load(); c != nil && c.sec == sec {
		return c.s
	}
	s := t.Format(timeLocal)
	localCache.Store(&cachedTime{sec, s})
	return s
}
