package tui

import (
	"context"

	"webflow-lab/servers/trace"
	"webflow-lab/tui/snap"
)

// Lab is everything the TUI needs from the running lab, and nothing more:
// its state, its hop events, its controls by name, and the names for the
// command line. The lab runtime (sim) satisfies it through simlab.go, the one
// file of this package that talks to sim; tests hand the TUI their own.
type Lab interface {
	// Snapshot returns the lab's state now: a copy, safe to keep. It must
	// not block on a control in progress.
	Snapshot() snap.Snapshot
	// Watch starts a stream of hop events holding at most buffer
	// per-request events; the TUI closes it when it quits.
	Watch(buffer int) Watcher
	// Do runs one control of the lab's text vocabulary ("stop uwsgi-1",
	// "strategy ip_hash", "reload"): what it did and its real equivalent, or
	// a learner-facing *explain.Error, changing nothing on error.
	Do(ctx context.Context, command string) (snap.Result, error)
	// Commands lists the controls Do knows, for completion and help.
	Commands() []snap.Command
	// Complete returns the ways to finish a partial command line.
	Complete(line string) []string
	// UserOf names the lab's virtual user a connection came from ("user
	// 3"), given the Conn of the proxy's first event of a request
	// ("127.0.3.1:40112→127.0.0.1:8080"); 0 for anyone else (a learner's
	// browser, curl, the load generator).
	UserOf(conn string) int
}

// Watcher is a stream of hop events that never blocks a server: per-request
// events past its buffer are dropped and counted, state changes always come.
type Watcher interface {
	// Next waits for the next event until ctx ends.
	Next(ctx context.Context) (trace.Event, error)
	// DrainTo appends what is queued to dst without waiting.
	DrainTo(dst []trace.Event) []trace.Event
	// Dropped counts events of no request lost to a full buffer.
	Dropped() int64
	// Skipped counts whole requests not followed because the buffer was
	// full when they began: the screen shows fewer requests, never half of one.
	Skipped() int64
	Close()
}
