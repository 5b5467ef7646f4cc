package sim

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"webflow-lab/assets"
	"webflow-lab/servers/explain"
	"webflow-lab/servers/testenv/golden"
	"webflow-lab/servers/uwsgi/ini"
)

func TestWorkspaceCreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	created, err := EnsureWorkspace(dir, Options{})
	if err != nil || !created {
		t.Fatalf("EnsureWorkspace: got created=%v err=%v, want true, nil", created, err)
	}
	// Every shipped file is there byte for byte: default ports change nothing.
	for _, f := range []struct{ asset, file string }{
		{"nginx/nginx.conf", "nginx.conf"},
		{"nginx/conf.d/ems.conf", "conf.d/ems.conf"},
		{"nginx/mime.types", "mime.types"},
		{"nginx/uwsgi_params", "uwsgi_params"},
		{"uwsgi/uwsgi-1.ini", "uwsgi-1.ini"},
		{"uwsgi/uwsgi-2.ini", "uwsgi-2.ini"},
		{"ems/ems_project/wsgi.py", "ems_project/wsgi.py"},
		// collectstatic: the EMS's static files under STATIC_ROOT.
		{"ems/static/ems/css/style.css", "static/ems/css/style.css"},
		{"ems/static/ems/js/ems.js", "static/ems/js/ems.js"},
		{"ems/static/ems/img/logo.svg", "static/ems/img/logo.svg"},
	} {
		t.Run(f.file, func(t *testing.T) {
			want, err := fs.ReadFile(assets.FS, f.asset)
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, filepath.Join(dir, f.file)); got != string(want) {
				t.Errorf("got %d bytes that differ from assets/%s (%d bytes)", len(got), f.asset, len(want))
			}
		})
	}
	for _, d := range []string{"media", "logs", "static"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			t.Errorf("%s/: got %v, want a folder", d, err)
		}
	}
}

// TestWorkspacePorts: the chosen ports are in the files, where a learner
// reads them, and the servers' own parsers read them back.
func TestWorkspacePorts(t *testing.T) {
	tests := []struct {
		name  string
		ports Ports
		want  Ports
	}{
		{"defaults", Ports{}, DefaultPorts},
		{"PortsFrom 8080 9000 is the default", PortsFrom(8080, 9000), DefaultPorts},
		{"PortsFrom", PortsFrom(18080, 19000), Ports{Proxy: 18080, Instances: []InstancePorts{
			{Socket: 19001, HTTP: 19000, Stats: 19002}, {Socket: 19011, HTTP: 19010, Stats: 19012}}}},
		{"proxy only", Ports{Proxy: 8181}, Ports{Proxy: 8181, Instances: DefaultPorts.Instances}},
		{"swapped sockets", Ports{Instances: []InstancePorts{{Socket: 9011}, {Socket: 9001}}}, Ports{Proxy: 8080,
			Instances: []InstancePorts{{Socket: 9011, HTTP: 9000, Stats: 9002}, {Socket: 9001, HTTP: 9010, Stats: 9012}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ws")
			if _, err := EnsureWorkspace(dir, Options{Ports: tt.ports}); err != nil {
				t.Fatal(err)
			}
			site := readFile(t, filepath.Join(dir, "conf.d", "ems.conf"))
			mustContain(t, "conf.d/ems.conf", site, "listen       127.0.0.1:"+strconv.Itoa(tt.want.Proxy)+";")
			mustContain(t, "conf.d/ems.conf", site, "(uwsgi sockets "+strconv.Itoa(tt.want.Instances[0].Socket)+
				" and "+strconv.Itoa(tt.want.Instances[1].Socket)+")")
			for i, w := range tt.want.Instances {
				mustContain(t, "conf.d/ems.conf", site, "    server 127.0.0.1:"+strconv.Itoa(w.Socket)+";\n")
				name := "uwsgi-" + strconv.Itoa(i+1) + ".ini"
				c, err := ini.LoadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				got := InstancePorts{Socket: port(t, c.Sockets), HTTP: port(t, c.HTTP), Stats: port(t, []ini.Addr{c.Stats})}
				if got != w {
					t.Errorf("%s: got %+v, want %+v", name, got, w)
				}
				mustContain(t, name, readFile(t, filepath.Join(dir, name)), "(uwsgi_pass 127.0.0.1:"+strconv.Itoa(w.Socket)+")")
			}
		})
	}
}

func port(t *testing.T, a []ini.Addr) int {
	t.Helper()
	if len(a) != 1 || a[0].Network != "tcp" || !strings.HasPrefix(a[0].Address, "127.0.0.1:") {
		t.Fatalf("got %+v, want one 127.0.0.1 address", a)
	}
	n, err := strconv.Atoi(a[0].Port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWorkspaceReused: a second start finds the learner's edits, deletions
// and ports as they left them, whatever ports it is given.
func TestWorkspaceReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ws")
	if _, err := EnsureWorkspace(dir, Options{Ports: PortsFrom(18080, 19000)}); err != nil {
		t.Fatal(err)
	}
	edited := "# my notes\n" + readFile(t, filepath.Join(dir, "conf.d", "ems.conf"))
	os.WriteFile(filepath.Join(dir, "conf.d", "ems.conf"), []byte(edited), 0o644)
	os.Remove(filepath.Join(dir, "static", "ems", "css", "style.css"))
	os.WriteFile(filepath.Join(dir, "media", "me.png"), []byte("mine"), 0o644)
	ini1 := readFile(t, filepath.Join(dir, "uwsgi-1.ini"))

	created, err := EnsureWorkspace(dir, Options{Ports: PortsFrom(28080, 29000)})
	if err != nil || created {
		t.Fatalf("second EnsureWorkspace: got created=%v err=%v, want false, nil", created, err)
	}
	if got := readFile(t, filepath.Join(dir, "conf.d", "ems.conf")); got != edited {
		t.Errorf("conf.d/ems.conf: got\n%s\nwant the learner's edit kept\n%s", got, edited)
	}
	if _, err := os.Stat(filepath.Join(dir, "static", "ems", "css", "style.css")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("deleted style.css: got %v, want it still missing (a broken setup stays broken)", err)
	}
	if got := readFile(t, filepath.Join(dir, "media", "me.png")); got != "mine" {
		t.Errorf("media/me.png: got %q, want %q", got, "mine")
	}
	if got := readFile(t, filepath.Join(dir, "uwsgi-1.ini")); got != ini1 {
		t.Errorf("uwsgi-1.ini changed on reuse:\n%s", got)
	}
}

// TestWorkspaceRefused: the lab never writes into a folder that is not its
// own, and never runs on ports it cannot use; the learner is told why.
func TestWorkspaceRefused(t *testing.T) {
	tests := []struct {
		name  string
		ports Ports
		setup func(dir string)
	}{
		{"not-a-workspace", Ports{}, func(dir string) {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "thesis.tex"), []byte("\\begin{document}"), 0o644)
		}},
		{"port-twice", Ports{Proxy: 9001}, nil},
		{"port-out-of-range", PortsFrom(8080, 65530), nil},
		{"three-instances", Ports{Instances: make([]InstancePorts, 3)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ws")
			if tt.setup != nil {
				tt.setup(dir)
			}
			before, _ := os.ReadDir(dir)
			_, err := StartWith(dir, Options{Ports: tt.ports})
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *explain.Error", err)
			}
			if after, _ := os.ReadDir(dir); len(after) != len(before) {
				t.Errorf("folder entries: got %d after the refusal, want %d (nothing written)", len(after), len(before))
			}
			text := strings.ReplaceAll(e.Block("en")+"\n"+e.Block("zh")+"\n", dir, "DIR")
			golden.Check(t, filepath.Join("testdata", "refused-"+tt.name+".golden"), text)
		})
	}
}
