package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/trace"
)

// benchServer starts a proxy with access_log off and rec as its recorder:
// serving a 1 KB file, and passing /app/ to the app server at app if one is
// given.
func benchServer(b *testing.B, rec trace.Recorder, app string) string {
	b.Helper()
	dir := b.TempDir()
	writeFiles(b, dir, map[string]string{"html/1k.bin": strings.Repeat("x", 1024)})
	pass := ""
	if app != "" {
		pass = "location /app/ { uwsgi_pass " + app + "; }"
	}
	cfg := loadConf(b, dir, "events {}\nhttp { access_log off; keepalive_requests 100000000; server { listen 127.0.0.1:FREEPORT; root DIR/html; "+pass+" } }\n")
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

// keepAliveGet sends GET path on c and reads the whole response.
func keepAliveGet(b *testing.B, c net.Conn, br *bufio.Reader, path string) {
	io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: bench\r\n\r\n")
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

// runGets has parallel keep-alive clients GET path, and reports the whole
// process's CPU per request.
func runGets(b *testing.B, addr, path string) {
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
			keepAliveGet(b, c, br, path)
		}
	})
}

// BenchmarkStatic1K measures a keep-alive GET of a 1 KB file with nobody
// watching the trace, and with a watcher: a Broker with a subscriber that
// reads its queue. The difference is the cost of hop events (target < 10%).
func BenchmarkStatic1K(b *testing.B) {
	benchWatched(b, false, "/1k.bin")
}

// BenchmarkDynamicHello is the same for the dynamic path: proxy → our app
// server → hello, both in this process and both recording when watched, as
// in the lab.
func BenchmarkDynamicHello(b *testing.B) {
	benchWatched(b, true, "/app/hello")
}

func benchWatched(b *testing.B, dynamic bool, path string) {
	start := func(rec trace.Recorder) string {
		app := ""
		if dynamic {
			app = startOurUwsgiRec(b, "hello", rec)
		}
		return benchServer(b, rec, app)
	}
	b.Run("no-watcher", func(b *testing.B) {
		runGets(b, start(nil), path)
	})
	// A reader that takes what came once a frame (60 per second), as a TUI
	// draws: it wakes 60 times a second however many requests go by.
	b.Run("watched", func(b *testing.B) {
		watchedRun(b, start, path, func(ctx context.Context, sub *trace.Subscription) {
			tick := time.NewTicker(time.Second / 60)
			defer tick.Stop()
			var buf []trace.Event
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					buf = sub.DrainTo(buf[:0])
				}
			}
		})
	})
	// A reader that wakes for every event (Next), as serve's printer does:
	// the wake-ups, not the recording, are most of its cost.
	b.Run("watched-each", func(b *testing.B) {
		watchedRun(b, start, path, func(ctx context.Context, sub *trace.Subscription) {
			for {
				if _, err := sub.Next(ctx); err != nil {
					return
				}
			}
		})
	})
}

func watchedRun(b *testing.B, start func(trace.Recorder) string, path string, read func(context.Context, *trace.Subscription)) {
	br := trace.NewBroker()
	sub := br.Subscribe(4096)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		read(ctx, sub)
	}()
	addr := start(br)
	runGets(b, addr, path)
	b.StopTimer()
	cancel()
	sub.Close()
	<-done
	b.ReportMetric(float64(sub.Dropped()), "dropped")
}

// BenchmarkNormalizeURI is the per-request URI work.
func BenchmarkNormalizeURI(b *testing.B) {
	for i := 0; i < b.N; i++ {
		normalizeURI("/static/css/../img/%E4%B8%AD.png", true)
	}
}
