package uwsgi

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/testenv/golden"
)

// errLine matches the lines uWSGI prints for a fatal startup error.
var errLine = regexp.MustCompile(`\[core/|^probably another|^The -s/--socket|^invalid document root|^Listen queue size|^chdir\(\) to`)

// TestStartupErrors: each mistake gives uWSGI's own lines in the log, then
// the learner's explanation in English and Chinese (golden files), and the
// server does not run.
func TestStartupErrors(t *testing.T) {
	checkGoroutines(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyAddr := busy.Addr().String()
	_, busyPort, _ := net.SplitHostPort(busyAddr)
	tests := []struct {
		name string
		cfg  Config
	}{
		{"port_in_use", Config{File: "uwsgi-1.ini", Sockets: []string{busyAddr}, WSGIFile: "hello"}},
		{"ip_not_on_host", Config{File: "uwsgi-1.ini", Sockets: []string{"192.0.2.1:9001"}, WSGIFile: "hello"}},
		{"chdir_with_inline_comment", Config{File: "uwsgi-1.ini", Sockets: []string{"127.0.0.1:0"},
			Chdir: "/nonexistent/ems_project #项目所在目录  保证项目路径正确", WSGIFile: "hello"}},
		{"daemonize_with_inline_comment", Config{File: "uwsgi-1.ini", Sockets: []string{"127.0.0.1:0"},
			Daemonize: "/nonexistent/ems/uwsgi.log    # 路径要正确"}},
		{"pidfile_with_inline_comment", Config{File: "uwsgi-1.ini", Sockets: []string{"127.0.0.1:0"},
			Pidfile: "/nonexistent/ems/uwsgi.pid #进程ID存放于此文件"}},
		{"no_socket", Config{File: "uwsgi-2.ini", WSGIFile: "hello"}},
		{"listen_above_somaxconn", Config{File: "uwsgi-1.ini", Sockets: []string{"127.0.0.1:0"}, Listen: somaxconn() + 1}},
		{"static_map_without_equals", Config{File: "uwsgi-1.ini", Sockets: []string{"127.0.0.1:0"}, StaticMaps: []string{"/static"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.Listen > 0 && somaxconn() == 0 {
				t.Skip("no net.core.somaxconn here: uWSGI checks listen against it on Linux only")
			}
			log := newSyncBuf()
			s := New(tt.cfg, Options{Logger: log})
			err := s.Start()
			var e *explain.Error
			if !errors.As(err, &e) {
				t.Fatalf("Start: got %v, want an *explain.Error", err)
			}
			var b strings.Builder
			for _, ln := range strings.Split(log.String(), "\n") {
				if errLine.MatchString(ln) {
					fmt.Fprintf(&b, "log: %s\n", ln)
				}
			}
			fmt.Fprintf(&b, "\n%s\n\n%s\n", e.Block("en"), e.Block("zh"))
			// The goldens hold Linux's shell commands; another system's
			// own (explain.PortOwnerCmd…) are mapped back first.
			bp, _ := strconv.Atoi(busyPort)
			got := strings.NewReplacer(explain.PortOwnerCmd(bp), "ss -ltnp | grep "+busyPort, explain.AddressesCmd(), "ip addr").Replace(b.String())
			got = strings.ReplaceAll(got, busyPort, "PORT")
			got = strings.ReplaceAll(got, fmt.Sprint(somaxconn()+1), "SOMAXCONN+1")
			got = strings.ReplaceAll(got, fmt.Sprint(somaxconn()), "SOMAXCONN")
			golden.Check(t, filepath.Join("testdata", "errors", tt.name+".golden"), got)
			if err := s.Start(); err == nil {
				t.Errorf("Start after a failed Start: got nil, want an error")
			}
		})
	}
}
