package upstream

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/internal/realpeer"
	"webflow-lab/servers/proxy/balance"
	"webflow-lab/servers/testenv"
)

// nginxLog is one parsed error.log line.
type nginxLog struct{ level, text, upstream string }

var errLine = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: \*\d+ (.*?), client: .*?(?:, upstream: "([^"]*)")?(?:, host: "[^"]*")?$`)

// runNginx starts real nginx with the given http{} body on a loopback port
// and returns its address and error.log path. It is stopped in Cleanup.
func runNginx(t *testing.T, serverBody, httpBody string) (addr, errLog string) {
	t.Helper()
	testenv.Need(t, "nginx")
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	addr = refusedAddr(t)
	conf := fmt.Sprintf(`
error_log %[1]s/logs/error.log info;
events { worker_connections 64; }
http {
    log_format up '$request_uri|$status|$upstream_addr|$upstream_status';
    access_log %[1]s/logs/access.log up;
    uwsgi_temp_path %[1]s/uwsgi_temp;
    proxy_temp_path %[1]s/proxy_temp;
    client_body_temp_path %[1]s/body_temp;
    server {
        listen %[2]s;
        server_name lab.local;
%[3]s
    }
%[4]s
}
`, dir, addr, serverBody, httpBody)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	realpeer.NginxIn(t, dir, addr)
	return addr, filepath.Join(dir, "logs", "error.log")
}

// readNginxLog returns the request-context entries written after offset.
func readNginxLog(t *testing.T, path string, offset int64) ([]nginxLog, int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []nginxLog
	for _, ln := range strings.Split(string(b[offset:]), "\n") {
		m := errLine.FindStringSubmatch(ln)
		if m == nil || !strings.Contains(ln, `, request: "`) {
			continue // not about a request (e.g. a readiness probe's empty connection)
		}
		out = append(out, nginxLog{level: m[1], text: m[2], upstream: m[3]})
	}
	return out, int64(len(b))
}

// TestAgainstNginx runs the same failures through real nginx 1.22 and through
// the engine and compares status codes and error.log entries.
func TestAgainstNginx(t *testing.T) {
	testenv.Need(t, "nginx")
	checkLeaks(t)
	refused := refusedAddr(t)
	closer := newBackend(t, "uwsgi", closeNow)
	closer2 := newBackend(t, "uwsgi", closeNow)
	ok := newBackend(t, "uwsgi", respond(okResponse))
	ok2 := newBackend(t, "uwsgi", respond(okResponse))
	resetter := newBackend(t, "uwsgi", reset)
	big := newBackend(t, "uwsgi", respond("HTTP/1.1 200 OK\r\nSet-Cookie: "+strings.Repeat("x", 5000)+"\r\n\r\n"))
	tagSoup := newBackend(t, "uwsgi", respond("<html>oops</html>\r\n\r\nbody"))
	spaced := newBackend(t, "uwsgi", respond("<html> oops</html>\r\n\r\n"))
	cgi := newBackend(t, "uwsgi", respond("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope"))
	badStatus := newBackend(t, "uwsgi", respond("Status: OK\r\n\r\n"))
	hanger := newBackend(t, "uwsgi", hang)
	midBody := newBackend(t, "uwsgi", partial("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"))
	abortNginx := newBackend(t, "uwsgi", hang)
	abortOurs := newBackend(t, "uwsgi", hang)
	http09 := newBackend(t, "http", respond("just bytes"))
	http502 := newBackend(t, "http", respond("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad"))
	httpOK := newBackend(t, "http", respond("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine"))
	http502b := newBackend(t, "http", respond("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad"))
	httpOK2 := newBackend(t, "http", respond("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine"))
	ok3 := newBackend(t, "uwsgi", respond(okResponse))
	hanger2 := newBackend(t, "uwsgi", hang)
	okBackup := newBackend(t, "uwsgi", respond(okResponse))
	closer3 := newBackend(t, "uwsgi", closeNow)
	closer4 := newBackend(t, "uwsgi", closeNow)
	closer5 := newBackend(t, "uwsgi", closeNow)
	ok5 := newBackend(t, "uwsgi", respond(okResponse))
	refused3 := refusedAddr(t)
	ok4 := newBackend(t, "uwsgi", respond(okResponse))
	refused2 := refusedAddr(t)
	// nginx's worker runs as nobody: let it reach the directory, so that
	// the socket's absence (not a permission) is what it reports.
	sockDir := t.TempDir()
	os.Chmod(sockDir, 0o755)
	os.Chmod(filepath.Dir(sockDir), 0o755)
	missing := filepath.Join(sockDir, "nope.sock")

	type scenario struct {
		name, method, path, directives string
		target                         func(t *testing.T) Target
		s                              Settings
	}
	lit := func(b string) func(*testing.T) Target { return func(*testing.T) Target { return Target{Addr: b} } }
	grp := func(name string, addrs ...string) func(*testing.T) Target {
		return func(t *testing.T) Target {
			var ps []*balance.Peer
			for _, a := range addrs {
				ps = append(ps, peer(a))
			}
			return Target{Group: group(t, name, ps...)}
		}
	}
	scenarios := []scenario{
		{"refused", "GET", "/refused", "uwsgi_pass " + refused + ";", lit(refused), Settings{}},
		{"zero bytes", "GET", "/close", "uwsgi_pass " + closer.addr + ";", lit(closer.addr), Settings{}},
		{"reset", "GET", "/reset", "uwsgi_pass " + resetter.addr + ";", lit(resetter.addr), Settings{}},
		{"too big header", "GET", "/big", "uwsgi_pass " + big.addr + ";", lit(big.addr), Settings{}},
		{"tag soup is a header", "GET", "/soup", "uwsgi_pass " + tagSoup.addr + ";", lit(tagSoup.addr), Settings{}},
		{"space in a header name", "GET", "/spaced", "uwsgi_pass " + spaced.addr + ";", lit(spaced.addr), Settings{}},
		{"CGI Status", "GET", "/cgi", "uwsgi_pass " + cgi.addr + ";", lit(cgi.addr), Settings{}},
		{"invalid Status", "GET", "/badstatus", "uwsgi_pass " + badStatus.addr + ";", lit(badStatus.addr), Settings{}},
		{"read timeout", "GET", "/hang", "uwsgi_read_timeout 300ms; uwsgi_pass " + hanger.addr + ";", lit(hanger.addr), Settings{ReadTimeout: 300 * time.Millisecond}},
		{"mid-body close", "GET", "/mid", "uwsgi_pass " + midBody.addr + ";", lit(midBody.addr), Settings{}},
		{"GET retried", "GET", "/retry", "uwsgi_pass retry;", grp("retry", closer.addr, ok.addr), Settings{}},
		{"POST not retried", "POST", "/post", "uwsgi_pass post;", grp("post", closer2.addr, ok2.addr), Settings{}},
		{"no live upstreams", "GET", "/dead", "proxy_pass http://dead;", func(t *testing.T) Target {
			return Target{Group: group(t, "dead", peer("127.0.0.1:1", func(p *balance.Peer) { p.Down = true }))}
		}, Settings{Protocol: "http"}},
		{"HTTP/0.9 backend", "GET", "/p09", "proxy_pass http://" + http09.addr + ";", lit(http09.addr), Settings{Protocol: "http"}},
		{"502 relayed", "GET", "/p502", "proxy_pass http://p502;", grp("p502", http502.addr, httpOK.addr), Settings{Protocol: "http"}},
		{"502 retried when listed", "GET", "/p502b", "proxy_next_upstream error http_502; proxy_pass http://p502b;", grp("p502b", http502b.addr, httpOK2.addr),
			Settings{Protocol: "http", NextUpstream: NextError | NextHTTP502}},
		{"POST retried after refused", "POST", "/postref", "uwsgi_pass postref;", grp("postref", refused2, ok3.addr), Settings{}},
		{"read timeout retried", "GET", "/slow", "uwsgi_read_timeout 300ms; uwsgi_pass slow;", grp("slow", hanger2.addr, ok4.addr), Settings{ReadTimeout: 300 * time.Millisecond}},
		{"backup after refused primary", "GET", "/backup", "uwsgi_pass withbackup;", func(t *testing.T) Target {
			return Target{Group: group(t, "withbackup", peer(refused3), peer(okBackup.addr, asBackup))}
		}, Settings{}},
		{"next_upstream_tries 1", "GET", "/tries", "uwsgi_next_upstream_tries 1; uwsgi_pass tries;", grp("tries", closer3.addr, closer4.addr), Settings{Tries: 1}},
		{"POST retried with non_idempotent", "POST", "/nonidem", "uwsgi_next_upstream error timeout non_idempotent; uwsgi_pass nonidem;",
			grp("nonidem", closer5.addr, ok5.addr), Settings{NextUpstream: NextError | NextTimeout | NextNonIdempotent}},
		{"UNIX socket missing", "GET", "/unix", "uwsgi_pass unix:" + missing + ";", lit("unix:" + missing), Settings{}},
	}
	var body strings.Builder
	for _, sc := range scenarios {
		fmt.Fprintf(&body, "        location = %s { %s }\n", sc.path, sc.directives)
	}
	fmt.Fprintf(&body, "        location = /abort { uwsgi_pass %s; }\n", abortNginx.addr)
	ups := fmt.Sprintf("    upstream retry { server %s; server %s; }\n    upstream post { server %s; server %s; }\n"+
		"    upstream dead { server 127.0.0.1:1 down; }\n    upstream p502 { server %s; server %s; }\n"+
		"    upstream p502b { server %s; server %s; }\n    upstream postref { server %s; server %s; }\n"+
		"    upstream slow { server %s; server %s; }\n"+
		"    upstream withbackup { server %s; server %s backup; }\n    upstream tries { server %s; server %s; }\n"+
		"    upstream nonidem { server %s; server %s; }\n",
		closer.addr, ok.addr, closer2.addr, ok2.addr, http502.addr, httpOK.addr, http502b.addr, httpOK2.addr, refused2, ok3.addr, hanger2.addr, ok4.addr,
		refused3, okBackup.addr, closer3.addr, closer4.addr, closer5.addr, ok5.addr)
	addr, logPath := runNginx(t, body.String(), ups)

	var offset int64
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			// Real nginx, through a raw client: nginx relays heads that Go's
			// client would refuse (a "<html>" header, an HTTP/0.9 body).
			nginxStatus, nginxBody := rawRequest(t, addr, sc.method, sc.path)
			var nlogs []nginxLog
			nlogs, offset = readNginxLog(t, logPath, offset)
			nginxVars := lastAccess(t, filepath.Join(filepath.Dir(logPath), "access.log"), sc.path)

			// The engine.
			req := uwsgiReq(sc.method, sc.path, "")
			if sc.method == "POST" {
				req = uwsgiReq(sc.method, sc.path, "payload")
			}
			if sc.s.Protocol == "http" {
				req = httpReq(sc.method, sc.path, "")
			}
			res := (&Engine{}).Do(context.Background(), sc.target(t), sc.s, req)
			ourBody := ""
			if res.Body != nil {
				b, rerr := io.ReadAll(res.Body)
				res.Body.Close()
				ourBody = string(b)
				if be, ok := rerr.(*BodyError); ok {
					res.Logs = append(res.Logs, be.Entry)
				}
			}
			if res.Status != nginxStatus || ourBody != stripErrorPage(nginxBody, nginxStatus, res.Body == nil) {
				t.Errorf("got %d %q, nginx %d %q", res.Status, ourBody, nginxStatus, nginxBody)
			}
			if got := fmt.Sprintf("%s|%s", res.UpstreamAddr(), res.UpstreamStatus()); got != nginxVars {
				t.Errorf("$upstream_addr|$upstream_status: got %q, nginx %q", got, nginxVars)
			}
			var ours, theirs []string
			for _, e := range res.Logs {
				ours = append(ours, fmt.Sprintf("[%s] %s | %s", e.Level, e.Text(), e.Upstream))
			}
			for _, e := range nlogs {
				theirs = append(theirs, fmt.Sprintf("[%s] %s | %s", e.level, e.text, e.upstream))
			}
			if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
				t.Errorf("error.log differs:\n ours:  %s\n nginx: %s", strings.Join(ours, "\n        "), strings.Join(theirs, "\n        "))
			}
		})
	}

	t.Run("client abort", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /abort HTTP/1.1\r\nHost: lab.local\r\n\r\n")
		<-abortNginx.got // wait until nginx passed the request on
		c.Close()
		// nginx logs the abort when it notices; wait for the line.
		var nlogs []nginxLog
		deadline := time.Now().Add(5 * time.Second)
		for len(nlogs) == 0 && time.Now().Before(deadline) {
			var got []nginxLog
			got, offset = readNginxLog(t, logPath, offset)
			nlogs = append(nlogs, got...)
			<-time.After(10 * time.Millisecond) // polling a log file, with a deadline
		}
		gone := make(chan struct{})
		req := uwsgiReq("GET", "/hang", "")
		req.ClientGone = gone
		done := make(chan *Result)
		go func() { done <- (&Engine{}).Do(context.Background(), Target{Addr: abortOurs.addr}, Settings{}, req) }()
		<-abortOurs.got
		close(gone)
		res := <-done
		if len(nlogs) != 1 || len(res.Logs) != 1 || nlogs[0].text != res.Logs[0].Text() || nlogs[0].level != res.Logs[0].Level.String() {
			t.Errorf("got %q, nginx %+v", logLines(res), nlogs)
		}
		nginxVars := lastAccess(t, filepath.Join(filepath.Dir(logPath), "access.log"), "/abort")
		if got, want := res.UpstreamStatus(), nginxVars[strings.Index(nginxVars, "|")+1:]; got != want || res.Status != 499 {
			t.Errorf("got %d and $upstream_status %q, nginx 499 and %q", res.Status, got, want)
		}
	})
}

// lastAccess returns "$upstream_addr|$upstream_status" of the access.log
// line for uri (each scenario has its own URI).
func lastAccess(t *testing.T, path, uri string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, ln := range strings.Split(string(b), "\n") {
			if f := strings.Split(ln, "|"); len(f) == 4 && f[0] == uri {
				return f[2] + "|" + f[3]
			}
		}
		if time.Now().After(deadline) {
			return ""
		}
		// After a POST nginx closes lingering, and logs when that ends.
		<-time.After(10 * time.Millisecond) // polling a log file, with a deadline
	}
}

// rawRequest sends one HTTP/1.0 request and reads the answer to EOF. A
// response without a status line is HTTP/0.9: status 200, all bytes body.
func rawRequest(t *testing.T, addr, method, path string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := ""
	if method == "POST" {
		body = "payload"
	}
	fmt.Fprintf(c, "%s %s HTTP/1.0\r\nHost: lab.local\r\nContent-Length: %d\r\n\r\n%s", method, path, len(body), body)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, _ := io.ReadAll(c)
	resp := string(b)
	if !strings.HasPrefix(resp, "HTTP/") {
		return 200, resp
	}
	head, rest, _ := strings.Cut(resp, "\r\n\r\n")
	var status int
	fmt.Sscanf(head, "HTTP/1.1 %d", &status)
	return status, rest
}

// stripErrorPage: when we fail, nginx's body is its own error page, which
// the proxy (not this package) renders; compare bodies only for relays.
func stripErrorPage(body string, status int, failed bool) string {
	if failed {
		return ""
	}
	return body
}
