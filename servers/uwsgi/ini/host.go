package ini

import (
	"context"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Host is what reading a configuration needs from the machine. Every field
// may be left zero: the real machine is used. Tests and the fuzzer fill them
// so that parsing touches no network and no environment.
type Host struct {
	LookupEnv func(string) (string, bool)  // $(NAME); nil: os.LookupEnv
	Environ   func() []string              // UWSGI_* variables become options; nil: os.Environ
	ReadFile  func(string) ([]byte, error) // ini files and @(file); nil: os.ReadFile, relative to Cwd when set
	Abs       func(string) (string, error) // realpath of an ini file, for %p and %d; nil: filepath.EvalSymlinks of the absolute path
	Cwd       string                       // %v; "": os.Getwd
	Hostname  string                       // %h; "": os.Hostname
	CPUs      int                          // %k; 0: runtime.NumCPU
	Now       func() time.Time             // %t, %T; nil: time.Now
	// LookupIPv4 resolves a host name as uWSGI's gethostbyname does, IPv4
	// only; ok false makes the address 255.255.255.255 as in uWSGI. nil: the
	// system resolver with a 2 s deadline.
	LookupIPv4 func(host string) (ip string, ok bool)
	// InterfaceIPv4 lists this machine's IPv4 addresses, for a '*' in a
	// socket address; nil: net.InterfaceAddrs.
	InterfaceIPv4 func() []string
	// Somaxconn is net.core.somaxconn; 0: read /proc/sys/net/core/somaxconn
	// (no check when it cannot be read, as uWSGI).
	Somaxconn int
}

func (h Host) lookupEnv(k string) (string, bool) {
	if h.LookupEnv != nil {
		return h.LookupEnv(k)
	}
	return os.LookupEnv(k)
}

func (h Host) environ() []string {
	if h.Environ != nil {
		return h.Environ()
	}
	return os.Environ()
}

func (h Host) readFile(p string) ([]byte, error) {
	if h.ReadFile != nil {
		return h.ReadFile(p)
	}
	if h.Cwd != "" && !filepath.IsAbs(p) {
		p = filepath.Join(h.Cwd, p) // relative to the directory uWSGI would run in
	}
	return os.ReadFile(p)
}

func (h Host) cwd() string {
	if h.Cwd != "" {
		return h.Cwd
	}
	wd, _ := os.Getwd()
	return wd
}

func (h Host) hostname() string {
	if h.Hostname != "" {
		return h.Hostname
	}
	n, _ := os.Hostname()
	return n
}

func (h Host) cpus() int {
	if h.CPUs > 0 {
		return h.CPUs
	}
	return runtime.NumCPU()
}

func (h Host) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h Host) ids() (uid, uname, gid, gname string) {
	uid, gid = strconv.Itoa(os.Getuid()), strconv.Itoa(os.Getgid())
	uname, gname = uid, gid
	if u, err := user.LookupId(uid); err == nil {
		uname = u.Username
	}
	if g, err := user.LookupGroupId(gid); err == nil {
		gname = g.Name
	}
	return
}

func (h Host) lookupIPv4(host string) (string, bool) {
	if h.LookupIPv4 != nil {
		return h.LookupIPv4(host)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", host)
	if err != nil || len(ips) == 0 {
		return "", false
	}
	return ips[0].String(), true
}

func (h Host) somaxconn() int {
	if h.Somaxconn != 0 {
		return h.Somaxconn
	}
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}
