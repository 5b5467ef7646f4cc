package upstream

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/uwsgiproto"
)

// trickleDialer connects the engine to an in-memory peer that reads the
// whole request and answers one byte per write. net.Pipe hands each write
// to exactly one read, so the engine sees the head arrive a byte at a time
// and its uwsgiproto.HeadParser has to resume after every read.
type trickleDialer struct {
	reqLen int
	resp   string
	wg     sync.WaitGroup
}

func (d *trickleDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	ours, theirs := net.Pipe()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer theirs.Close()
		theirs.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(theirs, make([]byte, d.reqLen)); err != nil {
			return
		}
		for i := 0; i < len(d.resp); i++ {
			if _, err := theirs.Write([]byte{d.resp[i]}); err != nil {
				return
			}
		}
	}()
	return ours, nil
}

func TestHeadOneBytePerRead(t *testing.T) {
	tests := []struct {
		name     string
		protocol string
		resp     string
		status   int
		line     string
		header   string // "Name: value" of the last header, "" for none
		headers  int    // how many header lines
		body     string
		log      string // error.log text when the head is refused
	}{
		{name: "uwsgi CGI head", protocol: "uwsgi", resp: "Status: 404 Not Found\r\nX-A: 1\r\n\r\nnope",
			status: 404, line: "404 Not Found", header: "X-A: 1", headers: 2, body: "nope"},
		{name: "uwsgi status line and many headers", protocol: "uwsgi",
			resp:   "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Pad: 0123456789\r\n", 40) + "Content-Length: 2\r\n\r\nokEXTRA",
			status: 200, line: "200 OK", header: "Content-Length: 2", headers: 41, body: "ok"},
		{name: "proxy status line", protocol: "http", resp: "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
			status: 201, line: "201 Created", header: "Content-Length: 2", headers: 1, body: "ok"},
		{name: "invalid header split across reads", protocol: "uwsgi", resp: "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
			status: 502, log: `upstream sent invalid header: "Bad\x20..." while reading response header from upstream`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Settings{Protocol: tt.protocol, ReadTimeout: 2 * time.Second, ConnectTimeout: time.Second, SendTimeout: time.Second}
			req := uwsgiReq("GET", "/", "")
			reqLen := req.Vars.Size() + uwsgiproto.HeaderLen
			if tt.protocol == "http" {
				req = httpReq("GET", "/", "")
				reqLen = len(req.HTTPHead)
			}
			d := &trickleDialer{reqLen: reqLen, resp: tt.resp}
			defer d.wg.Wait()
			res := (&Engine{Dialer: d}).Do(context.Background(), Target{Addr: "127.0.0.1:9001"}, s, req)
			if tt.log != "" {
				logs := strings.Join(logLines(res), "\n")
				if res.Status != tt.status || !strings.Contains(logs, tt.log) {
					t.Fatalf("got %d, logs %q; want %d and %q", res.Status, logs, tt.status, tt.log)
				}
				return
			}
			if res.Head == nil {
				t.Fatalf("got no head: %d %q", res.Status, logLines(res))
			}
			h := res.Head
			last := ""
			if n := len(h.Header); n > 0 {
				last = h.Header[n-1].Name + ": " + h.Header[n-1].Value
			}
			body, err := readBody(t, res)
			if h.Status != tt.status || h.StatusLine != tt.line || last != tt.header || len(h.Header) != tt.headers || body != tt.body || err != nil {
				t.Errorf("got %d %q, %d headers, last %q, body %q (%v); want %d %q, %d, %q, %q",
					h.Status, h.StatusLine, len(h.Header), last, body, err, tt.status, tt.line, tt.headers, tt.header, tt.body)
			}
		})
	}
}
