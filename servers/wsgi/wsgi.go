// Package wsgi is the WSGI contract (PEP 3333) in Go.
//
// In Python, a WSGI application is a callable app(environ, start_response) that
// returns an iterable of byte strings. The server builds environ (a dict of CGI
// keys such as REQUEST_METHOD and PATH_INFO, one HTTP_* key per request header,
// and wsgi.* keys), the app calls start_response(status, headers) and returns
// the body. This package keeps that shape so a learner can map each piece to the
// spec: Environ is the dict, StartResponse the callable, Body the iterable.
//
// What it leaves out: there is no Python here, no GIL and no exc_info argument
// (a second StartResponse before the head is sent replaces status and headers, as
// uWSGI does). Exceptions are Go errors: an App that returns an error before
// StartResponse makes uWSGI write nothing and close the connection.
//
// Spec: https://peps.python.org/pep-3333/
package wsgi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"iter"
	"strings"

	"webflow-lab/servers/trace"
)

// A Header is one response header, as a WSGI (name, value) tuple.
type Header struct{ Name, Value string }

// StartResponse is start_response(status, response_headers). status is
// "NNN Reason" (or just "NNN"). It returns the legacy write() callable.
// Calling it again before the head is sent replaces status and headers;
// after, it returns ErrHeadersSent (uWSGI's "headers already sent").
type StartResponse func(status string, headers []Header) (Write, error)

// Write is the legacy write(bytes) callable returned by StartResponse.
type Write func(p []byte) error

// A Body is the iterable an App returns. Each chunk is sent as it is yielded;
// a yielded error is an exception raised while iterating. The iterator's own
// cleanup (its defers) is the iterable's close(), which the server always runs.
type Body = iter.Seq2[[]byte, error]

// An App is a WSGI application.
type App interface {
	ServeWSGI(env *Environ, start StartResponse) (Body, error)
}

// AppFunc lets an ordinary function be an App.
type AppFunc func(env *Environ, start StartResponse) (Body, error)

// ServeWSGI calls f.
func (f AppFunc) ServeWSGI(env *Environ, start StartResponse) (Body, error) { return f(env, start) }

// Chunks returns a Body that yields each chunk in turn, like returning a list.
func Chunks(chunks ...[]byte) Body {
	return func(yield func([]byte, error) bool) {
		for _, c := range chunks {
			if !yield(c, nil) {
				return
			}
		}
	}
}

// ErrHeadersSent is returned by a StartResponse called after the head went out.
var ErrHeadersSent = errors.New("wsgi: headers already sent")

// ServerInfo says which instance, worker and thread runs the request, what a
// Python app reads with uwsgi.worker_id() and friends. The EMS prints it in its
// footer so a learner sees balancing at work.
type ServerInfo struct {
	Instance string // the instance's name, e.g. "uwsgi-1" or its socket address
	PID      int    // the process id (instances are goroutine groups in one process)
	Worker   int    // 1-based worker ("process") id
	Core     int    // 0-based thread within the worker
}

// Environ is the WSGI environ.
type Environ struct {
	// Vars holds every CGI/HTTP_* variable the server received, unfiltered,
	// as uWSGI copies every uwsgi var into environ. A repeated key keeps its
	// last value, as in a Python dict.
	Vars map[string]string

	Input  *Input    // wsgi.input: the request body, ending at CONTENT_LENGTH
	Errors io.Writer // wsgi.errors: lines go to the server's log

	URLScheme    string // wsgi.url_scheme
	Multithread  bool   // wsgi.multithread: threads > 1
	Multiprocess bool   // wsgi.multiprocess: processes != 1
	RunOnce      bool   // wsgi.run_once: always false under uWSGI

	Server ServerInfo

	// Context ends when the server gives up on the request (harakiri, shutdown).
	// Go code cannot be killed like a worker process, so long-running apps
	// should watch it.
	Context context.Context

	RequestID string         // the id that joins this request's hops (from X-Request-Id when present)
	Trace     trace.Recorder // where the app reports its own hops (app → db); never nil
	Points    *trace.Points  // the lab's switches at the app's own hops (app → db); nil: never armed
}

// Get returns the value of key, or "" when absent: environ.get(key, ”).
func (e *Environ) Get(key string) string { return e.Vars[key] }

// Lookup returns the value of key and whether it is present.
func (e *Environ) Lookup(key string) (string, bool) {
	v, ok := e.Vars[key]
	return v, ok
}

// Version is wsgi.version.
func (e *Environ) Version() [2]int { return [2]int{1, 0} }

// ContentLength is CONTENT_LENGTH read the way uWSGI reads it: its leading
// digits, "" or garbage giving 0.
func ContentLength(v string) int64 {
	var n int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
		if n > 1<<50 {
			break
		}
	}
	return n
}

// URLScheme decides wsgi.url_scheme the way uWSGI does: the later of
// UWSGI_SCHEME and HTTP_X_FORWARDED_PROTO in the packet, else HTTPS=on/1
// gives "https", else "http". keys must be in packet order.
func URLScheme(keys, values []string) string {
	scheme := ""
	https := false
	for i, k := range keys {
		switch k {
		case "UWSGI_SCHEME", "HTTP_X_FORWARDED_PROTO":
			scheme = values[i]
		case "HTTPS":
			v := strings.ToLower(values[i])
			https = v == "on" || v == "1"
		}
	}
	if scheme != "" {
		return scheme
	}
	if https {
		return "https"
	}
	return "http"
}

// Input is wsgi.input: reads stop at CONTENT_LENGTH, then return io.EOF
// (Python's b”). It reads lazily from the connection, so an app that never
// reads the body never waits for it.
type Input struct {
	r    *bufio.Reader
	left int64
}

// NewInput returns an Input reading at most n bytes from r.
func NewInput(r *bufio.Reader, n int64) *Input { return &Input{r: r, left: n} }

// Remaining returns how many body bytes are still unread.
func (in *Input) Remaining() int64 {
	if in == nil {
		return 0
	}
	return in.left
}

// Read reads body bytes.
func (in *Input) Read(p []byte) (int, error) {
	if in == nil || in.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > in.left {
		p = p[:in.left]
	}
	n, err := in.r.Read(p)
	in.left -= int64(n)
	if err == io.EOF && in.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// ReadLine reads up to and including the next '\n' (readline()).
func (in *Input) ReadLine() ([]byte, error) {
	var line []byte
	for in != nil && in.left > 0 {
		c, err := in.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return line, err
		}
		in.left--
		line = append(line, c)
		if c == '\n' {
			break
		}
	}
	if len(line) == 0 {
		return nil, io.EOF
	}
	return line, nil
}

// Discard skips the unread body so the connection can carry another request.
func (in *Input) Discard() error {
	if in == nil || in.left <= 0 {
		return nil
	}
	n, err := in.r.Discard(int(min(in.left, 1<<62)))
	in.left -= int64(n)
	return err
}
