package proxy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/proxy/config"
	"webflow-lab/servers/testenv"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lab is one running proxy in a temp prefix.
type lab struct {
	t      *testing.T
	dir    string
	srv    *Server
	addr   string
	errLog *syncBuffer
	accLog *syncBuffer
}

// writeFiles creates files (path → content) under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loadConf parses text as DIR/nginx.conf; "DIR" in text is the prefix.
func loadConf(t testing.TB, dir, text string) *config.Config {
	t.Helper()
	text = strings.ReplaceAll(text, "DIR", dir)
	for strings.Contains(text, "FREEPORT") {
		text = strings.Replace(text, "FREEPORT", freePort(t), 1)
	}
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return loadConfPath(t, path)
}

func loadConfPath(t testing.TB, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	return cfg
}

// startLab starts our proxy with conf (an http { } body is wrapped in the
// usual main context) and files under a temp prefix.
func startLab(t *testing.T, httpBody string, files map[string]string) *lab {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	cfg := loadConf(t, dir, "events {}\nhttp {\n"+httpBody+"\n}\n")
	l := &lab{t: t, dir: dir, errLog: &syncBuffer{}, accLog: &syncBuffer{}}
	srv, err := New(cfg, Options{Prefix: dir, ErrorLog: l.errLog, AccessLog: l.accLog})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	l.srv = srv
	l.addr = srv.Addrs()[0].String()
	return l
}

// response is a raw response as read from the wire.
type response struct {
	status int
	header http.Header
	body   string
	raw    string
}

// do sends a raw request and reads one response.
func do(t testing.TB, addr, raw string) response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	if p, _ := br.Peek(5); string(p) != "HTTP/" {
		// nginx answers a request line it cannot parse as HTTP/0.9: no head.
		all, _ := io.ReadAll(br)
		return response{status: 0, header: http.Header{}, body: string(all), raw: string(all)}
	}
	return readResponse(t, br, strings.HasPrefix(raw, "HEAD "))
}

func readResponse(t testing.TB, br *bufio.Reader, head bool) response {
	t.Helper()
	var rec bytes.Buffer
	tee := bufio.NewReader(io.TeeReader(br, &rec))
	req := &http.Request{Method: "GET"}
	if head {
		req.Method = "HEAD"
	}
	resp, err := http.ReadResponse(tee, req)
	if err != nil {
		t.Fatalf("reading response: %v (got %q)", err, rec.String())
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	resp.Body.Close()
	return response{status: resp.StatusCode, header: resp.Header, body: string(body), raw: rec.String()}
}

func get(path string) string {
	return fmt.Sprintf("GET %s HTTP/1.1\r\nHost: lab.test\r\nConnection: close\r\n\r\n", path)
}

// freePort returns a loopback port that was free a moment ago (nginx, and
// so the config package, refuse port 0).
func freePort(t testing.TB) string {
	t.Helper()
	return strconv.Itoa(testenv.FreePort(t))
}
