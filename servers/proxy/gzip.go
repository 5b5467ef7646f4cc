package proxy

import (
	"compress/gzip"
	"io"
	"strings"

	"webflow-lab/servers/proxy/config"
)

// gzip: ngx_http_gzip_filter_module with the core module's gzip_vary,
// gzip_http_version and gzip_proxied (ngx_http_gzip_ok). An answer is
// compressed when gzip is on, its status is 200, 403 or 404, it is not
// encoded already, its length is unknown or at least gzip_min_length, its
// type is in gzip_types (text/html always) and it has a body; then, if the
// client's Accept-Encoding takes gzip, the request is HTTP/1.1 or newer
// (gzip_http_version) and, with a Via header, gzip_proxied allows it.
// The compressed answer has Content-Encoding: gzip, no Content-Length (it
// is chunked, or ends with the close for HTTP/1.0), no Accept-Ranges, and a
// weak ETag. gzip_vary adds "Vary: Accept-Encoding" to every answer that
// passed the first checks, compressed or not.
//
// The compressed bytes are Go's compress/flate's, not zlib's: the body is
// the same once unpacked, its size differs from nginx's by a few bytes.

// gzipConf is the gzip settings of a location.
type gzipConf struct {
	on          bool
	types       map[string]bool // gzip_types; nil: only text/html; "*" any
	minLength   int64           // gzip_min_length
	level       int             // gzip_comp_level
	vary        bool            // gzip_vary
	httpVersion int             // gzip_http_version: 1000 (1.0) or 1001 (1.1)
	proxied     map[string]bool // gzip_proxied
}

func defaultGzipConf() gzipConf {
	return gzipConf{minLength: 20, level: 1, httpVersion: 1001, proxied: map[string]bool{"off": true}}
}

func gzipOn(l *scope, d *config.Directive) (err error) {
	l.s.gzip.on, err = flagArg(d)
	return err
}

func gzipTypes(l *scope, d *config.Directive) error {
	l.s.gzip.types = map[string]bool{}
	for _, a := range d.Args {
		l.s.gzip.types[strings.ToLower(a)] = true
	}
	return nil
}

func gzipMinLength(l *scope, d *config.Directive) (err error) {
	l.s.gzip.minLength, err = sizeArg(d)
	return err
}

func gzipCompLevel(l *scope, d *config.Directive) error {
	n, err := numArg(d)
	if err != nil {
		return err
	}
	if n < 1 || n > 9 {
		return errAt(d, "value must be between 1 and 9")
	}
	l.s.gzip.level = n
	return nil
}

func gzipVary(l *scope, d *config.Directive) (err error) {
	l.s.gzip.vary, err = flagArg(d)
	return err
}

func gzipHTTPVersion(l *scope, d *config.Directive) error {
	v, err := oneArg(d)
	if err != nil {
		return err
	}
	switch v {
	case "1.0":
		l.s.gzip.httpVersion = 1000
	case "1.1":
		l.s.gzip.httpVersion = 1001
	default:
		return errAt(d, "invalid value \"%s\"", v)
	}
	return nil
}

func gzipProxied(l *scope, d *config.Directive) error {
	l.s.gzip.proxied = map[string]bool{}
	for _, a := range d.Args {
		switch a {
		case "off", "expired", "no-cache", "no-store", "private", "no_last_modified", "no_etag", "auth", "any":
			l.s.gzip.proxied[a] = true
		default:
			return errAt(d, "invalid value \"%s\"", a)
		}
	}
	return nil
}

// gzipFilter is ngx_http_gzip_header_filter for the answer h with status:
// it reports whether the body is compressed, after changing h's headers.
func (r *request) gzipFilter(h *respHead, status int) bool {
	g := &r.loc0().s.gzip
	if !g.on || status != 200 && status != 403 && status != 404 || h.encoded ||
		h.contentLength >= 0 && h.contentLength < g.minLength || !g.typeOK(h.contentType) || r.headerOnly {
		return false
	}
	h.vary = g.vary
	if !r.gzipOK(g) {
		return false
	}
	h.contentEncoding = "gzip"
	h.contentLength = -1
	h.chunked = r.major == 1 && r.minor >= 1
	h.acceptRanges = false
	h.contentRange = ""
	// ngx_http_weak_etag: "x" becomes W/"x"; an ETag not in quotes goes
	switch {
	case strings.HasPrefix(h.etag, "W/"):
	case strings.HasPrefix(h.etag, `"`):
		h.etag = "W/" + h.etag
	default:
		h.etag = ""
	}
	return true
}

func (g *gzipConf) typeOK(ct string) bool {
	t := mediaType(ct)
	if t == "text/html" || g.types["*"] {
		return true
	}
	return g.types[t]
}

// gzipOK is ngx_http_gzip_ok: the client takes gzip, the request's version
// is new enough, and a proxied request (one with Via) is allowed.
func (r *request) gzipOK(g *gzipConf) bool {
	ae, ok := r.header("Accept-Encoding")
	if !ok || len(ae) < 4 || !strings.HasPrefix(ae, "gzip,") && !acceptsGzip(ae) {
		return false
	}
	if r.major*1000+r.minor < g.httpVersion {
		return false
	}
	if _, via := r.header("Via"); !via || g.proxied["any"] {
		return true
	}
	if g.proxied["off"] {
		return false
	}
	if _, auth := r.header("Authorization"); auth && g.proxied["auth"] {
		return true
	}
	return false
}

// acceptsGzip is ngx_http_gzip_accept_encoding: a "gzip" token (at the
// start or after ',' or ' '), then ',' or the end, or ";q=" with a
// quantity above zero (ngx_http_gzip_quantity).
func acceptsGzip(ae string) bool {
	start := 0
	var p int
	for {
		i := indexFoldASCII(ae[start:], "gzip")
		if i < 0 {
			return false
		}
		p = start + i
		if p == 0 || ae[p-1] == ',' || ae[p-1] == ' ' {
			break
		}
		start = p + 4
	}
	p += 4
	for p < len(ae) {
		c := ae[p]
		p++
		switch c {
		case ',':
			return true
		case ';':
			for p < len(ae) {
				c := ae[p]
				p++
				switch c {
				case 'q', 'Q':
					if p+2 > len(ae) || ae[p] != '=' {
						return false
					}
					return gzipQuantity(ae[p+1:]) > 0
				case ' ':
				default:
					return false
				}
			}
			return true
		case ' ':
		default:
			return false
		}
	}
	return true
}

// indexFoldASCII is ngx_strcasestrn: where sub (lower case) starts in s,
// ASCII letters compared without case, every other byte as it is.
func indexFoldASCII(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for j < len(sub) && (s[i+j] == sub[j] || isLetter(s[i+j]) && s[i+j]|0x20 == sub[j]) {
			j++
		}
		if j == len(sub) {
			return i
		}
	}
	return -1
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// gzipQuantity is ngx_http_gzip_quantity, its sums included: "0.5" is 5.
func gzipQuantity(s string) int {
	if s == "" || s[0] != '0' && s[0] != '1' {
		return 0
	}
	q := int(s[0]-'0') * 100
	if len(s) == 1 || s[1] == ',' || s[1] == ' ' {
		return q
	}
	if s[1] != '.' {
		return 0
	}
	n := 0
	for _, c := range []byte(s[2:]) {
		if c == ',' || c == ' ' {
			break
		}
		if !isDigit(c) {
			return 0
		}
		q += int(c - '0')
		n++
	}
	if q > 100 || n > 3 {
		return 0
	}
	return q
}

// gzipBuffers is what nginx's gzip_buffers hold on a 4 KiB-page system
// (the default "32 4k"): the filter sends its output when all of them are
// full or the body ends, so an answer that compresses to less is one
// chunk (gzip's header, data and trailer together) as nginx sends it.
const gzipBuffers = 32 * 4096

// gzipOut gathers the gzip writer's output into gzipBuffers-sized sends.
type gzipOut struct {
	w   rawBody
	buf []byte
}

func (g *gzipOut) Write(p []byte) (int, error) {
	g.buf = append(g.buf, p...)
	for len(g.buf) >= gzipBuffers {
		if err := g.w.send(g.buf[:gzipBuffers]); err != nil {
			return 0, err
		}
		g.buf = append(g.buf[:0], g.buf[gzipBuffers:]...)
	}
	return len(p), nil
}

// Flush sends what is gathered.
func (g *gzipOut) Flush() error {
	err := g.w.send(g.buf)
	g.buf = nil
	return err
}

// The body of an answer goes through writeBody and ends with endBody:
// compressed when the gzip filter took it, chunked when the head said so.

// startBody prepares the body writer after the head: chunked, gzip.
func (r *request) startBody(chunked, gz bool) {
	r.bodyChunked = chunked
	if gz {
		r.gzOut = &gzipOut{w: rawBody{r}}
		r.gz, _ = gzip.NewWriterLevel(r.gzOut, r.loc0().s.gzip.level)
	}
}

// writeBody sends body bytes through the filters.
func (r *request) writeBody(p []byte) error {
	if r.headerOnly || len(p) == 0 {
		return nil
	}
	if r.gz != nil {
		_, err := r.gz.Write(p)
		return err
	}
	return rawBody{r}.send(p)
}

// endBody ends the body: the gzip trailer, the last chunk.
func (r *request) endBody() error {
	if r.headerOnly {
		return nil
	}
	if r.gz != nil {
		err := r.gz.Close()
		if err == nil {
			err = r.gzOut.Flush()
		}
		r.gz, r.gzOut = nil, nil
		if err != nil {
			return err
		}
	}
	if r.bodyChunked {
		r.bodyChunked = false
		r.c.bw.WriteString("0\r\n\r\n")
		r.bytesSent += 5
		r.bodySent += 5
	}
	return nil
}

// rawBody writes body bytes after the filters: as a chunk, or as they are.
type rawBody struct{ r *request }

func (b rawBody) Write(p []byte) (int, error) {
	if err := b.send(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (b rawBody) send(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if b.r.bodyChunked {
		return b.r.writeChunk(p)
	}
	return b.r.write(p)
}

// bodyWriter is writeBody as an io.Writer.
type bodyWriter struct{ r *request }

func (b bodyWriter) Write(p []byte) (int, error) {
	if err := b.r.writeBody(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

var _ io.Writer = rawBody{}
