package wsgi

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"

	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
)

// FromVars builds the environ uWSGI builds from a uwsgi packet: every var is
// copied unfiltered (a repeated key keeps its last value), wsgi.url_scheme
// follows uWSGI's rule, and wsgi.input reads CONTENT_LENGTH bytes of body from
// r. The caller fills Server, Context, Trace and the multi* flags.
func FromVars(vars uwsgiproto.Vars, body *bufio.Reader) *Environ {
	if body == nil {
		body = bufio.NewReader(strings.NewReader(""))
	}
	env := &Environ{Vars: make(map[string]string, len(vars)+2)}
	keys := make([]string, len(vars))
	values := make([]string, len(vars))
	for i, v := range vars {
		env.Vars[v.Key] = v.Value
		keys[i], values[i] = v.Key, v.Value
	}
	env.URLScheme = URLScheme(keys, values)
	env.Input = NewInput(body, ContentLength(env.Vars["CONTENT_LENGTH"]))
	env.RequestID = env.Vars["HTTP_X_REQUEST_ID"]
	env.Context = context.Background()
	env.Trace = trace.Nop
	env.Errors = os.Stderr
	return env
}

// HTTPVars returns the vars uWSGI's own HTTP router (`http = :9000`) sends to
// its workers for r (uwsgi.md §2.4): the request line parts, SCRIPT_NAME "",
// SERVER_NAME = hostname, SERVER_PORT = text after the last ':' of the listen
// address, UWSGI_ROUTER=http, the client address, then one var per header
// (Content-Type/Content-Length as CONTENT_TYPE/CONTENT_LENGTH only).
func HTTPVars(r *http.Request, listenAddr string) uwsgiproto.Vars {
	path := r.URL.Path // already percent-decoded, not dot-normalized
	host, _ := os.Hostname()
	port := listenAddr
	if i := strings.LastIndexByte(listenAddr, ':'); i >= 0 {
		port = listenAddr[i+1:]
	}
	raddr, rport, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		raddr = r.RemoteAddr
	}
	vs := make(uwsgiproto.Vars, 0, 12+len(r.Header))
	vs = append(vs,
		uwsgiproto.Var{Key: "REQUEST_METHOD", Value: r.Method},
		uwsgiproto.Var{Key: "PATH_INFO", Value: path},
		uwsgiproto.Var{Key: "REQUEST_URI", Value: r.RequestURI},
		uwsgiproto.Var{Key: "QUERY_STRING", Value: r.URL.RawQuery},
		uwsgiproto.Var{Key: "SERVER_PROTOCOL", Value: r.Proto},
		uwsgiproto.Var{Key: "SCRIPT_NAME", Value: ""},
		uwsgiproto.Var{Key: "SERVER_NAME", Value: host},
		uwsgiproto.Var{Key: "SERVER_PORT", Value: port},
		uwsgiproto.Var{Key: "UWSGI_ROUTER", Value: "http"},
		uwsgiproto.Var{Key: "REMOTE_ADDR", Value: raddr},
		uwsgiproto.Var{Key: "REMOTE_PORT", Value: rport},
	)
	if r.Host != "" {
		vs = append(vs, uwsgiproto.Var{Key: "HTTP_HOST", Value: r.Host})
	}
	for name, values := range r.Header {
		key := CGIName(name)
		if key == "HTTP_CONTENT_TYPE" || key == "HTTP_CONTENT_LENGTH" {
			key = key[len("HTTP_"):]
		}
		for _, v := range values {
			vs = append(vs, uwsgiproto.Var{Key: key, Value: v})
		}
	}
	if r.ContentLength > 0 {
		if _, ok := vs.Get("CONTENT_LENGTH"); !ok {
			vs = append(vs, uwsgiproto.Var{Key: "CONTENT_LENGTH", Value: itoa(r.ContentLength)})
		}
	}
	return vs
}

// CGIName turns a header name into its environ key: "X-Request-Id" → "HTTP_X_REQUEST_ID".
func CGIName(header string) string {
	b := make([]byte, 0, 5+len(header))
	b = append(b, "HTTP_"...)
	for i := 0; i < len(header); i++ {
		c := header[i]
		switch {
		case c == '-':
			c = '_'
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// FromHTTP builds the environ an app sees behind uWSGI's HTTP router for a
// net/http request. Tests and the EMS's handler tests use it with httptest.
func FromHTTP(r *http.Request) *Environ {
	env := FromVars(HTTPVars(r, r.Host), nil)
	env.Input = &Input{r: bufio.NewReader(bodyOrEmpty(r.Body)), left: max(r.ContentLength, 0)}
	if r.ContentLength < 0 { // chunked: read until EOF
		env.Input.left = 1 << 62
	}
	env.Context = r.Context()
	return env
}

func bodyOrEmpty(b io.Reader) io.Reader {
	if b == nil {
		return strings.NewReader("")
	}
	return b
}

// Handler serves a WSGI app through net/http (for tests and quick demos).
// The app's headers are copied as they are; net/http adds Date and framing.
func Handler(app App) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		env := FromHTTP(r)
		res := Call(app, env, &httpWriter{w: w})
		if !res.HeadSent && res.Err != nil {
			// The app raised before start_response: behind uWSGI the client
			// gets nothing; net/http cannot send nothing, so it aborts.
			panic(http.ErrAbortHandler)
		}
	})
}

type httpWriter struct{ w http.ResponseWriter }

func (hw *httpWriter) WriteHead(status string, headers []Header) error {
	h := hw.w.Header()
	for _, x := range headers {
		h.Add(x.Name, x.Value)
	}
	code := 0
	for i := 0; i < len(status) && i < 3; i++ {
		code = code*10 + int(status[i]-'0')
	}
	hw.w.WriteHeader(code)
	return nil
}

func (hw *httpWriter) Write(p []byte) (int, error) { return hw.w.Write(p) }
