package uwsgi

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// logger is the instance's log stream: one whole line per write, no
// timestamp prefix (uWSGI prints none by default).
type logger struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
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
func appendRequestLog(b []byte, pid int, r *requestLog) []byte {
	via := ""
	if r.sendfile {
		via = " via sendfile()"
	}
	return fmt.Appendf(b, "[pid: %d|app: %d|req: %d/%d] %s (%s) {%d vars in %d bytes} [%s] %s %s => generated %d bytes in %d msecs%s (%s %d) %d headers in %d bytes (%d switches on core %d)\n",
		pid, r.app, r.appReqs, r.totalReqs, r.remoteAddr, r.remoteUser, r.vars, r.varsBytes, asctime(r.start),
		r.method, r.uri, r.bodyBytes, r.rt.Milliseconds(), via, r.proto, r.status, r.headers, r.headerBytes, r.switches, r.core)
}

func (l *logger) request(pid int, r *requestLog) {
	l.mu.Lock()
	l.buf = appendRequestLog(l.buf[:0], pid, r)
	l.w.Write(l.buf)
	l.mu.Unlock()
}
