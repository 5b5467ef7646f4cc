package ini

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"webflow-lab/servers/explain"
)

func TestDefaults(t *testing.T) {
	c := mustLoad(t, "[uwsgi]\nsocket = :1\n")
	got := []any{c.Processes, c.Threads, c.Master, c.Listen, c.BufferSize, c.Harakiri, c.SocketTimeout, c.HTTPTimeout, c.Callable}
	want := []any{1, 1, false, 100, 4096, 0, 4, 60, "application"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestBooleans(t *testing.T) {
	tests := []struct {
		value string
		want  bool
	}{
		{"true", true}, {"True", true}, {"1", true}, {"yes", true}, {"", true}, {"on", true},
		{"false", false}, {"FALSE", false}, {"False", false}, {"off", false}, {"Off", false}, {"no", false}, {"NO", false}, {"0", false},
		{"false ; semicolon comment", true}, {"0 # zero", true}, {"00", true}, {"f", true}, {"nope", true}, {"\"false\"", true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c := mustLoad(t, "[uwsgi]\nsocket = :1\nmaster = "+tt.value+"\nvacuum = "+tt.value+"\n")
			if c.Master != tt.want || c.Vacuum != tt.want {
				t.Errorf("master = %q: got master %v vacuum %v, want %v", tt.value, c.Master, c.Vacuum, tt.want)
			}
		})
	}
	t.Run("bare key", func(t *testing.T) {
		if c := mustLoad(t, "[uwsgi]\nsocket = :1\nmaster\n"); !c.Master {
			t.Errorf("bare master: got off, want on")
		}
	})
	t.Run("flag without value", func(t *testing.T) {
		if c := mustLoad(t, "[uwsgi]\nsocket = :1\n", "--master"); !c.Master {
			t.Errorf("--master: got off, want on")
		}
	})
}

func TestIntegers(t *testing.T) {
	tests := []struct {
		value string
		want  int
	}{
		{"4", 4}, {"2 # two workers", 2}, {"  7", 7}, {"+3", 3}, {"abc", 0}, {"", 0}, {"3.9", 3}, {"12abc", 12},
		{"0x10", 0}, {"4294967297", 1}, {"99999999999999999999", -1},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if got := atoi(tt.value); got != tt.want {
				t.Errorf("atoi(%q): got %d, want %d", tt.value, got, tt.want)
			}
		})
	}
	t.Run("processes from a commented line", func(t *testing.T) {
		c := mustLoad(t, "[uwsgi]\nsocket = :1\nprocesses = 2 # two workers\nthreads = 8\nharakiri = 30s\n")
		if c.Processes != 2 || c.Threads != 8 || c.Harakiri != 30 {
			t.Errorf("got processes %d threads %d harakiri %d, want 2 8 30", c.Processes, c.Threads, c.Harakiri)
		}
		if !c.EnableThreads {
			t.Errorf("threads turns on enable-threads, got off")
		}
	})
	t.Run("buffer-size is capped at 65535 by uWSGI 2.0", func(t *testing.T) {
		c := mustLoad(t, "[uwsgi]\nsocket = :1\nbuffer-size = 100000\n")
		if c.BufferSize != 65535 {
			t.Errorf("got %d, want 65535", c.BufferSize)
		}
		c = mustLoad(t, "[uwsgi]\nsocket = :1\nbuffer-size = -1\n")
		if c.BufferSize != 65535 {
			t.Errorf("buffer-size = -1 (strtoul wraps): got %d, want 65535", c.BufferSize)
		}
	})
	t.Run("processes = 0 means no workers", func(t *testing.T) {
		c := mustLoad(t, "[uwsgi]\nsocket = :1\nprocesses = 0\n")
		if c.Processes != 0 || !strings.Contains(notesText(c), "no-workers") {
			t.Errorf("got processes %d notes %q", c.Processes, notesText(c))
		}
	})
}

func TestRepeatedKeys(t *testing.T) {
	c := mustLoad(t, `[uwsgi]
socket = :9001
socket = /tmp/a.sock
http = :9000
processes = 2
workers = 3
chdir = /a
chdir = /b
static-map = /static=static
static-map = /static=other
env = A=1
env = B=2
pythonpath = x
pythonpath = y
plugins = python3,http
plugin = router_static
wsgi-file = a.py
file = b.py
module = m1
wsgi = m2
venv = /v1
home = /v2
`)
	if got := len(c.Sockets); got != 2 {
		t.Errorf("sockets: got %d, want 2", got)
	}
	if c.Processes != 3 {
		t.Errorf("processes then workers: got %d, want 3 (last wins, aliases share one setting)", c.Processes)
	}
	if c.Chdir != "/b" || c.WSGIFile != "b.py" || c.Module != "m2" || c.Virtualenv != "/v2" {
		t.Errorf("last wins: got chdir %q wsgi-file %q module %q virtualenv %q", c.Chdir, c.WSGIFile, c.Module, c.Virtualenv)
	}
	wantMaps := []StaticMap{{Mount: "/static", Dir: "static"}, {Mount: "/static", Dir: "other"}}
	for i, m := range c.StaticMaps {
		if m.Mount != wantMaps[i].Mount || m.Dir != wantMaps[i].Dir {
			t.Errorf("static-map %d: got %s=%s, want %s=%s", i, m.Mount, m.Dir, wantMaps[i].Mount, wantMaps[i].Dir)
		}
	}
	if !reflect.DeepEqual(c.Env, []string{"A=1", "B=2"}) || !reflect.DeepEqual(c.PythonPath, []string{"x", "y"}) ||
		!reflect.DeepEqual(c.Plugins, []string{"python3", "http", "router_static"}) {
		t.Errorf("lists: got env %q pythonpath %q plugins %q", c.Env, c.PythonPath, c.Plugins)
	}
	if !strings.Contains(notesText(c), "is replaced by") {
		t.Errorf("a replaced scalar gets a note; notes: %s", notesText(c))
	}
}

func TestAddresses(t *testing.T) {
	tests := []struct {
		key, value                string
		network, address, portTxt string
	}{
		{"socket", "127.0.0.1:9001", "tcp", "127.0.0.1:9001", "9001"},
		{"socket", ":9001", "tcp", "0.0.0.0:9001", "9001"},
		{"socket", "0.0.0.0:9001", "tcp", "0.0.0.0:9001", "9001"},
		{"socket", "localhost:9001", "tcp", "127.0.0.1:9001", "9001"},
		{"socket", "127.1:9001", "tcp", "127.0.0.1:9001", "9001"},
		{"socket", "foo.invalid:19104", "tcp", "255.255.255.255:19104", "19104"},
		{"socket", "999.1.1.1:19104", "tcp", "255.255.255.255:19104", "19104"},
		{"socket", ":99999", "tcp", "0.0.0.0:34463", "99999"},
		{"socket", ":-1", "tcp", "0.0.0.0:65535", "-1"},
		{"socket", "[::1]:9001", "tcp", "[::1]:9001", "9001"},
		{"socket", "[::]:9001", "tcp", "[::]:9001", "9001"},
		{"socket", "[nonsense]:9001", "tcp", "[::]:9001", "9001"},
		{"socket", "[::1]", "tcp", "255.255.255.255:1", "1]"},
		{"socket", "/tmp/app.sock", "unix", "/tmp/app.sock", ""},
		{"socket", "app.sock", "unix", "app.sock", ""},
		{"socket", "@abstract", "unix", "@abstract", ""},
		{"socket", "/tmp/app.sock # x", "unix", "/tmp/app.sock # x", ""},
		{"socket", "192.168.*:9001", "tcp", "192.168.1.20:9001", "9001"},
		{"http", "127.0.0.1:19101 # inline comment", "tcp", "127.0.0.1:19101", "19101 # inline comment"},
		{"http", ":9000 # see: docs", "tcp", "255.255.255.255:0", " docs"},
		{"http-socket", "127.0.0.1:8000", "tcp", "127.0.0.1:8000", "8000"},
		{"stats", "127.0.0.1:9002", "tcp", "127.0.0.1:9002", "9002"},
		{"stats", "/tmp/stats.sock", "unix", "/tmp/stats.sock", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			c := mustLoad(t, "[uwsgi]\nsocket = :1\n"+tt.key+" = "+tt.value+"\n")
			var a Addr
			switch tt.key {
			case "socket":
				a = c.Sockets[1]
			case "http":
				a = c.HTTP[0]
			case "http-socket":
				a = c.HTTPSockets[0]
			case "stats":
				a = c.Stats
			}
			if a.Network != tt.network || a.Address != tt.address || a.Port != tt.portTxt || a.Raw != tt.value {
				t.Errorf("got %s %q port %q raw %q, want %s %q port %q raw %q", a.Network, a.Address, a.Port, a.Raw, tt.network, tt.address, tt.portTxt, tt.value)
			}
			if a.Opt.Line != 3 || a.Opt.File != "app.ini" {
				t.Errorf("opt: got %s, want app.ini:3", a.Opt.Where())
			}
		})
	}
	t.Run("autoip without a match is fatal", func(t *testing.T) {
		_, err := loadINI(t, "[uwsgi]\nsocket = :9001 # *important*\n")
		var e *explain.Error
		if !errors.As(err, &e) || e.What.EN != "unable to find a valid socket address" {
			t.Errorf("got %v, want uWSGI's autoip failure", err)
		}
	})
}

func TestInetAton(t *testing.T) {
	tests := []struct{ in, want string }{
		{"127.0.0.1", "127.0.0.1"}, {"127.1", "127.0.0.1"}, {"10.1.2", "10.1.0.2"}, {"2130706433", "127.0.0.1"},
		{"0x7f.1", "127.0.0.1"}, {"010.0.0.1", "8.0.0.1"}, {"256.1.1.1", ""}, {"1.2.3.4.5", ""}, {"a.b", ""}, {"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := inetAton(tt.in)
			if !ok {
				got = ""
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMaster(t *testing.T) {
	tests := []struct {
		name, text string
		want       bool
	}{
		{"default off", "socket = :1\n", false},
		{"master = true", "socket = :1\nmaster = true\n", true},
		{"stats implies master", "socket = :1\nstats = :9002\n", true},
		{"touch-reload implies master", "socket = :1\ntouch-reload = x\n", true},
		{"master = false after stats wins", "socket = :1\nstats = :9002\nmaster = false\n", false},
		{"master = false before stats wins too", "socket = :1\nmaster = false\nstats = :9002\n", false},
		{"master = false ; comment is on", "socket = :1\nmaster = false ; comment\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, "[uwsgi]\n"+tt.text)
			if c.Master != tt.want {
				t.Errorf("got master %v, want %v", c.Master, tt.want)
			}
			if c.Stats.Raw != "" && !c.Master && !strings.Contains(notesText(c), "stats server will not start") {
				t.Errorf("stats without master: want a note, got %s", notesText(c))
			}
		})
	}
}

func TestEnvAndStaticMap(t *testing.T) {
	c := mustLoad(t, "[uwsgi]\nsocket = :1\nenv = EMS_DATABASE=/lab/db.sqlite3\nenv = EMS_SESSIONS=db\nenv = UNSET_ME\nstatic-map = /static=/srv/static\nstatic-map = /m==x\n")
	if want := []string{"EMS_DATABASE=/lab/db.sqlite3", "EMS_SESSIONS=db", "UNSET_ME"}; !reflect.DeepEqual(c.Env, want) {
		t.Errorf("env: got %q, want %q", c.Env, want)
	}
	if !strings.Contains(notesText(c), "removes UNSET_ME") {
		t.Errorf("env without '=': want a note, got %s", notesText(c))
	}
	if m := c.StaticMaps[1]; m.Mount != "/m" || m.Dir != "=x" {
		t.Errorf("static-map splits at the first '=': got %q %q", m.Mount, m.Dir)
	}
}
