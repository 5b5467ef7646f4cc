package ini

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"webflow-lab/servers/explain"
)

func TestParseArgsFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // kv of the option list
	}{
		{"long with value", []string{"--http", ":9000", "--wsgi-file", "x.py"}, "http=:9000@1; wsgi-file=x.py@3"},
		{"long with =", []string{"--http=:9000", "--static-map=/static=dir"}, "http=:9000@1; static-map=/static=dir@2"},
		{"no-argument flag", []string{"--master", "--http", ":1"}, "master=@1; http=:1@2"},
		{"short flags", []string{"-s", ":9001", "-p", "4", "-M", "-b", "8192", "-l", "50", "-t", "30", "-w", "app:app", "-H", "/venv", "-d", "log"},
			"socket=:9001@1; processes=4@3; master=@5; buffer-size=8192@6; listen=50@8; harakiri=30@10; module=app:app@12; home=/venv@14; daemonize=log@16"},
		{"short glued value", []string{"-s:9001", "-p4"}, "socket=:9001@1; processes=4@2"},
		{"short combined", []string{"-Mp", "4", "-s", ":1"}, "master=@1; processes=4@1; socket=:1@3"},
		{"abbreviation", []string{"--proce", "3", "--wsgi-f", "x.py"}, "processes=3@1; wsgi-file=x.py@3"},
		{"required argument takes a dash word", []string{"--socket", "--master"}, "socket=--master@1"},
		{"double dash ends flags", []string{"--socket", ":1", "--", "--master"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := labHost(nil, nil)
			ld := &loader{h: h}
			err := getopt(tt.args, func(o Option) error { ld.list = append(ld.list, entry{Option: o}); return nil }, func(Option) {})
			if err != nil {
				t.Fatalf("getopt: %v", err)
			}
			got := kv(ld.optionList())
			if tt.name == "double dash ends flags" {
				tt.want = "socket=:1@1"
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // first line of What
	}{
		{"unknown long", []string{"--foo"}, "uwsgi: unrecognized option '--foo'"},
		{"ambiguous", []string{"--http-so", ":1"}, "uwsgi: option '--http-so' is ambiguous; possibilities: '--http-socket' '--http-socket-modifier1' '--http-socket-modifier2'"},
		{"no argument allowed", []string{"--master=false"}, "uwsgi: option '--master' doesn't allow an argument"},
		{"missing argument", []string{"--socket"}, "uwsgi: option '--socket' requires an argument"},
		{"missing short argument", []string{"-s"}, "uwsgi: option requires an argument -- 's'"},
		{"unknown short", []string{"-k"}, "uwsgi: invalid option -- 'k'"},
		{"bare non-ini", []string{"--socket", ":1", "foo.txt"}, "unable to load configuration from foo.txt"},
		{"bare ini with section", []string{"app.ini:dev"}, "unable to load configuration from app.ini:dev"},
		{"missing ini", []string{"--ini", "nope.ini"}, "realpath() of nope.ini failed: No such file or directory [core/utils.c line 3662]"},
		{"set without =", []string{"--set", "novalue"}, "invalid placeholder/--set value"},
		{"negative processes", []string{"--socket", ":1", "--processes", "-1"}, `invalid value for option "processes": must be > 0`},
		{"negative listen is immediate", []string{"--listen", "-3"}, `invalid value for option "listen": must be > 0`},
		{"static-map without =", []string{"--socket", ":1", "--static-map", "foo"}, "invalid document root in static map, syntax mountpoint=docroot"},
		{"nothing to listen on", []string{"--processes", "2"}, "The -s/--socket option is missing and stdin is not a socket."},
		{"listen above somaxconn", []string{"--socket", ":1", "--listen", "5000"}, "Listen queue size is greater than the system max net.core.somaxconn (4096)."},
		{"empty socket", []string{"--socket", " "}, "invalid/empty uwsgi socket name"},
		{"placeholder name is an option", []string{"--set-ph", "socket=x"}, "you cannot use socket as a placeholder, it is already available as an option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := labHost(map[string]string{"/lab/app.ini": "[dev]\nsocket = :1\n"}, nil).ParseArgs(tt.args)
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *explain.Error", err)
			}
			if got := strings.SplitN(e.What.EN, "\n", 2)[0]; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if e.Why.EN == "" || e.Try.EN == "" || e.Why.ZH == "" || e.Try.ZH == "" {
				t.Errorf("error %q lacks why/try in both languages: %+v", e.What.EN, e)
			}
		})
	}
}

func TestParseArgsOrder(t *testing.T) {
	files := map[string]string{
		"/lab/a.ini": "[uwsgi]\nsocket = :1\nprocesses = 2\n",
		"/lab/b.ini": "[uwsgi]\nprocesses = 3\n[dev]\nprocesses = 5\n",
	}
	tests := []struct {
		name  string
		args  []string
		procs int
	}{
		// An --ini file's lines stand where the flag stands: later flags win.
		{"ini then flag", []string{"--ini", "a.ini", "--processes", "4"}, 4},
		{"flag then ini", []string{"--processes", "4", "--ini", "a.ini"}, 2},
		// getopt moves a bare file after every flag: the file wins.
		{"bare file after flags", []string{"a.ini", "--processes", "4"}, 2},
		{"section", []string{"--ini", "a.ini", "--ini", "b.ini:dev"}, 5},
		{"two files", []string{"--ini", "a.ini", "--ini", "b.ini"}, 3},
		{"reread last file with :section", []string{"--ini", "b.ini", "--ini", ":dev", "--socket", ":2"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := labHost(files, nil).ParseArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if c.Processes != tt.procs {
				t.Errorf("processes: got %d, want %d", c.Processes, tt.procs)
			}
		})
	}
}

func TestParseArgsActions(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		action, file string
	}{
		{"stop", []string{"--stop", "/tmp/app.pid"}, "stop", "/tmp/app.pid"},
		{"reload", []string{"--reload=/tmp/app.pid"}, "reload", "/tmp/app.pid"},
		// --stop acts when read: nothing after it matters, not even errors.
		{"stop stops reading", []string{"--stop", "x.pid", "--static-map", "bad"}, "stop", "x.pid"},
		{"stop in an ini file", []string{"--ini", "app.ini"}, "stop", "u.pid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := labHost(map[string]string{"/lab/app.ini": "[uwsgi]\nstop = u.pid\nsocket = :1\n"}, nil).ParseArgs(tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if c.Action != tt.action || c.ActionArg != tt.file {
				t.Errorf("got %q %q, want %q %q", c.Action, c.ActionArg, tt.action, tt.file)
			}
		})
	}
}

func TestEnvironmentOptions(t *testing.T) {
	h := labHost(nil, map[string]string{"UWSGI_PROCESSES": "3", "UWSGI_HTTP_SOCKET": ":8000", "UWSGI_RELOADS": "1"})
	c, err := h.ParseArgs([]string{"--processes", "5"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Processes != 5 {
		t.Errorf("processes: got %d, want 5 (the command line comes after UWSGI_PROCESSES)", c.Processes)
	}
	if len(c.HTTPSockets) != 1 || c.HTTPSockets[0].Address != "0.0.0.0:8000" {
		t.Errorf("http-socket from UWSGI_HTTP_SOCKET: got %+v", c.HTTPSockets)
	}
	for _, o := range c.Options {
		if o.Key == "reloads" {
			t.Errorf("UWSGI_RELOADS must not become an option")
		}
	}
}

func TestStrict(t *testing.T) {
	tests := []struct {
		name, text string
		args       []string
		wantErr    string
	}{
		{"unknown after strict", "[uwsgi]\nsocket = :1\nstrict = true\nbase = /srv\n", nil, "[strict-mode] unknown config directive: base"},
		{"unknown before strict", "[uwsgi]\nbase = /srv\nsocket = :1\nstrict = true\n", nil, "[strict-mode] unknown config directive: base"},
		{"strict on the command line", "[uwsgi]\nfoo = 1\nsocket = :1\n", []string{"--strict"}, "[strict-mode] unknown config directive: foo"},
		{"strict = false", "[uwsgi]\nstrict = false\nbase = /srv\nsocket = :1\n", nil, ""},
		{"set-placeholder is allowed", "[uwsgi]\nstrict = true\nset-ph = base=/srv\nchdir = %(base)\nsocket = :1\n", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := labHost(map[string]string{"/lab/app.ini": tt.text}, nil)
			c, err := h.ParseArgs(append(tt.args, "--ini", "app.ini"))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				if tt.name == "set-placeholder is allowed" && c.Chdir != "/srv" {
					t.Errorf("chdir: got %q, want /srv", c.Chdir)
				}
				return
			}
			var e *explain.Error
			if !errors.As(err, &e) || e.What.EN != tt.wantErr {
				t.Fatalf("got %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestNestedINI(t *testing.T) {
	files := map[string]string{
		"/lab/app.ini":    "[uwsgi]\nprocesses = 2\nini = base.ini\nthreads = 3\n",
		"/lab/base.ini":   "[uwsgi]\nsocket = :1\nprocesses = 5\nthreads = 9\n",
		"/lab/loop.ini":   "[uwsgi]\nsocket = :1\ninclude = loop.ini\n",
		"/lab/nosect.ini": "[other]\nsocket = :1\n",
	}
	t.Run("an ini line reads the file where it stands", func(t *testing.T) {
		c, err := labHost(files, nil).ParseArgs([]string{"--ini", "app.ini"})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"app.ini", "base.ini"}; !reflect.DeepEqual(c.Files, want) {
			t.Errorf("files: got %q, want %q", c.Files, want)
		}
		if c.Processes != 5 || c.Threads != 3 {
			t.Errorf("got processes %d threads %d, want 5 (from base.ini, after line 2) and 3 (line 4, after base.ini)", c.Processes, c.Threads)
		}
		if got := kv(c.Options); got != "ini=app.ini@1; processes=2@2; ini=base.ini@3; socket=:1@2; processes=5@3; threads=9@4; threads=3@4" {
			t.Errorf("list: got %q", got)
		}
	})
	t.Run("a file that includes itself stops", func(t *testing.T) {
		_, err := labHost(files, nil).ParseArgs([]string{"--ini", "loop.ini"})
		var e *explain.Error
		if !errors.As(err, &e) || !strings.Contains(e.What.EN, "nested more than") {
			t.Errorf("got %v, want the nesting error", err)
		}
	})
	t.Run("a file without the section warns", func(t *testing.T) {
		c, err := labHost(files, nil).ParseArgs([]string{"--socket", ":2", "--ini", "nosect.ini"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(notesText(c), `Can't find section "uwsgi" in INI configuration file nosect.ini`) {
			t.Errorf("notes: %s", notesText(c))
		}
	})
}
