package uwsgiproto

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// WriteRequest writes one request packet and its body to w, as nginx's
// uwsgi module does: header, vars block, then exactly the body bytes.
// Callers set CONTENT_LENGTH in vs to the body's length.
func WriteRequest(w io.Writer, modifier1, modifier2 uint8, vs Vars, body io.Reader) (int64, error) {
	pkt, err := EncodePacket(modifier1, modifier2, vs)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(pkt)
	total := int64(n)
	if err != nil || body == nil {
		return total, err
	}
	m, err := io.Copy(w, body)
	return total + m, err
}

// Response-head errors, named after the nginx error.log text they produce.
var (
	// ErrPrematureClose: the app server closed before the head was complete
	// ("upstream prematurely closed connection while reading response header from upstream").
	ErrPrematureClose = errors.New("upstream prematurely closed connection")
	// ErrHeadTooBig: the head did not fit in uwsgi_buffer_size
	// ("upstream sent too big header while reading response header from upstream").
	ErrHeadTooBig = errors.New("upstream sent too big header")
	// ErrInvalidHeader: a header line nginx cannot parse
	// ("upstream sent invalid header while reading response header from upstream").
	ErrInvalidHeader = errors.New("upstream sent invalid header")
)

// A Field is one response header line, in the order the app sent it.
type Field struct{ Name, Value string }

// A Response is the HTTP response an app server sent back over uwsgi.
type Response struct {
	Status int     // the status code nginx will use
	Reason string  // the reason phrase ("OK"); "" when the status came from a Status: header
	Proto  string  // "HTTP/1.1" from the status line; "" for a CGI-style head
	Fields []Field // headers in order (a CGI-style Status: header is consumed, as nginx does)
	Head   []byte  // the raw head, status line to blank line
	// Body reads the rest: Content-Length bytes when given, else to EOF.
	Body io.Reader
}

// Get returns the first header named name (ASCII case-insensitive).
func (r *Response) Get(name string) (string, bool) {
	for _, f := range r.Fields {
		if asciiEqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// ReadResponse reads a response head the way nginx's uwsgi module does
// (ngx_http_uwsgi_process_status_line / process_header): if the first line is
// a valid HTTP status line it gives the status; otherwise the whole head is
// CGI-style headers where "Status: 404 Not Found" sets the status, a Location
// header gives 302, else 200. maxHead is uwsgi_buffer_size (≤ 0: 4096).
func ReadResponse(r *bufio.Reader, maxHead int) (*Response, error) {
	if maxHead <= 0 {
		maxHead = DefaultBufferSize
	}
	head, err := readHead(r, maxHead)
	if err != nil {
		return nil, err
	}
	resp := &Response{Head: head}
	lines := splitLines(head)
	if proto, code, reason, ok := parseStatusLine(lines[0]); ok {
		resp.Proto, resp.Status, resp.Reason = proto, code, reason
		lines = lines[1:]
	}
	for _, ln := range lines {
		if len(ln) == 0 {
			break
		}
		name, value, ok := parseHeaderLine(ln)
		if !ok {
			return nil, fmt.Errorf("%w: %q", ErrInvalidHeader, ln)
		}
		if resp.Proto == "" && asciiEqualFold(name, "Status") {
			code, rest, ok := statusValue(value)
			if !ok {
				return nil, fmt.Errorf("%w: Status: %q", ErrInvalidHeader, value)
			}
			resp.Status, resp.Reason = code, rest
			continue
		}
		resp.Fields = append(resp.Fields, Field{Name: name, Value: value})
	}
	if resp.Status == 0 {
		if _, ok := resp.Get("Location"); ok {
			resp.Status = 302
		} else {
			resp.Status = 200
		}
	}
	resp.Body = r
	if cl, ok := resp.Get("Content-Length"); ok {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			resp.Body = io.LimitReader(r, n)
		}
	}
	return resp, nil
}

// readHead reads up to and including the blank line that ends the head.
func readHead(r *bufio.Reader, maxHead int) ([]byte, error) {
	var head []byte
	for {
		line, err := r.ReadSlice('\n')
		if len(head)+len(line) > maxHead {
			return nil, ErrHeadTooBig
		}
		head = append(head, line...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF {
				return nil, ErrPrematureClose
			}
			return nil, err
		}
		if len(line) == 1 || (len(line) == 2 && line[0] == '\r') {
			// A blank line ends the head, even as the very first line
			// (nginx: no headers, status 200).
			return head, nil
		}
	}
}

func splitLines(head []byte) [][]byte {
	var out [][]byte
	for len(head) > 0 {
		i := bytes.IndexByte(head, '\n')
		if i < 0 {
			out = append(out, head)
			break
		}
		ln := head[:i]
		ln = bytes.TrimSuffix(ln, []byte("\r"))
		out = append(out, ln)
		head = head[i+1:]
	}
	return out
}

// parseStatusLine accepts "HTTP/d.d NNN reason" (reason may be empty), as
// ngx_http_parse_status_line does.
func parseStatusLine(ln []byte) (proto string, code int, reason string, ok bool) {
	if len(ln) < 12 || string(ln[:5]) != "HTTP/" {
		return "", 0, "", false
	}
	sp := bytes.IndexByte(ln, ' ')
	if sp < 6 {
		return "", 0, "", false
	}
	ver := ln[5:sp]
	dot := bytes.IndexByte(ver, '.')
	if dot <= 0 || dot == len(ver)-1 || !allDigits(ver[:dot]) || !allDigits(ver[dot+1:]) {
		return "", 0, "", false
	}
	rest := ln[sp+1:]
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	if len(rest) < 3 || !allDigits(rest[:3]) || (len(rest) > 3 && rest[3] != ' ') {
		return "", 0, "", false
	}
	code = int(rest[0]-'0')*100 + int(rest[1]-'0')*10 + int(rest[2]-'0')
	if code < 100 {
		return "", 0, "", false
	}
	reason = ""
	if len(rest) > 4 {
		reason = string(rest[4:])
	}
	return string(ln[:sp]), code, reason, true
}

func statusValue(v string) (int, string, bool) {
	if len(v) < 3 || !allDigits([]byte(v[:3])) || (len(v) > 3 && v[3] != ' ') {
		return 0, "", false
	}
	code, _ := strconv.Atoi(v[:3])
	if code < 100 {
		return 0, "", false
	}
	reason := ""
	if len(v) > 4 {
		reason = v[4:]
	}
	return code, reason, true
}

// parseHeaderLine splits "Name: value", rejecting what nginx's header parser
// rejects: no colon, an empty name, or control characters in the name.
func parseHeaderLine(ln []byte) (string, string, bool) {
	i := bytes.IndexByte(ln, ':')
	if i <= 0 {
		return "", "", false
	}
	name := ln[:i]
	for _, c := range name {
		if c <= ' ' || c == 0x7f {
			return "", "", false
		}
	}
	value := bytes.Trim(ln[i+1:], " \t")
	return string(name), string(value), true
}

func allDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
