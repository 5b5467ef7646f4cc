package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTUIUnderLoad measures the screen under load (issue 10's goals): with
// `webflow-lab bench --rate 5000` on a static file through the lab's
// proxy, the time from a key press to the screen showing it (tmux types the
// key and reads the screen back, so the figure includes tmux's own work), and
// the proxy's throughput and CPU per request (process CPU time ÷ requests
// answered) with the screen attached, against the same load on `serve
// --quiet`. Rounds alternate the two, and the medians are compared.
//
// It runs only when asked, on a machine otherwise quiet enough to mean
// something:
//
//	WFL_TUI_LOAD=3 go test ./cmd/webflow-lab -run TestTUIUnderLoad -v -timeout 20m
//
// WFL_TUI_LOAD is the number of rounds; WFL_TUI_RATE the rate (default
// 5000; 0 for as fast as the proxy answers); WFL_TUI_PROFILE a folder for
// each run's CPU profile (go tool pprof BINARY FILE).
func TestTUIUnderLoad(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("WFL_TUI_LOAD"))
	if rounds <= 0 {
		t.Skip("WFL_TUI_LOAD=N (rounds) runs the screen-under-load measurement; it takes about a minute a round")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skipf("tmux not in PATH: %v (apt-get install tmux)", err)
	}
	rate := 5000
	if v := os.Getenv("WFL_TUI_RATE"); v != "" {
		rate, _ = strconv.Atoi(v)
	}
	profiles := os.Getenv("WFL_TUI_PROFILE")
	dir := t.TempDir()
	bin := filepath.Join(dir, "webflow-lab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ws := filepath.Join(dir, "workspace")
	proxyPort, appPort := labPorts(t)
	lab := []string{"--workspace", ws, "--port", strconv.Itoa(proxyPort), "--app-port", strconv.Itoa(appPort)}
	url := fmt.Sprintf("http://127.0.0.1:%d/static/ems/css/style.css", proxyPort)
	benchArgs := []string{"bench", url, "-c", "20", "-d", "10s"}
	if rate > 0 {
		benchArgs = append(benchArgs, "--rate", strconv.Itoa(rate))
	}

	type run struct {
		rps, cpuPerReq float64 // req/s answered; µs of the lab's CPU per request
		tmuxPerReq     float64 // µs of the terminal's (tmux's) CPU per request
		keys           []time.Duration
		load           string
	}
	var serve, screen []run
	for i := range rounds {
		profile := func(name string) []string {
			if profiles == "" {
				return nil
			}
			return []string{"--cpuprofile", filepath.Join(profiles, fmt.Sprintf("%s-%d.prof", name, i+1))}
		}
		// the lab alone
		{
			cmd := exec.Command(bin, append(append([]string{"serve", "--quiet"}, lab...), profile("serve")...)...)
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitPort(t, proxyPort, &out)
			before := cpuTime(t, cmd.Process.Pid)
			rps, n := benchFigures(t, bin, benchArgs)
			r := run{rps: rps, cpuPerReq: float64((cpuTime(t, cmd.Process.Pid) - before).Microseconds()) / float64(n),
				load: loadAvg()}
			cmd.Process.Signal(syscall.SIGINT)
			cmd.Wait()
			serve = append(serve, r)
		}
		// the lab with its screen, in a terminal
		{
			// a tmux server of its own, so that its CPU (drawing the
			// screen's output, as any terminal must) is measured apart
			s := &tmuxScreen{t: t, session: "load", socket: fmt.Sprintf("wfl-load-%d-%d", os.Getpid(), i)}
			cmd := fmt.Sprintf("env LANG=C.UTF-8 LC_ALL= TERM=xterm-256color %s %s %s 2>%s", bin,
				strings.Join(lab, " "), strings.Join(profile("screen"), " "), filepath.Join(dir, "stderr"))
			if out, err := s.tmux("new-session", "-d", "-s", s.session, "-x", "120", "-y", "36", cmd); err != nil {
				t.Fatalf("tmux new-session: %v %s", err, out)
			}
			s.waitText("topology")
			var idle []time.Duration
			for range 3 {
				idle = append(idle, keyToScreen(t, s, "拓扑"), keyToScreen(t, s, "topology: how"))
			}
			t.Logf("round %d: key→screen with no load: median %v max %v", i+1, median(idle).Round(time.Millisecond),
				slices.Max(idle).Round(time.Millisecond))
			pids := running(bin)
			if len(pids) != 1 {
				t.Fatalf("processes of %s: %v, want the screen's alone", bin, pids)
			}
			pid, _ := strconv.Atoi(pids[0])
			tmuxPid := 0
			if out, err := s.tmux("display-message", "-p", "#{pid}"); err == nil {
				tmuxPid, _ = strconv.Atoi(strings.TrimSpace(out))
			}
			// throughput and CPU first, with nothing else running: reading
			// the screen back from tmux as fast as it answers takes CPU the
			// lab would otherwise have
			before, tmuxBefore := cpuTime(t, pid), cpuTime(t, tmuxPid)
			rps, n := benchFigures(t, bin, benchArgs)
			r := run{rps: rps, cpuPerReq: float64((cpuTime(t, pid) - before).Microseconds()) / float64(n), load: loadAvg(),
				tmuxPerReq: float64((cpuTime(t, tmuxPid) - tmuxBefore).Microseconds()) / float64(n)}
			// then the keys, under the same load again
			done := make(chan struct{})
			go func() {
				defer close(done)
				benchFigures(t, bin, benchArgs)
			}()
			time.Sleep(2 * time.Second) // the load under way: a measurement's warm-up, not a wait for a condition
			for range 5 {
				r.keys = append(r.keys, keyToScreen(t, s, "拓扑"), keyToScreen(t, s, "topology: how"))
				time.Sleep(300 * time.Millisecond) // spread the presses over the run
			}
			<-done
			s.keys("q")
			s.waitFor("the program to exit", 20*time.Second, func(string) bool { return !s.alive() })
			screen = append(screen, r)
		}
		t.Logf("round %d: serve --quiet %.0f req/s, %.1f µs CPU/req (load %s) | screen %.0f req/s, %.1f µs CPU/req (tmux %.1f), key→screen median %v max %v (load %s)",
			i+1, serve[i].rps, serve[i].cpuPerReq, serve[i].load, screen[i].rps, screen[i].cpuPerReq, screen[i].tmuxPerReq,
			median(screen[i].keys).Round(time.Millisecond), slices.Max(screen[i].keys).Round(time.Millisecond), screen[i].load)
	}
	med := func(rs []run, f func(run) float64) float64 {
		var v []float64
		for _, r := range rs {
			v = append(v, f(r))
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	var keys []time.Duration
	for _, r := range screen {
		keys = append(keys, r.keys...)
	}
	sRPS, tRPS := med(serve, func(r run) float64 { return r.rps }), med(screen, func(r run) float64 { return r.rps })
	sCPU, tCPU := med(serve, func(r run) float64 { return r.cpuPerReq }), med(screen, func(r run) float64 { return r.cpuPerReq })
	slices.Sort(keys)
	t.Logf("medians of %d rounds: serve --quiet %.0f req/s %.1f µs CPU/req; screen %.0f req/s (%+.1f%%) %.1f µs CPU/req (%+.1f%%); key→screen p50 %v p90 %v max %v over %d presses",
		rounds, sRPS, sCPU, tRPS, 100*(tRPS/sRPS-1), tCPU, 100*(tCPU/sCPU-1),
		keys[len(keys)/2].Round(time.Millisecond), keys[len(keys)*9/10].Round(time.Millisecond),
		keys[len(keys)-1].Round(time.Millisecond), len(keys))
	if tRPS < 0.9*sRPS {
		t.Errorf("with the screen the proxy answered %.0f req/s, more than 10%% below %.0f without", tRPS, sRPS)
	}
	if m := keys[len(keys)/2]; m > 50*time.Millisecond {
		t.Errorf("a key press took %v (median) to reach the screen, over 50 ms", m)
	}
}

// keyToScreen presses L (the language) and returns how long it took until
// the screen, read back from tmux as fast as tmux answers, shows want.
func keyToScreen(t *testing.T, s *tmuxScreen, want string) time.Duration {
	t.Helper()
	start := time.Now()
	s.keys("L")
	for time.Since(start) < 5*time.Second {
		if strings.Contains(s.capture(), want) {
			return time.Since(start)
		}
	}
	t.Fatalf("5 s after L the screen does not show %q:\n%s", want, s.capture())
	return 0
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchFigures runs webflow-lab bench and returns its requests per second and
// the requests answered.
func benchFigures(t *testing.T, bin string, args []string) (float64, int64) {
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Errorf("bench: %v\n%s", err, out)
		return 0, 1
	}
	rps := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
	n := regexp.MustCompile(`Requests:\s+([0-9]+) answered`).FindSubmatch(out)
	if rps == nil || n == nil {
		t.Errorf("bench printed no figures:\n%s", out)
		return 0, 1
	}
	r, _ := strconv.ParseFloat(string(rps[1]), 64)
	c, _ := strconv.ParseInt(string(n[1]), 10, 64)
	return r, max(c, 1)
}

// cpuTime is the CPU time (user and system) process pid has used.
func cpuTime(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("CPU time of %d: %v", pid, err)
	}
	// the command name (field 2) may hold spaces: count from its ')'
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100 // USER_HZ is 100 on Linux
}

func loadAvg() string {
	f, err := os.Open("/proc/loadavg")
	if err != nil {
		return "?"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	return strings.Join(strings.Fields(sc.Text())[:3], " ")
}

// waitPort waits until something accepts on the loopback port.
func waitPort(t *testing.T, port int, out fmt.Stringer) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond) // polling another process's port
	defer tick.Stop()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %d after 15 s: %v\n%s", port, err, out)
		}
		<-tick.C
	}
}
