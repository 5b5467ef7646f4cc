// Package realpeer starts the real nginx and uWSGI installed on the machine
// for interop tests: configs under t.TempDir(), loopback ports, processes
// stopped in t.Cleanup. When a binary is missing the test is skipped with
// the reason, never passed silently.
package realpeer

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"webflow-lab/servers/testenv"
)

// WaitDial polls address until it accepts a connection or d passes; polling
// is how one waits for an external process to be ready.
func WaitDial(t testing.TB, network, address string, d time.Duration, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout(network, address, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never accepted: %v\n%s", address, err, logs())
		}
		<-time.After(20 * time.Millisecond)
	}
}

// Proc is a running external process with its combined output.
type Proc struct {
	Cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	Dir  string
	done chan struct{} // closed when the process has exited
}

// Quit sends sig (SIGQUIT: nginx's graceful stop, which writes the last
// access-log lines first) and waits up to d for the process to exit.
func (p *Proc) Quit(sig syscall.Signal, d time.Duration) error {
	p.Cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return nil
	case <-time.After(d):
		return fmt.Errorf("realpeer: %s still running %v after %v", p.Cmd.Path, sig, d)
	}
}

func (p *Proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Output returns what the process printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func start(t testing.TB, dir, name string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Dir: dir, done: make(chan struct{})}
	p.Cmd = exec.Command(name, args...)
	p.Cmd.Dir = dir
	p.Cmd.Stdout, p.Cmd.Stderr = p, p
	testenv.Group(p.Cmd)
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := p.done
	go func() {
		p.Cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		// SIGINT: both nginx (fast shutdown) and uWSGI (shutdown) stop on it.
		p.Cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			testenv.KillGroup(p.Cmd)
			<-done
		}
	})
	return p
}

// Nginx runs real nginx with an http block made of servers (each a full
// `server { … }` text), the stock uwsgi_params next to nginx.conf, and
// waits until every port in ports accepts.
func Nginx(t testing.TB, uwsgiParams []byte, servers string, ports ...int) *Proc {
	t.Helper()
	testenv.Need(t, "nginx")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "uwsgi_params"), uwsgiParams, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"logs", "tmp"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	// user root: the temp dirs under t.TempDir() are private to the test's
	// user, and nginx's workers write request bodies there (ignored, with a
	// warning, when the tests do not run as root).
	conf := fmt.Sprintf(`user root;
error_log %[1]s/logs/error.log info;
events { worker_connections 1024; }
http {
	access_log %[1]s/logs/access.log;
	client_body_temp_path %[1]s/tmp/body;
	proxy_temp_path %[1]s/tmp/proxy;
	fastcgi_temp_path %[1]s/tmp/fastcgi;
	uwsgi_temp_path %[1]s/tmp/uwsgi;
	scgi_temp_path %[1]s/tmp/scgi;
%[2]s
}
`, dir, servers)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, port := range ports {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", port))
	}
	return NginxIn(t, dir, addrs...)
}

// NginxIn runs real nginx on the config already written at dir/nginx.conf,
// with dir as its prefix, one worker and the pid file in dir, and waits
// until every address in addrs accepts.
func NginxIn(t testing.TB, dir string, addrs ...string) *Proc {
	t.Helper()
	return NginxFile(t, dir, filepath.Join(dir, "nginx.conf"), "", addrs...)
}

// NginxFile runs real nginx on the config file conf with dir as its prefix,
// one worker and the pid file in dir, adding globals (main-context
// directives such as "user root;") on the command line with -g, so the file
// itself stays exactly what the test wrote. It waits until every address in
// addrs accepts.
func NginxFile(t testing.TB, dir, conf, globals string, addrs ...string) *Proc {
	t.Helper()
	bin := testenv.Need(t, "nginx")
	os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
	p := start(t, dir, bin, "-p", dir, "-c", conf,
		"-g", "daemon off; master_process on; worker_processes 1; pid "+filepath.Join(dir, "nginx.pid")+"; "+globals)
	for _, a := range addrs {
		WaitDial(t, "tcp", a, 10*time.Second, func() string { return p.Output() + ErrorLog(p) })
	}
	return p
}

// ErrorLog returns nginx's error.log.
func ErrorLog(p *Proc) string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "logs/error.log"))
	return string(b)
}

// UWSGI runs real uWSGI (Debian's, with its python3 plugin) in dir with
// args and waits until address accepts.
func UWSGI(t testing.TB, dir, address string, args ...string) *Proc {
	t.Helper()
	bin := testenv.NeedUWSGI(t)
	p := start(t, dir, bin, args...)
	network := "tcp"
	if !strings.Contains(address, ":") {
		network = "unix"
	}
	WaitDial(t, network, address, 10*time.Second, p.Output)
	return p
}
