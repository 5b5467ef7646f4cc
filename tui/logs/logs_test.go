package logs

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"webflow-lab/tui/flow"
)

func TestMatches(t *testing.T) {
	seen := time.Date(2026, 12, 7, 0, 5, 27, 0, time.UTC)
	r := &flow.Request{ID: "7bc10b53e1f0", Method: "GET", Path: "/login/", Seen: seen}
	tests := []struct {
		name, line string
		want       bool
	}{
		{"access.log, same second", `127.0.0.1 - - [07/Dec/2026:00:05:27 +0000] "GET /login/ HTTP/1.1" 200 2589 "-" "curl/7.88.1"`, true},
		{"access.log, a minute later", `127.0.0.1 - - [07/Dec/2026:00:06:27 +0000] "GET /login/ HTTP/1.1" 200 2589 "-" "curl/7.88.1"`, false},
		{"access.log, another path", `127.0.0.1 - - [07/Dec/2026:00:05:27 +0000] "GET /login/x HTTP/1.1" 404 0 "-" "-"`, false},
		{"by request id", `anything 7bc10b53e1f0 at all`, true},
		{"error.log", `2026/12/07 00:05:27 [error] 1#1: *3 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: localhost, request: "GET /login/ HTTP/1.1", upstream: "uwsgi://127.0.0.1:9001"`, true},
		{"no time", `GET /login/ somewhere`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// error.log times are local: write the line in this machine's zone
			if tt.name == "error.log" {
				r.Seen = time.Date(2026, 12, 7, 0, 5, 27, 0, time.Local)
			} else {
				r.Seen = seen
			}
			if got := Matches(r, tt.line); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "access.log")
	write := func(s string, flag int) {
		f, err := os.OpenFile(p, flag|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(s)
		f.Close()
	}
	write("one\ntwo\nthr", os.O_TRUNC)
	got, tail, err := Read(dir, Tail{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"one", "two"}; !reflect.DeepEqual(got["access.log"], want) {
		t.Errorf("first read %q, want %q (a half line waits)", got["access.log"], want)
	}
	write("ee\nfour\n", os.O_APPEND)
	got, tail, _ = Read(dir, tail)
	if want := []string{"three", "four"}; !reflect.DeepEqual(got["access.log"], want) {
		t.Errorf("second read %q, want %q", got["access.log"], want)
	}
	write("new\n", os.O_TRUNC) // rotated
	got, _, _ = Read(dir, tail)
	if want := []string{"new"}; !reflect.DeepEqual(got["access.log"], want) {
		t.Errorf("after truncation %q, want %q", got["access.log"], want)
	}
}
