package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"webflow-lab/sim"
)

// runServe is `webflow-lab serve`: the default topology without the TUI —
// proxy :8080 → uwsgi-1, uwsgi-2 → EMS → SQLite — built from the workspace's
// own config files, with addresses and every hop event on stdout.
func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("serve", stderr)
	dir := fs.String("workspace", "workspace", "the lab's workspace folder (created from the defaults if missing)")
	quiet := fs.Bool("quiet", false, "print addresses only, not every hop event")
	if err := fs.Parse(args); err != nil {
		return exitCode(err)
	}
	lab, err := sim.Start(*dir)
	if err != nil {
		printErr(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "webflow-lab: workspace %s\n", lab.Dir)
	for _, a := range lab.Addrs() {
		fmt.Fprintf(stdout, "  %s\n", a)
	}
	for _, n := range lab.Notes {
		fmt.Fprintf(stdout, "  note: %s\n", n)
	}
	fmt.Fprintf(stdout, "open http://127.0.0.1:8080/ in a browser; logs are in %s/logs; Ctrl-C stops.\n\n", lab.Dir)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan struct{})
	if !*quiet {
		sub := lab.Events.Subscribe(4096)
		go func() {
			defer close(done)
			for {
				e, err := sub.Next(ctx)
				if err != nil {
					return
				}
				fmt.Fprintln(stdout, sim.FormatEvent(e))
			}
		}()
		defer sub.Close()
	} else {
		close(done)
	}
	<-ctx.Done()
	<-done
	fmt.Fprintln(stdout, "\nwebflow-lab: stopping (in-flight requests finish first)")
	if err := lab.Shutdown(context.Background()); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
