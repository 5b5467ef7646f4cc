// Package testenv is test support for what a test needs from the machine:
// real programs (nginx, uWSGI, wrk, tmux, a browser), loopback source
// addresses, process groups. A test that lacks one skips, naming what is
// missing and how to get it, as Go's internal/testenv does; it never passes
// without it. It is importable by every package's tests (servers, sim, cmd),
// which servers/internal/realpeer, the starter of real nginx and uWSGI, is
// not.
package testenv

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// Need returns the path of the program name (nginx, uwsgi, wrk, tmux, or a
// browser's path) or skips the test, naming what is missing, as Go's
// internal/testenv.MustHaveExecPath does: a test that needs a real peer
// never passes without one.
func Need(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not in PATH: %v%s", name, err, installHint[name])
	}
	return p
}

// installHint says how Debian gets each program (.ci/run installs them).
var installHint = map[string]string{
	"nginx": " (apt-get install nginx)",
	"uwsgi": " (apt-get install uwsgi uwsgi-plugin-python3)",
	"wrk":   " (apt-get install wrk)",
	"tmux":  " (apt-get install tmux)",
	"curl":  " (apt-get install curl)",
}

// NeedUWSGI is Need("uwsgi"), and skips too when one of uWSGI's plugins is
// not installed: python3 (Debian's uwsgi-plugin-python3), and any others
// named.
func NeedUWSGI(t testing.TB, plugins ...string) string {
	t.Helper()
	p := Need(t, "uwsgi")
	for _, name := range append([]string{"python3"}, plugins...) {
		if _, err := os.Stat("/usr/lib/uwsgi/plugins/" + name + "_plugin.so"); err != nil {
			t.Skipf("uWSGI's %s plugin is not installed: %v", name, err)
		}
	}
	return p
}

// NeedSource skips the test unless src, a loopback address a test client
// connects from (ip_hash needs several), can be bound here: Linux and
// Windows answer on all of 127.0.0.0/8, macOS only on the addresses lo0 has.
func NeedSource(t testing.TB, src string) {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(src, "0"))
	if err != nil {
		t.Skipf("cannot connect from %s: %v (on macOS: sudo ifconfig lo0 alias %s up)", src, err, src)
	}
	ln.Close()
}
