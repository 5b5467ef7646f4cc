package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestStatic(t *testing.T) {
	files := map[string]string{
		"html/index.html":      "<h1>home</h1>\n",
		"html/a.txt":           "hello\n",
		"html/style.css":       "body{}\n",
		"html/sub/index.html":  "sub index\n",
		"html/empty/":          "",
		"html/spa/index.html":  "spa shell\n",
		"html/list/b.txt":      "bb",
		"html/list/a/":         "",
		"data/file.txt":        "data file\n",
		"secret.txt":           "top secret\n",
		"html/errors/404.html": "custom 404\n",
	}
	l := startLab(t, `
    types { text/html html; text/css css; text/plain txt; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:FREEPORT;
        server_name lab.test;
        root DIR/html;
        location /static { alias DIR/data/; }
        location /files/ { alias DIR/data/; }
        location /spa/ { try_files $uri $uri/ /spa/index.html; }
        location /list/ { autoindex on; }
        location /gone { return 410; }
        location /go { return 302 /a.txt; }
        location /text { return 200 "plain text"; }
        location /custom/ { error_page 404 /errors/404.html; }
        location = /exact { return 200 "exact"; }
        location /only404 { try_files $uri =404; }
        location /loop/ { try_files $uri /loop/index.html; }
        location /limited/ { client_max_body_size 10; }
    }`, files)

	tests := []struct {
		name       string
		req        string
		wantStatus int
		wantBody   string // exact unless prefixed by "~" (contains)
		wantHeader map[string]string
	}{
		{"file", get("/a.txt"), 200, "hello\n", map[string]string{"Content-Type": "text/plain", "Content-Length": "6"}},
		{"index", get("/"), 200, "<h1>home</h1>\n", map[string]string{"Content-Type": "text/html"}},
		{"sub index", get("/sub/"), 200, "sub index\n", nil},
		{"dir redirect", get("/sub"), 301, "~<title>301 Moved Permanently</title>", map[string]string{"Location": "http://lab.test:PORT/sub/"}},
		{"missing", get("/nope.html"), 404, builtinPage(404, true), map[string]string{"Content-Type": "text/html"}},
		{"dir without index", get("/empty/"), 403, builtinPage(403, true), nil},
		{"missing dir index", get("/nodir/"), 404, builtinPage(404, true), nil},
		{"css type", get("/style.css"), 200, "body{}\n", map[string]string{"Content-Type": "text/css"}},
		{"alias", get("/files/file.txt"), 200, "data file\n", nil},
		{"alias pitfall served like nginx", get("/static../secret.txt"), 200, "top secret\n", nil},
		{"dotdot above root", get("/../secret.txt"), 400, builtinPage(400, true), nil},
		{"encoded dotdot above root", get("/%2e%2e/secret.txt"), 400, builtinPage(400, true), nil},
		{"dotdot inside", get("/sub/../a.txt"), 200, "hello\n", nil},
		{"encoded dotdot in prefix alias", get("/files/%2e%2e/secret.txt"), 404, builtinPage(404, true), nil},
		{"spa deep route", get("/spa/deep/route"), 200, "spa shell\n", nil},
		{"spa root", get("/spa/"), 200, "spa shell\n", nil},
		{"autoindex", get("/list/"), 200, "~<a href=\"a/\">a/</a>", nil},
		{"return code", get("/gone"), 410, builtinPage(410, true), nil},
		{"return redirect", get("/go"), 302, "~302 Found", map[string]string{"Location": "http://lab.test:PORT/a.txt"}},
		{"return text", get("/text"), 200, "plain text", map[string]string{"Content-Type": "application/octet-stream"}},
		{"exact", get("/exact"), 200, "exact", nil},
		{"error_page", get("/custom/x"), 404, "custom 404\n", nil},
		{"try_files =404", get("/only404"), 404, builtinPage(404, true), nil},
		{"redirect cycle", get("/loop/x"), 500, builtinPage(500, true), nil},
		{"post to file", "POST /a.txt HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab", 405, builtinPage(405, true), nil},
		{"put", "PUT /a.txt HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 405, builtinPage(405, true), nil},
		{"body too large", "POST /limited/x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 11\r\n\r\n01234567890", 413, builtinPage(413, true), map[string]string{"Connection": "close"}},
		{"body at limit", "POST /limited/x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789", 404, builtinPage(404, true), nil},
		{"head", "HEAD /a.txt HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n", 200, "", map[string]string{"Content-Length": "6"}},
		{"chrome padding", "GET /nope HTTP/1.1\r\nHost: lab.test\r\nUser-Agent: Mozilla/5.0 Chrome/120.0\r\nConnection: close\r\n\r\n", 404, builtinPage(404, true) + strings.Repeat(msiePadding, 6), nil},
	}
	port := l.addr[strings.LastIndexByte(l.addr, ':')+1:]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, l.addr, tt.req)
			if got.status != tt.wantStatus {
				t.Errorf("status: got %d, want %d\n%s", got.status, tt.wantStatus, got.raw)
			}
			if c, ok := strings.CutPrefix(tt.wantBody, "~"); ok {
				if !strings.Contains(got.body, c) {
					t.Errorf("body: got %q, want it to contain %q", got.body, c)
				}
			} else if got.body != tt.wantBody {
				t.Errorf("body: got %q, want %q", got.body, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				v = strings.ReplaceAll(v, "PORT", port)
				g := got.header.Get(k)
				if k == "Connection" && strings.Contains(got.raw, "\r\nConnection: "+v+"\r\n") {
					g = v // net/http consumes Connection; read it from the raw head
				}
				if g != v {
					t.Errorf("header %s: got %q, want %q", k, g, v)
				}
			}
		})
	}
	for _, want := range []string{
		`open() "` + l.dir + `/html/nope.html" failed (2: No such file or directory)`,
		`directory index of "` + l.dir + `/html/empty/" is forbidden`,
		`client intended to send too large body: 11 bytes`,
		`rewrite or internal redirection cycle while internally redirecting to "/loop/index.html"`,
	} {
		if !strings.Contains(l.errLog.String(), want) {
			t.Errorf("error log lacks %q:\n%s", want, l.errLog.String())
		}
	}
	if w := l.srv.Warnings(); len(w) != 1 || !strings.Contains(w[0].Fix, "location /static/ {") {
		t.Errorf("alias pitfall warning: got %v", w)
	}
}

// TestKeepAlive: keepalive_requests closes after the Nth request, and
// keepalive_timeout closes an idle connection.
func TestKeepAlive(t *testing.T) {
	l := startLab(t, `
    keepalive_requests 3;
    keepalive_timeout 200ms;
    log_format ids '$request_id $status $request_time "$uri" $connection_requests';
    access_log DIR/logs/ids.log ids;
    server { listen 127.0.0.1:FREEPORT; location / { return 200 "ok"; } }`, nil)
	c, err := net.Dial("tcp", l.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	for i := 1; i <= 3; i++ {
		io.WriteString(c, "GET /x HTTP/1.1\r\nHost: lab.test\r\n\r\n")
		got := readResponse(t, br, false)
		want := "keep-alive"
		if i == 3 {
			want = "close"
		}
		if !strings.Contains(got.raw, "\r\nConnection: "+want+"\r\n") {
			t.Errorf("request %d: want Connection: %s in\n%s", i, want, got.raw)
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after keepalive_requests: got %v, want EOF", err)
	}
	// an idle connection is closed after keepalive_timeout
	c2, err := net.Dial("tcp", l.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c2, "GET /y HTTP/1.1\r\nHost: lab.test\r\n\r\n")
	br2 := bufio.NewReader(c2)
	readResponse(t, br2, false)
	start := time.Now()
	if _, err := br2.ReadByte(); err != io.EOF {
		t.Errorf("idle connection: got %v, want EOF", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("idle connection closed after %v, want about 200ms", d)
	}
	l.srv.Shutdown(context.Background())
	b := l.accLog.String() // Options.AccessLog takes every access_log's lines
	lines := strings.Split(strings.TrimSpace(b), "\n")
	if len(lines) != 4 {
		t.Fatalf("ids.log has %d lines, want 4:\n%s", len(lines), b)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32} 200 \d+\.\d{3} "/x" 3$`).MatchString(lines[2]) {
		t.Errorf("log_format line: got %q", lines[2])
	}
}
