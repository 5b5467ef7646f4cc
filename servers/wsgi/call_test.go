package wsgi

import (
	"bufio"
	"bytes"
	"errors"
	"testing"
)

// rawCall runs app behind a RawWriter and returns the bytes uWSGI would send.
func rawCall(t *testing.T, app App, proto string) (string, Result) {
	t.Helper()
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	env := FromVars(nil, nil)
	env.Vars["SERVER_PROTOCOL"] = proto
	res := Call(app, env, &RawWriter{W: w, Protocol: proto})
	w.Flush()
	return buf.String(), res
}

// The rows of uwsgi.md §1.2's "verified raw responses" table.
func TestCallWritesAsUwsgi(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name  string
		app   AppFunc
		proto string
		wire  string
		err   bool
	}{
		{"list body", func(env *Environ, start StartResponse) (Body, error) {
			start("200 OK", []Header{{"Content-Type", "text/plain"}})
			return Chunks([]byte("ok")), nil
		}, "HTTP/1.1", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nok", false},
		{"bare status gets its reason, chunks concatenated", func(env *Environ, start StartResponse) (Body, error) {
			start("200", []Header{{"X-A", "1"}})
			return Chunks([]byte("a"), []byte("b")), nil
		}, "HTTP/1.1", "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nab", false},
		{"unknown code", func(env *Environ, start StartResponse) (Body, error) {
			start("599", nil)
			return nil, nil
		}, "HTTP/1.1", "HTTP/1.1 599 Unknown\r\n\r\n", false},
		{"no SERVER_PROTOCOL gives HTTP/1.0", func(env *Environ, start StartResponse) (Body, error) {
			start("204 No Content", nil)
			return nil, nil
		}, "", "HTTP/1.0 204 No Content\r\n\r\n", false},
		{"raises before start_response: nothing", func(env *Environ, start StartResponse) (Body, error) {
			return nil, boom
		}, "HTTP/1.1", "", true},
		{"raises after start_response: the head only", func(env *Environ, start StartResponse) (Body, error) {
			start("200 OK", []Header{{"X-A", "1"}})
			return nil, boom
		}, "HTTP/1.1", "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\n", true},
		{"second start_response before the head replaces it", func(env *Environ, start StartResponse) (Body, error) {
			start("200 OK", []Header{{"X-A", "1"}})
			start("500 Internal Server Error", nil)
			return Chunks([]byte("x")), nil
		}, "HTTP/1.1", "HTTP/1.1 500 Internal Server Error\r\n\r\nx", false},
		{"panic is an exception", func(env *Environ, start StartResponse) (Body, error) {
			panic("oops")
		}, "HTTP/1.1", "", true},
		{"error while iterating cuts the body", func(env *Environ, start StartResponse) (Body, error) {
			start("200 OK", nil)
			return func(yield func([]byte, error) bool) {
				if !yield([]byte("part"), nil) {
					return
				}
				yield(nil, boom)
			}, nil
		}, "HTTP/1.1", "HTTP/1.1 200 OK\r\n\r\npart", true},
		{"empty chunks do not send the head early", func(env *Environ, start StartResponse) (Body, error) {
			start("200 OK", nil)
			return Chunks(nil, []byte(""), []byte("z")), nil
		}, "HTTP/1.1", "HTTP/1.1 200 OK\r\n\r\nz", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, res := rawCall(t, tt.app, tt.proto)
			if got != tt.wire {
				t.Errorf("got %q\nwant %q", got, tt.wire)
			}
			if (res.Err != nil) != tt.err {
				t.Errorf("got error %v, want error: %v", res.Err, tt.err)
			}
		})
	}
}

func TestStartResponseAfterHeadSent(t *testing.T) {
	var second error
	app := AppFunc(func(env *Environ, start StartResponse) (Body, error) {
		write, _ := start("200 OK", nil)
		write([]byte("x"))
		_, second = start("500 Internal Server Error", nil)
		return nil, nil
	})
	got, _ := rawCall(t, app, "HTTP/1.1")
	if !errors.Is(second, ErrHeadersSent) {
		t.Errorf("got %v, want ErrHeadersSent", second)
	}
	if got != "HTTP/1.1 200 OK\r\n\r\nx" {
		t.Errorf("got %q", got)
	}
}

func TestCallCountsForTheLogLine(t *testing.T) {
	_, res := rawCall(t, Hello, "HTTP/1.1")
	if res.Status != 200 || res.Headers != 2 || res.BodyBytes != int64(len(helloBody)) {
		t.Errorf("got %+v", res)
	}
	want := len("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n")
	if res.HeaderBytes != want {
		t.Errorf("got header bytes %d, want %d", res.HeaderBytes, want)
	}
}
