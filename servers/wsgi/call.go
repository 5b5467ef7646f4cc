package wsgi

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// A ResponseWriter receives what the app produces. The server decides the
// framing: RawWriter writes exactly what uWSGI puts on a uwsgi socket; an HTTP
// listener may add Content-Length or chunking for keep-alive.
type ResponseWriter interface {
	// WriteHead sends the status ("200 OK", reason phrase already filled in)
	// and the headers in the app's order. It is called once, before the first
	// body byte or at the end for an empty body.
	WriteHead(status string, headers []Header) error
	// Write sends body bytes.
	Write(p []byte) (int, error)
}

// Result is what one call produced, for the request log line and the trace.
type Result struct {
	Status      int    // the numeric status the app set (0 if it never called StartResponse)
	StatusLine  string // "200 OK"
	Headers     int    // number of headers
	HeaderBytes int    // bytes of the head, status line included
	BodyBytes   int64
	HeadSent    bool
	Err         error // the app's exception, or a write error
	WriteErr    bool  // Err came from the connection, not the app
}

// Call runs app once, as uWSGI's WSGI handler does:
//   - the head goes out with the first non-empty chunk, or at the end if the
//     body is empty;
//   - an App error before StartResponse writes nothing (the connection is then
//     closed with 0 bytes, which nginx turns into a 502);
//   - an error after the head was sent cuts the body short;
//   - the body's cleanup always runs.
func Call(app App, env *Environ, w ResponseWriter) (res Result) {
	var (
		status  string
		headers []Header
		started bool
	)
	sendHead := func() error {
		if res.HeadSent {
			return nil
		}
		res.HeadSent = true
		res.StatusLine = status
		res.Headers = len(headers)
		res.HeaderBytes = HeadSize(env.Get("SERVER_PROTOCOL"), status, headers)
		return w.WriteHead(status, headers)
	}
	write := func(p []byte) error {
		if !started {
			return fmt.Errorf("wsgi: write() before start_response()")
		}
		if len(p) == 0 {
			return nil
		}
		if err := sendHead(); err != nil {
			return err
		}
		n, err := w.Write(p)
		res.BodyBytes += int64(n)
		return err
	}
	start := func(s string, h []Header) (Write, error) {
		if res.HeadSent {
			return nil, ErrHeadersSent
		}
		s = StatusLine(s)
		code, _ := strconv.Atoi(s[:min(3, len(s))])
		status, headers, started, res.Status = s, h, true, code
		return write, nil
	}

	body, err := safeCall(app, env, start)
	if err != nil {
		res.Err = err
		if started && !res.HeadSent {
			// uWSGI: start_response was called, then the app raised: the head
			// still goes out (nginx relays it with an empty body).
			if werr := sendHead(); werr != nil {
				res.WriteErr = true
			}
		}
		return res
	}
	if body != nil {
		for chunk, cerr := range safeIter(body) {
			if cerr != nil {
				res.Err = cerr
				break
			}
			if !started {
				res.Err = fmt.Errorf("wsgi: app yielded a body before calling start_response()")
				break
			}
			if err := write(chunk); err != nil {
				res.Err, res.WriteErr = err, true
				break
			}
		}
	}
	if started && !res.HeadSent && !res.WriteErr {
		if err := sendHead(); err != nil {
			res.Err, res.WriteErr = err, true
		}
	}
	if !started && res.Err == nil {
		res.Err = fmt.Errorf("wsgi: app returned without calling start_response()")
	}
	return res
}

// safeCall turns a panic in the app into an error, the way an exception in a
// Python app becomes a log line, not a dead server.
func safeCall(app App, env *Environ, start StartResponse) (b Body, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("wsgi: app panicked: %v", r)
		}
	}()
	return app.ServeWSGI(env, start)
}

func safeIter(b Body) Body {
	return func(yield func([]byte, error) bool) {
		stopped := false
		defer func() {
			if r := recover(); r != nil && !stopped {
				yield(nil, fmt.Errorf("wsgi: body panicked: %v", r))
			}
		}()
		for c, err := range b {
			if !yield(c, err) {
				stopped = true
				return
			}
		}
	}
}

// StatusLine fills in the reason phrase of a bare "NNN" status the way uWSGI
// does ("200" → "200 OK", an unknown code → "Unknown").
func StatusLine(s string) string {
	if len(s) == 3 {
		if code, err := strconv.Atoi(s); err == nil {
			reason := http.StatusText(code)
			if reason == "" {
				reason = "Unknown"
			}
			return s + " " + reason
		}
	}
	return s
}

// HeadSize is the size of the head as RawWriter writes it.
func HeadSize(protocol, status string, headers []Header) int {
	if protocol == "" {
		protocol = "HTTP/1.0"
	}
	n := len(protocol) + 1 + len(status) + 2
	for _, h := range headers {
		n += len(h.Name) + 2 + len(h.Value) + 2
	}
	return n + 2
}

// RawWriter writes the response exactly as uWSGI writes it on a uwsgi socket:
// "<SERVER_PROTOCOL> <status>\r\n", the headers in app order, "\r\n", the body.
// Nothing is added: no Date, Server, Connection or Content-Length. The end of
// the response is the connection's close.
type RawWriter struct {
	W        *bufio.Writer
	Protocol string // the SERVER_PROTOCOL var; "" gives HTTP/1.0 as in uWSGI
}

// WriteHead writes the status line and headers.
func (rw *RawWriter) WriteHead(status string, headers []Header) error {
	proto := rw.Protocol
	if proto == "" {
		proto = "HTTP/1.0"
	}
	rw.W.WriteString(proto)
	rw.W.WriteByte(' ')
	rw.W.WriteString(status)
	rw.W.WriteString("\r\n")
	for _, h := range headers {
		rw.W.WriteString(h.Name)
		rw.W.WriteString(": ")
		rw.W.WriteString(h.Value)
		rw.W.WriteString("\r\n")
	}
	_, err := rw.W.WriteString("\r\n")
	return err
}

// Write writes body bytes.
func (rw *RawWriter) Write(p []byte) (int, error) { return rw.W.Write(p) }

// HeaderValue returns the first header named name (case-insensitive).
func HeaderValue(headers []Header, name string) (string, bool) {
	for _, h := range headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}
