package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"webflow-lab/servers/trace"
	"webflow-lab/sim"
	"webflow-lab/sim/replay"
	"webflow-lab/tui"
	"webflow-lab/tui/i18n"
	"webflow-lab/tui/theme"
)

// runReplay is `webflow-lab replay FILE`: a recorded run played back
// without starting any server, on the screen as a running lab is shown
// (the header says it is a recording), or with --print (or without a
// terminal) as `serve` prints a live lab's events, on their recorded timing.
func runReplay(args []string, stdout, stderr io.Writer) int {
	fs := flagSet("replay", stderr)
	speed := fs.String("speed", "1", "how fast: 1 is as recorded, 0.1 ten times slower, 10 ten times faster (at most 1000)")
	printOnly := fs.Bool("print", false, "print the events instead of showing them on the screen")
	lang := fs.String("lang", "", "the screen's language, en or zh (default: from LC_ALL, LC_MESSAGES or LANG)")
	ascii := fs.Bool("ascii", false, "draw with ASCII only (as webflow-lab --ascii)")
	presenter := fs.Bool("presenter", false, "projector mode (as webflow-lab --presenter)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: webflow-lab replay FILE [--speed X] [--print] [--lang en|zh] [--ascii] [--presenter]\n\n")
		fmt.Fprintf(fs.Output(), "Plays back a file written by `webflow-lab record`: the same events on their recorded timing,\n")
		fmt.Fprintf(fs.Output(), "on the screen (space pauses, :speed X, :restart), or printed with --print.\n\n")
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
	if !*printOnly && term.IsTerminal(os.Stdout.Fd()) && term.IsTerminal(os.Stdin.Fd()) {
		return replayScreen(p, file, *lang, *ascii, *presenter, stderr)
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

// replayScreen shows the recording on the screen; the Player's clock runs
// in a goroutine this function owns, stopped when the screen quits.
func replayScreen(p *replay.Player, file, lang string, ascii, presenter bool, stderr io.Writer) int {
	l := i18n.FromEnv()
	if lang != "" {
		l = i18n.Parse(lang)
	}
	th := theme.OptionsFromEnv()
	th.ASCII = ascii
	m := tui.New(tui.NewReplayLab(p, file), nil, tui.Options{Lang: l, Theme: th, Presenter: presenter, Getenv: os.Getenv})
	ctx, cancel := context.WithCancel(context.Background())
	played := make(chan struct{})
	go func() {
		defer close(played)
		p.Run(ctx)
	}()
	prog := tea.NewProgram(m, tea.WithFPS(60))
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP)
	stopped := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			prog.Quit()
		case <-stopped:
		}
	}()
	_, err := prog.Run()
	signal.Stop(sigs)
	close(stopped)
	m.Close()
	cancel()
	<-played
	if err != nil {
		fmt.Fprintln(stderr, "webflow-lab:", err)
		return 1
	}
	return 0
}
