package proxy

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"webflow-lab/servers/errno"
)

// Error-log levels, most severe first, as nginx numbers them (ngx_log.c).
type level uint8

const (
	levelEmerg level = iota
	levelAlert
	levelCrit
	levelError
	levelWarn
	levelNotice
	levelInfo
	levelDebug
)

var levelNames = [...]string{"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

func (l level) String() string { return levelNames[l] }

func parseLevel(s string) (level, bool) {
	for i, n := range levelNames {
		if n == s {
			return level(i), true
		}
	}
	return 0, false
}

// logFile is one open log file shared by every directive naming it; nginx
// opens each path once per cycle. Writes are whole lines under a mutex, as
// nginx's single write() per line is atomic for O_APPEND files.
type logFile struct {
	mu   sync.Mutex
	path string
	w    io.Writer
	f    *os.File
}

func (f *logFile) write(b []byte) {
	f.mu.Lock()
	f.w.Write(b)
	f.mu.Unlock()
}

// logFiles opens log files by path and keeps them across reloads; an
// override writer (Options.AccessLog/ErrorLog) replaces every file of its kind.
type logFiles struct {
	mu        sync.Mutex
	open      map[string]*logFile
	accessOut io.Writer
	errorOut  io.Writer
}

func newLogFiles(access, errw io.Writer) *logFiles {
	return &logFiles{open: map[string]*logFile{}, accessOut: access, errorOut: errw}
}

func (lf *logFiles) get(path string, override io.Writer) (*logFile, error) {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	key := path
	if override != nil {
		key = fmt.Sprintf("override:%p", override)
	}
	if f, ok := lf.open[key]; ok {
		return f, nil
	}
	f := &logFile{path: path}
	switch {
	case override != nil:
		f.w = override
	case path == "/dev/stderr" || path == "stderr":
		f.w = os.Stderr
	case path == "/dev/stdout":
		f.w = os.Stdout
	default:
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("open() \"%s\" failed (%s)", path, errno.Format(err))
		}
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("open() \"%s\" failed (%s)", path, errno.Format(err))
		}
		f.f, f.w = fh, fh
	}
	lf.open[key] = f
	return f, nil
}

// close closes every file; the server calls it at shutdown.
func (lf *logFiles) close() {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	for k, f := range lf.open {
		if f.f != nil {
			f.f.Close()
		}
		delete(lf.open, k)
	}
}

// reopen closes and reopens the files (nginx -s reopen, after log rotation).
func (lf *logFiles) reopen() {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	for _, f := range lf.open {
		if f.f == nil {
			continue
		}
		fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			continue
		}
		f.mu.Lock()
		old := f.f
		f.f, f.w = fh, fh
		f.mu.Unlock()
		old.Close()
	}
}

func (lf *logFiles) errorLog(path string, lvl level) (*errorLogger, error) {
	f, err := lf.get(path, lf.errorOut)
	if err != nil {
		return nil, err
	}
	return &errorLogger{f: f, level: lvl}, nil
}

// maxErrorStr is NGX_MAX_ERROR_STR, the longest error-log line.
const maxErrorStr = 2048

// errorLogger writes nginx's error-log lines (§7.2 of the reference):
//
//	2026/11/21 04:31:35 [error] 19485#19485: *47 message, client: …, server: …
type errorLogger struct {
	f     *logFile
	level level
}

// logAlways writes one line whatever the logger's level: the lab's own
// announcements, which a learner must find in the file.
func (l *errorLogger) logAlways(now time.Time, lvl level, msg string) {
	if l == nil {
		return
	}
	saved := *l
	saved.level = levelDebug
	saved.log(now, lvl, 0, msg, "")
}

// logf writes one line if lvl is at or above the logger's level. ctx is the
// request context appended after the message (client, server, request…).
func (l *errorLogger) log(now time.Time, lvl level, connID uint64, msg, ctx string) {
	if l == nil || lvl > l.level {
		return
	}
	b := make([]byte, 0, 160+len(msg)+len(ctx))
	b = now.AppendFormat(b, "2006/01/02 15:04:05")
	b = append(b, " ["...)
	b = append(b, lvl.String()...)
	b = append(b, "] "...)
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, '#')
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, ": "...)
	if connID > 0 {
		b = append(b, '*')
		b = strconv.AppendUint(b, connID, 10)
		b = append(b, ' ')
	}
	b = append(b, msg...)
	b = append(b, ctx...)
	// ngx_log_error_core writes into a NGX_MAX_ERROR_STR (2048) buffer:
	// a longer line is cut, its newline kept
	if len(b) > maxErrorStr-1 {
		b = b[:maxErrorStr-1]
	}
	b = append(b, '\n')
	l.f.write(b)
}

// A logFormat is a compiled log_format.
type logFormat struct {
	name  string
	parts []tmplPart
}

var combinedFormat = mustFormat("combined", `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`)

func mustFormat(name, s string) *logFormat {
	f, err := compileFormat(name, []string{s})
	if err != nil {
		panic(err)
	}
	return f
}

// compileFormat compiles a log_format; a leading "escape=" argument picks the
// escaping (default, json, none).
func compileFormat(name string, args []string) (*logFormat, error) {
	if len(args) > 0 && strings.HasPrefix(args[0], "escape=") {
		args = args[1:] // the lab escapes the default way only
	}
	t, err := compileTmpl(strings.Join(args, ""))
	if err != nil {
		return nil, err
	}
	return &logFormat{name: name, parts: t.parts}, nil
}

// accessLog is one access_log directive: a file and a format.
type accessLog struct {
	f      *logFile
	format *logFormat
}

// line renders the format for r with nginx's escaping: a variable not found
// prints "-"; bytes < 0x20, '"', '\\', 0x7f and >= 0x80 become \xHH.
func (a *accessLog) line(r *request, b []byte) []byte {
	for _, p := range a.format.parts {
		if p.v == nil {
			b = append(b, p.lit...)
			continue
		}
		v, ok := p.v(r)
		if !ok {
			b = append(b, '-')
			continue
		}
		b = appendEscaped(b, v)
	}
	return append(b, '\n')
}

func appendEscaped(b []byte, v string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}
