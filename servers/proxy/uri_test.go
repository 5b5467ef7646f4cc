package proxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormalizeURI(t *testing.T) {
	tests := []struct {
		in, want string
		merge    bool
		bad      bool
	}{
		{in: "/", want: "/", merge: true},
		{in: "/a/b", want: "/a/b", merge: true},
		{in: "/a//b", want: "/a/b", merge: true},
		{in: "/a//b", want: "/a//b", merge: false},
		{in: "/a/./b", want: "/a/b", merge: true},
		{in: "/a/../b", want: "/b", merge: true},
		{in: "/a/b/..", want: "/a/", merge: true},
		{in: "/a/.", want: "/a/", merge: true},
		{in: "/..", bad: true, merge: true},
		{in: "/../a", bad: true, merge: true},
		{in: "/a/../../b", bad: true, merge: true},
		{in: "/%2e%2e/a", bad: true, merge: true},
		{in: "/a/%2E%2e/b", want: "/b", merge: true},
		{in: "/a%2fb", want: "/a/b", merge: true},
		{in: "/%E4%B8%AD", want: "/中", merge: true},
		{in: "/a%3Fb", want: "/a?b", merge: true},
		{in: "/a%25", want: "/a%", merge: true},
		{in: "/a%00", bad: true, merge: true},
		{in: "/a%zz", bad: true, merge: true},
		{in: "/a%2", bad: true, merge: true},
		{in: "/a..b/c", want: "/a..b/c", merge: true},
		{in: "/static../x", want: "/static../x", merge: true},
		{in: "/a/...", want: "/a/...", merge: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := normalizeURI(tt.in, tt.merge)
			if tt.bad {
				if err == nil {
					t.Errorf("got %q, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// FuzzNormalizeURI checks the property a file server relies on: a
// normalized URI starts with '/', has no "." or ".." segment, and is a fixed
// point (normalizing it again, escaped, changes nothing).
func FuzzNormalizeURI(f *testing.F) {
	seeds, _ := os.ReadFile(filepath.Join("testdata", "uris.txt"))
	for _, s := range strings.Split(string(seeds), "\n") {
		if s != "" {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > 4096 || !strings.HasPrefix(raw, "/") {
			return
		}
		got, err := normalizeURI(raw, true)
		if err != nil {
			return
		}
		if !strings.HasPrefix(got, "/") {
			t.Fatalf("%q → %q: does not start with /", raw, got)
		}
		for _, seg := range strings.Split(got, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("%q → %q: has a %q segment", raw, got, seg)
			}
		}
		if strings.Contains(got, "//") {
			t.Fatalf("%q → %q: has //", raw, got)
		}
		again, err := normalizeURI(escapeComponentPath(got), true)
		if err != nil || again != got {
			t.Fatalf("%q → %q → %q, %v: not a fixed point", raw, got, again, err)
		}
	})
}

// escapeComponentPath escapes every byte but '/' and unreserved ones.
func escapeComponentPath(s string) string {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		parts[i] = escapeComponent(p)
	}
	return strings.Join(parts, "/")
}

func TestParseRequestLine(t *testing.T) {
	tests := []struct {
		line       string
		wantStatus int // 0: ok
		method     string
		target     string
	}{
		{"GET / HTTP/1.1", 0, "GET", "/"},
		{"GET  /x  HTTP/1.0", 0, "GET", "/x"},
		{"GET http://lab.test:8080/x?y HTTP/1.1", 0, "GET", "/x?y"},
		{"GET http://lab.test HTTP/1.1", 0, "GET", "/"},
		{"get / HTTP/1.1", 400, "", ""},
		{"GET / HTTP/2.0", 505, "", ""},
		{"GET / HTTP/1", 400, "", ""},
		{"GET / FOO/1.1", 400, "", ""},
		{"GET /a\x01b HTTP/1.1", 400, "", ""},
		{"GET", 400, "", ""},
		{"GET /", 0, "GET", "/"}, // HTTP/0.9
		{"POST /", 400, "", ""},
		{"GET x HTTP/1.1", 400, "", ""},
		{"B@D / HTTP/1.1", 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			rl, perr := parseRequestLine(tt.line)
			got := 0
			if perr != nil {
				got = perr.status
			}
			if got != tt.wantStatus {
				t.Fatalf("status: got %d, want %d", got, tt.wantStatus)
			}
			if got == 0 && (rl.method != tt.method || rl.target != tt.target) {
				t.Errorf("got %q %q, want %q %q", rl.method, rl.target, tt.method, tt.target)
			}
		})
	}
}

// FuzzParseRequestLine checks that an accepted line's parts are taken from
// the line: method A-Z_-, target starting with '/', no control bytes.
func FuzzParseRequestLine(f *testing.F) {
	for _, s := range []string{"GET / HTTP/1.1", "POST /a?b HTTP/1.0", "GET http://h:1/x HTTP/1.1", "GET /", "X / HTTP/9.9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > 8192 {
			return
		}
		rl, perr := parseRequestLine(line)
		if perr != nil {
			if perr.status != 400 && perr.status != 505 {
				t.Fatalf("%q: status %d", line, perr.status)
			}
			return
		}
		if !strings.HasPrefix(line, rl.method+" ") {
			t.Fatalf("%q: method %q not at the start", line, rl.method)
		}
		if !strings.HasPrefix(rl.target, "/") {
			t.Fatalf("%q: target %q", line, rl.target)
		}
		for i := 0; i < len(rl.target); i++ {
			if c := rl.target[i]; c < 0x20 || c == 0x7f || c == ' ' {
				t.Fatalf("%q: target %q has byte %#x", line, rl.target, c)
			}
		}
	})
}
