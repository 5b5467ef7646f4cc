package main

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/sim"
	"webflow-lab/sim/replay"
	"webflow-lab/sim/traffic"
)

// runRecord is `webflow-lab record`: the lab as `serve` runs it, its run
// saved to one file — every event with its timing, the snapshots, the
// configs — for `webflow-lab replay`.
func runRecord(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("record", stderr)
	dir := fs.String("workspace", "workspace", "the lab's workspace folder (created from the defaults if missing)")
	out := fs.String("o", "", "the file to write (.gz: compressed); default: WORKSPACE/recordings/TIME.jsonl.gz")
	dur := fs.Duration("for", 0, "stop after this long (default: when the traffic has run its course, or Ctrl-C)")
	spec := fs.String("traffic", "", "traffic to run while recording: a spec line (\"3 browsers, journey login-list, every 2s\") or a file of them")
	quiet := fs.Bool("quiet", false, "do not print every hop event")
	port := fs.Int("port", sim.DefaultPorts.Proxy, "the proxy's port, written into a new workspace (as serve)")
	appPort := fs.Int("app-port", sim.DefaultPorts.Instances[0].HTTP, "the first app server's http port, written into a new workspace (as serve)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: webflow-lab record [--workspace DIR] [-o FILE] [--for DURATION] [--traffic SPEC] [--quiet]\n\n")
		fmt.Fprintf(fs.Output(), "Runs the lab as `serve` does and saves the run (events, snapshots, configs) to one file;\n")
		fmt.Fprintf(fs.Output(), "`webflow-lab replay FILE` plays it back without starting any server.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitCode(err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	text, err := trafficText(*spec)
	if err != nil {
		printErr(stderr, err)
		return 2
	}
	path := *out
	if path == "" {
		abs, err := filepath.Abs(*dir)
		if err != nil {
			printErr(stderr, err)
			return 1
		}
		path = filepath.Join(abs, "recordings", time.Now().Format("20060102-150405")+".jsonl.gz")
		os.MkdirAll(filepath.Dir(path), 0o755)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		printErr(stderr, &explain.Error{
			What: explain.T("record: cannot write "+path, "record: 无法写入 "+path), Where: path,
			Why: explain.T(err.Error(), err.Error()),
			Try: explain.T("choose another file with -o (an existing one is never overwritten)", "用 -o 换一个文件（已有的文件不会被覆盖）"), Err: err})
		return 1
	}
	defer f.Close()
	lab, err := sim.StartWith(*dir, sim.Options{Ports: sim.PortsFrom(*port, *appPort)})
	if err != nil {
		f.Close()
		os.Remove(path) // nothing was recorded
		printErr(stderr, err)
		return 1
	}
	defer lab.Shutdown(context.Background())
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(f)
		w = zw
	}

	fmt.Fprintf(stdout, "webflow-lab: workspace %s\n", lab.Dir())
	for _, a := range lab.Addrs() {
		fmt.Fprintf(stdout, "  %s\n", a)
	}
	fmt.Fprintf(stdout, "recording to %s; Ctrl-C stops.\n\n", path)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	recCtx, stopRec := context.WithCancel(context.Background())
	defer stopRec()
	ready := make(chan struct{})
	src := replay.FromLab(lab, replay.Header{Tool: "webflow-lab " + version(), Traffic: text})
	src.Ready = func() { close(ready) }
	type recorded struct {
		end replay.End
		err error
	}
	done := make(chan recorded, 1)
	go func() {
		end, err := replay.Record(recCtx, w, src)
		done <- recorded{end, err}
	}()
	printed := make(chan struct{})
	if !*quiet {
		sub := lab.Watch(4096)
		defer sub.Close()
		go func() {
			defer close(printed)
			for {
				e, err := sub.Next(recCtx)
				if err != nil {
					return
				}
				fmt.Fprintln(stdout, sim.FormatEvent(e))
			}
		}()
	} else {
		close(printed)
	}
	<-ready
	if text != "" {
		r, err := lab.StartTraffic(ctx, text)
		if err != nil {
			stopRec()
			<-done
			<-printed
			printErr(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "webflow-lab: %s\n", r.Did.In(lang()))
	}
	waitRecording(ctx, lab, *dur, text != "")
	if _, err := lab.StopTraffic(context.Background(), 0); err == nil {
		fmt.Fprintln(stdout, "webflow-lab: traffic stopped")
	}
	stopRec()
	res := <-done
	<-printed
	if res.err == nil && zw != nil {
		res.err = zw.Close()
	}
	if res.err == nil {
		res.err = f.Close()
	}
	if res.err != nil {
		printErr(stderr, fmt.Errorf("record: writing %s: %w", path, res.err))
		return 1
	}
	size := int64(0)
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	e := res.end
	fmt.Fprintf(stdout, "\nwebflow-lab: recorded %s: %d events, %d snapshots, %d configs to %s (%d bytes)\n",
		e.At.Round(time.Millisecond), e.Events, e.Snapshots, e.Configs, path, size)
	if e.Skipped > 0 || e.Dropped > 0 {
		fmt.Fprintf(stdout, "  note: under load the recorder kept up by leaving out %d whole requests (and %d other events)\n", e.Skipped, e.Dropped)
	}
	fmt.Fprintf(stdout, "play it back: webflow-lab replay %s\n", path)
	return 0
}

// waitRecording returns after d (if set), at Ctrl-C, or — with traffic
// and no d — once every traffic run has ended.
func waitRecording(ctx context.Context, lab *sim.Lab, d time.Duration, traffic bool) {
	var limit <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		limit = t.C
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-limit:
			return
		case <-tick.C:
			if !traffic || d > 0 {
				continue
			}
			running := false
			for _, r := range lab.Traffic() {
				running = running || r.State == sim.TrafficRunning
			}
			if !running {
				return
			}
		}
	}
}

// trafficText is --traffic's spec: a file's text when it names a file, else
// the line itself; checked before the lab starts.
func trafficText(arg string) (string, error) {
	if arg == "" {
		return "", nil
	}
	name, text := "--traffic", arg
	if b, err := os.ReadFile(arg); err == nil {
		name, text = arg, string(b)
	} else if !errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(arg, " ,") {
		return "", err
	}
	if _, err := traffic.Parse(name, text); err != nil {
		return "", err
	}
	return text, nil
}
