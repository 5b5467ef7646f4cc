package upstream

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"webflow-lab/servers/wsgi"
)

func TestHTTPHead(t *testing.T) {
	client := []wsgi.Header{
		{Name: "Host", Value: "lab.local:8080"},
		{Name: "User-Agent", Value: "curl/7.88.1"},
		{Name: "Connection", Value: "keep-alive"},
		{Name: "Keep-Alive", Value: "timeout=5"},
		{Name: "Content-Length", Value: "7"},
		{Name: "Expect", Value: "100-continue"},
		{Name: "Accept", Value: "*/*"},
		{Name: "TE", Value: "trailers"},
		{Name: "Upgrade", Value: "websocket"},
		{Name: "X-Request-Id", Value: "abc"},
	}
	tests := []struct {
		name    string
		method  string
		bodyLen int64
		want    string
	}{
		{"GET without body", "GET", -1, "GET /api/x?q=1 HTTP/1.0\r\nHost: app\r\nConnection: close\r\n" +
			"User-Agent: curl/7.88.1\r\nAccept: */*\r\nX-Request-Id: abc\r\n\r\n"},
		{"POST with body", "POST", 7, "POST /api/x?q=1 HTTP/1.0\r\nHost: app\r\nConnection: close\r\nContent-Length: 7\r\n" +
			"User-Agent: curl/7.88.1\r\nAccept: */*\r\nX-Request-Id: abc\r\n\r\n"},
		{"empty body keeps its length", "POST", 0, "POST /api/x?q=1 HTTP/1.0\r\nHost: app\r\nConnection: close\r\nContent-Length: 0\r\n" +
			"User-Agent: curl/7.88.1\r\nAccept: */*\r\nX-Request-Id: abc\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(HTTPHead(tt.method, "/api/x?q=1", "app", client, tt.bodyLen)); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
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
		Method:   "POST",
		URI:      "/items?x=1",
		HTTPHead: HTTPHead("POST", "/items?x=1", "backend.local", []wsgi.Header{{Name: "X-Custom", Value: "yes"}}, 4),
		Body:     []byte("name"),
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
