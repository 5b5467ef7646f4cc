package load

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// conn is one keep-alive HTTP/1.1 connection, as wrk keeps one per
// connection: the request's bytes are built once and written as they are,
// and the answer is read just enough to know where it ends (status line,
// Content-Length, chunked, or until the server closes). net/http's client
// does the same work plus what a load generator does not need (header maps,
// a goroutine per connection for reading, a connection pool), and
// costs about twice the CPU per request, which on a 2-core machine shared
// with the server is throughput taken from the server.
type conn struct {
	c       net.Conn
	r       *bufio.Reader
	reused  bool // at least one answer was read on c
	closing bool // the last answer said the connection ends
	unwatch func() bool
}

// close closes c; a nil c is fine.
func (c *conn) close() {
	if c == nil {
		return
	}
	if c.unwatch != nil {
		c.unwatch()
	}
	c.c.Close()
}

// errBadResponse is an answer that is not HTTP/1.x.
var errBadResponse = errors.New("malformed HTTP response")

// errClosed is a connection the server closed before the answer's first
// byte (kept-alive connections are closed this way when idle or after
// nginx's keepalive_requests).
var errClosed = errors.New("connection closed before the response")

// result is what one request answered.
type result struct {
	status int
	bytes  int64 // head and body
}

// do writes req and reads one answer. head is true for a HEAD request
// (no body follows, whatever the head says).
func (c *conn) do(req []byte, head bool, deadline time.Time) (result, error) {
	c.c.SetDeadline(deadline)
	if _, err := c.c.Write(req); err != nil {
		return result{}, err
	}
	return c.read(head)
}

func (c *conn) read(head bool) (result, error) {
	var res result
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			if len(line) == 0 && (err == io.EOF || isReset(err)) {
				return res, errClosed
			}
			return res, unexpectedEOF(err)
		}
		res.bytes += int64(len(line))
		status, http10, ok := parseStatusLine(line)
		if !ok {
			return res, fmt.Errorf("%w: status line %q", errBadResponse, trimCRLF(line))
		}
		res.status = status
		length, chunked, closing, n, err := c.readHeaders(http10)
		res.bytes += n
		if err != nil {
			return res, err
		}
		if status >= 100 && status < 200 && status != 101 {
			continue // 100 Continue and friends: the real answer follows
		}
		c.closing = closing
		switch {
		case head || status == 204 || status == 304 || status == 101:
		case chunked:
			n, err := c.discardChunked()
			res.bytes += n
			if err != nil {
				return res, err
			}
		case length >= 0:
			n, err := c.r.Discard(int(length))
			res.bytes += int64(n)
			if err != nil {
				return res, unexpectedEOF(err)
			}
		default: // no length: the body ends when the server closes
			n, err := io.Copy(io.Discard, c.r)
			res.bytes += n
			c.closing = true
			if err != nil {
				return res, err
			}
		}
		c.reused = true
		return res, nil
	}
}

// parseStatusLine reads "HTTP/1.1 200 OK\r\n".
func parseStatusLine(line []byte) (status int, http10, ok bool) {
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, false
	}
	for _, d := range line[9:12] {
		if d < '0' || d > '9' {
			return 0, false, false
		}
		status = status*10 + int(d-'0')
	}
	if len(line) > 12 && line[12] != ' ' && line[12] != '\r' && line[12] != '\n' {
		return 0, false, false
	}
	return status, line[7] == '0', true
}

// readHeaders reads the header lines up to the blank one and returns
// what framing they say: Content-Length (-1 when absent), chunked, and
// whether the connection closes after this answer (Connection: close, or
// HTTP/1.0 without keep-alive).
func (c *conn) readHeaders(http10 bool) (length int64, chunked, closing bool, n int64, err error) {
	length = -1
	closing = http10
	for {
		line, err := c.r.ReadSlice('\n')
		n += int64(len(line))
		if err != nil {
			if err == bufio.ErrBufferFull {
				return 0, false, false, n, fmt.Errorf("%w: a header line longer than %d bytes", errBadResponse, c.r.Size())
			}
			return 0, false, false, n, unexpectedEOF(err)
		}
		line = trimCRLF(line)
		if len(line) == 0 {
			return length, chunked, closing, n, nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return 0, false, false, n, fmt.Errorf("%w: header line %q", errBadResponse, line)
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			v, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || v < 0 {
				return 0, false, false, n, fmt.Errorf("%w: Content-Length %q", errBadResponse, value)
			}
			length = v
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = hasToken(value, "chunked")
		case bytes.EqualFold(name, []byte("Connection")):
			if hasToken(value, "close") {
				closing = true
			} else if hasToken(value, "keep-alive") {
				closing = false
			}
		}
	}
}

// discardChunked reads a chunked body (RFC 9112 §7.1) and its trailers.
func (c *conn) discardChunked() (n int64, err error) {
	for {
		line, err := c.r.ReadSlice('\n')
		n += int64(len(line))
		if err != nil {
			return n, unexpectedEOF(err)
		}
		line = trimCRLF(line)
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		size, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || size < 0 {
			return n, fmt.Errorf("%w: chunk size %q", errBadResponse, line)
		}
		if size == 0 {
			for { // trailers, up to the blank line
				line, err := c.r.ReadSlice('\n')
				n += int64(len(line))
				if err != nil {
					return n, unexpectedEOF(err)
				}
				if len(trimCRLF(line)) == 0 {
					return n, nil
				}
			}
		}
		d, err := c.r.Discard(int(size))
		n += int64(d)
		if err != nil {
			return n, unexpectedEOF(err)
		}
		crlf, err := c.r.ReadSlice('\n')
		n += int64(len(crlf))
		if err != nil {
			return n, unexpectedEOF(err)
		}
	}
}

func trimCRLF(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// hasToken reports whether the comma-separated list v holds tok.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var item []byte
		item, v, _ = bytes.Cut(v, []byte(","))
		if bytes.EqualFold(bytes.TrimSpace(item), []byte(tok)) {
			return true
		}
	}
	return false
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
