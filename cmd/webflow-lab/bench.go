package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/sim/load"
)

// headerFlags is -H, repeatable: "Name: value".
type headerFlags [][2]string

func (h *headerFlags) String() string { return "" }

func (h *headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want \"Name: value\", got %q", v)
	}
	*h = append(*h, [2]string{strings.TrimSpace(name), strings.TrimSpace(value)})
	return nil
}

// runBench is `webflow-lab bench URL`: the load generator, like wrk and hey.
func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("bench", stderr)
	conns := fs.Int("c", 10, "concurrent connections (wrk -c, hey -c)")
	count := fs.Int64("n", 0, "stop after this many requests (hey -n); default: run for -d")
	dur := fs.Duration("d", 0, "run this long (wrk -d); default 10s when -n is not given")
	rate := fs.Float64("rate", 0, "requests per second across all connections, latency measured from each request's scheduled start (wrk2 -R); default: as fast as the server answers")
	timeout := fs.Duration("timeout", 10*time.Second, "give up on a request after this long (counted as a timeout error)")
	method := fs.String("m", "GET", "request method")
	var headers headerFlags
	fs.Var(&headers, "H", "a request header, \"Name: value\"; repeat for more (e.g. -H \"Cookie: sessionid=…\")")
	noKeepAlive := fs.Bool("no-keepalive", false, "a new connection for every request (hey -disable-keepalive)")
	allowRemote := fs.Bool("allow-remote", false, "allow a target that is not a loopback address (only ever a server that is yours)")
	progress := fs.Bool("progress", false, "print the progress line even when stderr is not a terminal")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: webflow-lab bench URL [-c N] [-n N | -d DURATION] [--rate R] [-H \"Name: value\"]\n\n")
		fmt.Fprintf(fs.Output(), "Sends requests to URL over -c keep-alive connections and reports requests/s, status codes,\n")
		fmt.Fprintf(fs.Output(), "errors by kind, latency percentiles and a histogram. Loopback targets only, unless --allow-remote.\n\n")
		fs.PrintDefaults()
	}
	// The URL may come before or after the flags (bench URL -c 10, or bench -c 10 URL).
	var url string
	for {
		if err := fs.Parse(args); err != nil {
			return exitCode(err)
		}
		if fs.NArg() == 0 {
			break
		}
		if url != "" {
			fmt.Fprintf(stderr, "webflow-lab bench: one URL, got %q and %q\n", url, fs.Arg(0))
			return 2
		}
		url, args = fs.Arg(0), fs.Args()[1:]
	}
	if url == "" {
		fs.Usage()
		return 2
	}
	if *count > 0 && *dur > 0 {
		fmt.Fprintln(stderr, explain.T("webflow-lab bench: give -n (a count) or -d (a duration), not both",
			"webflow-lab bench: -n（请求数）和 -d（时长）只能给一个").In(lang()))
		return 2
	}
	spec := load.Spec{
		URL: url, Method: *method, Header: headers, Connections: *conns, Requests: *count, Duration: *dur,
		Rate: *rate, Timeout: *timeout, NoKeepAlive: *noKeepAlive, AllowRemote: *allowRemote,
	}
	if *progress || isTerminal(stderr) {
		spec.Progress = func(p load.Progress) { printProgress(stderr, p) }
	}
	if !*allowRemote && os.Getenv("GOMAXPROCS") == "" {
		// The server under load is on this machine: leave it half the
		// CPUs, as wrk's advice (threads ≤ cores) and a 2-core laptop
		// want. Measured on 2 cores against nginx at -c 50, one thread
		// gave a median 0.95 of wrk's req/s, two threads 0.79 (the
		// scheduler's idle spinning takes CPU nginx needs).
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(max(1, runtime.NumCPU()/2)))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := load.Run(ctx, spec)
	if err != nil && !errors.Is(err, context.Canceled) {
		printErr(stderr, err)
		return 1
	}
	fmt.Fprint(stdout, rep.Text(lang()))
	if rep.Requests == 0 {
		return 1
	}
	return 0
}

// printProgress rewrites one line on stderr: answered, errors, rate, time.
func printProgress(w io.Writer, p load.Progress) {
	of := ""
	switch {
	case p.Requests > 0:
		of = fmt.Sprintf("/%d", p.Requests)
	case p.Duration > 0:
		of = fmt.Sprintf("  %.1fs/%s", p.Elapsed.Seconds(), p.Duration)
	}
	line := fmt.Sprintf("\r  %d%s %s  %d %s  %.0f req/s ", p.Done, of,
		explain.T("answered", "已答复").In(lang()), p.Errors, explain.T("errors", "错误").In(lang()), p.RPS)
	if p.Final {
		line += "\n"
	}
	fmt.Fprint(w, line)
}

// isTerminal reports whether w is a character device (a terminal), so the
// progress line's carriage returns do not end up in a file or a pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
