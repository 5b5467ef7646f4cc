package upstream

import (
	"bufio"
	"context"
	"io"
	"net"
	"sync"
	"testing"

	"webflow-lab/servers/internal/tracetest"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
)

// BenchmarkDo is one dynamic request end to end on loopback: connect, send
// the uwsgi packet, read the head, relay a 5-byte body, close. The peer is an
// in-process uwsgi responder, so the figure is the engine plus the kernel's
// loopback, not an app.
func BenchmarkDo(b *testing.B) {
	for _, bc := range []struct {
		name string
		rec  trace.Recorder
	}{
		{"no recorder", nil},
		{"watched recorder", &tracetest.Recorder{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			be := benchBackend(b)
			e := &Engine{Recorder: bc.rec}
			req := uwsgiReq("GET", "/", "")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				res := e.Do(context.Background(), Target{Addr: be}, Settings{}, req)
				if res.Status != 200 {
					b.Fatalf("got %d %q", res.Status, logLines(res))
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if r, ok := bc.rec.(*tracetest.Recorder); ok {
					r.Reset()
				}
			}
		})
	}
}

func BenchmarkParseHead(b *testing.B) {
	head := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 1234\r\nSet-Cookie: sessionid=abcdef0123456789; HttpOnly; Path=/\r\nX-Frame-Options: DENY\r\n\r\n")
	b.SetBytes(int64(len(head)))
	b.ReportAllocs()
	for b.Loop() {
		hp := uwsgiproto.HeadParser{Module: uwsgiproto.UwsgiModule}
		if _, err := hp.Parse(head); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBackend answers every uwsgi request with okResponse and closes, as
// uWSGI does; it stops when the benchmark ends.
func benchBackend(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				if _, err := (uwsgiproto.PacketReader{}).Read(br); err != nil {
					return
				}
				io.WriteString(c, okResponse)
			}()
		}
	}()
	b.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}
