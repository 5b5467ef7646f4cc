package proxy

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/testenv"
)

// startNginx runs the real nginx with conf under dir and waits until it
// accepts on addr. It is stopped in t.Cleanup.
func startNginx(t *testing.T, dir, conf, addr string) {
	t.Helper()
	bin := testenv.Need(t, "nginx")
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	path := filepath.Join(dir, "nginx-real.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-g",
		"daemon off; master_process on; worker_processes 1; pid "+filepath.Join(dir, "nginx.pid")+";")
	runUntilAccepting(t, cmd, addr)
}

// runUntilAccepting starts cmd (a real nginx or uWSGI), stops it in
// t.Cleanup, and waits until it accepts on addr.
func runUntilAccepting(t *testing.T, cmd *exec.Cmd, addr string) {
	t.Helper()
	// if the test binary dies (a -timeout panic skips t.Cleanup), take the
	// server with it rather than leave it listening
	testenv.Group(cmd)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	waitAccept(t, addr, exited, out)
}

// waitAccept polls addr until it accepts (an external process's readiness).
func waitAccept(t *testing.T, addr string, exited <-chan struct{}, out *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("process exited before accepting on %s:\n%s", addr, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing accepts on %s: %v\n%s", addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond) // polling an external process's socket, with a deadline
	}
}

// startOurs runs our proxy on the same config text.
func startOurs(t *testing.T, dir, conf string) *Server {
	t.Helper()
	path := filepath.Join(dir, "nginx-ours.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := loadConfPath(t, path)
	srv, err := New(cfg, Options{Prefix: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return srv
}

// comparable reduces a response to what must be equal between nginx and us:
// status, body, and every header but Date, with the port normalized.
func comparable(r response, port string) string {
	var keys []string
	for k := range r.header {
		if k == "Date" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	if i := strings.IndexByte(r.raw, '\r'); i >= 0 && r.status != 0 {
		b.WriteString(r.raw[:i])
	}
	b.WriteString("\n")
	for _, k := range keys {
		b.WriteString(k + ": " + strings.Join(r.header[k], ", ") + "\n")
	}
	head := r.raw
	if i := strings.Index(head, "\r\n\r\n"); i >= 0 {
		head = head[:i+2] // this response's head only (a pipelined one may follow)
	}
	if strings.Contains(head, "\r\nConnection: close\r\n") {
		b.WriteString("Connection: close\n")
	}
	if strings.Contains(head, "\r\nTransfer-Encoding: chunked\r\n") {
		b.WriteString("Transfer-Encoding: chunked\n")
	}
	if strings.Contains(head, "\r\nConnection: keep-alive\r\n") {
		b.WriteString("Connection: keep-alive\n")
	}
	b.WriteString("\n" + r.body)
	return strings.ReplaceAll(b.String(), ":"+port, ":PORT")
}

// staticConf is one server on PORT with the course's static cases.
const staticConf = `
user root;
events {}
http {
    access_log logs/access-PORT.log;
    error_log logs/error-PORT.log;
    types { text/html html; text/css css; text/plain txt; application/javascript js; image/png png; }
    default_type application/octet-stream;
    server {
        listen 127.0.0.1:PORT;
        server_name lab.test;
        root DIR/html;
        location /static { alias DIR/data/; }
        location /files/ { alias DIR/data/; }
        location /spa/ { try_files $uri $uri/ /spa/index.html; }
        location /list/ { autoindex on; }
        location /gone { return 410; }
        location /go { return 302 /a.txt; }
        location /text { return 200 "plain text"; }
        location /teapot { return 418; }
        location /custom/ { error_page 404 /errors/404.html; }
        location = /exact { return 200 "exact"; }
        location /only404 { try_files $uri =404; }
        location /loop/ { try_files $uri /loop/index.html; }
        location /limited/ { client_max_body_size 10; }
        location ~ \.TXT$ { return 200 "regex"; }
        location /app/ { uwsgi_pass 127.0.0.1:1; }
        location /named/ { try_files $uri @fallback; }
        location @fallback { return 200 "named $uri"; }
        location /tokens/ { server_tokens off; }
        location /internal/ { internal; }
    }
}
`

var staticFiles = map[string]string{
	"html/index.html":      "<h1>home</h1>\n",
	"html/a.txt":           "hello\n",
	"html/style.css":       "body{}\n",
	"html/sub/index.html":  "sub index\n",
	"html/empty/":          "",
	"html/spa/index.html":  "spa shell\n",
	"html/list/b.txt":      "bb",
	"html/list/a/":         "",
	"html/list/中文.txt":     "zh",
	"html/中文/页面.html":      "chinese path\n",
	"html/errors/404.html": "custom 404\n",
	"html/internal/x":      "internal\n",
	"data/file.txt":        "data file\n",
	"secret.txt":           "top secret\n",
}

// interopRequests are sent to both servers; bodies and statuses must match.
var interopRequests = []struct{ name, req string }{
	{"file", get("/a.txt")},
	{"index", get("/")},
	{"sub index", get("/sub/")},
	{"dir redirect", get("/sub")},
	{"dir redirect with args", get("/sub?x=1")},
	{"missing", get("/nope.html")},
	{"dir without index", get("/empty/")},
	{"missing dir", get("/nodir/")},
	{"css", get("/style.css")},
	{"alias", get("/files/file.txt")},
	{"alias pitfall", get("/static../secret.txt")},
	{"alias pitfall encoded", get("/static%2e%2e/secret.txt")},
	{"dotdot above root", get("/../secret.txt")},
	{"encoded dotdot above root", get("/%2e%2e/secret.txt")},
	{"encoded slash dotdot", get("/sub%2F..%2F..%2Fsecret.txt")},
	{"dotdot inside", get("/sub/../a.txt")},
	{"double slash", get("//a.txt")},
	{"alias dotdot", get("/files/../secret.txt")},
	{"spa deep", get("/spa/deep/route?x=1")},
	{"spa root", get("/spa/")},
	{"spa file", get("/spa/index.html")},
	{"autoindex", get("/list/")},
	{"return code", get("/gone")},
	{"return redirect", get("/go")},
	{"return text", get("/text")},
	{"return unknown code", get("/teapot")},
	{"exact", get("/exact")},
	{"exact slash", get("/exact/")},
	{"error_page", get("/custom/x")},
	{"try_files =404", get("/only404")},
	{"redirect cycle", get("/loop/x")},
	{"regex", get("/a.TXT")},
	{"auto redirect", get("/app?q=1")},
	{"named location", get("/named/x")},
	{"server_tokens off", get("/tokens/x")},
	{"internal", get("/internal/x")},
	{"chinese path", get("/%E4%B8%AD%E6%96%87/%E9%A1%B5%E9%9D%A2.html")},
	{"post to file", "POST /a.txt HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"},
	{"put", "PUT /a.txt HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
	{"delete dir", "DELETE /sub/ HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"},
	{"body too large", "POST /limited/x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 11\r\n\r\n01234567890"},
	{"body at limit", "POST /limited/x HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 10\r\nConnection: close\r\n\r\n0123456789"},
	{"chunked too large", "POST /limited/x HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nb\r\n01234567890\r\n0\r\n\r\n"},
	{"head", "HEAD /a.txt HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"},
	{"http/1.0", "GET /a.txt HTTP/1.0\r\n\r\n"},
	{"http/1.0 keep-alive", "GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"},
	{"no host 1.1", "GET /a.txt HTTP/1.1\r\nConnection: close\r\n\r\n"},
	{"bad method", "get / HTTP/1.1\r\nHost: lab.test\r\n\r\n"},
	{"bad version", "GET / HTTP/2.0\r\nHost: lab.test\r\n\r\n"},
	{"control byte", "GET /a\x01b HTTP/1.1\r\nHost: lab.test\r\n\r\n"},
	{"bad percent", get("/a%zz")},
	{"nul percent", get("/a%00b")},
	{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
	{"bad host", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"},
	{"bad content-length", "POST / HTTP/1.1\r\nHost: lab.test\r\nContent-Length: x\r\n\r\n"},
	{"te and cl", "POST / HTTP/1.1\r\nHost: lab.test\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
	{"unknown te", "POST / HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: gzip\r\n\r\n"},
	{"chrome padding", "GET /nope HTTP/1.1\r\nHost: lab.test\r\nUser-Agent: Mozilla/5.0 Chrome/120.0\r\nConnection: close\r\n\r\n"},
	{"if-none-match", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nIf-None-Match: ETAG\r\nConnection: close\r\n\r\n"},
	{"if-modified-since", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nIf-Modified-Since: LASTMOD\r\nConnection: close\r\n\r\n"},
	{"if-modified-since other", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nIf-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\nConnection: close\r\n\r\n"},
	{"keep-alive pipelined", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\n\r\nGET /nope HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n"},
	{"range", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nRange: bytes=1-3\r\nConnection: close\r\n\r\n"},
	{"range open", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nRange: bytes=2-\r\nConnection: close\r\n\r\n"},
	{"range suffix", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nRange: bytes=-2\r\nConnection: close\r\n\r\n"},
	{"range past end", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nRange: bytes=100-\r\nConnection: close\r\n\r\n"},
	{"range malformed", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nRange: bytes=x-y\r\nConnection: close\r\n\r\n"},
	{"huge uri", "GET /" + strings.Repeat("a", 9000) + " HTTP/1.1\r\nHost: lab.test\r\n\r\n"},
	{"huge header", "GET / HTTP/1.1\r\nHost: lab.test\r\nX-Big: " + strings.Repeat("b", 9000) + "\r\n\r\n"},
	{"many headers", "GET / HTTP/1.1\r\nHost: lab.test\r\n" + strings.Repeat("X-Many: "+strings.Repeat("m", 4000)+"\r\n", 9) + "\r\n"},
	{"no colon header", "GET / HTTP/1.1\r\nHost: lab.test\r\nNoColonHere\r\n\r\n"},
	{"folded header", "GET / HTTP/1.1\r\nHost: lab.test\r\n continued\r\n\r\n"},
	{"space in header name", "GET / HTTP/1.1\r\nHost: lab.test\r\nX Y: z\r\nConnection: close\r\n\r\n"},
	{"tls hello garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls hello\r\n\r\n"},
	{"bad chunk", "POST /a.txt HTTP/1.1\r\nHost: lab.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
	{"lf only", "GET /a.txt HTTP/1.1\nHost: lab.test\nConnection: close\n\n"},
	{"absolute uri", "GET http://lab.test/a.txt HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n"},
	{"underscore header ignored", "GET /a.txt HTTP/1.1\r\nHost: lab.test\r\nX_Under: 1\r\nConnection: close\r\n\r\n"},
}

// TestInteropStatic runs real nginx and our proxy on the same config and
// files and checks that every answer is the same, byte for byte (but Date).
func TestInteropStatic(t *testing.T) {
	testenv.Need(t, "nginx")
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	writeFiles(t, dir, staticFiles)
	os.Chtimes(filepath.Join(dir, "html/list/b.txt"), time.Unix(1700000000, 0), time.Unix(1700000000, 0))
	os.Chtimes(filepath.Join(dir, "html/list/中文.txt"), time.Unix(1700000000, 0), time.Unix(1700000000, 0))
	os.Chtimes(filepath.Join(dir, "html/list/a"), time.Unix(1700000000, 0), time.Unix(1700000000, 0))
	nginxPort, ourPort := freePort(t), freePort(t)
	conf := func(port string) string {
		return strings.ReplaceAll(strings.ReplaceAll(staticConf, "DIR", dir), "PORT", port)
	}
	startNginx(t, dir, conf(nginxPort), "127.0.0.1:"+nginxPort)
	ours := startOurs(t, dir, conf(ourPort))

	first := do(t, "127.0.0.1:"+nginxPort, get("/a.txt"))
	etag, lastMod := first.header.Get("ETag"), first.header.Get("Last-Modified")
	do(t, "127.0.0.1:"+ourPort, get("/a.txt")) // keep the access logs in step
	for _, tt := range interopRequests {
		t.Run(tt.name, func(t *testing.T) {
			req := strings.NewReplacer("ETAG", etag, "LASTMOD", lastMod).Replace(tt.req)
			want := comparable(do(t, "127.0.0.1:"+nginxPort, req), nginxPort)
			got := comparable(do(t, "127.0.0.1:"+ourPort, req), ourPort)
			if got != want {
				t.Errorf("nginx and ours differ\n--- nginx:\n%s\n--- ours:\n%s", want, got)
			}
		})
	}
	// The access logs must agree too, line for line (but the time).
	ours.Shutdown(context.Background())
	ourLog := readLogLines(t, filepath.Join(dir, "logs/access-"+ourPort+".log"))
	// nginx writes a line after the response went out, so the last one may
	// still be on its way: wait for it (an external process), with a deadline.
	var nginxLog []string
	for deadline := time.Now().Add(5 * time.Second); ; {
		nginxLog = readLogLines(t, filepath.Join(dir, "logs/access-"+nginxPort+".log"))
		if len(nginxLog) >= len(ourLog) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Our log line is written after the flush, so a test client that reads a
	// response and moves on can see two lines swap; compare them as sets.
	sort.Strings(nginxLog)
	sort.Strings(ourLog)
	if len(nginxLog) != len(ourLog) {
		t.Errorf("access log: nginx has %d lines, ours %d", len(nginxLog), len(ourLog))
	}
	compareErrorLogs(t, filepath.Join(dir, "logs/error-"+nginxPort+".log"), filepath.Join(dir, "logs/error-"+ourPort+".log"), nginxPort, ourPort)
	shown := 0
	for i := 0; i < min(len(nginxLog), len(ourLog)) && shown < 3; i++ {
		if nginxLog[i] != ourLog[i] {
			shown++
			t.Errorf("access log line %d:\nnginx: %.300s\nours:  %.300s", i+1, nginxLog[i], ourLog[i])
		}
	}
}

// compareErrorLogs checks that the two error logs have the same lines once
// the time, pid and connection number are blanked.
func compareErrorLogs(t *testing.T, nginxPath, ourPath, nginxPort, ourPort string) {
	t.Helper()
	norm := func(path, port string) []string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if line == "" || strings.Contains(line, "[notice]") {
				continue
			}
			line = errLogPrefix.ReplaceAllString(line, "[$1] *N ")
			out = append(out, strings.ReplaceAll(line, ":"+port, ":PORT"))
		}
		sort.Strings(out)
		return out
	}
	n, o := norm(nginxPath, nginxPort), norm(ourPath, ourPort)
	if strings.Join(n, "\n") != strings.Join(o, "\n") {
		t.Errorf("error logs differ\n--- nginx:\n%s\n--- ours:\n%s", strings.Join(n, "\n"), strings.Join(o, "\n"))
	}
}

var errLogPrefix = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: (?:\*\d+ )?`)

// readLogLines reads an access log with the [time] field blanked.
func readLogLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if i, j := strings.IndexByte(line, '['), strings.IndexByte(line, ']'); i >= 0 && j > i {
			line = line[:i+1] + line[j:]
		}
		out = append(out, line)
	}
	return out
}
