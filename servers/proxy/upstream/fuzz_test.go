package upstream

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/uwsgiproto"
)

// pipeDialer connects the engine to an in-memory peer that reads the whole
// request, answers with resp, and hangs up.
type pipeDialer struct {
	reqLen int
	resp   []byte
	wg     sync.WaitGroup
}

func (d *pipeDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	ours, theirs := net.Pipe()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer theirs.Close()
		theirs.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadFull(theirs, make([]byte, d.reqLen)); err != nil {
			return
		}
		theirs.Write(d.resp)
	}()
	return ours, nil
}

// FuzzDo feeds arbitrary upstream answers through the whole engine: head
// parsing, status rules, body framing. Whatever the bytes, Do returns, the
// body ends, and what is relayed is exactly the bytes after the head, cut
// by Content-Length when there is one.
func FuzzDo(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"), false)
	f.Add([]byte("Status: 404 Not Found\r\n\r\nnope"), false)
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"), true)
	f.Add([]byte("garbage"), true)
	f.Add([]byte("HTTP/1.1 204 No Content\r\n\r\nignored"), false)
	f.Fuzz(func(t *testing.T, resp []byte, http bool) {
		if len(resp) > 1<<16 {
			return
		}
		s := Settings{Protocol: "uwsgi", ReadTimeout: 2 * time.Second, ConnectTimeout: time.Second, SendTimeout: time.Second}
		req := uwsgiReq("GET", "/", "")
		reqLen := req.Vars.Size() + uwsgiproto.HeaderLen
		if http {
			s.Protocol = "http"
			req = httpReq("GET", "/", "")
			reqLen = len(req.HTTPHead)
		}
		d := &pipeDialer{reqLen: reqLen, resp: resp}
		res := (&Engine{Dialer: d}).Do(context.Background(), Target{Addr: "127.0.0.1:9001"}, s, req)
		defer d.wg.Wait()
		if res.Body == nil {
			if res.Status != 502 || len(res.Logs) == 0 {
				t.Fatalf("failure without 502 and a log: %d %q", res.Status, logLines(res))
			}
			return
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		h := res.Head
		if h.Chunked && http || err != nil {
			return // dechunked bytes differ from the wire; errors end the body early
		}
		rest := resp[h.Size:]
		switch {
		case h.Status == 204 || h.Status == 304:
			rest = nil
		case h.ContentLength >= 0 && !h.HTTP09 && int64(len(rest)) >= h.ContentLength:
			rest = rest[:h.ContentLength]
		}
		if !bytes.Equal(body, rest) {
			t.Fatalf("relayed %q, want %q (head %+v)", body, rest, h)
		}
	})
}
