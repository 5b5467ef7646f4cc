package proxy

// The differential suite: each diffCase is one nginx.conf, one set of files
// and a list of raw requests, run against the real nginx 1.22 and against
// the lab. The answers (status line, headers but Date, body, how the
// connection ended), what an upstream received, the access-log lines and
// the error-log lines must be the same; and `nginx -t` / `nginx -T` on the
// same file must print what `webflow-lab proxy -t` / `-T` print.
//
// Cases live in the diffcases_*_test.go files, one file per concern; the
// runner is TestDiff. go test -run 'TestDiff/static' runs one group.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"webflow-lab/servers/internal/realpeer"
	"webflow-lab/servers/proxy/config"
	"webflow-lab/servers/testenv"
	"webflow-lab/servers/uwsgiproto"
)

// A diffCase is one configuration run on both servers.
type diffCase struct {
	name string
	// http is the body of http { }. Placeholders: PORT (the server's
	// listen port, different for nginx and the lab), DIR (the case's
	// files), BACKEND (the backend's host:port), DEAD (a port nothing
	// listens on).
	http string
	// main is added before events { } (error_log is always set).
	// BACKEND and DEAD in the requests are replaced as in the config.
	main  string
	files map[string]string // path under DIR → content; a path ending in "/" is a directory
	reqs  []diffReq
	// backend answers upstream connections; nil: none.
	backend func(c net.Conn)
	// noTest skips the -t/-T comparison (a config nginx -t and the lab
	// print differently on purpose: say why in the case).
	noTest string
	// prepare runs after the files are written (chmod, chtimes …).
	prepare func(t *testing.T, dir string)
	// known marks a difference the lab still has, with the reason: the
	// case must fail (its differences are logged); once it passes, the
	// mark must go.
	known string
	// gzipSizes blanks $body_bytes_sent in the access logs: compressed
	// sizes are zlib's in nginx, compress/flate's in the lab.
	gzipSizes bool
}

// A diffReq is raw bytes written on a new connection.
type diffReq struct {
	name string
	raw  string
	// halfClose shuts the client's writing side after raw: the server
	// reads the end of the stream (a body cut short, a client gone)
	halfClose bool
}

// reqCut is a request whose client stops sending after raw (half-close).
func reqCut(name, raw string) diffReq { return diffReq{name: name, raw: raw, halfClose: true} }

func req(name, raw string) diffReq { return diffReq{name: name, raw: raw} }

// getReq is a GET with Host lab.test that closes the connection.
func getReq(path string) diffReq { return diffReq{name: "GET " + path, raw: get(path)} }

// hostReq is a GET with the given Host header.
func hostReq(host, path string) diffReq {
	return diffReq{name: "GET " + host + path, raw: "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"}
}

// diffAll logs every difference of a case with a known mark, not only the
// first: go test -run TestDiff/rewrite -v -args -diff.all
var diffAll = flag.Bool("diff.all", false, "log every difference of the cases marked known")

// diffGroups are the case tables, by concern.
var diffGroups = map[string]*[]diffCase{}

// TestDiff runs every case against real nginx and the lab.
func TestDiff(t *testing.T) {
	testenv.Need(t, "nginx")
	names := make([]string, 0, len(diffGroups))
	for n := range diffGroups {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, g := range names {
		t.Run(g, func(t *testing.T) {
			for _, c := range *diffGroups[g] {
				t.Run(c.name, func(t *testing.T) {
					d := &diffRun{t: t}
					d.run(c)
					d.report(c.known)
				})
			}
		})
	}
}

// diffRun collects the differences of one case.
type diffRun struct {
	t     *testing.T
	diffs []string
}

func (d *diffRun) differ(format string, a ...any) {
	d.diffs = append(d.diffs, fmt.Sprintf(format, a...))
}

func (d *diffRun) report(known string) {
	switch {
	case known == "":
		for _, s := range d.diffs {
			d.t.Error(s)
		}
	case len(d.diffs) == 0:
		d.t.Errorf("marked as a known difference (%s) but the lab now answers as nginx does: remove the mark", known)
	case *diffAll:
		d.t.Logf("known difference (%s), %d differences:\n%s", known, len(d.diffs), strings.Join(d.diffs, "\n"))
	default:
		d.t.Logf("known difference (%s), %d differences; the first:\n%s", known, len(d.diffs), d.diffs[0])
	}
}

// diffSide is one server of a case: nginx or the lab.
type diffSide struct {
	prefix string
	port   string
	addr   string
	stop   func()
}

// normalize blanks what differs between two correct servers: the listen
// port, the prefix (each server has its own), $request_id's random value,
// and times relative to now.
func (s *diffSide) normalize(text string) string {
	text = strings.ReplaceAll(text, s.prefix, "PREFIX")
	text = strings.ReplaceAll(text, s.port, "PORT")
	return normalizeDiff(text)
}

func (d *diffRun) run(c diffCase) {
	t := d.t
	root := t.TempDir()
	os.Chmod(root, 0o755)
	dir := filepath.Join(root, "files")
	os.MkdirAll(dir, 0o755)
	writeFiles(t, dir, c.files)
	if c.prepare != nil {
		c.prepare(t, dir)
	}
	backend := ""
	if c.backend != nil {
		backend = fakeBackend(t, c.backend)
	}
	dead := freePort(t)
	text := func(port string) string {
		r := strings.NewReplacer("PORT", port, "DIR", dir, "BACKEND", backend, "DEAD", dead)
		return r.Replace("error_log logs/error.log info;\n" + c.main + "events { }\nhttp {\n    access_log logs/access.log;\n" + c.http + "\n}\n")
	}
	// The two prefixes have names of one length, so that a path in a body
	// gives both the same Content-Length.
	nginx := &diffSide{prefix: filepath.Join(root, "ngx"), port: freePort(t)}
	lab := &diffSide{prefix: filepath.Join(root, "lab"), port: freePort(t)}
	for _, s := range []*diffSide{nginx, lab} {
		os.MkdirAll(filepath.Join(s.prefix, "logs"), 0o755)
		s.addr = "127.0.0.1:" + s.port
		if err := os.WriteFile(filepath.Join(s.prefix, "nginx.conf"), []byte(text(s.port)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if c.noTest == "" {
		d.compareCheck(lab.prefix)
	}
	conf := filepath.Join(nginx.prefix, "nginx.conf")
	p := realpeer.NginxFile(t, nginx.prefix, conf, "user root;", nginx.addr)
	nginx.stop = func() {
		// the access-log line is written after the answer went out: a
		// graceful quit lets nginx finish it
		if err := p.Quit(syscall.SIGQUIT, 10*time.Second); err != nil {
			t.Error(err)
		}
	}
	cfg, err := config.Load(filepath.Join(lab.prefix, "nginx.conf"))
	if err != nil {
		d.differ("lab: config.Load: %v", err)
		return
	}
	srv, err := New(cfg, Options{Prefix: lab.prefix, ConfFile: filepath.Join(lab.prefix, "nginx.conf")})
	if err != nil {
		d.differ("lab refuses a configuration nginx runs: %v", err)
		return
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("lab: %v", err)
	}
	// realpeer's readiness probe connected to nginx and closed: do the same
	// to the lab, so both error logs have its info line
	if pc, err := net.Dial("tcp", lab.addr); err == nil {
		pc.Close()
	}
	lab.stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	t.Cleanup(lab.stop)

	for _, r := range c.reqs {
		raw := strings.NewReplacer("BACKEND", backend, "DEAD", dead).Replace(r.raw)
		want := nginx.normalize(exchangeRaw(t, nginx.addr, raw, r.halfClose).view())
		got := lab.normalize(exchangeRaw(t, lab.addr, raw, r.halfClose).view())
		if got != want {
			d.differ("%s: the lab answers differently (- nginx, + lab):\n%s", r.name, lineDiff(want, got))
		}
	}
	nginx.stop()
	lab.stop()
	accessNorm := accessLogLine
	if c.gzipSizes {
		accessNorm = func(line string) string { return bodyBytesRe.ReplaceAllString(accessLogLine(line), `" $1 N "`) }
	}
	d.compareLog("access.log", nginx, lab, accessNorm)
	d.compareLog("error.log", nginx, lab, errorLogLine)
}

// exchange is what a client saw on one connection.
type exchange struct {
	responses []string // each as view() shows it
	end       string   // "closed", "reset", "open" (still open after the last answer), "error: …"
}

func (e exchange) view() string {
	return strings.Join(e.responses, "\n") + "\n[connection " + e.end + "]\n"
}

// exchangeRaw writes raw on a new connection and reads every answer until
// the server closes, resets, or stays quiet for a moment after an answer
// that keeps the connection open.
func exchangeRaw(t *testing.T, addr, raw string, halfClose bool) exchange {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	// The server may answer and close before it read everything (413,
	// 414): a failed write is part of what is compared, not a test error.
	go func() {
		io.WriteString(c, raw)
		if halfClose {
			c.(*net.TCPConn).CloseWrite()
		}
	}()
	var ex exchange
	br := bufio.NewReader(c)
	head := strings.HasPrefix(raw, "HEAD ")
	for {
		p, err := br.Peek(1)
		if len(p) == 0 {
			ex.end = endOf(err)
			return ex
		}
		if p, _ := br.Peek(5); string(p) != "HTTP/" {
			// an HTTP/0.9 answer: no head, the body up to the close
			all, err := io.ReadAll(br)
			ex.responses = append(ex.responses, "(no head)\n"+string(all))
			ex.end = endOf(err)
			if err == nil {
				ex.end = "closed"
			}
			return ex
		}
		view, closeAfter, err := readOne(br, head)
		if view != "" {
			ex.responses = append(ex.responses, view)
		}
		if err != nil {
			ex.end = endOf(err)
			return ex
		}
		if closeAfter {
			continue // the next read sees the close (or the reset)
		}
		// keep-alive: another pipelined answer, or quiet
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := br.Peek(1); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				ex.end = "open"
			} else {
				ex.end = endOf(err)
			}
			return ex
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
	}
}

func endOf(err error) string {
	switch {
	case err == nil:
		return "closed"
	case errors.Is(err, io.EOF):
		return "closed"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "open"
	}
	return "error: " + err.Error()
}

// readOne reads one answer from br without reading past it (a pipelined
// answer may follow) and returns its view: the status line, the headers
// but Date in the order sent, then the body (gunzipped, and said so, when
// Content-Encoding is gzip). closeAfter says the answer ends the
// connection (Connection: close, or a body ended by the close).
func readOne(br *bufio.Reader, head bool) (view string, closeAfter bool, err error) {
	var b strings.Builder
	status, length, chunked, gz := 0, int64(-1), false, false
	for i := 0; ; i++ {
		line, err := br.ReadString('\n')
		if err != nil {
			return b.String(), true, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if i == 0 {
			if f := strings.Fields(line); len(f) > 1 {
				status, _ = strconv.Atoi(f[1])
			}
		}
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "date":
			continue
		case "content-length":
			length, _ = strconv.ParseInt(v, 10, 64)
		case "transfer-encoding":
			chunked = strings.EqualFold(v, "chunked")
		case "connection":
			closeAfter = strings.EqualFold(v, "close")
		case "content-encoding":
			gz = v == "gzip"
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	var body []byte
	switch {
	case head || status == 204 || status == 304 || status/100 == 1:
	case chunked:
		cc := &chunkCounter{br: br}
		body, err = io.ReadAll(httputil.NewChunkedReader(cc))
		if gz {
			// the compressed bytes differ (zlib vs compress/flate), but
			// how many chunks carry them is the gzip filter's buffering
			fmt.Fprintf(&b, "(%d chunks)\n", cc.chunks)
		}
		for err == nil { // the trailer, up to its empty line
			var line string
			if line, err = br.ReadString('\n'); strings.TrimRight(line, "\r\n") == "" {
				break
			}
		}
	case length >= 0:
		body = make([]byte, length)
		_, err = io.ReadFull(br, body)
	default:
		body, err = io.ReadAll(br)
		closeAfter = true
	}
	if gz {
		// the compressed bytes are zlib's in nginx and compress/flate's in
		// the lab: the unpacked body is compared
		b.WriteString("(gzip body)\n")
		body = gunzip(body)
	}
	b.WriteString("\n")
	b.Write(body)
	return b.String(), closeAfter, err
}

// chunkCounter counts the chunk-size lines a chunked body is read through
// (the last, empty chunk included).
type chunkCounter struct {
	br     *bufio.Reader
	atLine bool // the next byte starts a chunk-size line
	left   int  // bytes of the current chunk's data and CRLF still to pass
	chunks int
}

func (c *chunkCounter) Read(p []byte) (int, error) {
	if c.left == 0 && !c.atLine {
		c.atLine = true
	}
	if c.atLine {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return 0, err
		}
		c.atLine = false
		c.chunks++
		size, _ := strconv.ParseInt(strings.TrimSpace(strings.SplitN(line, ";", 2)[0]), 16, 64)
		c.left = int(size) + 2
		if size == 0 {
			c.left = 0
			c.atLine = false
			c.chunks += 0
			n := copy(p, line)
			c.left = -1 // the trailer follows: pass the rest through
			return n, nil
		}
		return copy(p, line), nil
	}
	if c.left < 0 {
		return c.br.Read(p)
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.br.Read(p)
	c.left -= n
	return n, err
}

var (
	bodyBytesRe = regexp.MustCompile(`" (\d{3}) \d+ "`) // the combined format's status and $body_bytes_sent
	requestIDRe = regexp.MustCompile(`\b[0-9a-f]{32}\b`)
	expiresRe   = regexp.MustCompile(`(?m)^Expires: (.*)$`)
	dateRe      = regexp.MustCompile(`(?m)^Date: (.*)$`)
)

// normalizeDiff blanks $request_id's random value and shows Expires
// relative to the time of the exchange.
func normalizeDiff(s string) string {
	s = requestIDRe.ReplaceAllString(s, "<request_id>")
	s = expiresRe.ReplaceAllStringFunc(s, func(line string) string {
		v := strings.TrimPrefix(line, "Expires: ")
		at, err := http.ParseTime(v)
		if err != nil {
			return line
		}
		d := time.Until(at).Round(10 * time.Second)
		return fmt.Sprintf("Expires: now%+ds (about)", int(d.Seconds()))
	})
	return s
}

// compareCheck runs `nginx -t` and `nginx -T` and the lab's CheckConfig on
// the same file and wants the same bytes (the lab's own "webflow-lab:"
// note lines aside).
func (d *diffRun) compareCheck(prefix string) {
	conf := filepath.Join(prefix, "nginx.conf")
	for _, flag := range []string{"-t", "-T"} {
		cmd := exec.Command("nginx", flag, "-p", prefix, "-c", conf)
		var nout, nerr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &nout, &nerr
		cmd.Run()
		var lout, lerr bytes.Buffer
		CheckConfig(conf, Options{Prefix: prefix, ConfFile: conf}, flag == "-T", "en", &lout, &lerr)
		var kept []string
		for _, line := range strings.SplitAfter(lerr.String(), "\n") {
			if !strings.HasPrefix(line, "webflow-lab:") && !strings.HasPrefix(line, "  try:") {
				kept = append(kept, line)
			}
		}
		if got := strings.Join(kept, ""); got != nerr.String() {
			d.differ("nginx %s: stderr differs (- nginx, + lab):\n%s", flag, lineDiff(nerr.String(), got))
		}
		if lout.String() != nout.String() {
			d.differ("nginx %s: stdout differs (- nginx, + lab):\n%s", flag, lineDiff(nout.String(), lout.String()))
		}
	}
}

// compareLog compares one log file of both sides, line by line once
// normalized, as sets (the two servers may write lines of one connection in
// another order).
func (d *diffRun) compareLog(name string, nginx, lab *diffSide, norm func(line string) string) {
	read := func(s *diffSide) []string {
		b, _ := os.ReadFile(filepath.Join(s.prefix, "logs", name))
		var out []string
		for _, line := range strings.Split(string(b), "\n") {
			if line = norm(line); line != "" {
				out = append(out, s.normalize(line))
			}
		}
		sort.Strings(out)
		return out
	}
	n, l := read(nginx), read(lab)
	if want, got := strings.Join(n, "\n"), strings.Join(l, "\n"); want != got {
		d.differ("%s differs (- nginx, + lab):\n%s", name, lineDiff(want, got))
	}
}

// accessLogLine blanks the time of a combined-format line.
func accessLogLine(line string) string {
	if i, j := strings.IndexByte(line, '['), strings.IndexByte(line, ']'); i >= 0 && j > i {
		line = line[:i+1] + line[j:]
	}
	return line
}

// errorLogLine blanks time, pid and connection number, and drops the
// lines about the processes rather than a request (nginx's [notice] lines:
// start, signals, workers) and the lab's own notes ("webflow-lab:").
func errorLogLine(line string) string {
	if line == "" || strings.Contains(line, "[notice]") || strings.Contains(line, "webflow-lab:") {
		return ""
	}
	norm := errLogPrefix.ReplaceAllString(line, "[$1] *N ")
	if len(line) >= 2047 {
		// nginx cuts an error-log line at NGX_MAX_ERROR_STR (2048 bytes
		// with its newline), so how much of a long request it shows
		// depends on the digits of its pid and connection number, which
		// the normalizing blanks: compare up to where both have text.
		norm = norm[:min(len(norm), 1900)] + "…(cut at nginx's 2048-byte log line)"
	}
	return norm
}

// Backends for the cases that pass requests on.

// echoHTTP answers a proxied HTTP request with what it received: the head
// as sent, then the body.
func echoHTTP(c net.Conn) {
	br := bufio.NewReader(c)
	var head bytes.Buffer
	length := 0
	for {
		line, err := br.ReadString('\n')
		head.WriteString(line)
		if err != nil {
			return
		}
		if k, v, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
		if line == "\r\n" || line == "\n" {
			break
		}
	}
	body := make([]byte, length)
	// a proxy that passes no body (proxy_pass_request_body off) may still
	// announce one: read what comes for a moment
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	n, _ := io.ReadFull(br, body)
	out := head.String() + string(body[:n])
	fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(out), out)
}

// echoUwsgi answers a uwsgi packet with its vars, one "KEY=value" a line
// in the order sent (REMOTE_PORT left out: it differs per connection),
// then the body.
func echoUwsgi(c net.Conn) {
	br := bufio.NewReader(c)
	p, err := uwsgiproto.PacketReader{BufferSize: 65535}.Read(br)
	if err != nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "modifier1=%d modifier2=%d\n", p.Header.Modifier1, p.Header.Modifier2)
	n := 0
	for _, v := range p.Vars {
		if v.Key == "REMOTE_PORT" {
			continue
		}
		if v.Key == "CONTENT_LENGTH" {
			n, _ = strconv.Atoi(v.Value)
		}
		b.WriteString(v.Key + "=" + v.Value + "\n")
	}
	body := make([]byte, n)
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond)) // as echoHTTP
	m, _ := io.ReadFull(br, body)
	b.Write(body[:m])
	fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", b.Len(), b.String())
}

// answer is a backend that reads a request (uwsgi or HTTP) and writes raw.
func answer(raw string) func(c net.Conn) {
	return func(c net.Conn) {
		br := bufio.NewReader(c)
		if b, err := br.Peek(1); err == nil && b[0] == 0 {
			uwsgiproto.PacketReader{BufferSize: 65535}.Read(br)
		} else {
			for {
				line, err := br.ReadString('\n')
				if err != nil || line == "\r\n" {
					break
				}
			}
		}
		io.WriteString(c, raw)
	}
}

func gunzip(b []byte) []byte {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return []byte("(not gzip: " + err.Error() + ")")
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return append(out, "(gzip: "+err.Error()+")"...)
	}
	return out
}

// lineDiff shows the lines of a and b that differ, "-" for a and "+" for
// b, the common ones as context; long lines are cut.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// longest common subsequence, small inputs
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	cut := func(s string) string {
		if len(s) > 240 {
			return fmt.Sprintf("%s…(%d bytes)…%s", s[:160], len(s), s[len(s)-40:])
		}
		return s
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			out.WriteString("  " + cut(x[i]) + "\n")
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] >= lcs[i+1][j]):
			out.WriteString("+ " + cut(y[j]) + "\n")
			j++
		default:
			out.WriteString("- " + cut(x[i]) + "\n")
			i++
		}
	}
	return out.String()
}
