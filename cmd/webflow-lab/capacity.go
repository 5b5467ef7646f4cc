package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/sim/capacity"
)

// runCapacity is `webflow-lab capacity`: the course's formula, QPS =
// processes × threads ÷ time per request, beside a measurement.
func runCapacity(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("capacity", stderr)
	iniFile := fs.String("ini", "", "read processes and threads from this uWSGI ini file")
	workers := fs.String("workers", "1x1,2x2,4x2", "processes×threads to measure, comma-separated (ignored with --ini)")
	handler := fs.Duration("handler", 50*time.Millisecond, "the app's time per request (the sleep app's SLEEP_MS)")
	clients := fs.Int("c", 0, "concurrent clients; default twice the slots, so half of them wait in the listen queue")
	dur := fs.Duration("d", 5*time.Second, "how long to measure each setup")
	target := fs.String("url", "", "measure this running server instead of starting one (e.g. a real uWSGI running sleep.py); needs one setup")
	stats := fs.String("stats", "", "with --url: its stats server (127.0.0.1:9002), for the listen queue")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: webflow-lab capacity [--ini FILE | --workers 1x1,2x2,4x2] [--handler 50ms] [-c N] [-d 5s] [--url URL [--stats ADDR]]\n\n")
		fmt.Fprintf(fs.Output(), "Predicts QPS = processes × threads ÷ time per request, then starts an app server running the\n")
		fmt.Fprintf(fs.Output(), "`sleep` app (each request takes --handler) and measures it with more clients than slots.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitCode(err)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	var setups []capacity.Setup
	if *iniFile != "" {
		s, err := capacity.FromINI(*iniFile, *handler)
		if err != nil {
			printErr(stderr, err)
			return 1
		}
		setups = append(setups, s)
	} else {
		for _, w := range strings.Split(*workers, ",") {
			p, t, ok := strings.Cut(strings.TrimSpace(w), "x")
			pn, err1 := strconv.Atoi(p)
			tn, err2 := strconv.Atoi(t)
			if !ok || err1 != nil || err2 != nil || pn < 1 || tn < 1 || pn*tn > 256 {
				fmt.Fprintln(stderr, explain.T(
					fmt.Sprintf("webflow-lab capacity: --workers %q: write processes x threads, e.g. 1x1,2x2,4x2 (at most 256 slots)", w),
					fmt.Sprintf("webflow-lab capacity: --workers %q：写成 进程数x线程数，如 1x1,2x2,4x2（最多 256 个）", w)).In(lang()))
				return 2
			}
			setups = append(setups, capacity.Setup{Processes: pn, Threads: tn, Handler: *handler})
		}
	}
	if *target != "" && len(setups) != 1 {
		fmt.Fprintln(stderr, explain.T("webflow-lab capacity: --url measures one server: give its --ini, or one --workers PxT",
			"webflow-lab capacity: --url 只测一个服务器：请给出它的 --ini，或一个 --workers 进程x线程").In(lang()))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var results []capacity.Result
	for _, s := range setups {
		fmt.Fprintf(stderr, "measuring %s for %v…\n", s, *dur)
		var r capacity.Result
		var err error
		if *target != "" {
			r, err = capacity.MeasureAt(ctx, s, *target, *stats, *clients, *dur)
		} else {
			r, err = capacity.Measure(ctx, s, *clients, *dur)
		}
		if err != nil {
			printErr(stderr, err)
			return 1
		}
		results = append(results, r)
	}
	fmt.Fprint(stdout, capacity.Table(results, lang()))
	return 0
}
