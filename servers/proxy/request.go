package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A header is one request header as the client sent it.
type header struct{ Name, Value string }

// parseError is a request nginx refuses while reading the head: status is what
// the client gets (400, 414, 494 shown as 400, 501, 505) and msg the info-level
// log line ("client sent invalid request").
type parseError struct {
	status int
	msg    string
	action string // nginx's log action: " while reading client request line"…
	// closed: the connection broke before the head was whole; nginx logs
	// status (400) and closes without an answer
	closed bool
}

// The log actions of the phases of reading a request.
const (
	actionLine      = "reading client request line"
	actionPipelined = "reading client pipelined request line"
	actionHeaders   = "reading client request headers"
)

func (e *parseError) Error() string { return "proxy: " + e.msg }

// headBuffers mirrors how nginx stores a request head: first in the
// client_header_buffer_size buffer (1k), then, when a line does not fit, in up
// to large_client_header_buffers (4 × 8k). A line longer than one large buffer,
// or a head needing a fifth, is refused: 414 while still in the request line,
// 494 ("400 Request Header Or Cookie Too Large") in the headers.
type headBuffers struct {
	small, large, max int // sizes and count from the config
	size, pos, used   int // current buffer size, bytes used in it, large buffers taken
}

func (hb *headBuffers) reset(small, large, max int) {
	*hb = headBuffers{small: small, large: large, max: max, size: small}
}

// room is how much of a line of n bytes that does not fit nginx had in the
// buffer it gave up on: a whole large buffer when the line alone is longer,
// else what was left of the last buffer.
func (hb *headBuffers) room(n int) int {
	if n > hb.large {
		return hb.large
	}
	return hb.size - hb.pos
}

// fits accounts for one line of n bytes (CRLF included).
func (hb *headBuffers) fits(n int) bool {
	if hb.pos+n <= hb.size {
		hb.pos += n
		return true
	}
	if n > hb.large || hb.used >= hb.max {
		return false
	}
	hb.used++
	hb.size, hb.pos = hb.large, n
	return true
}

// readLine reads one line ending in LF. Lines longer than the bufio buffer
// (sized to one large buffer) come back as errLineTooLong.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return line, errLineTooLong // the bytes read so far: nginx logs them
	}
	return line, err
}

var errLineTooLong = errors.New("proxy: line too long")

// requestLine is the parsed first line of a request.
type requestLine struct {
	method   string
	target   string // request target as sent (absolute form reduced to its path by the caller)
	host     string // host from an absolute-form target, if any
	proto    string // "HTTP/1.1"; "" for HTTP/0.9
	major    int
	minor    int
	absolute bool
}

// parseRequestLine follows ngx_http_parse_request_line state by state: a
// method of A–Z, '_' and '-'; spaces; an origin-form ("/x") or absolute-form
// ("http://host[:port][/x]") target with no control bytes; spaces; and
// "HTTP/major.minor" (major 1, at most three minor digits), or nothing for
// HTTP/0.9, which knows only GET. A major version above 1 is "invalid
// version" (505). line has its final LF (and the CR before it) removed.
func parseRequestLine(line string) (requestLine, *parseError) {
	var rl requestLine
	fail := func(msg string) (requestLine, *parseError) {
		return rl, &parseError{status: 400, msg: msg, action: actionLine}
	}
	const (
		invalidRequest = "client sent invalid request"
		invalidMethod  = "client sent invalid method"
	)
	i := 0
	for i < len(line) && (line[i] >= 'A' && line[i] <= 'Z' || line[i] == '_' || line[i] == '-') {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ' ' {
		return fail(invalidMethod)
	}
	rl.method = line[:i]
	for i < len(line) && line[i] == ' ' {
		i++
	}
	start := i
	if i < len(line) && line[i] != '/' {
		// absolute form: scheme "://" host [":" port] [path]
		if !isAlpha(line[i]) {
			return fail(invalidRequest)
		}
		for i < len(line) && (isAlpha(line[i]) || isDigit(line[i]) || line[i] == '+' || line[i] == '-' || line[i] == '.') {
			i++
		}
		if !strings.HasPrefix(line[i:], "://") {
			return fail(invalidRequest)
		}
		i += 3
		hs := i
		if i < len(line) && line[i] == '[' {
			for i++; i < len(line) && line[i] != ']'; i++ {
				if c := line[i]; !isAlpha(c) && !isDigit(c) && !strings.ContainsRune(":-._~!$&'()*+,;=", rune(c)) {
					return fail(invalidRequest)
				}
			}
			if i == len(line) {
				return fail(invalidRequest)
			}
			i++
		} else {
			for i < len(line) && (isAlpha(line[i]) || isDigit(line[i]) || line[i] == '.' || line[i] == '-') {
				i++
			}
		}
		rl.host = strings.ToLower(line[hs:i])
		if i < len(line) && line[i] == ':' {
			for i++; i < len(line) && isDigit(line[i]); i++ {
			}
		}
		rl.absolute = true
		start = i
		if i == len(line) || line[i] != '/' && line[i] != '?' && line[i] != ' ' {
			return fail(invalidRequest)
		}
	}
	for i < len(line) && line[i] != ' ' {
		if c := line[i]; c < 0x20 || c == 0x7f {
			return fail(invalidRequest)
		}
		i++
	}
	rl.target = line[start:i]
	if rl.target == "" {
		rl.target = "/"
	} else if rl.target[0] == '?' {
		rl.target = "/" + rl.target
	}
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if i == len(line) {
		rl.major, rl.minor = 0, 9
		if rl.method != "GET" {
			return fail("client sent invalid method in HTTP/0.9 request")
		}
		return rl, nil
	}
	v := line[i:]
	if !strings.HasPrefix(v, "HTTP/") {
		return fail(invalidRequest)
	}
	j := 5
	if j == len(v) || v[j] < '1' || v[j] > '9' {
		return fail(invalidRequest)
	}
	for ; j < len(v) && isDigit(v[j]); j++ {
		rl.major = rl.major*10 + int(v[j]-'0')
		if rl.major > 1 {
			return rl, &parseError{status: 505, msg: "client sent invalid version", action: actionLine}
		}
	}
	if j == len(v) || v[j] != '.' {
		return fail(invalidRequest)
	}
	j++
	if j == len(v) || !isDigit(v[j]) {
		return fail(invalidRequest)
	}
	for ; j < len(v) && isDigit(v[j]); j++ {
		if rl.minor > 99 {
			return fail(invalidRequest)
		}
		rl.minor = rl.minor*10 + int(v[j]-'0')
	}
	rl.proto = v[:j]
	for ; j < len(v); j++ {
		if v[j] != ' ' {
			return fail(invalidRequest)
		}
	}
	return rl, nil
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseHeaderLine splits one header line (without its LF) as
// ngx_http_parse_header_line does. valid is false for a name nginx ignores
// with ignore_invalid_headers on (bytes other than letters, digits and '-',
// or '_' with underscores_in_headers off); err is set for a line nginx
// refuses with 400: a first byte that is a space, a control or ':', a space
// or control inside the name, a NUL in the value, a CR not followed by the
// end of the line. Only spaces (not tabs) surround a value. A line without
// ':' is a header with an empty value, as in nginx. end is how much of the
// line nginx's log quotes for an ignored header (up to the value's end).
func parseHeaderLine(line []byte, underscores bool) (h header, valid bool, err *parseError) {
	h, valid, _, err = parseHeaderLineEnd(line, underscores)
	return h, valid, err
}

func parseHeaderLineEnd(line []byte, underscores bool) (h header, valid bool, end int, err *parseError) {
	bad := func(at int) *parseError {
		// "client sent invalid header line: "X\x20..."": the line up to
		// the offending byte, then that byte in hex
		return &parseError{status: 400, action: actionHeaders,
			msg: fmt.Sprintf("client sent invalid header line: \"%s\\x%02x...\"", line[:at], line[at])}
	}
	if len(line) == 0 {
		// the end of the head: the caller never asks
		return h, false, 0, &parseError{status: 400, action: actionHeaders, msg: "client sent invalid header line"}
	}
	if c := line[0]; c <= 0x20 || c == 0x7f || c == ':' {
		return h, false, 0, bad(0) // a CR first: only the head's end may start so
	}
	valid = true
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		switch {
		case isAlpha(c), isDigit(c), c == '-':
		case c == '_':
			valid = valid && underscores
		case c == ':' || c == '\r':
		case c <= 0x20 || c == 0x7f:
			return h, false, 0, bad(i)
		default:
			valid = false
		}
		if c == ':' || c == '\r' {
			break
		}
	}
	h.Name = string(line[:i])
	end = i
	if i < len(line) && line[i] == ':' {
		i++
		for i < len(line) && line[i] == ' ' {
			i++
		}
		start := i
		end = i
		for ; i < len(line) && line[i] != '\r'; i++ {
			switch line[i] {
			case 0:
				return h, false, 0, bad(i)
			case ' ':
			default:
				end = i + 1
			}
		}
		h.Value = string(line[start:max(end, start)])
	}
	// a CR ends the line: only more CRs may follow it
	for ; i < len(line); i++ {
		if line[i] != '\r' {
			return h, false, 0, bad(end)
		}
	}
	return h, valid, end, nil
}

// chunkedPrefixBroken reports whether the bytes of a chunked body received so
// far already break the syntax (a chunk size that is not hex). nginx finds
// this while discarding the body before an error page, and closes the
// connection instead of keeping it alive.
func chunkedPrefixBroken(b []byte) bool {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line = b[:i]
		}
		line = bytes.TrimRight(line, "\r")
		if j := bytes.IndexByte(line, ';'); j >= 0 {
			line = line[:j]
		}
		for _, c := range line {
			if !(isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f')) {
				return true
			}
		}
		if i < 0 || len(line) == 0 {
			return false
		}
		n, err := strconv.ParseInt(string(line), 16, 64)
		if err != nil {
			return true
		}
		b = b[i+1:]
		if n == 0 {
			return false
		}
		if int64(len(b)) < n+2 {
			return false
		}
		b = b[n:]
		if !bytes.HasPrefix(b, []byte("\r\n")) && !bytes.HasPrefix(b, []byte("\n")) {
			return true
		}
		b = b[bytes.IndexByte(b, '\n')+1:]
	}
	return false
}

// chunkedReader decodes a chunked request body (RFC 9112 §7.1) as nginx's
// ngx_http_parse_chunked does: hex sizes, extensions ignored, trailers read
// and dropped. limit > 0 makes a body that grows past it fail with errTooLarge.
type chunkedReader struct {
	br    *bufio.Reader
	left  int64 // bytes left in the current chunk
	total int64
	limit int64
	done  bool
	err   error
}

var (
	errTooLarge   = errors.New("proxy: request body too large")
	errBadChunked = errors.New("proxy: invalid chunked body")
)

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.done {
		return 0, io.EOF
	}
	if c.left == 0 {
		line, err := readLine(c.br)
		if err != nil {
			return 0, c.fail(err)
		}
		s := strings.TrimRight(string(line), "\r\n")
		if i := strings.IndexByte(s, ';'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimRight(s, " \t")
		if s == "" || len(s) > 15 {
			return 0, c.fail(errBadChunked)
		}
		n, perr := strconv.ParseInt(s, 16, 64)
		if perr != nil || n < 0 {
			return 0, c.fail(errBadChunked)
		}
		if n == 0 {
			for { // trailers up to the empty line
				line, err := readLine(c.br)
				if err != nil {
					return 0, c.fail(err)
				}
				if len(bytes.TrimRight(line, "\r\n")) == 0 {
					break
				}
			}
			c.done = true
			return 0, io.EOF
		}
		c.total += n
		if c.limit > 0 && c.total > c.limit {
			return 0, c.fail(errTooLarge)
		}
		c.left = n
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= int64(n)
	if c.left == 0 && err == nil {
		crlf, err2 := readLine(c.br)
		if err2 != nil {
			return n, c.fail(err2)
		}
		if len(bytes.TrimRight(crlf, "\r\n")) != 0 {
			return n, c.fail(errBadChunked)
		}
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return n, c.fail(err)
	}
	return n, nil
}

func (c *chunkedReader) fail(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	c.err = err
	return err
}
