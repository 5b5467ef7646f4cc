package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"webflow-lab/servers/trace"
)

// benchServer starts a proxy serving a 1 KB file with access_log off, with
// rec as its recorder.
func benchServer(b *testing.B, rec trace.Recorder) string {
	b.Helper()
	dir := b.TempDir()
	writeFiles(b, dir, map[string]string{"html/1k.bin": strings.Repeat("x", 1024)})
	cfg := loadConf(b, dir, "events {}\nhttp { access_log off; keepalive_requests 100000000; server { listen 127.0.0.1:FREEPORT; root DIR/html; } }\n")
	srv, err := New(cfg, Options{Prefix: dir, Recorder: rec, ErrorLog: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Shutdown(context.Background()) })
	return srv.Addrs()[0].String()
}

// keepAliveGet sends GET /1k.bin on c and reads the whole response.
func keepAliveGet(b *testing.B, c net.Conn, br *bufio.Reader) {
	io.WriteString(c, "GET /1k.bin HTTP/1.1\r\nHost: bench\r\n\r\n")
	n := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		if len(line) <= 2 {
			break
		}
		if v, ok := strings.CutPrefix(string(line), "Content-Length: "); ok {
			n, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if _, err := br.Discard(n); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is this process's user+system CPU time: a cost measure that other
// programs on a busy machine disturb far less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func runStatic(b *testing.B, addr string) {
	b.ReportAllocs()
	start := cpuTime()
	defer func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }()
	b.RunParallel(func(pb *testing.PB) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		br := bufio.NewReader(c)
		for pb.Next() {
			keepAliveGet(b, c, br)
		}
	})
}

// BenchmarkStatic1K measures a keep-alive GET of a 1 KB file with nobody
// watching the trace, and with a watcher: a Broker with a subscriber that
// drains its queue. The difference is the cost of hop events (target < 10%).
func BenchmarkStatic1K(b *testing.B) {
	b.Run("no-watcher", func(b *testing.B) {
		runStatic(b, benchServer(b, nil))
	})
	b.Run("watched", func(b *testing.B) {
		br := trace.NewBroker()
		sub := br.Subscribe(4096)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { // the TUI's reader
			defer close(done)
			for {
				if _, err := sub.Next(ctx); err != nil {
					return
				}
			}
		}()
		addr := benchServer(b, br)
		runStatic(b, addr)
		b.StopTimer()
		cancel()
		sub.Close()
		<-done
		b.ReportMetric(float64(sub.Dropped()), "dropped")
	})
}

// BenchmarkNormalizeURI is the per-request URI work.
func BenchmarkNormalizeURI(b *testing.B) {
	for i := 0; i < b.N; i++ {
		normalizeURI("/static/css/../img/%E4%B8%AD.png", true)
	}
}

var _ = os.Getpid
var _ = filepath.Join
