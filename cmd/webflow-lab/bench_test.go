package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestBenchCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "sessionid=abc" {
			http.Error(w, "no cookie", 403)
			return
		}
		w.Write([]byte("hi"))
	}))
	defer srv.Close()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{"flags after the URL", []string{srv.URL + "/", "-c", "2", "-n", "20", "-H", "Cookie: sessionid=abc"}, 0,
			[]string{"Requests/sec:", "[200] 20 responses", "p99"}, nil},
		{"flags before the URL", []string{"-n", "5", srv.URL + "/"}, 0, []string{"[403] 5 responses"}, nil},
		{"remote refused", []string{"http://10.9.8.7/", "-n", "1"}, 1, nil, []string{"--allow-remote", "not this machine"}},
		{"count and duration", []string{srv.URL, "-n", "1", "-d", "1s"}, 2, nil, []string{"not both"}},
		{"no URL", nil, 2, nil, []string{"usage: webflow-lab bench URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"bench"}, tt.args...), &out, &errb)
			if code != tt.wantCode {
				t.Fatalf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out.String(), errb.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout: got\n%s\nwant it to contain %q", out.String(), w)
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr: got\n%s\nwant it to contain %q", errb.String(), w)
				}
			}
			if strings.Contains(errb.String(), "\r") {
				t.Errorf("stderr is not a terminal, yet it got a progress line:\n%q", errb.String())
			}
		})
	}
}

func TestCapacityCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"capacity", "--workers", "2x"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "processes x threads") {
		t.Errorf("bad --workers: got exit %d\n%s\nwant 2 and what to write", code, errb.String())
	}
	if testing.Short() {
		return
	}
	out.Reset()
	if code := run([]string{"capacity", "--workers", "1x2", "--handler", "10ms", "-d", "300ms"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "1×2") || !strings.Contains(out.String(), "200.0") {
		t.Errorf("got exit %d\n%s\nwant a row for 1×2 predicting 200.0", code, out.String())
	}
}
