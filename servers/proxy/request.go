package proxy

import (
	"bufio"
	"bytes"
	"errors"
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
}

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

// parseRequestLine follows ngx_http_parse_request_line: a method of A–Z, '_'
// and '-'; one or more spaces; an origin-form ("/x") or absolute-form
// ("http://host/x") target with no control bytes; spaces; "HTTP/major.minor"
// (major 1 only, else 505). line has its CRLF or LF removed.
func parseRequestLine(line string) (requestLine, *parseError) {
	bad := &parseError{400, "client sent invalid request"}
	var rl requestLine
	i := 0
	for i < len(line) && (line[i] >= 'A' && line[i] <= 'Z' || line[i] == '_' || line[i] == '-') {
		i++
	}
	if i == 0 || i >= len(line) || line[i] != ' ' {
		return rl, &parseError{400, "client sent invalid method"}
	}
	rl.method = line[:i]
	for i < len(line) && line[i] == ' ' {
		i++
	}
	start := i
	if i < len(line) && line[i] != '/' {
		// absolute form: scheme "://" host [":" port] [path]
		j := i
		for j < len(line) && (isAlpha(line[j]) || (j > i && (isDigit(line[j]) || line[j] == '+' || line[j] == '-' || line[j] == '.'))) {
			j++
		}
		if j == i || !strings.HasPrefix(line[j:], "://") {
			return rl, bad
		}
		j += 3
		hs := j
		for j < len(line) && (isAlpha(line[j]) || isDigit(line[j]) || line[j] == '.' || line[j] == '-') {
			j++
		}
		rl.host = strings.ToLower(line[hs:j])
		if j < len(line) && line[j] == ':' {
			j++
			for j < len(line) && isDigit(line[j]) {
				j++
			}
		}
		rl.absolute = true
		start = j
		i = j
		if i < len(line) && line[i] != '/' && line[i] != '?' && line[i] != ' ' {
			return rl, bad
		}
	}
	for i < len(line) && line[i] != ' ' {
		if c := line[i]; c < 0x20 || c == 0x7f {
			return rl, bad
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
		if rl.method != "GET" {
			return rl, bad // HTTP/0.9 knows only GET
		}
		rl.major, rl.minor = 0, 9
		return rl, nil
	}
	v := strings.TrimRight(line[i:], " ")
	if !strings.HasPrefix(v, "HTTP/") {
		return rl, bad
	}
	major, minor, ok := strings.Cut(v[5:], ".")
	if !ok || !digits(major) || !digits(minor) || major[0] == '0' || len(major) > 3 || len(minor) > 3 {
		return rl, bad
	}
	rl.major, _ = strconv.Atoi(major)
	rl.minor, _ = strconv.Atoi(minor)
	if rl.major > 1 {
		return rl, &parseError{505, "client sent invalid HTTP version"}
	}
	rl.proto = v
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

// parseHeaderLine splits "Name: value" as ngx_http_parse_header_line does.
// valid is false for a name nginx ignores (ignore_invalid_headers on: bytes
// other than letters, digits and '-', or '_' with underscores_in_headers
// off); err is set for a line nginx refuses with 400 (a first byte that is a
// space, control or ':', a space or control inside the name, a NUL in the
// value). A line without ':' is a header with an empty value, as in nginx.
func parseHeaderLine(line []byte, underscores bool) (h header, valid bool, err *parseError) {
	bad := &parseError{400, "client sent invalid header line"}
	if len(line) == 0 || line[0] <= 0x20 || line[0] == 0x7f || line[0] == ':' {
		return h, false, bad
	}
	colon := bytes.IndexByte(line, ':')
	name, value := line, []byte(nil)
	if colon >= 0 {
		name, value = line[:colon], line[colon+1:]
	}
	valid = true
	for _, c := range name {
		switch {
		case isAlpha(c), isDigit(c), c == '-':
		case c == '_':
			valid = valid && underscores
		case c <= 0x20 || c == 0x7f:
			return h, false, bad
		default:
			valid = false
		}
	}
	if bytes.IndexByte(value, 0) >= 0 {
		return h, false, bad
	}
	value = bytes.Trim(value, " \t")
	return header{Name: string(name), Value: string(value)}, valid, nil
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
