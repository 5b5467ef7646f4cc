package wsgi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
)

// Hello is the smallest WSGI app, the one every uWSGI tutorial starts with:
//
//	def application(environ, start_response):
//	    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', '12')])
//	    return [b'Hello World\n']
var Hello App = AppFunc(func(env *Environ, start StartResponse) (Body, error) {
	if _, err := start("200 OK", []Header{
		{"Content-Type", "text/plain"},
		{"Content-Length", strconv.Itoa(len(helloBody))},
	}); err != nil {
		return nil, err
	}
	return Chunks(helloBody), nil
})

var helloBody = []byte("Hello World\n")

// EchoReply is what Echo returns: the environ's string keys exactly as the app
// received them, the wsgi.* values, and the body's length and SHA-256, so a
// learner (and the interop tests) can compare what two servers delivered.
type EchoReply struct {
	Environ map[string]string `json:"environ"`
	WSGI    EchoWSGI          `json:"wsgi"`
	Body    EchoBody          `json:"body"`
}

// EchoWSGI holds the wsgi.* keys of the environ.
type EchoWSGI struct {
	Version      [2]int `json:"version"`
	URLScheme    string `json:"url_scheme"`
	Multithread  bool   `json:"multithread"`
	Multiprocess bool   `json:"multiprocess"`
	RunOnce      bool   `json:"run_once"`
}

// EchoBody describes the request body the app read from wsgi.input.
type EchoBody struct {
	Length int64  `json:"length"`
	SHA256 string `json:"sha256"`
}

// Echo returns the environ it received as JSON. Its Python twin, used against
// real uWSGI in the interop tests, is testdata/echo.py.
var Echo App = AppFunc(func(env *Environ, start StartResponse) (Body, error) {
	h := sha256.New()
	n, err := io.Copy(h, env.Input)
	if err != nil {
		return nil, err
	}
	reply := EchoReply{
		Environ: env.Vars,
		WSGI: EchoWSGI{
			Version: env.Version(), URLScheme: env.URLScheme,
			Multithread: env.Multithread, Multiprocess: env.Multiprocess, RunOnce: env.RunOnce,
		},
		Body: EchoBody{Length: n, SHA256: hex.EncodeToString(h.Sum(nil))},
	}
	out, err := json.MarshalIndent(reply, "", "  ")
	if err != nil {
		return nil, err
	}
	out = append(out, '\n')
	if _, err := start("200 OK", []Header{
		{"Content-Type", "application/json"},
		{"Content-Length", strconv.Itoa(len(out))},
	}); err != nil {
		return nil, err
	}
	return Chunks(out), nil
})
