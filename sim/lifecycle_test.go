package sim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"webflow-lab/servers/ems/emstest"
	"webflow-lab/servers/testenv"
	"webflow-lab/servers/trace"
)

// openFDs counts this process's open file descriptors, or -1 where the
// system does not say (only Linux's /proc is read).
func openFDs() int {
	if runtime.GOOS != "linux" {
		return -1
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// TestStartStopLeavesNothing starts and stops the lab 50 times, some cycles
// with requests held at a breakpoint, some with requests in flight on a
// slow instance, some with a component stopped, some with traffic running
// (browsers and the load generator), and checks that nothing is left:
// goroutines, file descriptors, ports, pidfiles, the control file.
func TestStartStopLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("50 lab cycles: skipped with -short")
	}
	noLeaks(t)
	dir := filepath.Join(t.TempDir(), "ws")
	ports := freeLabPorts(t)
	opts := Options{Ports: ports}
	if _, err := EnsureWorkspace(dir, opts); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	fds := -1
	for cycle := range 50 {
		lab, err := StartWith(dir, opts)
		if err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		if cycle == 1 {
			fds = openFDs() // after the first cycle: the runtime's own descriptors are open by then
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var wg sync.WaitGroup
		send := func(n int) {
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if res, err := client.Get(lab.URL() + "/login/"); err == nil {
						res.Body.Close()
					}
				}()
			}
		}
		switch cycle % 5 {
		case 1: // requests held at a breakpoint when the lab stops
			if _, _, err := lab.Break(ctx, BreakSpec{Hop: trace.WorkerToApp}); err != nil {
				t.Fatal(err)
			}
			send(3)
			waitHeld(t, lab, 3)
		case 2: // requests in flight on a slow instance
			mustDo(t, lab, "latency uwsgi-1 100ms")
			mustDo(t, lab, "latency uwsgi-2 100ms")
			send(4)
		case 3: // a component stopped
			mustDo(t, lab, "stop uwsgi-2")
			mustDo(t, lab, "db stop")
			send(2)
		case 4: // traffic running: browsers walking without end, a load for an hour
			mustDo(t, lab, "browse 3 open-list every 20ms")
			mustDo(t, lab, "load /login/ -c 4 -d 1h")
			waitTraffic(t, lab, 2, "sending", func(r TrafficRun) bool { return r.Sent > 0 })
			send(2)
		}
		if err := lab.Shutdown(ctx); err != nil {
			t.Errorf("cycle %d: Shutdown: %v", cycle, err)
		}
		cancel()
		wg.Wait()
	}
	client.CloseIdleConnections()
	if fds >= 0 {
		// Descriptors close as goroutines end; noLeaks has waited for those
		// of the servers, the clients' are done (wg).
		deadline := time.Now().Add(5 * time.Second)
		for openFDs() > fds && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond) // a settle wait, bounded
		}
		if got := openFDs(); got > fds {
			t.Errorf("file descriptors: %d after 50 cycles, %d after the first", got, fds)
		}
	}
	for _, p := range append([]int{ports.Proxy}, ports.Instances[0].Socket, ports.Instances[0].HTTP, ports.Instances[0].Stats,
		ports.Instances[1].Socket, ports.Instances[1].HTTP, ports.Instances[1].Stats) {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			t.Errorf("port %d still bound after the lab stopped: %v", p, err)
			continue
		}
		ln.Close()
	}
	for _, name := range []string{"uwsgi-1.pid", "uwsgi-2.pid", filepath.Join("logs", "nginx.pid"), filepath.Join(".webflow-lab", "control.json")} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (%v)", name, err)
		}
	}
}

// TestThirdInstance: a learner adds uwsgi-3.ini and a server line while the
// lab runs, starts the instance and reloads nginx: it serves.
func TestThirdInstance(t *testing.T) {
	noLeaks(t)
	lab := startLab(t, nil)
	extra := testenv.FreePorts(t, 3)
	src := readFile(t, filepath.Join(lab.Dir(), "uwsgi-2.ini"))
	snap := lab.Snapshot()
	two := snap.Instances[1]
	for _, r := range [][2]string{{two.Socket, "127.0.0.1:" + strconv.Itoa(extra[0])}, {two.HTTP, "127.0.0.1:" + strconv.Itoa(extra[1])},
		{two.Stats, "127.0.0.1:" + strconv.Itoa(extra[2])}, {"uwsgi-2", "uwsgi-3"}} {
		src = strings.ReplaceAll(src, r[0], r[1])
	}
	if err := os.WriteFile(filepath.Join(lab.Dir(), "uwsgi-3.ini"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	replaceInFile(t, filepath.Join(lab.Dir(), "conf.d", "ems.conf"), "    server "+two.Socket+";",
		"    server "+two.Socket+";\n    server 127.0.0.1:"+strconv.Itoa(extra[0])+";")
	mustDo(t, lab, "start uwsgi-3")
	mustDo(t, lab, "reload proxy")
	seen := map[string]bool{}
	c := emstest.NewClient(t, lab.URL())
	for range 6 {
		seen[servedBy(t, c.Get("/login/"))] = true
	}
	if !seen["uwsgi-3"] {
		t.Errorf("six requests round robin over three instances: served by %v, want uwsgi-3 among them", seen)
	}
	snap = lab.Snapshot()
	if len(snap.Instances) != 3 || snap.Upstreams[0].Peers[2].Instance != "uwsgi-3" {
		t.Errorf("snapshot: %d instances, peers %+v; want uwsgi-3 known by name", len(snap.Instances), snap.Upstreams[0].Peers)
	}
}
