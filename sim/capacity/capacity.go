// Package capacity checks the course's capacity formula against a
// measurement:
//
//	QPS = processes × threads ÷ time per request
//
// An app server has processes × threads request slots. Each slot is busy
// for the handler's time per request, so one slot serves at most
// 1 ÷ time requests a second and all of them processes × threads times
// that. Clients beyond the slots wait: their connections sit in the
// listen queue (the kernel's accept queue, `listen` long) until a slot is
// free, and the time they wait adds to their latency — Little's law:
// clients = QPS × latency.
//
// Measure starts a real app server (the uWSGI-compatible one, `http-socket`
// so each request is a connection through the accept queue, as behind
// nginx's uwsgi_pass) running the `sleep` app with a known handler time,
// sends closed-loop load from more clients than it has slots, reads its
// stats server for the listen queue while the load runs, and reports the
// prediction beside the measurement.
package capacity

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"sync"
	"time"

	"webflow-lab/servers/uwsgi"
	"webflow-lab/servers/uwsgi/ini"
	"webflow-lab/sim/load"
)

// A Setup is an instance's worker slots and its handler's time per request.
type Setup struct {
	Processes int           // processes (≤ 0: 1)
	Threads   int           // threads per process (≤ 0: 1)
	Handler   time.Duration // time per request
	Listen    int           // listen backlog (≤ 0: 100, uWSGI's default)
}

// FromINI reads processes, threads and listen from an ini file with
// uWSGI's rules; the handler time is the caller's (handler).
func FromINI(path string, handler time.Duration) (Setup, error) {
	c, err := ini.LoadFile(path)
	if err != nil {
		return Setup{}, err
	}
	return Setup{Processes: c.Processes, Threads: c.Threads, Handler: handler, Listen: c.Listen}, nil
}

func (s Setup) norm() Setup {
	s.Processes = max(s.Processes, 1)
	s.Threads = max(s.Threads, 1)
	if s.Listen <= 0 {
		s.Listen = 100
	}
	return s
}

// Slots is processes × threads: requests served at once.
func (s Setup) Slots() int { s = s.norm(); return s.Processes * s.Threads }

// Predict is the course's formula, in requests per second.
func (s Setup) Predict() float64 {
	if s.Handler <= 0 {
		return 0
	}
	return float64(s.Slots()) / s.Handler.Seconds()
}

func (s Setup) String() string {
	s = s.norm()
	return fmt.Sprintf("%d×%d, %v per request", s.Processes, s.Threads, s.Handler)
}

// A Result is one measurement.
type Result struct {
	Setup     Setup
	Clients   int
	Predicted float64 // requests per second, from the formula
	Measured  float64 // requests per second, answered
	Report    load.Report
	// Queue is what the stats server said about the listen queue while
	// the load ran: the most connections seen waiting, and their mean
	// over the samples. QueueKnown is false where the system does not
	// report it (uWSGI reads it with TCP_INFO, on Linux only; the lab's
	// app server says -1 elsewhere and in a portable build).
	MaxQueue, MeanQueue float64
	QueueKnown          bool
	Samples             int
	// Wait is the time a request spent waiting for a free slot: its
	// latency minus the handler's time (mean and p99).
	Wait, WaitP99 time.Duration
}

// Off is how far the measurement is from the prediction, as a fraction
// (−0.04 is 4 % below).
func (r Result) Off() float64 {
	if r.Predicted == 0 {
		return 0
	}
	return r.Measured/r.Predicted - 1
}

// Measure runs the sleep app with the setup's slots and handler time on a
// loopback port, sends load from clients connections (≤ 0: twice the
// slots, so that half of them queue) for d, and reports.
func Measure(ctx context.Context, s Setup, clients int, d time.Duration) (Result, error) {
	s = s.norm()
	if s.Handler <= 0 {
		return Result{}, fmt.Errorf("capacity: handler time %v: want more than 0", s.Handler)
	}
	if clients <= 0 {
		clients = 2 * s.Slots()
	}
	c, err := ini.ParseArgs([]string{
		"--http-socket", "127.0.0.1:0", "--stats", "127.0.0.1:0",
		"--processes", strconv.Itoa(s.Processes), "--threads", strconv.Itoa(s.Threads),
		"--listen", strconv.Itoa(s.Listen), "--wsgi-file", "sleep",
		"--env", "SLEEP_MS=" + strconv.FormatInt(s.Handler.Milliseconds(), 10),
		"--disable-logging",
	}, nil)
	if err != nil {
		return Result{}, err
	}
	srv := uwsgi.New(uwsgi.FromINI(c), uwsgi.Options{Name: "capacity"})
	if err := srv.Start(); err != nil {
		return Result{}, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	addrs := srv.Addrs()
	if len(addrs["http-socket"]) == 0 || len(addrs["stats"]) == 0 {
		return Result{}, fmt.Errorf("capacity: the app server has no http-socket or stats address: %v", addrs)
	}
	return MeasureAt(ctx, s, "http://"+addrs["http-socket"][0].String()+"/", addrs["stats"][0].String(), clients, d)
}

// MeasureAt measures a server that is already running — the lab's, or a
// real uWSGI started with the same processes and threads — at target,
// reading its listen queue from the stats server at stats ("" for none).
// s gives the prediction and the handler time.
func MeasureAt(ctx context.Context, s Setup, target, stats string, clients int, d time.Duration) (Result, error) {
	s = s.norm()
	if clients <= 0 {
		clients = 2 * s.Slots()
	}
	// Sample the listen queue from the stats server, as uwsgitop does,
	// while the load runs.
	sctx, stopSampling := context.WithCancel(ctx)
	var q queueSamples
	var wg sync.WaitGroup
	if stats != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.sample(sctx, stats, 50*time.Millisecond)
		}()
	}
	rep, err := load.Run(ctx, load.Spec{URL: target, Connections: clients, Duration: d, Timeout: 30 * time.Second})
	stopSampling()
	wg.Wait()
	if err != nil {
		return Result{}, err
	}
	r := Result{Setup: s, Clients: clients, Predicted: s.Predict(), Measured: rep.RPS(), Report: rep,
		MaxQueue: q.max, QueueKnown: q.n > 0 && runtime.GOOS == "linux", Samples: q.n}
	if q.n > 0 {
		r.MeanQueue = q.sum / float64(q.n)
	}
	if rep.Latency.Count() > 0 {
		r.Wait = max(rep.Latency.Mean()-s.Handler, 0)
		r.WaitP99 = max(rep.Latency.Percentile(99)-s.Handler, 0)
	}
	return r, nil
}

type queueSamples struct {
	n        int
	sum, max float64
}

// sample reads the stats JSON every `every` and keeps the first socket's
// accept queue ("sockets"[0]."queue").
func (q *queueSamples) sample(ctx context.Context, addr string, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, ok := readQueue(ctx, addr)
		if !ok {
			continue
		}
		q.n++
		q.sum += float64(cur)
		q.max = max(q.max, float64(cur))
	}
}

func readQueue(ctx context.Context, addr string) (int, bool) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		return 0, false
	}
	var stats struct {
		Sockets []struct {
			Queue    int `json:"queue"`
			MaxQueue int `json:"max_queue"`
		} `json:"sockets"`
	}
	// -1 is the lab's "cannot tell" (macOS, Windows, a portable build):
	// no sample, rather than a false 0.
	if json.Unmarshal(b, &stats) != nil || len(stats.Sockets) == 0 || stats.Sockets[0].Queue < 0 {
		return 0, false
	}
	return stats.Sockets[0].Queue, true
}
