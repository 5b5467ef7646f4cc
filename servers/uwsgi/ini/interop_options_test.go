package ini

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/testenv"
)

// TestInteropGet compares, line by line, the option values uWSGI prints
// for --get (the first option of that name, after every pass) with ours.
func TestInteropGet(t *testing.T) {
	bin := testenv.NeedUWSGI(t)
	tests := []struct {
		name, text string
		env        map[string]string
		keys       []string
		files      map[string]string
	}{
		{"inline comments", "[uwsgi]\nhttp = 127.0.0.1:19101 # inline comment\nmaster = false ; semicolon comment\nprocesses = 2 # two workers\nsocket = /tmp/app.sock # x\n",
			nil, []string{"http", "master", "processes", "socket"}, nil},
		{"trim and split", "[uwsgi]\r\n\t x \t=  a = b  \r\ny=\"q\"\nbare\n = e\n", nil, []string{"x", "y", "bare", ""}, nil},
		{"comment lines only at the start", "[uwsgi]\n# a = 1\n; b = 2\nc = 3 # 4\n  #d = 5\n", nil, []string{"a", "b", "c", "#d", "d"}, nil},
		{"section header with a comment", "[uwsgi] # main\na = 1\n[uwsgi]\nb = 2\n", nil, []string{"a", "b"}, nil},
		{"section header minus its last character", "[uwsgi]]\na = 1\n[uwsgi]\nb = 2\n[ uwsgi ]\nc = 3\n", nil, []string{"a", "b", "c"}, nil},
		{"lines before the header", "a = 1\n[uwsgi]\nb = 2\n", nil, []string{"a", "b"}, nil},
		{"magic variables", "[uwsgi]\nd = %d\np = %p\ns = %s\nn = %n\ne = %e\nc = %c\nx = [%x]\nz = [%z]\npct = 100%%\nv = %v\nh = %h\nD = %D\n",
			nil, []string{"d", "p", "s", "n", "e", "c", "x", "z", "pct", "v", "h", "D"}, nil}, // %V: Debian's build says 2.0.21-debian
		{"percent before a newline joins lines", "[uwsgi]\na = 1%\nb = 2\nc = 3\n", nil, []string{"a", "b", "c"}, nil},
		{"placeholders", "[uwsgi]\np = a\np = b\nx = %(p)\ny = %(nope)\nz = $(LABVAR)/$(UNSETVAR)\nw = @(w.txt)\nm = %(q * 2 + 1)\nq = 4\nr = %(t)\nt = %(x)\n",
			map[string]string{"LABVAR": "lab"}, []string{"x", "y", "z", "w", "m", "r"}, map[string]string{"w.txt": "from file\n"}},
		{"immediate options are not expanded", "[uwsgi]\nset-ph = q=5\nlisten = %(q)\nx = %(listen)\n", nil, []string{"listen", "x"}, nil},
		{"environment options", "[uwsgi]\nx = %(processes)\n", map[string]string{"UWSGI_PROCESSES": "3"}, []string{"processes", "x"}, nil},
		{"quotes are kept", "[uwsgi]\nchdir = \"/srv/app\"\nname = 'x'\n", nil, []string{"chdir", "name"}, nil},
		// A file saved by a Windows editor: CR is stripped from both ends of
		// every line (ini_rstrip, ini_lstrip), but @(file) drops only the
		// file's last byte when it is \n or \r, so a CRLF file keeps its \r.
		{"CRLF file", "; lab\r\n[uwsgi]\r\nsocket = 127.0.0.1:9001\r\nchdir = %d\r\npidfile = %duwsgi-1.pid\r\nenv = EMS_INSTANCE=uwsgi-1\r\nstatic-map = /static=static\r\nw = @(w.txt)\r\n",
			nil, []string{"socket", "chdir", "pidfile", "env", "static-map", "w"}, map[string]string{"w.txt": "from file\r\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			text := tt.text
			if err := os.WriteFile(filepath.Join(dir, "app.ini"), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			for name, body := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"--socket", "127.0.0.1:1", "--ini", "app.ini"}
			for _, k := range tt.keys {
				args = append(args, "--get", k)
			}
			env := minimalEnv(tt.env)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append(append([]string{}, plugins...), args...)...)
			cmd.Dir, cmd.Env = dir, env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("uwsgi %v: %v\n%s", args, err, stderr.String())
			}

			c, err := realHost(dir, env).ParseArgs(append(append([]string{}, plugins...), "--socket", "127.0.0.1:1", "--ini", "app.ini"))
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for _, k := range tt.keys {
				for _, o := range c.Options {
					if o.Key == k {
						want.WriteString(o.Value + "\n")
						break
					}
				}
			}
			if got := stdout.String(); got != want.String() {
				t.Errorf("uWSGI --get printed\n%q\nConfig holds\n%q", got, want.String())
			}
		})
	}
}

// TestInteropCommandLine compares uWSGI's --get with ours for command
// lines: getopt's abbreviations, short flags, "=" values, the order of ini
// files and flags, and flags without a value.
func TestInteropCommandLine(t *testing.T) {
	bin := testenv.NeedUWSGI(t)
	dir := t.TempDir()
	files := map[string]string{
		"a.ini": "[uwsgi]\nprocesses = 2\nname = a\n[dev]\nprocesses = 5\nname = dev\n",
		"b.ini": "[uwsgi]\nprocesses = 3\nref = %(master)\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
		keys []string
	}{
		{"short flags combined", []string{"-Mp", "4", "-s", ":1"}, []string{"master", "processes", "socket"}},
		{"short glued values", []string{"-s:1", "-p4", "-t30"}, []string{"socket", "processes", "harakiri"}},
		{"abbreviations", []string{"--proce", "3", "--wsgi-f", "x.py", "--socket", ":1"}, []string{"processes", "wsgi-file"}},
		{"equals", []string{"--socket=:1", "--static-map=/s=d"}, []string{"socket", "static-map"}},
		{"ini then flag", []string{"--ini", "a.ini", "--processes", "7", "--socket", ":1"}, []string{"processes", "name"}},
		{"bare ini after flags", []string{"a.ini", "--processes", "7", "--socket", ":1"}, []string{"processes", "name"}},
		{"section", []string{"--ini", "a.ini:dev", "--socket", ":1"}, []string{"processes", "name"}},
		{"reread with :section", []string{"--ini", "a.ini", "--ini", ":dev", "--socket", ":1"}, []string{"processes", "name"}},
		{"flag without value is NULL", []string{"--master", "--ini", "b.ini", "--socket", ":1"}, []string{"master", "ref"}},
		{"set", []string{"--set", "foo=bar", "--set-ph", "ph=1", "--socket", ":1"}, []string{"foo", "ph"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{}, tt.args...)
			for _, k := range tt.keys {
				args = append(args, "--get", k)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append(append([]string{}, plugins...), args...)...)
			cmd.Dir, cmd.Env = dir, minimalEnv(nil)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("uwsgi %v: %v\n%s", args, err, stderr.String())
			}
			c, err := realHost(dir, minimalEnv(nil)).ParseArgs(append(append([]string{}, plugins...), tt.args...))
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for _, k := range tt.keys {
				for _, o := range c.Options {
					if o.Key == k {
						if !o.NoValue {
							want.WriteString(o.Value + "\n")
						}
						break
					}
				}
			}
			if got := stdout.String(); got != want.String() {
				t.Errorf("uWSGI --get printed\n%q\nConfig holds\n%q", got, want.String())
			}
		})
	}
}

// TestInteropFatal runs uWSGI on each mistake that stops it and checks
// that it exits 1 printing the very lines our error names.
func TestInteropFatal(t *testing.T) {
	bin := testenv.NeedUWSGI(t)
	dir := t.TempDir()
	port := testenv.FreePort(t)
	sock := fmt.Sprintf("127.0.0.1:%d", port)
	files := map[string]string{
		"strict.ini": "[uwsgi]\nstrict = true\nsocket = " + sock + "\nbase = /srv\n",
		"at.ini":     "[uwsgi]\nsocket = " + sock + "\nenv = SECRET=@(secret.txt)\n",
		"header.ini": "[uwsgi] # main\nsocket = " + sock + "\n",
		"autoip.ini": "[uwsgi]\nsocket = :" + strconv.Itoa(port) + " # *important*\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		args []string
	}{
		{"unknown flag", []string{"--foo"}},
		{"flag that takes no value", []string{"--master=1"}},
		{"missing value", []string{"--socket"}},
		{"unknown short flag", []string{"-k"}},
		{"set without =", []string{"--set", "novalue"}},
		{"missing ini file", []string{"--ini", "nope.ini"}},
		{"bare non-ini argument", []string{"--socket", sock, "foo.txt"}},
		{"static-map without =", []string{"--socket", sock, "--static-map", "foo"}},
		{"negative processes", []string{"--socket", sock, "--processes", "-1"}},
		{"negative listen", []string{"--listen", "-3", "--socket", sock}},
		{"strict", []string{"--ini", "strict.ini"}},
		{"missing @file", []string{"--ini", "at.ini"}},
		{"header with a comment: no socket", []string{"--ini", "header.ini"}},
		{"empty socket", []string{"--socket", " "}},
		{"listen above somaxconn", []string{"--socket", sock, "--listen", "1000000"}},
		{"autoip in a comment", []string{"--ini", "autoip.ini"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := realHost(dir, minimalEnv(nil)).ParseArgs(append(append([]string{}, plugins...), tt.args...))
			if err == nil {
				t.Fatalf("Config: got no error")
			}
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *explain.Error", err)
			}
			what := strings.Split(e.What.EN, "\n")
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append(append([]string{}, plugins...), tt.args...)...)
			cmd.Dir, cmd.Env = dir, minimalEnv(nil)
			testenv.Group(cmd)
			cmd.Cancel = func() error { return testenv.KillGroup(cmd) }
			out, _ := cmd.CombinedOutput()
			if code := cmd.ProcessState.ExitCode(); code != 1 {
				t.Errorf("uwsgi exit code: got %d, want 1\n%s", code, out)
			}
			for _, line := range what {
				if !strings.Contains(string(out), line) {
					t.Errorf("uWSGI did not print %q:\n%s", line, out)
				}
			}
		})
	}
}

// TestInteropSymlinkMagic: for an ini file reached through a symlink, %d
// and %p name the link, not its target (uWSGI does not resolve it).
func TestInteropSymlinkMagic(t *testing.T) {
	bin := testenv.NeedUWSGI(t)
	dir, real := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(real, "target.ini"), []byte("[uwsgi]\nd = %d\np = %p\nn = %n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(real, "target.ini"), filepath.Join(dir, "link.ini")); err != nil {
		t.Fatal(err)
	}
	args := []string{"--socket", "127.0.0.1:1", "--ini", "link.ini"}
	cmd := exec.Command(bin, append(append(append([]string{}, plugins...), args...), "--get", "d", "--get", "p", "--get", "n")...)
	cmd.Dir, cmd.Env = dir, minimalEnv(nil)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	c, err := realHost(dir, minimalEnv(nil)).ParseArgs(append(append([]string{}, plugins...), args...))
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, o := range c.Options {
		if o.Key == "d" || o.Key == "p" || o.Key == "n" {
			want.WriteString(o.Value + "\n")
		}
	}
	if string(out) != want.String() {
		t.Errorf("uWSGI printed %q, Config holds %q", out, want.String())
	}
	if !strings.HasPrefix(want.String(), dir) {
		t.Errorf("%%d should be the link's directory %s: %q", dir, want.String())
	}
}
