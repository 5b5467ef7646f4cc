package upstream

import (
	"errors"
	"fmt"
	"strings"

	"webflow-lab/servers/wsgi"
)

// Head is an upstream's response head as nginx understood it.
type Head struct {
	Status     int           // the status nginx relays
	StatusLine string        // its text: "200 OK", "404 Not Found" (from a Status: header), "302 Moved Temporarily"
	Proto      string        // "HTTP/1.1" from a status line; "" for a CGI-style head or HTTP/0.9
	Header     []wsgi.Header // every header line in order, Status: included (as nginx keeps it)
	// ContentLength is the last Content-Length header read as ngx_atoof
	// does (digits only), or -1 when absent or not a number.
	ContentLength int64
	Chunked       bool // Transfer-Encoding names "chunked"
	// HTTP09 is proxy_pass only: the backend's first line was no HTTP/1.x
	// status line, so nginx (1.22) logs "upstream sent no valid HTTP/1.0
	// header" and relays every byte as the body of a 200.
	HTTP09 bool
	Size   int // bytes the head took; the body starts right after
}

// Get returns the last header named name (ASCII case-insensitive), the one
// nginx's headers_in slot would hold.
func (h *Head) Get(name string) (string, bool) {
	for i := len(h.Header) - 1; i >= 0; i-- {
		if strings.EqualFold(h.Header[i].Name, name) {
			return h.Header[i].Value, true
		}
	}
	return "", false
}

// errNeedMore: the head is not complete yet; read more (unless the buffer is full).
var errNeedMore = errors.New("upstream: need more bytes")

// An invalidHead is a head nginx rejects; msg is its error.log text.
type invalidHead struct{ msg string }

func (e *invalidHead) Error() string { return e.msg }

// parseHead parses buf, which starts with the response, the way nginx 1.22
// does: ngx_http_parse_status_line, then ngx_http_parse_header_line with
// underscores allowed, then the module's rules:
//   - uwsgi: no valid status line → the whole head is CGI headers; a Status:
//     header gives the status, else a Location gives 302, else 200
//     (ngx_http_uwsgi_process_header);
//   - http: no valid status line → HTTP/0.9, the bytes are the body of a 200
//     (ngx_http_proxy_process_status_line).
//
// It returns errNeedMore while the head is incomplete and *invalidHead for
// what nginx answers with 502 ("upstream sent invalid header: …").
//
// Unlike nginx it always parses from the first byte; nginx resumes where its
// previous read stopped, which only differs for a status line split across
// reads that then turns out invalid.
func parseHead(buf []byte, protocol string) (*Head, error) {
	h := &Head{ContentLength: -1}
	pos := 0
	code, text, n, st := parseStatusLine(buf)
	switch st {
	case parseAgain:
		return nil, errNeedMore
	case parseOK:
		h.Status, h.StatusLine = code, text
		sp := strings.IndexByte(string(buf[:n]), ' ')
		h.Proto = string(buf[:sp])
		pos = n
	case parseError:
		if protocol == "http" {
			h.HTTP09, h.Status, h.StatusLine = true, 200, "200 OK"
			return h, nil
		}
	}
	for {
		name, value, next, st := parseHeaderLine(buf, pos)
		switch st {
		case parseAgain:
			return nil, errNeedMore
		case parseInvalid:
			return nil, &invalidHead{msg: value}
		case parseDone:
			h.Size = next
			return h, h.finish(protocol)
		}
		pos = next
		h.Header = append(h.Header, wsgi.Header{Name: name, Value: value})
		switch {
		case strings.EqualFold(name, "Content-Length"):
			h.ContentLength = atoof(value)
		case strings.EqualFold(name, "Transfer-Encoding"):
			if strings.Contains(strings.ToLower(value), "chunked") {
				h.Chunked = true
			}
		}
	}
}

// finish applies ngx_http_uwsgi_process_header's status rules.
func (h *Head) finish(protocol string) error {
	if h.Status != 0 {
		return nil
	}
	if protocol == "uwsgi" {
		if st, ok := h.Get("Status"); ok {
			// ngx_atoi(value, 3): the first three bytes must be digits.
			if len(st) < 3 || !isDigit(st[0]) || !isDigit(st[1]) || !isDigit(st[2]) {
				return &invalidHead{msg: fmt.Sprintf("upstream sent invalid status %q", st)}
			}
			h.Status = int(st[0]-'0')*100 + int(st[1]-'0')*10 + int(st[2]-'0')
			h.StatusLine = st
			return nil
		}
		if _, ok := h.Get("Location"); ok {
			h.Status, h.StatusLine = 302, "302 Moved Temporarily"
			return nil
		}
	}
	h.Status, h.StatusLine = 200, "200 OK"
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// atoof is ngx_atoof: a non-empty run of digits, else -1.
func atoof(s string) int64 {
	if s == "" {
		return -1
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || n > (1<<62)/10 {
			return -1
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n
}

type parseState uint8

const (
	parseOK parseState = iota
	parseAgain
	parseError
	parseInvalid
	parseDone
)

// parseStatusLine mirrors ngx_http_parse_status_line: "HTTP/" major "."
// minor, spaces, exactly three digits, then a space, '.', CR or LF, and any
// text to the end of the line. It returns the code, the status text from the
// code to the line's end ("200 OK"), and the bytes consumed.
func parseStatusLine(b []byte) (code int, text string, n int, st parseState) {
	const prefix = "HTTP/"
	for i := 0; i < len(prefix); i++ {
		if i >= len(b) {
			return 0, "", 0, parseAgain
		}
		if b[i] != prefix[i] {
			return 0, "", 0, parseError
		}
	}
	p := len(prefix)
	// major: a first digit 1-9, then digits (at most three in all), then '.'
	if p >= len(b) {
		return 0, "", 0, parseAgain
	}
	if b[p] < '1' || b[p] > '9' {
		return 0, "", 0, parseError
	}
	major := int(b[p] - '0')
	for p++; ; p++ {
		if p >= len(b) {
			return 0, "", 0, parseAgain
		}
		if b[p] == '.' {
			break
		}
		if !isDigit(b[p]) || major > 99 {
			return 0, "", 0, parseError
		}
		major = major*10 + int(b[p]-'0')
	}
	p++
	// minor: digits up to a space
	if p >= len(b) {
		return 0, "", 0, parseAgain
	}
	if !isDigit(b[p]) {
		return 0, "", 0, parseError
	}
	minor := int(b[p] - '0')
	for p++; ; p++ {
		if p >= len(b) {
			return 0, "", 0, parseAgain
		}
		if b[p] == ' ' {
			break
		}
		if !isDigit(b[p]) || minor > 99 {
			return 0, "", 0, parseError
		}
		minor = minor*10 + int(b[p]-'0')
	}
	// status: three digits; nginx skips spaces anywhere before the third
	// digit and takes the text from two bytes before it.
	count := 0
	start := 0
	for p++; count < 3; p++ {
		if p >= len(b) {
			return 0, "", 0, parseAgain
		}
		if b[p] == ' ' {
			continue
		}
		if !isDigit(b[p]) {
			return 0, "", 0, parseError
		}
		code = code*10 + int(b[p]-'0')
		if count++; count == 3 {
			start = p - 2
		}
	}
	// after the status: ' ' or '.' (IIS's 403.1) start the text; CR or LF end the line
	if p >= len(b) {
		return 0, "", 0, parseAgain
	}
	switch b[p] {
	case ' ', '.':
	case '\r':
		return almostDone(b, p, start, code)
	case '\n':
		return code, string(b[start:p]), p + 1, parseOK
	default:
		return 0, "", 0, parseError
	}
	for p++; ; p++ {
		if p >= len(b) {
			return 0, "", 0, parseAgain
		}
		switch b[p] {
		case '\r':
			return almostDone(b, p, start, code)
		case '\n':
			return code, string(b[start:p]), p + 1, parseOK
		}
	}
}

// almostDone handles the byte after the status line's CR: only LF may follow.
func almostDone(b []byte, cr, start, code int) (int, string, int, parseState) {
	if cr+1 >= len(b) {
		return 0, "", 0, parseAgain
	}
	if b[cr+1] != '\n' {
		return 0, "", 0, parseError
	}
	return code, string(b[start:cr]), cr + 2, parseOK
}

// nameChar reports the bytes of nginx's lowcase table (letters, digits,
// '-') plus '_' (upstream headers are parsed with underscores allowed).
func nameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || c == '-' || c == '_'
}

// parseHeaderLine mirrors ngx_http_parse_header_line (allow_underscores on)
// from b[pos:]. parseOK gives one header and where the next line starts;
// parseDone the end of the head (next = head size); parseInvalid carries
// nginx's error.log text in value.
//
// Quirks kept: a line without a colon is a header with an empty value; a
// name byte outside letters, digits, '-' and '_' is tolerated (nginx only
// flags it) unless it is a control byte or space; "HTTP/…" lines after the
// status line are skipped (IIS sends them twice); a NUL in a value is invalid.
func parseHeaderLine(b []byte, pos int) (name, value string, next int, st parseState) {
	const (
		sStart = iota
		sName
		sSpaceBeforeValue
		sValue
		sSpaceAfterValue
		sIgnoreLine
		sAlmostDone
		sHeaderAlmostDone
	)
	state := sStart
	var nameStart, nameEnd, valStart, valEnd int
	invalid := func(end int) (string, string, int, parseState) {
		c := byte(0)
		if end < len(b) {
			c = b[end]
		}
		return "", fmt.Sprintf(`upstream sent invalid header: "%s\x%02x..."`, b[nameStart:end], c), 0, parseInvalid
	}
	done := func(p int) (string, string, int, parseState) {
		return string(b[nameStart:nameEnd]), string(b[valStart:valEnd]), p + 1, parseOK
	}
	for p := pos; p < len(b); p++ {
		ch := b[p]
		switch state {
		case sStart:
			nameStart = p
			switch {
			case ch == '\r':
				valEnd = p
				state = sHeaderAlmostDone
			case ch == '\n':
				return "", "", p + 1, parseDone
			case nameChar(ch):
				state = sName
			case ch <= 0x20 || ch == 0x7f || ch == ':':
				return invalid(p)
			default:
				state = sName
			}
		case sName:
			switch {
			case nameChar(ch):
			case ch == ':':
				nameEnd = p
				state = sSpaceBeforeValue
			case ch == '\r':
				nameEnd, valStart, valEnd = p, p, p
				state = sAlmostDone
			case ch == '\n':
				nameEnd, valStart, valEnd = p, p, p
				return done(p)
			case ch == '/' && p-nameStart == 4 && string(b[nameStart:p]) == "HTTP":
				state = sIgnoreLine
			case ch <= 0x20 || ch == 0x7f:
				return invalid(p)
			}
		case sSpaceBeforeValue:
			switch ch {
			case ' ':
			case '\r':
				valStart, valEnd = p, p
				state = sAlmostDone
			case '\n':
				valStart, valEnd = p, p
				return done(p)
			case 0:
				return invalid(p)
			default:
				valStart = p
				state = sValue
			}
		case sValue:
			switch ch {
			case ' ':
				valEnd = p
				state = sSpaceAfterValue
			case '\r':
				valEnd = p
				state = sAlmostDone
			case '\n':
				valEnd = p
				return done(p)
			case 0:
				return invalid(p)
			}
		case sSpaceAfterValue:
			switch ch {
			case ' ':
			case '\r':
				state = sAlmostDone
			case '\n':
				return done(p)
			case 0:
				return invalid(p)
			default:
				state = sValue
			}
		case sIgnoreLine:
			if ch == '\n' {
				state = sStart
			}
		case sAlmostDone:
			switch ch {
			case '\n':
				return done(p)
			case '\r':
			default:
				return invalid(valEnd)
			}
		case sHeaderAlmostDone:
			if ch == '\n' {
				return "", "", p + 1, parseDone
			}
			return invalid(valEnd)
		}
	}
	return "", "", 0, parseAgain
}
