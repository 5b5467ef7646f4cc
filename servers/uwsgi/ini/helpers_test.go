package ini

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"testing"
	"time"
)

// labHost is a machine with no network, no environment and a few files:
// parsing in tests touches nothing real.
func labHost(files map[string]string, env map[string]string) Host {
	abs := func(p string) string {
		if strings.HasPrefix(p, "/") {
			return path.Clean(p)
		}
		return path.Join("/lab", p)
	}
	return Host{
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Environ: func() []string {
			var out []string
			for k, v := range env {
				out = append(out, k+"="+v)
			}
			return out
		},
		ReadFile: func(p string) ([]byte, error) {
			if s, ok := files[p]; ok {
				return []byte(s), nil
			}
			if s, ok := files[abs(p)]; ok {
				return []byte(s), nil
			}
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		},
		Abs: func(p string) (string, error) {
			if _, ok := files[p]; ok {
				return abs(p), nil
			}
			if _, ok := files[abs(p)]; ok {
				return abs(p), nil
			}
			return "", &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
		},
		Cwd:      "/lab",
		Hostname: "labhost",
		CPUs:     4,
		Now:      func() time.Time { return time.Unix(1700000000, 0) },
		LookupIPv4: func(h string) (string, bool) {
			if h == "localhost" {
				return "127.0.0.1", true
			}
			return "", false
		},
		InterfaceIPv4: func() []string { return []string{"127.0.0.1", "192.168.1.20"} },
		Somaxconn:     4096,
	}
}

// loadINI parses one file /lab/app.ini holding text with the lab host.
func loadINI(t *testing.T, text string, args ...string) (*Config, error) {
	t.Helper()
	h := labHost(map[string]string{"/lab/app.ini": text}, nil)
	return h.ParseArgs(append([]string{"--ini", "app.ini"}, args...))
}

// mustLoad is loadINI that fails the test on error.
func mustLoad(t *testing.T, text string, args ...string) *Config {
	t.Helper()
	c, err := loadINI(t, text, args...)
	if err != nil {
		t.Fatalf("load %q: %v", text, err)
	}
	return c
}

// kv renders options compactly: "key=value@line; …".
func kv(opts []Option) string {
	var b strings.Builder
	for i, o := range opts {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s=%s@%d", o.Key, o.Value, o.Line)
	}
	return b.String()
}

// keys is the options without the leading --ini entry.
func fileOpts(c *Config) []Option {
	var out []Option
	for _, o := range c.Options {
		if !o.Flag {
			out = append(out, o)
		}
	}
	return out
}

// notesText joins every note's English block.
func notesText(c *Config) string {
	var b strings.Builder
	for _, n := range c.Notes {
		b.WriteString(n.Block("en"))
		b.WriteString("\n")
	}
	return b.String()
}
