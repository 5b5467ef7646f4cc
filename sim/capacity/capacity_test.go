package capacity

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"webflow-lab/servers/testenv"
	"webflow-lab/servers/uwsgi"
)

func TestPredict(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		ini  string
		want float64
	}{
		{"1×1", "[uwsgi]\nsocket = 127.0.0.1:9001\nprocesses = 1\n", 20},
		{"2×2", "[uwsgi]\nsocket = 127.0.0.1:9001\nprocesses = 2\nthreads = 2\n", 80},
		{"4×2", "[uwsgi]\nsocket = 127.0.0.1:9001\nprocesses = 4\nthreads = 2\n", 160},
		{"nothing set is 1×1", "[uwsgi]\nsocket = 127.0.0.1:9001\nmaster = true\n", 20},
		// uWSGI has no inline comments: atoi("4 # four") is 4.
		{"the course's inline comment", "[uwsgi]\nsocket = 127.0.0.1:9001\nprocesses = 4 # four\nthreads = 2\n", 160},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".ini")
			os.WriteFile(path, []byte(tt.ini), 0o644)
			s, err := FromINI(path, 50*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Predict(); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("got %v QPS, want %v", got, tt.want)
			}
		})
	}
}

// TestMeasure: a real app server with 2 slots and 20 ms handlers serves
// close to 100 requests a second, never more; with 4 clients, about 2
// wait in the listen queue, each about one handler time.
func TestMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("a 2-second measurement; skipped with -short")
	}
	r, err := Measure(context.Background(), Setup{Processes: 2, Threads: 1, Handler: 20 * time.Millisecond}, 4, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", Table([]Result{r}, "en"))
	if r.Predicted != 100 {
		t.Errorf("predicted %v, want 100", r.Predicted)
	}
	// The formula is a ceiling: sleeping 20 ms takes at least 20 ms, and
	// each request also costs a connect and an accept. A measurement far
	// below it means slots were idle while clients waited.
	if r.Measured > r.Predicted*1.02 || r.Measured < r.Predicted*0.6 {
		t.Errorf("measured %.1f QPS, want at most and near %.0f", r.Measured, r.Predicted)
	}
	if r.Report.Errors != 0 || r.Report.Status[200] != r.Report.Requests {
		t.Errorf("got %d errors, statuses %v; want only 200s", r.Report.Errors, r.Report.Status)
	}
	if r.Wait < 10*time.Millisecond {
		t.Errorf("mean wait %v: with twice the clients as slots, want about one handler time (20ms)", r.Wait)
	}
	if uwsgi.QueueKnown && (!r.QueueKnown || r.MaxQueue < 1) {
		t.Errorf("listen queue: known %v, max %v over %d samples; want clients seen waiting", r.QueueKnown, r.MaxQueue, r.Samples)
	}
}

// TestRealUWSGI: real uWSGI running sleep.py (the sleep app's Python
// twin) with the same slots serves the same QPS as the lab's app server,
// under the formula, with the same listen queue.
func TestRealUWSGI(t *testing.T) {
	if testing.Short() {
		t.Skip("a 2-second measurement of real uWSGI; skipped with -short")
	}
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "servers", "uwsgi", "testdata", "sleep.py"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "sleep.py"), src, 0o644)
	port, stats := testenv.FreePort(t), testenv.FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	startUWSGI(t, dir, addr, "--plugin", "python3", "--http-socket", addr, "--stats", fmt.Sprintf("127.0.0.1:%d", stats),
		"--processes", "2", "--threads", "1", "--wsgi-file", "sleep.py", "--env", "SLEEP_MS=20", "--master", "--disable-logging")
	s := Setup{Processes: 2, Threads: 1, Handler: 20 * time.Millisecond}
	r, err := MeasureAt(context.Background(), s, "http://"+addr+"/", fmt.Sprintf("127.0.0.1:%d", stats), 4, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("real uWSGI:\n%s", Table([]Result{r}, "en"))
	if r.Measured > r.Predicted*1.02 || r.Measured < r.Predicted*0.6 {
		t.Errorf("measured %.1f QPS, want at most and near %.0f", r.Measured, r.Predicted)
	}
	if r.Report.Errors != 0 || r.Report.Status[200] != r.Report.Requests {
		t.Errorf("got %d errors %v, statuses %v; want only 200s", r.Report.Errors, r.Report.FirstError, r.Report.Status)
	}
	if r.MaxQueue < 1 {
		t.Errorf("real uWSGI's stats: max listen queue %v over %d samples, want clients seen waiting", r.MaxQueue, r.Samples)
	}
}

// startUWSGI runs real uWSGI (Debian's, with its python3 plugin) in dir
// and waits until addr accepts; it is stopped (SIGINT) when the test
// ends. servers/internal/realpeer does the same for the servers' tests,
// but internal/ is theirs alone.
func startUWSGI(t *testing.T, dir, addr string, args ...string) {
	t.Helper()
	bin := testenv.NeedUWSGI(t)
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &out, &out
	testenv.Group(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			testenv.KillGroup(cmd)
			<-done
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-done:
			t.Fatalf("uwsgi exited: %s", out.String())
		case <-time.After(20 * time.Millisecond): // polling: an external process has no ready signal
		}
		if time.Now().After(deadline) {
			t.Fatalf("uwsgi never accepted on %s: %v", addr, err)
		}
	}
}
