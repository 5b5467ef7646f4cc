package uwsgi

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/servers/wsgi"
)

// noLength answers without Content-Length, so the router must chunk it for
// a keep-alive client.
var noLength = wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
	start("200 OK", []wsgi.Header{{Name: "Content-Type", Value: "text/plain"}})
	return wsgi.Chunks([]byte("part1 "), []byte("part2")), nil
})

func TestRouterKeepAlive(t *testing.T) {
	checkGoroutines(t)
	apps := map[string]wsgi.App{"/hello": wsgi.Hello, "/nolen": noLength, "/echo": wsgi.Echo}
	app := wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
		return apps[env.Get("PATH_INFO")].ServeWSGI(env, start)
	})
	s, _ := startServer(t, Config{HTTP: []string{"127.0.0.1:0"}, WSGIFile: "x"},
		Options{Loader: func(AppRef) (wsgi.App, error) { return app, nil }})
	c, err := net.Dial("tcp", addrOf(t, s, "http"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	do := func(req string) (*http.Response, string) {
		t.Helper()
		io.WriteString(c, req)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	tests := []struct {
		name, req, body string
		chunked, close  bool
	}{
		{"Content-Length: kept alive", "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", "Hello World\n", false, false},
		{"second request on the same connection", "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n", "Hello World\n", false, false},
		{"no Content-Length: chunked for HTTP/1.1", "GET /nolen HTTP/1.1\r\nHost: x\r\n\r\n", "part1 part2", true, false},
		{"HTTP/1.0: relayed to close", "GET /nolen HTTP/1.0\r\n\r\n", "part1 part2", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(tt.req)
			if body != tt.body {
				t.Errorf("body: got %q, want %q", body, tt.body)
			}
			chunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
			if chunked != tt.chunked {
				t.Errorf("chunked: got %v, want %v", chunked, tt.chunked)
			}
			if tt.close {
				if n, err := br.ReadByte(); err != io.EOF {
					t.Errorf("after HTTP/1.0: got %v, %v; want EOF (closed)", n, err)
				}
			}
		})
	}
}

func TestRouterEnviron(t *testing.T) {
	s, _ := startServer(t, Config{HTTP: []string{"127.0.0.1:0"}, WSGIFile: "echo"}, Options{})
	resp, err := http.Post("http://"+addrOf(t, s, "http")+"/u/%E4%B8%AD?x=1", "text/plain", strings.NewReader("body!"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got wsgi.EchoReply
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(addrOf(t, s, "http"))
	_ = port
	tests := []struct{ key, want string }{
		{"UWSGI_ROUTER", "http"}, {"PATH_INFO", "/u/中"}, {"QUERY_STRING", "x=1"}, {"REQUEST_URI", "/u/%E4%B8%AD?x=1"},
		{"SERVER_PORT", "0"}, // the text after the last ':' of the http option, as uWSGI sends it
		{"CONTENT_TYPE", "text/plain"}, {"CONTENT_LENGTH", "5"}, {"SCRIPT_NAME", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if g, ok := got.Environ[tt.key]; !ok || g != tt.want {
				t.Errorf("environ[%s]: got %q (present %v), want %q", tt.key, g, ok, tt.want)
			}
		})
	}
	if got.Body.Length != 5 {
		t.Errorf("body: got %d bytes, want 5", got.Body.Length)
	}
}

// TestHTTPSocket: with http-socket the workers parse HTTP themselves (no
// router: no UWSGI_ROUTER var) and answer as on a uwsgi socket: the app's
// head and body, unframed, then close.
func TestHTTPSocket(t *testing.T) {
	s, log := startServer(t, Config{HTTPSockets: []string{"127.0.0.1:0"}, WSGIFile: "x"},
		Options{Loader: func(AppRef) (wsgi.App, error) {
			return wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
				if _, ok := env.Lookup("UWSGI_ROUTER"); ok {
					return nil, errors.New("UWSGI_ROUTER present on an http-socket")
				}
				return noLength.ServeWSGI(env, start)
			}), nil
		}})
	c, err := net.Dial("tcp", addrOf(t, s, "http-socket"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET /x?y=1 HTTP/1.1\r\nHost: lab\r\n\r\n")
	got, _ := readAllConn(c)
	want := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart1 part2"
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
	log.waitFor(t, "GET /x?y=1 => generated 11 bytes", 5*time.Second)
}

// TestRouterBrokenAnswer: when the worker's answer cannot be framed for the
// client (the body is shorter than its Content-Length, or the app said
// "Connection: close"), the router closes the client connection after
// relaying it. Keeping it alive left the client waiting for the missing
// bytes until the 60 s idle timeout, with its next request stuck behind.
func TestRouterBrokenAnswer(t *testing.T) {
	checkGoroutines(t)
	apps := map[string]wsgi.App{
		"/hello": wsgi.Hello,
		"/short": wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
			start("200 OK", []wsgi.Header{{Name: "Content-Length", Value: "10"}})
			return wsgi.Chunks([]byte("only")), nil
		}),
		"/close": wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
			start("200 OK", []wsgi.Header{{Name: "Connection", Value: "close"}, {Name: "Content-Length", Value: "3"}})
			return wsgi.Chunks([]byte("bye")), nil
		}),
	}
	app := wsgi.AppFunc(func(env *wsgi.Environ, start wsgi.StartResponse) (wsgi.Body, error) {
		return apps[env.Get("PATH_INFO")].ServeWSGI(env, start)
	})
	s, log := startServer(t, Config{HTTP: []string{"127.0.0.1:0"}, WSGIFile: "x"},
		Options{Loader: func(AppRef) (wsgi.App, error) { return app, nil }})
	tests := []struct {
		name, path, body string
		bodyErr          error
		log              string
	}{
		{"body shorter than Content-Length", "/short", "only", io.ErrUnexpectedEOF, "broke off after 4 body bytes"},
		{"app said Connection: close", "/close", "bye", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addrOf(t, s, "http"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// Far below the router's 60 s idle timeout: a kept connection
			// shows up as a timeout here.
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			br := bufio.NewReader(c)
			for _, path := range []string{"/hello", tt.path} {
				io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				b, err := io.ReadAll(resp.Body)
				if path == "/hello" {
					continue
				}
				if string(b) != tt.body || err != tt.bodyErr {
					t.Errorf("body: got %q, %v; want %q, %v", b, err, tt.body, tt.bodyErr)
				}
			}
			if n, err := br.ReadByte(); err != io.EOF {
				t.Errorf("after the answer: got %q, %v; want EOF (the router closed)", n, err)
			}
			if tt.log != "" {
				log.waitFor(t, tt.log, 5*time.Second)
			}
		})
	}
}

// TestRelayHead: the head the router sends always ends in CRLF CRLF, so the
// chunked case can put Transfer-Encoding before the blank line; a head
// ending in bare LFs used to lose its last line end and glue the field to
// the previous header ("X: yTransfer-Encoding: chunked").
func TestRelayHead(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"CRLF head: byte for byte", "HTTP/1.1 200 OK\r\nX: y\r\n\r\n", "HTTP/1.1 200 OK\r\nX: y\r\n\r\n"},
		{"bare LF head", "HTTP/1.1 200 OK\nX: y\n\n", "HTTP/1.1 200 OK\nX: y\r\n\r\n"},
		{"CRLF lines, bare LF blank line", "HTTP/1.1 200 OK\r\nX: y\r\n\n", "HTTP/1.1 200 OK\r\nX: y\r\n\r\n"},
		{"status line only, bare LF", "HTTP/1.1 304 Not Modified\n\n", "HTTP/1.1 304 Not Modified\r\n\r\n"},
		{"CGI-style head gets a status line", "Status: 404 Not Found\r\nX: y\r\n\r\n", "HTTP/1.1 404 Not Found\r\nX: y\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := uwsgiproto.ReadResponse(bufio.NewReader(strings.NewReader(tt.in)), 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(relayHead(resp)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
