package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/wsgi"
)

func TestHTTPHead(t *testing.T) {
	got := string(HTTPHead("POST", "/api/x?q=1", "HTTP/1.0", []wsgi.Header{
		{Name: "Host", Value: "app"}, {Name: "Connection", Value: "close"}, {Name: "Content-Length", Value: "7"},
		{Name: "X-Request-Id", Value: "abc"},
	}))
	want := "POST /api/x?q=1 HTTP/1.0\r\nHost: app\r\nConnection: close\r\nContent-Length: 7\r\nX-Request-Id: abc\r\n\r\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// TestProxyPassHTTPTest runs proxy_pass against a net/http server: the
// backend sees nginx's HTTP/1.0 request, and its answer is relayed.
func TestProxyPassHTTPTest(t *testing.T) {
	checkLeaks(t)
	type seen struct {
		proto, method, uri, host, conn, body, custom string
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Proto, r.Method, r.RequestURI, r.Host, r.Header.Get("Connection"), string(b), r.Header.Get("X-Custom")}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Backend", "go")
		w.WriteHeader(201)
		io.WriteString(w, "created "+string(b))
	}))
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	req := &Request{
		Method: "POST",
		URI:    "/items?x=1",
		HTTPHead: HTTPHead("POST", "/items?x=1", "HTTP/1.0", []wsgi.Header{{Name: "Host", Value: "backend.local"},
			{Name: "Connection", Value: "close"}, {Name: "Content-Length", Value: "4"}, {Name: "X-Custom", Value: "yes"}}),
		Body: []byte("name"),
	}
	res := (&Engine{}).Do(context.Background(), Target{Addr: addr}, Settings{Protocol: "http"}, req)
	body, err := readBody(t, res)
	if err != nil || res.Status != 201 || body != "created name" {
		t.Fatalf("got %d %q %v, want 201 \"created name\"", res.Status, body, err)
	}
	if v, _ := res.Head.Get("X-Backend"); v != "go" {
		t.Errorf("got X-Backend %q, want \"go\"", v)
	}
	want := seen{"HTTP/1.0", "POST", "/items?x=1", "backend.local", "close", "name", "yes"}
	if s := <-got; s != want {
		t.Errorf("backend saw %+v, want %+v", s, want)
	}
}

func TestChunkedBodyErrors(t *testing.T) {
	tests := []struct {
		name, raw, body, log string
	}{
		{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n", "hello",
			"[error] upstream sent invalid chunked response while reading upstream"},
		{"closed inside a chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nhel", "hel",
			"[error] upstream prematurely closed connection while reading upstream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			b := newBackend(t, "http", partial(tt.raw))
			res := (&Engine{}).Do(context.Background(), Target{Addr: b.addr}, Settings{Protocol: "http"}, httpReq("GET", "/c", ""))
			body, err := readBody(t, res)
			var be *BodyError
			if body != tt.body || !errors.As(err, &be) {
				t.Fatalf("got %q, %v; want %q and a *BodyError", body, err, tt.body)
			}
			if got := be.Entry.String(); got != tt.log+`, upstream: "http://`+b.addr+`/c"` {
				t.Errorf("got %s, want %s", got, tt.log)
			}
			if !strings.HasPrefix(be.Error(), "upstream: ") || be.Unwrap() == nil {
				t.Errorf("got Error %q Unwrap %v", be.Error(), be.Unwrap())
			}
		})
	}
}

// TestStatusRetries: http_NNN in proxy_next_upstream retries with that
// status as the attempt's; 403 and 404 never count against the peer.
func TestStatusRetries(t *testing.T) {
	tests := []struct {
		name     string
		status   string
		next     NextUpstream
		disabled bool
	}{
		{"http_500", "500 Internal Server Error", NextError | NextHTTP500, true},
		{"http_503", "503 Service Unavailable", NextError | NextHTTP503, true},
		{"http_504", "504 Gateway Time-out", NextError | NextHTTP504, true},
		{"http_429", "429 Too Many Requests", NextError | NextHTTP429, true},
		{"http_403", "403 Forbidden", NextError | NextHTTP403, false},
		{"http_404", "404 Not Found", NextError | NextHTTP404, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			a := newBackend(t, "http", respond("HTTP/1.1 "+tt.status+"\r\nContent-Length: 0\r\n\r\n"))
			b := newBackend(t, "http", respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
			u := group(t, "app", peer(a.addr), peer(b.addr))
			res := (&Engine{}).Do(context.Background(), Target{Group: u}, Settings{Protocol: "http", NextUpstream: tt.next}, httpReq("GET", "/", ""))
			body, _ := readBody(t, res)
			if want := tt.status[:3] + ", 200"; res.Status != 200 || body != "ok" || res.UpstreamStatus() != want {
				t.Errorf("got %d %q $upstream_status %q, want 200 \"ok\" %q", res.Status, body, res.UpstreamStatus(), want)
			}
			if got := len(res.Logs) == 1; got != tt.disabled {
				t.Errorf("got logs %q; want the peer disabled: %v", logLines(res), tt.disabled)
			}
			if got, want := failStatus(statusNext(atoiStatus(tt.status))), atoiStatus(tt.status); got != want {
				t.Errorf("failStatus: got %d, want %d", got, want)
			}
		})
	}
}

func atoiStatus(s string) int { return int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0') }

func TestUpstreamVariables(t *testing.T) {
	r := &Result{Attempts: []Attempt{
		{Addr: "127.0.0.1:9001", Status: 502, Time: 1500 * time.Microsecond},
		{Addr: "unix:/run/app.sock", Status: 0, Time: 0},
		{Addr: "app", Status: 200, Time: 12345 * time.Millisecond},
	}}
	if got, want := r.UpstreamAddr(), "127.0.0.1:9001, unix:/run/app.sock, app"; got != want {
		t.Errorf("$upstream_addr: got %q, want %q", got, want)
	}
	if got, want := r.UpstreamStatus(), "502, -, 200"; got != want {
		t.Errorf("$upstream_status: got %q, want %q", got, want)
	}
	if got, want := r.UpstreamResponseTime(), "0.001, 0.000, 12.345"; got != want {
		t.Errorf("$upstream_response_time: got %q, want %q", got, want)
	}
}
