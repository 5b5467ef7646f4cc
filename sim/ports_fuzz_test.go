package sim

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/uwsgi/ini"
)

// FuzzWorkspacePorts: whatever ports are asked for, either the workspace is
// refused with an explanation and nothing is written, or every config file
// names exactly those ports, read back by uWSGI's ini parser and by the
// listen/server lines, and no default port is left behind where it was
// replaced.
func FuzzWorkspacePorts(f *testing.F) {
	f.Add(8080, 9001, 9000, 9002, 9011, 9010, 9012)
	f.Add(0, 0, 0, 0, 0, 0, 0)
	f.Add(18080, 19001, 19000, 19002, 19011, 19010, 19012)
	f.Add(9011, 9001, 9000, 9002, 8080, 9010, 9012) // defaults shuffled: the edits must not chain
	f.Add(9001, 0, 0, 0, 0, 0, 0)                   // clashes with a default
	f.Add(70000, 1, 2, 3, 4, 5, 6)
	f.Add(-1, 1, 2, 3, 4, 5, 6)
	f.Fuzz(func(t *testing.T, proxy, s1, h1, st1, s2, h2, st2 int) {
		ports := Ports{Proxy: proxy, Instances: []InstancePorts{{s1, h1, st1}, {s2, h2, st2}}}
		dir := filepath.Join(t.TempDir(), "ws")
		_, err := EnsureWorkspace(dir, Options{Ports: ports})
		if err != nil {
			var e *explain.Error
			if !errors.As(err, &e) || e.Why.EN == "" || e.Try.ZH == "" {
				t.Fatalf("refusal %v is not a full explanation", err)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("refused, yet %s was made: %v", dir, err)
			}
			return
		}
		want := ports.withDefaults()
		site := readFile(t, filepath.Join(dir, "conf.d", "ems.conf"))
		if got := regexp.MustCompile(`(?m)^\s*listen\s+127\.0\.0\.1:(\d+);`).FindAllStringSubmatch(site, -1); len(got) != 1 || got[0][1] != strconv.Itoa(want.Proxy) {
			t.Fatalf("listen lines %q, want one on %d", got, want.Proxy)
		}
		servers := regexp.MustCompile(`(?m)^\s*server\s+127\.0\.0\.1:(\d+);`).FindAllStringSubmatch(site, -1)
		if len(servers) != 2 {
			t.Fatalf("server lines %q, want 2", servers)
		}
		for i, w := range want.Instances {
			if servers[i][1] != strconv.Itoa(w.Socket) {
				t.Errorf("upstream server %d: got %s, want %d", i+1, servers[i][1], w.Socket)
			}
			c, err := ini.LoadFile(filepath.Join(dir, "uwsgi-"+strconv.Itoa(i+1)+".ini"))
			if err != nil {
				t.Fatal(err)
			}
			got := InstancePorts{Socket: port(t, c.Sockets), HTTP: port(t, c.HTTP), Stats: port(t, []ini.Addr{c.Stats})}
			if got != w {
				t.Errorf("uwsgi-%d.ini: got %+v, want %+v", i+1, got, w)
			}
		}
	})
}
