package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"webflow-lab/servers/trace"
	"webflow-lab/sim"
	"webflow-lab/sim/replay"
)

// runReplay is `webflow-lab replay FILE`: a recorded run played back
// without starting any server. Until the TUI shows a replay, it prints the
// events as `serve` prints a live lab's, on their recorded timing.
func runReplay(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("replay", stderr)
	speed := fs.String("speed", "1", "how fast: 1 is as recorded, 0.1 ten times slower, 10 ten times faster (at most 1000)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: webflow-lab replay FILE [--speed X]\n\n")
		fmt.Fprintf(fs.Output(), "Plays back a file written by `webflow-lab record`: the same events on their recorded timing.\n\n")
		fs.PrintDefaults()
	}
	// The file may come before or after the flags.
	var file string
	for {
		if err := fs.Parse(args); err != nil {
			return exitCode(err)
		}
		if fs.NArg() == 0 {
			break
		}
		if file != "" {
			fmt.Fprintf(stderr, "webflow-lab replay: one file, got %q and %q\n", file, fs.Arg(0))
			return 2
		}
		file, args = fs.Arg(0), fs.Args()[1:]
	}
	if file == "" {
		fs.Usage()
		return 2
	}
	p, err := replay.Open(file)
	if err != nil {
		printErr(stderr, err)
		return 1
	}
	if _, err := p.Do(context.Background(), "speed "+*speed); err != nil {
		printErr(stderr, err)
		return 2
	}
	rec := p.Recording()
	h := rec.Header
	fmt.Fprintf(stdout, "webflow-lab: replay of %s\n", file)
	fmt.Fprintf(stdout, "  recorded %s by %s in %s (%s)\n", h.Created.Format(time.DateTime), h.Tool, h.Dir, h.URL)
	if h.Traffic != "" {
		fmt.Fprintf(stdout, "  traffic: %s\n", h.Traffic)
	}
	fmt.Fprintf(stdout, "  %s, %d events, %d snapshots; at %s× speed; no server runs. Ctrl-C stops.\n\n",
		rec.Length().Round(time.Millisecond), rec.End.Events, rec.End.Snapshots, *speed)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sub := p.Watch(1 << 16)
	defer sub.Close()
	played := make(chan struct{})
	go func() {
		defer close(played)
		p.Run(ctx)
	}()
	defer func() {
		stop()
		<-played
	}()
	var buf []trace.Event
	print := func() {
		buf = sub.DrainTo(buf[:0])
		for _, e := range buf {
			fmt.Fprintln(stdout, sim.FormatEvent(e))
		}
	}
	for {
		select {
		case <-ctx.Done():
			print()
			return 0
		case <-sub.Wake():
			print()
		case <-p.Ended():
			print()
			if n := sub.Skipped(); n > 0 {
				fmt.Fprintf(stdout, "  note: %d requests went by too fast to print whole; a lower --speed shows them\n", n)
			}
			fmt.Fprintf(stdout, "\nwebflow-lab: end of the recording (%s)\n", rec.Length().Round(time.Millisecond))
			return 0
		}
	}
}
