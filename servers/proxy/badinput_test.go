package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBackend is a TCP backend whose behaviour per connection is a function:
// the proxy's peer that misbehaves on purpose.
func fakeBackend(t *testing.T, handle func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
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
				go func() { <-done; c.Close() }()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		close(done)
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// readUwsgiRequest consumes the 4-byte header and the vars block.
func readUwsgiRequest(c net.Conn) {
	var h [4]byte
	if _, err := io.ReadFull(c, h[:]); err != nil {
		return
	}
	n := int(h[1]) | int(h[2])<<8
	io.CopyN(io.Discard, c, int64(n))
}

// TestBadBackends: each misbehaving peer gets nginx's status and error-log
// line, and the proxy keeps serving.
func TestBadBackends(t *testing.T) {
	closeMid := fakeBackend(t, func(c net.Conn) {
		readUwsgiRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly part")
	})
	silent := fakeBackend(t, func(c net.Conn) {
		readUwsgiRequest(c)
		io.Copy(io.Discard, c) // never answers
	})
	closeEmpty := fakeBackend(t, func(c net.Conn) { readUwsgiRequest(c) })
	garbage := fakeBackend(t, func(c net.Conn) {
		readUwsgiRequest(c)
		io.WriteString(c, "\x00\x01garbage without a head end")
	})
	ok := fakeBackend(t, func(c net.Conn) {
		readUwsgiRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfine")
	})
	refused := "127.0.0.1:" + freePort(t)
	l := startLab(t, `
    server {
        listen 127.0.0.1:FREEPORT;
        server_name lab.test;
        location /mid/ { uwsgi_pass `+closeMid+`; }
        location /silent/ { uwsgi_pass `+silent+`; uwsgi_read_timeout 300ms; }
        location /empty/ { uwsgi_pass `+closeEmpty+`; }
        location /garbage/ { uwsgi_pass `+garbage+`; }
        location /refused/ { uwsgi_pass `+refused+`; }
        location /ok/ { uwsgi_pass `+ok+`; }
    }`, nil)

	tests := []struct {
		name       string
		path       string
		wantStatus int
		wantBody   string
		wantLog    string
	}{
		{"closes mid-response", "/mid/x", 200, "only part", "upstream prematurely closed connection while reading upstream"},
		{"never answers", "/silent/x", 504, builtinPage(504, true), "upstream timed out (110: Connection timed out) while reading response header from upstream"},
		{"closes without a byte", "/empty/x", 502, builtinPage(502, true), "upstream prematurely closed connection while reading response header from upstream"},
		{"refused", "/refused/x", 502, builtinPage(502, true), "connect() failed (111: Connection refused) while connecting to upstream"},
		{"ok after all that", "/ok/x", 200, "4\r\nfine\r\n0\r\n\r\n", ""}, // no length: chunked
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", l.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, get(tt.path))
			raw, _ := io.ReadAll(c) // a cut response ends with the close
			s := string(raw)
			head, body, _ := strings.Cut(s, "\r\n\r\n")
			if !strings.HasPrefix(head, "HTTP/1.1 "+itoa(tt.wantStatus)) {
				t.Errorf("got %q, want status %d", head, tt.wantStatus)
			}
			if body != tt.wantBody {
				t.Errorf("body: got %q, want %q", body, tt.wantBody)
			}
			if tt.wantLog != "" && !strings.Contains(l.errLog.String(), tt.wantLog+", client: 127.0.0.1, server: lab.test, request: \"GET "+tt.path+" HTTP/1.1\", upstream: \"uwsgi://") {
				t.Errorf("error log lacks %q:\n%s", tt.wantLog, l.errLog.String())
			}
		})
	}
	_ = garbage
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestMalformedThenServes sends garbage on one connection and a good request
// on the next: the bad one gets its answer and a log line, the server lives.
func TestMalformedThenServes(t *testing.T) {
	l := startLab(t, `
    server {
        listen 127.0.0.1:FREEPORT;
        server_name lab.test;
        location / { return 200 "ok"; }
    }`, nil)
	bad := []struct {
		name, raw string
		status    string
	}{
		{"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls hello\r\n\r\n", "400"},
		{"lowercase method", "get / HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
		{"no colon (nginx reads an empty header)", "GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", "200"},
		{"space in header name", "GET / HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n", "400"},
		{"folded header", "GET / HTTP/1.1\r\nHost: x\r\n continued\r\n\r\n", "400"},
		{"huge request line", "GET /" + strings.Repeat("x", 10000) + " HTTP/1.1\r\n\r\n", "414"},
		{"huge header", "GET / HTTP/1.1\r\nHost: x\r\nCookie: " + strings.Repeat("c", 9000) + "\r\n\r\n", "400"},
		{"too many header bytes", "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: "+strings.Repeat("a", 7000)+"\r\n", 6) + "\r\n", "400"},
		// return reads the body first (ngx_http_send_response): a broken chunk is a 400
		{"bad chunk", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", l.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, tt.raw)
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			if !strings.HasPrefix(line, "HTTP/1.1 "+tt.status) {
				t.Errorf("got %q, want status %s", line, tt.status)
			}
			if got := do(t, l.addr, get("/")); got.status != 200 {
				t.Errorf("after %s the server answered %d", tt.name, got.status)
			}
		})
	}
	l.srv.Shutdown(context.Background()) // every access-log line is written once its connection is done
	if n := strings.Count(l.accLog.String(), "\n"); n < 2*len(bad) {
		t.Errorf("access log has %d lines, want at least %d:\n%s", n, 2*len(bad), l.accLog.String())
	}
	if !strings.Contains(l.accLog.String(), `"\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03 tls hello" 400`) {
		t.Errorf("access log does not escape the garbage line as nginx does:\n%s", l.accLog.String())
	}
}

// TestUpstreamServerAndDate: an app that sends its own Server and Date gets
// them through uwsgi_pass once each, as nginx relays them.
func TestUpstreamServerAndDate(t *testing.T) {
	app := fakeBackend(t, func(c net.Conn) {
		readUwsgiRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nServer: gunicorn\r\nDate: Mon, 01 Jan 2001 00:00:00 GMT\r\nContent-Length: 2\r\n\r\nok")
	})
	l := startLab(t, `server { listen 127.0.0.1:FREEPORT; location / { uwsgi_pass `+app+`; } }`, nil)
	got := do(t, l.addr, get("/"))
	if s := got.header.Values("Server"); len(s) != 1 || s[0] != "gunicorn" {
		t.Errorf("Server: got %q, want [gunicorn]", s)
	}
	if d := got.header.Values("Date"); len(d) != 1 || d[0] != "Mon, 01 Jan 2001 00:00:00 GMT" {
		t.Errorf("Date: got %q", d)
	}
}
