package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeConf(t *testing.T, text string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "DIR", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

func TestProxyTest(t *testing.T) {
	tests := []struct {
		name     string
		conf     string
		wantCode int
		want     []string
	}{
		{"ok", "events {}\nhttp { server { listen 127.0.0.1:18777; } }\n", 0,
			[]string{"syntax is ok", "test is successful"}},
		{"alias pitfall warned", "events {}\nhttp { server { listen 127.0.0.1:18777; location /static { alias DIR/s/; } } }\n", 0,
			[]string{`[warn] location "/static" has no trailing "/"`, "try: location /static/ { alias DIR/s/; }", "test is successful"}},
		{"broken", "events {}\nhttp { server { listen 127.0.0.1:18777; location / { uwsgi_pass nosuch.invalid:9; } } }\n", 1,
			[]string{`host not found in upstream "nosuch.invalid:9"`, "test failed"}},
		{"syntax error", "events {}\nhttp { server { listen 127.0.0.1:18777 } }\n", 1,
			[]string{"[emerg]", "test failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, path := writeConf(t, tt.conf)
			var out, errb bytes.Buffer
			code := run([]string{"proxy", "-t", "-c", path}, &out, &errb)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d\n%s", code, tt.wantCode, errb.String())
			}
			for _, w := range tt.want {
				w = strings.ReplaceAll(w, "DIR", dir)
				if !strings.Contains(errb.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, errb.String())
				}
			}
		})
	}
}

func TestProxySignalWithoutPidFile(t *testing.T) {
	dir, path := writeConf(t, "events {}\nhttp { server { listen 127.0.0.1:18777; } }\n")
	var out, errb bytes.Buffer
	if code := run([]string{"proxy", "-s", "reload", "-c", path}, &out, &errb); code != 1 {
		t.Errorf("exit code: got %d, want 1", code)
	}
	want := `nginx: [error] open() "` + filepath.Join(dir, "logs/nginx.pid") + `" failed (2: No such file or directory)`
	if !strings.Contains(errb.String(), want) {
		t.Errorf("got:\n%s\nwant a line %q", errb.String(), want)
	}
}

// TestProxyRunAndSignals runs the built binary in the foreground, reloads it
// with -s reload (a broken config leaves it running), and stops it with -s quit.
func TestProxyRunAndSignals(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "webflow-lab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	dir, path := writeConf(t, "events {}\nhttp { tcp_nopush on; server { listen "+addr+"; location / { return 200 \"one\"; } } }\n")
	cmd := exec.Command(bin, "proxy", "-c", path)
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}()
	body := func() string {
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, err := net.Dial("tcp", addr)
			if err == nil {
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.Write([]byte("GET / HTTP/1.0\r\n\r\n"))
				var b bytes.Buffer
				b.ReadFrom(c)
				c.Close()
				s := b.String()
				return s[strings.Index(s, "\r\n\r\n")+4:]
			}
			if time.Now().After(deadline) {
				t.Fatalf("proxy never accepted: %v\n%s", err, logs.String())
			}
			time.Sleep(20 * time.Millisecond) // polling an external process's socket, with a deadline
		}
	}
	if got := body(); got != "one" {
		t.Fatalf("got %q, want one", got)
	}
	os.WriteFile(path, []byte("events {}\nhttp { tcp_nopush on; server { listen "+addr+"; location / { return 200 \"two\"; } } }\n"), 0o644)
	if out, err := exec.Command(bin, "proxy", "-c", path, "-s", "reload").CombinedOutput(); err != nil {
		t.Fatalf("-s reload: %v\n%s", err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for body() != "two" {
		if time.Now().After(deadline) {
			t.Fatalf("reload never took effect:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond) // waiting on an external process, with a deadline
	}
	os.WriteFile(path, []byte("events {}\nhttp { server { listen "+addr+" } }\n"), 0o644)
	if out, err := exec.Command(bin, "proxy", "-c", path, "-s", "reload").CombinedOutput(); err == nil {
		t.Errorf("-s reload with a broken config succeeded:\n%s", out)
	}
	if got := body(); got != "two" {
		t.Errorf("after a broken reload: got %q, want two", got)
	}
	os.WriteFile(path, []byte("events {}\nhttp { server { listen "+addr+"; } }\n"), 0o644)
	if out, err := exec.Command(bin, "proxy", "-c", path, "-s", "quit").CombinedOutput(); err != nil {
		t.Fatalf("-s quit: %v\n%s", err, out)
	}
	select {
	case <-exited:
		exited <- nil
	case <-time.After(10 * time.Second):
		t.Fatalf("proxy did not quit:\n%s", logs.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "logs/nginx.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	// the directive the lab ignores is announced at the start and at the
	// reload, on the terminal and in error.log
	warn := `[warn] "tcp_nopush" directive has no effect in webflow-lab in ` + path + ":2"
	if n := strings.Count(logs.String(), "nginx: "+warn+"\n"); n != 2 {
		t.Errorf("terminal: got %d lines %q, want 2:\n%s", n, warn, logs.String())
	}
	errorLog, _ := os.ReadFile(filepath.Join(dir, "logs/error.log"))
	if n := strings.Count(string(errorLog), strings.TrimPrefix(warn, "[warn] ")); n != 2 || !strings.Contains(string(errorLog), " [warn] ") {
		t.Errorf("error.log: got %d lines %q, want 2:\n%s", n, warn, errorLog)
	}
}
