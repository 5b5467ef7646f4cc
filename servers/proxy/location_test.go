package proxy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// compileForTest compiles an http { } body with no log files touched.
func compileForTest(t *testing.T, httpBody string) *conf {
	t.Helper()
	dir := t.TempDir()
	cfg := loadConf(t, dir, "events {}\nhttp {\naccess_log off;\nerror_log "+filepath.Join(dir, "error.log")+";\n"+httpBody+"\n}\n")
	cf, err := compile(cfg.Directives, dir, cfg.Path, newLogFiles(os.Stderr, os.Stderr))
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return cf
}

// TestFindLocation is the reference's table (nginx.md §3), verified there on
// nginx 1.22.1, plus nesting and auto-redirect cases.
func TestFindLocation(t *testing.T) {
	cf := compileForTest(t, `
    server {
        listen 127.0.0.1:FREEPORT;
        location ~ \.txt$ { }
        location ^~ /pre/ { }
        location /pre2/ { }
        location = /exact { }
        location /exact { }
        location ~* \.TXT$ { }
        location /static { }
        location /app/ { uwsgi_pass 127.0.0.1:9; }
        location = /api { }
        location /api/ { uwsgi_pass 127.0.0.1:9; }
        location /outer/ {
            location ~ \.png$ { }
            location ^~ /outer/inner/ { }
        }
    }`)
	srv := cf.servers[0]
	tests := []struct {
		uri      string
		want     string
		redirect bool
	}{
		{"/pre/a.txt", "^~ /pre/", false},
		{"/pre2/a.txt", `~ \.txt$`, false},
		{"/pre2/A.TXT", `~* \.TXT$`, false},
		{"/static/x/f.txt", `~ \.txt$`, false},
		{"/exact", "= /exact", false},
		{"/exact/", "/exact", false},
		{"/exactly", "/exact", false},
		{"/static", "/static", false},
		{"/nothing", "server", false},
		{"/app", "/app/", true},
		{"/app/x", "/app/", false},
		{"/api", "= /api", false},
		{"/outer/x.png", `~ \.png$`, false},
		{"/outer/inner/x.png", "^~ /outer/inner/", false},
		// a nested ^~ only stops its own level's regexes: the server level's
		// \.txt$ still wins (ngx_http_core_find_location returns NGX_AGAIN)
		{"/outer/inner/x.txt", `~ \.txt$`, false},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			m := findLocation(srv, tt.uri, true)
			if got := m.loc.String(); got != tt.want || m.redirect != tt.redirect {
				t.Errorf("got %q (redirect %v), want %q (redirect %v); why: %s", got, m.redirect, tt.want, tt.redirect, m.why)
			}
		})
	}
}

// TestFindLocationWhy: the reason comes in both languages when explaining,
// and a lookup nobody explains builds no text (allocates nothing, checked
// where the race detector's own allocations do not count: lookupAllocs).
func TestFindLocationWhy(t *testing.T) {
	cf := compileForTest(t, `
    server {
        listen 127.0.0.1:FREEPORT;
        location ~ \.txt$ { }
        location ^~ /pre/ { }
        location = /exact { }
        location /static { }
        location /app/ { uwsgi_pass 127.0.0.1:9; }
    }`)
	srv := cf.servers[0]
	tests := []struct{ uri, why, whyZH string }{
		{"/exact", `exact match "= /exact"`, `精确匹配 "= /exact"`},
		{"/static/x", `longest prefix "/static"`, `最长前缀 "/static"`},
		{"/pre/x.txt", `longest prefix "^~ /pre/": regexes skipped`, `最长前缀 "^~ /pre/"：跳过正则`},
		{"/static/a.txt", `regex "~ \.txt$" beats prefix "/static"`, `正则 "~ \.txt$" 优先于前缀 "/static"`},
		{"/a.txt", `regex "~ \.txt$" matched`, `正则 "~ \.txt$" 匹配`},
		{"/app", `"/app" is "/app/" without its slash: 301`, `"/app" 是 "/app/" 去掉了结尾斜杠：301`},
		{"/nothing", "no location matched: server-level settings", "没有匹配的 location：使用 server 级的设置"},
	}
	for _, tt := range tests {
		m := findLocation(srv, tt.uri, true)
		if m.why != tt.why || m.whyZH != tt.whyZH {
			t.Errorf("%s: got %q / %q, want %q / %q", tt.uri, m.why, m.whyZH, tt.why, tt.whyZH)
		}
	}
	lookupAllocs(t, srv)
}

func TestFindServer(t *testing.T) {
	cf := compileForTest(t, `
    server { listen 127.0.0.1:FREEPORT; server_name first; }
    server { listen 127.0.0.1:FREEPORT; server_name lab.local www.lab.local; }
    server { listen 127.0.0.1:FREEPORT; server_name *.example.com; }
    server { listen 127.0.0.1:FREEPORT; server_name www.example.*; }
    server { listen 127.0.0.1:FREEPORT; server_name ~^api\d+\.test$; }
    server { listen 127.0.0.1:FREEPORT default_server; server_name dflt; }`)
	// all servers listen on different free ports: put them in one group as
	// if they shared the address, which is what the test is about.
	g := &listenGroup{servers: cf.servers, def: cf.servers[5]}
	tests := []struct{ host, want string }{
		{"lab.local", "lab.local"},
		{"www.lab.local", "lab.local"},
		{"a.example.com", "*.example.com"},
		{"www.example.org", "www.example.*"},
		{"www.example.com", "*.example.com"}, // leading wildcard beats trailing
		{"api12.test", "~^api\\d+\\.test$"},
		{"unknown", "dflt"},
		{"", "dflt"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			s, _, _ := findServer(g, tt.host)
			got := s.firstName
			if got != tt.want {
				t.Errorf("got server %q, want %q", got, tt.want)
			}
		})
	}
}

// TestValidateHost: ngx_http_validate_host's rules, checked against nginx
// 1.22 by the differential "hosts" case.
func TestValidateHost(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"lab.test", "lab.test", true},
		{"LAB.Test:80", "lab.test", true},
		{"lab.test.", "lab.test", true},
		{"lab.test.:8080", "lab.test", true},
		{".lab.test", ".lab.test", true},
		{"a\\b", "a\\b", true},
		{"lab.test:80:90", "lab.test", true},
		{"[::1]:80", "[::1]", true},
		{"[::1]", "[::1]", true},
		{"", "", false},
		{".", "", false},
		{":80", "", false},
		{"a..b", "", false},
		{"a/b", "", false},
		{"lab test", "", false},
		{"lab\ttest", "", false},
		{"lab\x01test", "", false},
		{"lab\x7ftest", "", false},
		{"lab.test:8/0", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := validateHost(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q %v, want %q %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzValidateHost: an accepted host is the lower-cased start of the
// value, never empty, with no "..", '/', space, control or DEL. (A trailing
// dot can stay: nginx strips it only when the last dot of the whole value
// is there, so "a.:." keeps "a.", as in nginx.)
func FuzzValidateHost(f *testing.F) {
	for _, s := range []string{"lab.test:80", ".a.", "[::1]:80", "a..b", "x y", "A.B.C."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		got, ok := validateHost(h)
		if !ok {
			return
		}
		if got == "" || !strings.HasPrefix(strings.ToLower(h), got) || strings.Contains(got, "..") {
			t.Fatalf("%q → %q", h, got)
		}
		for i := 0; i < len(got); i++ {
			if c := got[i]; c == '/' || c <= 0x20 || c == 0x7f || c >= 'A' && c <= 'Z' {
				t.Fatalf("%q → %q has %q", h, got, c)
			}
		}
	})
}
