package ini

import (
	"os"
	"strings"
	"testing"
)

func TestParseLines(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		want  string // kv of the kept options
		found bool
	}{
		{"simple", "[uwsgi]\nsocket = :9001\n", "socket=:9001@2", true},
		{"trim space tab cr", "[uwsgi]\r\n \tprocesses\t= 4 \r\n", "processes=4@2", true},
		{"no inline comment #", "[uwsgi]\nhttp = 1.2.3.4:9000 # comment\n", "http=1.2.3.4:9000 # comment@2", true},
		{"no inline comment ;", "[uwsgi]\nmaster = false ; semicolon\n", "master=false ; semicolon@2", true},
		{"comment lines", "[uwsgi]\n# a\n; b\n  # indented\nx = 1\n", "x=1@5", true},
		{"first = splits", "[uwsgi]\nenv = A=b=c\n", "env=A=b=c@2", true},
		{"quotes kept", "[uwsgi]\nchdir = \"/srv/app\"\n", "chdir=\"/srv/app\"@2", true},
		{"bare key is empty value", "[uwsgi]\nmaster\n", "master=@2", true},
		{"empty key", "[uwsgi]\n= v\n", "=v@2", true},
		{"lines before any header ignored", "socket = :1\n[uwsgi]\nsocket = :2\n", "socket=:2@3", true},
		{"other section ignored", "[uwsgi]\na = 1\n[other]\nb = 2\n[uwsgi]\nc = 3\n", "a=1@2; c=3@6", true},
		{"header with trailing comment", "[uwsgi] # main\nsocket = :1\n", "", false},
		{"header with spaces inside", "[ uwsgi ]\nsocket = :1\n", "", false},
		{"header minus last char whatever it is", "[uwsgi]x\nsocket = :1\n", "", false},
		{"header only is not found", "[uwsgi]\n", "", false},
		{"no trailing newline", "[uwsgi]\nx = 1", "x=1@2", true},
		{"NUL ends its line", "[uwsgi]\nx = 1\x00junk\ny = 2\n", "x=1@2; y=2@3", true},
		{"CRLF file", "[uwsgi]\r\nx = 1\r\n", "x=1@2", true},
		{"key keeps inner spaces", "[uwsgi]\nprocesses 4\n", "processes 4=@2", true},
		{"value spaces inside kept", "[uwsgi]\nx =  a  b  \n", "x=a  b@2", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Parse("app.ini", []byte(tt.text), "", Magic{})
			if got := kv(f.Options()); got != tt.want {
				t.Errorf("options: got %q, want %q", got, tt.want)
			}
			if f.Found != tt.found {
				t.Errorf("found: got %v, want %v", f.Found, tt.found)
			}
		})
	}
}

func TestParseSectionNames(t *testing.T) {
	tests := []struct{ header, section string }{
		{"[uwsgi]", "uwsgi"},
		{"[uwsgi] # x", "uwsgi] # "},
		{"[uwsgi];", "uwsgi]"},
		{"[ uwsgi ]", " uwsgi "},
		{"[", ""},
		{"[]", ""},
		{"[dev]", "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			f := Parse("a.ini", []byte(tt.header+"\nk = v\n"), "", Magic{})
			if got := f.Lines[0].Section; got != tt.section {
				t.Errorf("section of %q: got %q, want %q", tt.header, got, tt.section)
			}
			g := Parse("a.ini", []byte(tt.header+"\nk = v\n"), tt.section, Magic{})
			if tt.section != "" && !g.Found {
				t.Errorf("asking for section %q: not found", tt.section)
			}
		})
	}
}

func TestMissingSectionWarning(t *testing.T) {
	f := Parse("x.ini", []byte("[uwsgi] # main\nsocket = :1\n"), "uwsgi", Magic{})
	n := f.MissingSection()
	if n == nil {
		t.Fatal("got no warning, want uWSGI's Can't find section")
	}
	want := `*** WARNING: Can't find section "uwsgi" in INI configuration file x.ini ***`
	if n.What.EN != want {
		t.Errorf("got %q, want %q", n.What.EN, want)
	}
	if f := Parse("x.ini", []byte("[uwsgi]\na = 1\n"), "", Magic{}); f.MissingSection() != nil {
		t.Errorf("section present: got a warning, want none")
	}
}

func TestSplitSpec(t *testing.T) {
	tests := []struct{ spec, path, section string }{
		{"app.ini", "app.ini", "uwsgi"},
		{"app.ini:dev", "app.ini", "dev"},
		{"app.ini:", "app.ini", "uwsgi"},
		{"/a:b/app.ini:dev", "/a:b/app.ini", "dev"},
		{":dev", "", "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			p, s := SplitSpec(tt.spec)
			if p != tt.path || s != tt.section {
				t.Errorf("got (%q, %q), want (%q, %q)", p, s, tt.path, tt.section)
			}
		})
	}
}

func TestMagic(t *testing.T) {
	h := labHost(nil, nil)
	m := MagicFor("conf/app.ini", "/lab/conf/app.ini", "dev", h)
	tests := []struct{ in, want string }{
		{"%d", "/lab/conf/"},
		{"%dstatic", "/lab/conf/static"},
		{"%p", "/lab/conf/app.ini"},
		{"%s", "app.ini"},
		{"%n", "app"},
		{"%e", "ini"},
		{"%c", "conf"},
		{"%0/%1", "lab/conf"},
		{"%x", "dev"},
		{"%o", "conf/app.ini"},
		{"%v", "/lab"},
		{"%h", "labhost"},
		{"%k", "4"},
		{"%V", Version},
		{"%%", "%"},
		{"100%%", "100%"},
		{"%(name)", "%(name)"},
		{"%z", ""},
		{"a%zb", "ab"},
		{"50%", "50"},
		{"%D", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			out, _ := m.substitute([]byte(tt.in))
			if string(out) != tt.want {
				t.Errorf("got %q, want %q", out, tt.want)
			}
		})
	}
}

func TestMagicKeepsLineNumbers(t *testing.T) {
	// "%" then newline is an unknown variable: both vanish and the lines
	// merge, as in uWSGI; the numbers still point at the file as written.
	text := "[uwsgi]\na = 1%\nb = 2\nc = 3\n"
	f := Parse("a.ini", []byte(text), "", Magic{})
	if got, want := kv(f.Options()), "a=1b = 2@2; c=3@4"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMagicInINIFile(t *testing.T) {
	c := mustLoad(t, "[uwsgi]\nsocket = :1\nchdir = %d\npidfile = %d%n.pid\nx = %z|%%|%(chdir)\n")
	got := map[string]string{}
	for _, o := range fileOpts(c) {
		got[o.Key] = o.Value
	}
	want := map[string]string{"chdir": "/lab/", "pidfile": "/lab/app.pid", "x": "|%|/lab/"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	if !strings.HasSuffix(c.Chdir, "/") {
		t.Errorf("chdir from %%d: got %q, want a trailing /", c.Chdir)
	}
}

// BenchmarkLoad reads and resolves the lab's default instance file.
func BenchmarkLoad(b *testing.B) {
	text, err := os.ReadFile("../../../assets/uwsgi/uwsgi-1.ini")
	if err != nil {
		b.Fatal(err)
	}
	h := labHost(map[string]string{"/lab/uwsgi-1.ini": string(text)}, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.ParseArgs([]string{"--ini", "uwsgi-1.ini"}); err != nil {
			b.Fatal(err)
		}
	}
}
