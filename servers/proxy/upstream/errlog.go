package upstream

import (
	"context"
	"errors"
	"io"
	"os"

	"webflow-lab/servers/errno"
)

// Level is an error.log severity, most severe first, as nginx orders them.
type Level uint8

const (
	Emerg Level = iota
	Alert
	Crit
	Error
	Warn
	Notice
	Info
	Debug
)

var levelNames = [...]string{"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "level?"
}

// The actions nginx sets on the connection's log while it talks to an
// upstream; they become the "while …" part of an error.log line.
const (
	ActConnecting = "connecting to upstream"
	ActSending    = "sending request to upstream"
	ActReadHead   = "reading response header from upstream"
	ActReadBody   = "reading upstream"
)

// A LogEntry is one error.log line the engine wants written. The proxy adds
// the time, pid, connection number and the ", client: …, server: …,
// request: …" context; Upstream goes in that context as `upstream: "…"`.
type LogEntry struct {
	Level    Level
	Msg      string // "connect() failed (111: Connection refused)"
	Action   string // "connecting to upstream"; "" when nginx has none set
	Upstream string // "uwsgi://127.0.0.1:9001", "http://dead/dead"; "" when no peer was chosen yet
}

// Text is the message as it appears between "*CONN " and ", client:".
func (e LogEntry) Text() string {
	if e.Action == "" {
		return e.Msg
	}
	return e.Msg + " while " + e.Action
}

// String is a compact form for tests and debugging: "[error] text, upstream: "url"".
func (e LogEntry) String() string {
	s := "[" + e.Level.String() + "] " + e.Text()
	if e.Upstream != "" {
		s += `, upstream: "` + e.Upstream + `"`
	}
	return s
}

// A BodyError is a failure while relaying a response body, returned by
// Result.Body's Read: the proxy logs Entry and cuts the client connection,
// as nginx does once the head has gone out.
type BodyError struct {
	Entry LogEntry
	Err   error
}

func (e *BodyError) Error() string { return "upstream: " + e.Entry.Text() }
func (e *BodyError) Unwrap() error { return e.Err }

// errnoText renders err the way nginx renders a system error: "(111: Connection refused)".
// Errors without an errno (an injected fault, say) are shown as they are.
func errnoText(err error) string { return "(" + errno.Format(err) + ")" }

// timedOut is nginx's NGX_ETIMEDOUT text, used for every upstream timeout.
var timedOut = "upstream timed out " + errnoText(errno.ETIMEDOUT)

// isTimeout reports a deadline that passed. (net.Error's Timeout is no
// good here: it is also true for EAGAIN, which nginx reports as an error.)
func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		errno.Is(err, errno.ETIMEDOUT)
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
