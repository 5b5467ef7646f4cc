package wsgi

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"webflow-lab/servers/uwsgiproto"
)

func TestFromVars(t *testing.T) {
	var vars uwsgiproto.Vars
	for _, kv := range [][2]string{
		{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", "5 trailing"}, {"HTTP_X", "first"},
		{"HTTP_X", "last"}, {"HTTPS", "on"}, {"HTTP_X_REQUEST_ID", "r-1"},
	} {
		vars = append(vars, uwsgiproto.Var{Key: kv[0], Value: kv[1]})
	}
	env := FromVars(vars, bufio.NewReader(strings.NewReader("helloEXTRA")))
	if got := env.Get("HTTP_X"); got != "last" {
		t.Errorf("repeated key: got %q, want the last value", got)
	}
	if env.URLScheme != "https" {
		t.Errorf("got scheme %q, want https", env.URLScheme)
	}
	if env.RequestID != "r-1" {
		t.Errorf("got request id %q", env.RequestID)
	}
	body, _ := io.ReadAll(env.Input)
	if string(body) != "hello" {
		t.Errorf("wsgi.input read past CONTENT_LENGTH: got %q", body)
	}
}

func TestURLScheme(t *testing.T) {
	tests := []struct {
		name     string
		keys     []string
		values   []string
		expected string
	}{
		{"plain", nil, nil, "http"},
		{"HTTPS=1", []string{"HTTPS"}, []string{"1"}, "https"},
		{"HTTPS=off", []string{"HTTPS"}, []string{"off"}, "http"},
		{"later of UWSGI_SCHEME and X-Forwarded-Proto wins", []string{"HTTP_X_FORWARDED_PROTO", "UWSGI_SCHEME"}, []string{"https", "ws"}, "ws"},
		{"scheme var beats HTTPS", []string{"HTTPS", "UWSGI_SCHEME"}, []string{"on", "http"}, "http"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := URLScheme(tt.keys, tt.values); got != tt.expected {
				t.Errorf("got %q, want %q", got, tt.expected)
			}
		})
	}
}

func TestContentLength(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "12": 12, "12abc": 12, "abc": 0, " 5": 0} {
		if got := ContentLength(in); got != want {
			t.Errorf("ContentLength(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestInputReadLine(t *testing.T) {
	in := NewInput(bufio.NewReader(strings.NewReader("a\nbc\ndNOT")), 6)
	var lines []string
	for {
		ln, err := in.ReadLine()
		if err != nil {
			break
		}
		lines = append(lines, string(ln))
	}
	if strings.Join(lines, "|") != "a\n|bc\n|d" {
		t.Errorf("got %q", lines)
	}
}

func TestEchoThroughHandler(t *testing.T) {
	srv := httptest.NewServer(Handler(Echo))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/%E4%B8%AD/x?q=1", strings.NewReader("body!"))
	req.Header.Set("X-Custom", "v")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got EchoReply
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		"REQUEST_METHOD": "POST", "PATH_INFO": "/中/x", "QUERY_STRING": "q=1",
		"REQUEST_URI": "/%E4%B8%AD/x?q=1", "HTTP_X_CUSTOM": "v", "CONTENT_LENGTH": "5", "UWSGI_ROUTER": "http",
	}
	for k, want := range checks {
		if got.Environ[k] != want {
			t.Errorf("%s: got %q, want %q", k, got.Environ[k], want)
		}
	}
	if _, dup := got.Environ["HTTP_CONTENT_LENGTH"]; dup {
		t.Error("uWSGI's router sends CONTENT_LENGTH without an HTTP_ copy")
	}
	if got.Body.Length != 5 || got.WSGI.Version != [2]int{1, 0} {
		t.Errorf("got body %+v wsgi %+v", got.Body, got.WSGI)
	}
}

func TestCGIName(t *testing.T) {
	if got := CGIName("X-Request-Id"); got != "HTTP_X_REQUEST_ID" {
		t.Errorf("got %q", got)
	}
}
