package uwsgiproto

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestParseHead(t *testing.T) {
	tests := []struct {
		name    string
		module  Module
		in      string
		status  int
		line    string
		proto   string
		header  []Field
		cl      int64
		chunked bool
		http09  bool
		size    int    // 0: len(in)
		invalid string // nginx's error text when the head is rejected
		more    bool   // incomplete
	}{
		{name: "uwsgi status line", module: UwsgiModule, in: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
			status: 200, line: "200 OK", proto: "HTTP/1.1", header: []Field{hdr("Content-Type", "text/plain")}, cl: -1},
		{name: "bare LF lines", module: UwsgiModule, in: "HTTP/1.0 404 Not Found\nX-A: 1\n\n",
			status: 404, line: "404 Not Found", proto: "HTTP/1.0", header: []Field{hdr("X-A", "1")}, cl: -1},
		{name: "status without reason", module: UwsgiModule, in: "HTTP/1.1 204\r\n\r\n",
			status: 204, line: "204", proto: "HTTP/1.1", cl: -1},
		{name: "IIS sub-status", module: ProxyModule, in: "HTTP/1.1 403.1 Forbidden\r\n\r\n",
			status: 403, line: "403.1 Forbidden", proto: "HTTP/1.1", cl: -1},
		{name: "spaces inside the code are skipped", module: ProxyModule, in: "HTTP/1.1  2 00 OK\r\n\r\n",
			status: 200, line: " 00 OK", proto: "HTTP/1.1", cl: -1}, // nginx takes the text from 2 bytes before the 3rd digit
		{name: "body bytes after the head", module: UwsgiModule, in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
			status: 200, line: "200 OK", proto: "HTTP/1.1", header: []Field{hdr("Content-Length", "2")}, cl: 2,
			size: len("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")},
		{name: "CGI Status header", module: UwsgiModule, in: "Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\n",
			status: 404, line: "404 Not Found", header: []Field{hdr("Status", "404 Not Found"), hdr("Content-Type", "text/html")}, cl: -1},
		{name: "CGI Location gives 302", module: UwsgiModule, in: "Location: /login\r\n\r\n",
			status: 302, line: "302 Moved Temporarily", header: []Field{hdr("Location", "/login")}, cl: -1},
		{name: "CGI nothing gives 200", module: UwsgiModule, in: "X-A: 1\r\n\r\n",
			status: 200, line: "200 OK", header: []Field{hdr("X-A", "1")}, cl: -1},
		{name: "blank first line gives 200", module: UwsgiModule, in: "\r\n", status: 200, line: "200 OK", cl: -1},
		{name: "status line wins over Status header", module: UwsgiModule, in: "HTTP/1.1 201 Created\r\nStatus: 500\r\n\r\n",
			status: 201, line: "201 Created", proto: "HTTP/1.1", header: []Field{hdr("Status", "500")}, cl: -1},
		{name: "invalid Status header", module: UwsgiModule, in: "Status: OK\r\n\r\n", invalid: `upstream sent invalid status "OK"`},
		{name: "a line without colon is a header", module: UwsgiModule, in: "garbage\r\n\r\n",
			status: 200, line: "200 OK", header: []Field{hdr("garbage", "")}, cl: -1},
		{name: "space in a name", module: UwsgiModule, in: "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
			invalid: `upstream sent invalid header: "Bad\x20..."`},
		{name: "NUL in a value", module: UwsgiModule, in: "HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n",
			invalid: `upstream sent invalid header: "X: a\x00..."`},
		{name: "line starting with a colon", module: UwsgiModule, in: "HTTP/1.1 200 OK\r\n: x\r\n\r\n",
			invalid: `upstream sent invalid header: "\x3a..."`},
		{name: "CR not followed by LF", module: UwsgiModule, in: "HTTP/1.1 200 OK\r\nX: 1\rY\r\n\r\n",
			invalid: `upstream sent invalid header: "X: 1\x0d..."`},
		{name: "trailing spaces trimmed, odd name bytes tolerated", module: UwsgiModule, in: "HTTP/1.1 200 OK\r\nX(y):   a b  \r\n\r\n",
			status: 200, line: "200 OK", proto: "HTTP/1.1", header: []Field{hdr("X(y)", "a b")}, cl: -1},
		{name: "duplicate HTTP line ignored", module: ProxyModule, in: "HTTP/1.1 200 OK\r\nHTTP/1.1 200 OK\r\nX: 1\r\n\r\n",
			status: 200, line: "200 OK", proto: "HTTP/1.1", header: []Field{hdr("X", "1")}, cl: -1},
		{name: "last Content-Length wins", module: ProxyModule, in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n",
			status: 200, line: "200 OK", proto: "HTTP/1.1", header: []Field{hdr("Content-Length", "5"), hdr("Content-Length", "7")}, cl: 7},
		{name: "bad Content-Length is unknown", module: ProxyModule, in: "HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n",
			status: 200, line: "200 OK", proto: "HTTP/1.1", header: []Field{hdr("Content-Length", "5x")}, cl: -1},
		{name: "chunked", module: ProxyModule, in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n",
			status: 200, line: "200 OK", proto: "HTTP/1.1", header: []Field{hdr("Transfer-Encoding", "Chunked")}, cl: -1, chunked: true},
		{name: "proxy HTTP/0.9", module: ProxyModule, in: "hello\n", status: 200, line: "200 OK", http09: true, cl: -1, size: -1},
		{name: "proxy bad version is HTTP/0.9", module: ProxyModule, in: "HTTP/0.9 200 OK\r\n\r\n", status: 200, line: "200 OK", http09: true, cl: -1, size: -1},
		// Checked against nginx 1.22.1 (uwsgi_pass/proxy_pass to a raw socket):
		{name: "first Status header wins", module: UwsgiModule, in: "Status: 404 Not Found\r\nStatus: 500 Bad\r\n\r\n",
			status: 404, line: "404 Not Found", header: []Field{hdr("Status", "404 Not Found"), hdr("Status", "500 Bad")}, cl: -1},
		{name: "uwsgi status line 000 falls back to 200", module: UwsgiModule, in: "HTTP/1.1 000 OK\r\nX-A: 1\r\n\r\n",
			status: 200, line: "200 OK", proto: "HTTP/1.1", header: []Field{hdr("X-A", "1")}, cl: -1},
		{name: "uwsgi status line 000 then a Status header", module: UwsgiModule, in: "HTTP/1.1 000 OK\r\nStatus: 404 Gone\r\n\r\n",
			status: 404, line: "404 Gone", proto: "HTTP/1.1", header: []Field{hdr("Status", "404 Gone")}, cl: -1},
		{name: "uwsgi Status 000 is relayed", module: UwsgiModule, in: "Status: 000 Zero\r\n\r\n",
			status: 0, line: "000 Zero", header: []Field{hdr("Status", "000 Zero")}, cl: -1},
		{name: "proxy status line 000 is relayed", module: ProxyModule, in: "HTTP/1.1 000 OK\r\n\r\n",
			status: 0, line: "000 OK", proto: "HTTP/1.1", cl: -1},
		{name: "header names compare as ASCII only", module: UwsgiModule, in: "\u017ftatus: 404\r\n\r\n",
			status: 200, line: "200 OK", header: []Field{hdr("\u017ftatus", "404")}, cl: -1},
		{name: "incomplete status line", module: UwsgiModule, in: "HTTP/1.1 20", more: true},
		{name: "incomplete headers", module: UwsgiModule, in: "HTTP/1.1 200 OK\r\nX: 1\r\n", more: true},
		{name: "incomplete CGI head", module: UwsgiModule, in: "helloworld", more: true},
		{name: "raw text is an invalid header", module: UwsgiModule, in: "hello world", invalid: `upstream sent invalid header: "hello\x20..."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHead([]byte(tt.in), tt.module)
			switch {
			case tt.more:
				if !errors.Is(err, ErrNeedMore) {
					t.Fatalf("got %v, %v; want ErrNeedMore", h, err)
				}
				return
			case tt.invalid != "":
				var inv *InvalidHeaderError
				if !errors.As(err, &inv) {
					t.Fatalf("got %+v, %v; want invalid %q", h, err, tt.invalid)
				}
				if inv.Log != tt.invalid {
					t.Fatalf("got message %q, want %q", inv.Log, tt.invalid)
				}
				return
			case err != nil:
				t.Fatalf("got error %v", err)
			}
			size := tt.size
			switch size {
			case 0:
				size = len(tt.in)
			case -1:
				size = 0
			}
			if h.Status != tt.status || h.StatusLine != tt.line || h.Proto != tt.proto {
				t.Errorf("got status %d %q proto %q, want %d %q %q", h.Status, h.StatusLine, h.Proto, tt.status, tt.line, tt.proto)
			}
			if !reflect.DeepEqual(h.Header, tt.header) {
				t.Errorf("got headers %q, want %q", h.Header, tt.header)
			}
			if h.ContentLength != tt.cl || h.Chunked != tt.chunked || h.HTTP09 != tt.http09 || h.Size != size {
				t.Errorf("got cl %d chunked %v http09 %v size %d, want %d %v %v %d",
					h.ContentLength, h.Chunked, h.HTTP09, h.Size, tt.cl, tt.chunked, tt.http09, size)
			}
		})
	}
}

// FuzzParseHead checks that parsing is a function of the head's own bytes,
// as nginx's byte-at-a-time state machines are: every proper prefix of a
// complete head asks for more, and the head alone parses to the same value
// as the head followed by body bytes. A HeadParser resuming over the same
// bytes in several reads gives the same answer.
func FuzzParseHead(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/heads/*")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nX: 1\r\n\r\nbody"), false)
	f.Fuzz(func(t *testing.T, in []byte, http bool) {
		if len(in) > 8192 {
			return
		}
		module := UwsgiModule
		if http {
			module = ProxyModule
		}
		h, err := ParseHead(in, module)
		// A HeadParser fed the same bytes a few at a time, as reads bring
		// them, agrees with one ParseHead over all of them.
		for _, step := range []int{1, 1 + len(in)%13} {
			hp := HeadParser{Module: module}
			var got *Head
			var gerr error
			for k := min(step, len(in)); ; k = min(k+step, len(in)) {
				got, gerr = hp.Parse(in[:k])
				if gerr != ErrNeedMore || k == len(in) {
					break
				}
			}
			if (err == nil) != (gerr == nil) || err != nil && err.Error() != gerr.Error() || err == nil && !reflect.DeepEqual(got, h) {
				t.Fatalf("HeadParser, %d bytes per read: got %+v, %v; ParseHead: %+v, %v", step, got, gerr, h, err)
			}
		}
		if err != nil {
			var inv *InvalidHeaderError
			if !errors.Is(err, ErrNeedMore) && !errors.As(err, &inv) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if h.Size < 0 || h.Size > len(in) {
			t.Fatalf("size %d outside 0..%d", h.Size, len(in))
		}
		if h.Status < 0 || h.Status > 999 {
			t.Fatalf("status %d", h.Status)
		}
		if h.HTTP09 {
			return // HTTP/0.9 is decided on the first bytes; there is no head
		}
		again, err := ParseHead(in[:h.Size], module)
		if err != nil || !reflect.DeepEqual(again, h) {
			t.Fatalf("head alone: got %+v, %v; want %+v", again, err, h)
		}
		for k := 0; k < h.Size; k++ {
			p, err := ParseHead(in[:k], module)
			if !errors.Is(err, ErrNeedMore) {
				t.Fatalf("prefix %q of complete head %q: got %+v, %v; want ErrNeedMore", in[:k], in[:h.Size], p, err)
			}
		}
	})
}

func hdr(name, value string) Field { return Field{Name: name, Value: value} }

// ParseHead is a HeadParser's answer for buf read in one go: the tests'
// reference. It parses buf, which starts with the response, the way nginx 1.22
// does: ngx_http_parse_status_line, then ngx_http_parse_header_line with
// underscores allowed, then the module's rules (see Module).
//
// It returns ErrNeedMore while the head is incomplete and an
// *InvalidHeaderError for what nginx answers with 502. The result depends
// on the head's own bytes only: bytes after the head (the body) never
// change it, and every proper prefix of a complete head is ErrNeedMore.
//
// ParseHead starts from the first byte on every call; a caller reading a
// head in several reads uses a HeadParser, which resumes. buf is not kept.
func ParseHead(buf []byte, m Module) (*Head, error) {
	var local [16]span // most heads have fewer lines: no allocation for them
	sc := headScan{m: m}
	h, _, err := sc.scan(buf, local[:0])
	return h, err
}
