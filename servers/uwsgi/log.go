package uwsgi

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"
)

// logger is the instance's log stream: one whole line per write, no
// timestamp prefix (uWSGI prints none by default). A log file is written
// through its *os.File like any writer: a write to a regular file may block
// (a workspace on a network drive, or WSL's /mnt/c), and the os package
// tells Go's scheduler so, where a raw write(2) would stall a thread that
// the scheduler thinks is running Go code. That safety costs: a raw write
// saved about 10 µs of the app server's CPU per request behind nginx
// (servers/uwsgi/testdata/bench.sh, medians of 5 alternating runs: 54-58 µs
// with it, 62-71 µs without). Batching the request lines for a drain
// goroutine, at once or after 1 ms, saved nothing (65 and 68 µs): the
// wake-ups cost what the saved writes did.
type logger struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// newLogger logs to w.
func newLogger(w io.Writer) *logger { return &logger{w: w} }

// setWriter moves the log to w (daemonize).
func (l *logger) setWriter(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.w = w
}

func (l *logger) Printf(format string, args ...any) {
	l.mu.Lock()
	l.buf = fmt.Appendf(l.buf[:0], format, args...)
	l.buf = append(l.buf, '\n')
	l.w.Write(l.buf)
	l.mu.Unlock()
}

func (l *logger) Print(s string) {
	l.mu.Lock()
	l.buf = append(append(l.buf[:0], s...), '\n')
	l.w.Write(l.buf)
	l.mu.Unlock()
}

// Write lets the log be wsgi.errors: what an app writes there lands in the
// uWSGI log, as in Python.
func (l *logger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// asctime formats t as C's asctime(), which uWSGI's request log uses.
func asctime(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006") }

// requestLog holds what core/logging.c's default format prints.
type requestLog struct {
	entry                   bool // the request began here (no request id came with it): its last event says so
	traced                  bool // someone watched when the request began: its events are built
	app, appReqs, totalReqs int64
	remoteAddr, remoteUser  string
	vars, varsBytes         int
	start                   time.Time
	method, uri             string
	bodyBytes               int64
	rt                      time.Duration
	sendfile                bool
	proto                   string
	status                  int
	headers, headerBytes    int
	switches, core          int
}

// appendRequestLog appends the request line uWSGI logs, e.g.
// [pid: 18419|app: 0|req: 1/1] 1.2.3.4 () {18 vars in 177 bytes} [Sat Nov 21 04:30:09 2026] GET /hello => generated 260 bytes in 0 msecs (HTTP/1.1 200) 2 headers in 66 bytes (1 switches on core 0)
// It is built by hand, not with fmt: it is written for every request.
func appendRequestLog(b []byte, pid int, r *requestLog) []byte {
	b = append(b, "[pid: "...)
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, "|app: "...)
	b = strconv.AppendInt(b, r.app, 10)
	b = append(b, "|req: "...)
	b = strconv.AppendInt(b, r.appReqs, 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, r.totalReqs, 10)
	b = append(b, "] "...)
	b = append(b, r.remoteAddr...)
	b = append(b, " ("...)
	b = append(b, r.remoteUser...)
	b = append(b, ") {"...)
	b = strconv.AppendInt(b, int64(r.vars), 10)
	b = append(b, " vars in "...)
	b = strconv.AppendInt(b, int64(r.varsBytes), 10)
	b = append(b, " bytes} ["...)
	b = r.start.AppendFormat(b, "Mon Jan _2 15:04:05 2006")
	b = append(b, "] "...)
	b = append(b, r.method...)
	b = append(b, ' ')
	b = append(b, r.uri...)
	b = append(b, " => generated "...)
	b = strconv.AppendInt(b, r.bodyBytes, 10)
	b = append(b, " bytes in "...)
	b = strconv.AppendInt(b, r.rt.Milliseconds(), 10)
	b = append(b, " msecs"...)
	if r.sendfile {
		b = append(b, " via sendfile()"...)
	}
	b = append(b, " ("...)
	b = append(b, r.proto...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(r.status), 10)
	b = append(b, ") "...)
	b = strconv.AppendInt(b, int64(r.headers), 10)
	b = append(b, " headers in "...)
	b = strconv.AppendInt(b, int64(r.headerBytes), 10)
	b = append(b, " bytes ("...)
	b = strconv.AppendInt(b, int64(r.switches), 10)
	b = append(b, " switches on core "...)
	b = strconv.AppendInt(b, int64(r.core), 10)
	return append(b, ")\n"...)
}

func (l *logger) request(pid int, r *requestLog) {
	l.mu.Lock()
	l.buf = appendRequestLog(l.buf[:0], pid, r)
	l.w.Write(l.buf)
	l.mu.Unlock()
}
