package uwsgiproto

import (
	"errors"
	"fmt"
)

// Response-head errors, named after the nginx error.log text they produce.
var (
	// ErrNeedMore: the head is not complete yet; read more bytes, unless
	// the buffer is full, which is ErrHeadTooBig.
	ErrNeedMore = errors.New("uwsgiproto: response head incomplete")
	// ErrPrematureClose: the app server closed before the head was complete
	// ("upstream prematurely closed connection while reading response header from upstream").
	ErrPrematureClose = errors.New("upstream prematurely closed connection")
	// ErrHeadTooBig: the head did not fit in uwsgi_buffer_size
	// ("upstream sent too big header while reading response header from upstream").
	ErrHeadTooBig = errors.New("upstream sent too big header")
	// ErrInvalidHeader: a head nginx refuses with 502; every
	// *InvalidHeaderError matches it with errors.Is.
	ErrInvalidHeader = errors.New("upstream sent invalid header")
)

// An InvalidHeaderError is a head nginx answers with 502. Log is the line
// nginx writes to error.log, byte for byte:
//
//	upstream sent invalid header: "Bad\x20..."
//	upstream sent invalid status "OK"
type InvalidHeaderError struct{ Log string }

func (e *InvalidHeaderError) Error() string { return e.Log }

// Is makes errors.Is(err, ErrInvalidHeader) true.
func (e *InvalidHeaderError) Is(target error) bool { return target == ErrInvalidHeader }

// A Module picks the nginx module whose rules apply once the status line
// has been tried: the two differ only when there is none.
type Module uint8

const (
	// UwsgiModule is uwsgi_pass (ngx_http_uwsgi_module): with no valid
	// status line the whole head is CGI-style headers; a Status: header
	// gives the status, else a Location header gives 302, else 200.
	UwsgiModule Module = iota
	// ProxyModule is proxy_pass (ngx_http_proxy_module): with no valid
	// status line nginx 1.22 logs "upstream sent no valid HTTP/1.0 header"
	// and relays every byte as the body of a 200 (HTTP/0.9).
	ProxyModule
)

// A Field is one response header line, in the order the app sent it.
type Field struct{ Name, Value string }

// A Head is an upstream's response head as nginx understood it.
type Head struct {
	Status     int     // the status nginx relays
	StatusLine string  // its text: "200 OK", "404 Not Found" (from a Status: header), "302 Moved Temporarily"
	Proto      string  // "HTTP/1.1" from a status line; "" for a CGI-style head or HTTP/0.9
	Header     []Field // every header line in order, Status: included (as nginx keeps it)
	// ContentLength is the last Content-Length header read as ngx_atoof
	// does (digits only), or -1 when absent or not a number.
	ContentLength int64
	Chunked       bool // Transfer-Encoding names "chunked"
	// HTTP09 is ProxyModule only: the backend's first line was no HTTP/1.x
	// status line, so there is no head and every byte is body.
	HTTP09 bool
	Size   int // bytes the head took; the body starts right after
}

// Get returns the last header named name (ASCII case-insensitive), the one
// nginx's headers_in slot would hold.
func (h *Head) Get(name string) (string, bool) {
	for i := len(h.Header) - 1; i >= 0; i-- {
		if asciiEqualFold(h.Header[i].Name, name) {
			return h.Header[i].Value, true
		}
	}
	return "", false
}

// first returns the first header named name: ngx_http_upstream_process_header_line
// (nginx 1.22) fills a headers_in slot such as Status or Location only once.
func (h *Head) first(name string) (string, bool) {
	for _, f := range h.Header {
		if asciiEqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// span locates one header line's name and value in the buffer.
type span struct{ name, nameEnd, val, valEnd int }

// A HeadParser reads one response head arriving over several reads into
// one growing buffer, resuming where its last call stopped as nginx's state
// machines do, so a head trickling in is still read in linear time (only an
// incomplete line is read again). Results are those of one call on the
// whole bytes (the tests' ParseHead). Its zero value uses UwsgiModule rules; use one per response.
type HeadParser struct {
	Module Module
	sc     headScan
	spans  []span // header lines found so far; nil until a call ends mid-head with some
}

// Parse continues over buf, which must start with every byte given before,
// at the same offsets (a buffer that was read into, or appended to).
func (p *HeadParser) Parse(buf []byte) (*Head, error) {
	p.sc.m = p.Module
	if p.spans != nil {
		h, spans, err := p.sc.scan(buf, p.spans)
		p.spans = spans
		return h, err
	}
	// Most heads arrive in one read: find their lines on the stack, and
	// keep them on the heap only when more reads are needed.
	var local [16]span
	h, spans, err := p.sc.scan(buf, local[:0])
	if err == ErrNeedMore && len(spans) > 0 {
		p.spans = append(make([]span, 0, 2*len(spans)), spans...)
	}
	return h, err
}

// A headScan is the parser's progress through one buffer, kept between
// calls by a HeadParser.
type headScan struct {
	m       Module
	decided bool // the status line was read (or found missing)
	line    bool // and it was a valid one
	code    int
	text    int // status text, buf[text:textEnd]
	textEnd int
	pos     int   // where the next header line starts
	cl      int64 // last Content-Length (ngx_atoof), valid once decided
	chunked bool
}

// scan continues over buf, which must hold the bytes seen before and
// possibly more; spans holds the header lines found so far and comes back
// with the new ones (a parameter, not a field, so that a caller's spans
// can live on its stack). Headers are located first and turned into strings
// once the head is complete: an incomplete head costs no allocation, and a
// complete one costs one string for all its text.
func (sc *headScan) scan(buf []byte, spans []span) (*Head, []span, error) {
	if !sc.decided {
		code, text, textEnd, n, st := parseStatusLine(buf)
		switch st {
		case parseAgain:
			return nil, spans, ErrNeedMore
		case parseError:
			if sc.m == ProxyModule {
				return &Head{Status: 200, StatusLine: "200 OK", ContentLength: -1, HTTP09: true}, spans, nil
			}
			n = 0
		case parseOK:
			sc.line, sc.code, sc.text, sc.textEnd = true, code, text, textEnd
		}
		sc.decided, sc.pos, sc.cl = true, n, -1
	}
	for done := false; !done; {
		sp, next, st := parseHeaderLine(buf, sc.pos)
		switch st {
		case parseAgain:
			return nil, spans, ErrNeedMore
		case parseInvalid:
			return nil, spans, invalidHeader(buf, sp.name, sp.valEnd)
		case parseDone:
			done = true
		case parseOK:
			spans = append(spans, sp)
			name, value := buf[sp.name:sp.nameEnd], buf[sp.val:sp.valEnd]
			switch {
			case foldEqual(name, "Content-Length"):
				sc.cl = atoof(value)
			case foldEqual(name, "Transfer-Encoding"):
				if foldContains(value, "chunked") {
					sc.chunked = true
				}
			}
		}
		sc.pos = next
	}
	s := string(buf[:sc.pos])
	h := &Head{Status: sc.code, ContentLength: sc.cl, Chunked: sc.chunked, Size: sc.pos}
	if sc.line {
		h.Proto = s[:indexSpace(s)]
		h.StatusLine = s[sc.text:sc.textEnd]
	}
	if len(spans) > 0 {
		h.Header = make([]Field, len(spans))
		for i, sp := range spans {
			h.Header[i] = Field{Name: s[sp.name:sp.nameEnd], Value: s[sp.val:sp.valEnd]}
		}
	}
	return h, spans, h.finish(sc.m)
}

// finish applies ngx_http_uwsgi_process_header's status rules. Like nginx
// it tests the status code, not whether there was a status line: a line
// "HTTP/1.1 000" leaves status_n at 0, so the rules still run. proxy_pass
// has no such rules (ngx_http_proxy_process_header keeps the status line's
// code, whatever it is; without a status line the head was HTTP/0.9).
func (h *Head) finish(m Module) error {
	if h.Status != 0 || m != UwsgiModule {
		return nil
	}
	if st, ok := h.first("Status"); ok {
		// ngx_atoi(value, 3): the first three bytes must be digits.
		if len(st) < 3 || !isDigit(st[0]) || !isDigit(st[1]) || !isDigit(st[2]) {
			return &InvalidHeaderError{Log: fmt.Sprintf("upstream sent invalid status %q", st)}
		}
		h.Status = int(st[0]-'0')*100 + int(st[1]-'0')*10 + int(st[2]-'0')
		h.StatusLine = st
		return nil
	}
	if _, ok := h.first("Location"); ok {
		h.Status, h.StatusLine = 302, "302 Moved Temporarily"
		return nil
	}
	h.Status, h.StatusLine = 200, "200 OK"
	return nil
}

// invalidHeader is nginx's log line for a refused header line: the bytes
// from the line's start to the offending one, then that byte in hex
// ("%*s\\x%02xd...").
func invalidHeader(b []byte, start, end int) error {
	c := byte(0)
	if end < len(b) {
		c = b[end]
	}
	return &InvalidHeaderError{Log: fmt.Sprintf(`upstream sent invalid header: "%s\x%02x..."`, b[start:end], c)}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func indexSpace(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return i
		}
	}
	return len(s)
}

// atoof is ngx_atoof: a non-empty run of digits, else -1.
func atoof(b []byte) int64 {
	if len(b) == 0 {
		return -1
	}
	var n int64
	for _, c := range b {
		if !isDigit(c) || n > (1<<62)/10 {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// foldEqual compares ASCII case-insensitively, as nginx's lowercased header
// hash does; unlike strings.EqualFold it never matches non-ASCII bytes
// ("ſtatus" is not "Status").
func foldEqual(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

// foldContains reports whether b contains the lowercase word w, ASCII
// case-insensitively (ngx_strlcasestrn).
func foldContains(b []byte, w string) bool {
	for i := 0; i+len(w) <= len(b); i++ {
		if foldEqual(b[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}
