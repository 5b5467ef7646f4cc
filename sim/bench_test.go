package sim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"webflow-lab/servers/trace"
)

// BenchmarkLabStart is a lab's start from an existing workspace until every
// port accepts (StartWith returns then), the goal being well under 300 ms.
//
//	go test -run XXX -bench LabStart -benchtime 20x ./sim/
func BenchmarkLabStart(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "ws")
	opts := Options{Ports: benchPorts(b)}
	if _, err := EnsureWorkspace(dir, opts); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		lab, err := StartWith(dir, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		lab.Shutdown(context.Background())
		b.StartTimer()
	}
}

func benchPorts(b *testing.B) Ports { return freeLabPorts(b) }

// drain reads w once a frame, as the screen does, until stop is closed,
// counting the requests it saw end.
func drain(w *trace.Subscription, stop <-chan struct{}, followed *atomic.Int64) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second / 60)
		defer tick.Stop()
		var buf []trace.Event
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				buf = w.DrainTo(buf[:0])
				for _, e := range buf {
					if e.Last {
						followed.Add(1)
					}
				}
			}
		}
	}()
	return done
}

// BenchmarkLabThroughput is the lab's whole path — proxy, app server, EMS
// (the login page: a template, a session) — under 8 concurrent clients,
// with nobody watching and with a watcher that follows every request it
// can (draining once a frame, as the screen does). The goal: watched is
// under 10% slower.
//
//	go test -run XXX -bench LabThroughput -benchtime 5s -count 5 ./sim/ | benchstat -
func BenchmarkLabThroughput(b *testing.B) {
	for _, watched := range []bool{false, true} {
		name := "unwatched"
		if watched {
			name = "watched"
		}
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "ws")
			lab, err := StartWith(dir, Options{Ports: benchPorts(b), NoControl: true})
			if err != nil {
				b.Fatal(err)
			}
			defer lab.Shutdown(context.Background())
			var followed atomic.Int64
			var w *trace.Subscription
			if watched {
				w = lab.Watch(4096)
				stop := make(chan struct{})
				done := drain(w, stop, &followed)
				defer func() { close(stop); <-done; w.Close() }()
			}
			url := lab.URL() + "/login/"
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			client := &http.Client{Transport: tr}
			defer tr.CloseIdleConnections()
			b.SetParallelism(4) // 4 × GOMAXPROCS clients
			cpu0 := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					res, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			})
			b.StopTimer()
			// CPU per request moves less with the machine's other load than
			// req/s does (the clients' CPU is in it too, the same for both).
			if c := cpuTime(); c > 0 {
				b.ReportMetric(float64((c-cpu0).Microseconds())/float64(b.N), "cpu-µs/req")
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			if watched {
				b.ReportMetric(float64(w.Skipped()), "skipped")
				b.ReportMetric(float64(followed.Load()), "followed")
			}
		})
	}
}

// BenchmarkLabWatchedRSS sends b.N requests through the lab with a watcher
// attached and reports the process's resident memory at the end: it must
// stay flat (under 100 MB) however many requests go by.
//
//	go test -run XXX -bench LabWatchedRSS -benchtime 1000000x -timeout 30m ./sim/
func BenchmarkLabWatchedRSS(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc/self/status")
	}
	dir := filepath.Join(b.TempDir(), "ws")
	lab, err := StartWith(dir, Options{Ports: benchPorts(b), NoControl: true})
	if err != nil {
		b.Fatal(err)
	}
	defer lab.Shutdown(context.Background())
	w := lab.Watch(4096)
	stop := make(chan struct{})
	var followed atomic.Int64
	done := drain(w, stop, &followed)
	defer func() { close(stop); <-done; w.Close() }()
	url := lab.URL() + "/static/ems/css/style.css" // the cheapest request: what piles events up fastest
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	// RSS is read at each quarter of the run too: flat means the last
	// three quarters add nothing the first did not.
	var reached, rss [4]atomic.Int64
	var n atomic.Int64
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if i := n.Add(1); b.N >= 4 && i%int64(b.N/4) == 0 && i/int64(b.N/4) <= 3 {
				q := i/int64(b.N/4) - 1
				rss[q].Store(int64(rssKB()))
				reached[q].Store(i)
			}
		}
	})
	for q := range 3 {
		if reached[q].Load() > 0 {
			b.ReportMetric(float64(rss[q].Load())/1024, fmt.Sprintf("RSS-MB-at-%d%%", 25*(q+1)))
		}
	}
	b.ReportMetric(float64(rssKB())/1024, "RSS-MB")
	b.ReportMetric(float64(w.Skipped()), "skipped")
}

func rssKB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return -1
}
