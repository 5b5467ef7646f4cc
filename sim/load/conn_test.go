package load

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestRead: how each kind of answer is framed, byte for byte.
func TestRead(t *testing.T) {
	tests := []struct {
		name        string
		raw         string
		head        bool
		wantStatus  int
		wantBytes   int64
		wantClosing bool
		wantKind    ErrorKind // checked when wantErr
		wantErr     bool
		wantRest    string // what stays unread: the next answer
	}{
		{name: "content-length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloNEXT",
			wantStatus: 200, wantBytes: 43, wantRest: "NEXT"},
		{name: "chunked with trailer", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nX-T: 1\r\n\r\nNEXT",
			wantStatus: 200, wantBytes: 74, wantRest: "NEXT"},
		{name: "connection close", raw: "HTTP/1.1 302 Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
			wantStatus: 302, wantBytes: 60, wantClosing: true},
		{name: "HTTP/1.0 without length reads to EOF", raw: "HTTP/1.0 200 OK\r\n\r\nbody until close",
			wantStatus: 200, wantBytes: 35, wantClosing: true},
		{name: "HTTP/1.0 keep-alive", raw: "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nxNEXT",
			wantStatus: 200, wantBytes: 63, wantRest: "NEXT"},
		{name: "100 continue first", raw: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
			wantStatus: 201, wantBytes: 68},
		{name: "204 has no body", raw: "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\nNEXT",
			wantStatus: 204, wantBytes: 46, wantRest: "NEXT"},
		{name: "HEAD has no body", head: true, raw: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nNEXT",
			wantStatus: 200, wantBytes: 38, wantRest: "NEXT"},
		{name: "bare LF lines", raw: "HTTP/1.1 404 Not Found\nContent-Length: 2\n\nnoNEXT",
			wantStatus: 404, wantBytes: 44, wantRest: "NEXT"},
		{name: "closed before any byte", raw: "", wantErr: true, wantKind: Closed},
		{name: "truncated body", raw: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", wantErr: true, wantKind: Closed},
		{name: "not HTTP", raw: "SSH-2.0-OpenSSH_9.2\r\n", wantErr: true, wantKind: Malformed},
		{name: "bad content-length", raw: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", wantErr: true, wantKind: Malformed},
		{name: "bad chunk size", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", wantErr: true, wantKind: Malformed},
		{name: "header without colon", raw: "HTTP/1.1 200 OK\r\nnonsense\r\n\r\n", wantErr: true, wantKind: Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &conn{r: bufio.NewReaderSize(strings.NewReader(tt.raw), 64)}
			res, err := c.read(tt.head)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got status %d, want an error of kind %v", res.status, tt.wantKind)
				}
				if k := kindOf(err); k != tt.wantKind {
					t.Fatalf("got %v (kind %v), want kind %v", err, k, tt.wantKind)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want status %d", err, tt.wantStatus)
			}
			if res.status != tt.wantStatus || res.bytes != tt.wantBytes || c.closing != tt.wantClosing {
				t.Errorf("got status %d, %d bytes, closing %v; want %d, %d, %v", res.status, res.bytes, c.closing, tt.wantStatus, tt.wantBytes, tt.wantClosing)
			}
			rest, _ := io.ReadAll(c.r)
			if string(rest) != tt.wantRest {
				t.Errorf("left unread %q, want %q", rest, tt.wantRest)
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	if k := kindOf(errors.New("something")); k != Other {
		t.Errorf("plain error: got %v, want %v", k, Other)
	}
	for _, k := range Kinds() {
		if k.String() == "kind?" || k.Chinese() == "kind?" {
			t.Errorf("kind %d has no name", k)
		}
	}
}
