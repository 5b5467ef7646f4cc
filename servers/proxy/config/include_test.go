package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func names(list []*Directive) []string {
	var out []string
	for _, d := range list {
		out = append(out, d.Name+" "+strings.Join(d.Args, " "))
	}
	return out
}

func TestInclude(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/nginx.conf":          {Data: []byte("events { }\nhttp {\n    include conf.d/*.conf;\n}\n")},
		"etc/conf.d/b.conf":       {Data: []byte("server { listen 127.0.0.1:2; }\n")},
		"etc/conf.d/a.conf":       {Data: []byte("server { listen 127.0.0.1:1; }\n")},
		"etc/conf.d/.hidden.conf": {Data: []byte("garbage\n")},
		"etc/conf.d/c.txt":        {Data: []byte("garbage\n")},
		"etc/nested.conf":         {Data: []byte("events { }\nhttp {\n    include sub/one.conf;\n}\n")},
		"etc/sub/one.conf":        {Data: []byte("include sub/two.conf;\n")}, // relative to etc/, not etc/sub/
		"etc/sub/two.conf":        {Data: []byte("default_type text/plain;\n")},
		"etc/self.conf":           {Data: []byte("include self.conf;\n")},
		"etc/loop-a.conf":         {Data: []byte("events { }\ninclude loop-b.conf;\n")},
		"etc/loop-b.conf":         {Data: []byte("\n\ninclude loop-a.conf;\n")},
		"etc/missing.conf":        {Data: []byte("events { }\n\ninclude nope.conf;\n")},
		"etc/none.conf":           {Data: []byte("events { }\ninclude none/*.conf;\n")},
		"etc/close.conf":          {Data: []byte("events { }\nhttp {\n    include close-inner.conf;\n")},
		"etc/close-inner.conf":    {Data: []byte("}\n")},
		"etc/dir.conf":            {Data: []byte("include conf.d;\n")},
	}
	tests := []struct {
		name  string
		main  string
		files []string // files read, in order
		top   []string // names of http's children (or main's when no http)
		err   string
	}{
		{"glob sorted, hidden skipped", "etc/nginx.conf",
			[]string{"etc/nginx.conf", "etc/conf.d/a.conf", "etc/conf.d/b.conf"},
			[]string{"server ", "server "}, ""},
		{"relative to the conf prefix", "etc/nested.conf",
			[]string{"etc/nested.conf", "etc/sub/one.conf", "etc/sub/two.conf"},
			[]string{"default_type text/plain"}, ""},
		{"glob matching nothing", "etc/none.conf", []string{"etc/none.conf"}, []string{"events "}, ""},
		{"missing file", "etc/missing.conf", nil, nil,
			`open() "etc/nope.conf" failed (2: No such file or directory) in etc/missing.conf:3`},
		{"including itself", "etc/self.conf", nil, nil,
			`include of "etc/self.conf" would read it again while it is being read in etc/self.conf:1`},
		{"include loop", "etc/loop-a.conf", nil, nil,
			`include of "etc/loop-a.conf" would read it again while it is being read in etc/loop-b.conf:3`},
		{"a block cannot close in an included file", "etc/close.conf", nil, nil,
			`unexpected "}" in etc/close-inner.conf:1`},
		{"a directory", "etc/dir.conf", nil, nil,
			`pread() "etc/conf.d" failed (21: Is a directory)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadFS(fsys, tt.main)
			if tt.err != "" {
				var ne *NginxError
				if !errors.As(err, &ne) {
					t.Fatalf("got %v, want %s", err, tt.err)
				}
				if ne.Error() != tt.err {
					t.Errorf("got %q, want %q", ne.Error(), tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			var files []string
			for _, f := range cfg.Files {
				files = append(files, f.Path)
			}
			if strings.Join(files, ",") != strings.Join(tt.files, ",") {
				t.Errorf("got files %v, want %v", files, tt.files)
			}
			list := cfg.Directives
			if h := First(list, "http"); h != nil {
				list = h.Block
			}
			if got := names(list); strings.Join(got, ",") != strings.Join(tt.top, ",") {
				t.Errorf("got directives %q, want %q", got, tt.top)
			}
		})
	}
}

func TestIncludeDepth(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := 0; i < 30; i++ {
		fsys["c/"+itoa(i)+".conf"] = &fstest.MapFile{Data: []byte("include " + itoa(i+1) + ".conf;\n")}
	}
	_, err := LoadFS(fsys, "c/0.conf")
	var ne *NginxError
	if !errors.As(err, &ne) || !strings.Contains(ne.Msg, "nested more than 16 levels") {
		t.Fatalf("got %v, want the depth limit", err)
	}
}

// TestIncludeOS reads real files: Load resolves relative includes against
// the main file's directory, whatever the working directory is.
func TestIncludeOS(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("nginx.conf", "events { }\nhttp { include sites/*.conf; }\n")
	write("sites/10-b.conf", "server { listen 127.0.0.1:2; }\n")
	write("sites/02-a.conf", "server { listen 127.0.0.1:1; }\n")
	cfg, err := Load(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	srv := First(cfg.Directives, "http").FindAll("server")
	if len(srv) != 2 || srv[0].Find("listen").Arg(0) != "127.0.0.1:1" {
		t.Fatalf("got %s, want 02-a.conf's server first", Format(cfg.Directives))
	}
	if got, want := srv[1].File, filepath.Join(dir, "sites/10-b.conf"); got != want {
		t.Errorf("got File %q, want %q", got, want)
	}
	dump := Dump(cfg)
	for _, f := range []string{"nginx.conf", "sites/02-a.conf", "sites/10-b.conf"} {
		if !strings.Contains(dump, "# configuration file "+filepath.Join(dir, f)+":\n") {
			t.Errorf("Dump lacks %s:\n%s", f, dump)
		}
	}
}

// TestIncludePrefix: Options.Prefix replaces the main file's directory as
// the base of relative includes (nginx's conf prefix).
func TestIncludePrefix(t *testing.T) {
	fsys := fstest.MapFS{
		"conf/site.conf": {Data: []byte("default_type text/plain;\n")},
	}
	cfg, err := Parse("elsewhere/main.conf", []byte("events { }\nhttp { include site.conf; }\n"), Options{FS: fsys, Prefix: "conf"})
	if err != nil {
		t.Fatal(err)
	}
	if got := First(cfg.Directives, "http").Find("default_type"); got == nil || got.File != "conf/site.conf" {
		t.Errorf("got %v, want default_type read from conf/site.conf", got)
	}
}
