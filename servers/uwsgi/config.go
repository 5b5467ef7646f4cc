package uwsgi

import (
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/wsgi"
)

// Config is what the server needs from an instance's options, one field per
// uWSGI option (the ini package fills it from a file or command line). Values
// are kept as uWSGI keeps them: an address is the option's raw text, inline
// "comments" included, because uWSGI has no inline comments.
type Config struct {
	File  string   // the ini file, for messages; "" for the command line
	Files []string // every ini file read, as named: a reload announces each ("[uWSGI] getting INI configuration from app.ini")

	Sockets     []string // socket = addr (uwsgi protocol)
	HTTP        []string // http = addr (the HTTP router)
	HTTPSockets []string // http-socket = addr (workers speak HTTP)

	Processes int  // processes; ≤ 0 means 1
	Threads   int  // threads; ≤ 0 means 1
	Master    bool // master (implied by stats; harakiri needs it in uWSGI, here it always runs)

	Stats     string // stats = addr
	StatsHTTP bool   // stats-http

	StaticMaps []string // static-map = /mount=docroot, in order

	Chdir    string
	WSGIFile string
	Module   string
	Callable string // default "application"
	Env      []string

	Pidfile    string
	Daemonize  string
	Vacuum     bool
	Virtualenv string

	Listen        int           // accept backlog; ≤ 0 means 100
	Harakiri      int           // seconds; 0 = off
	BufferSize    int           // max vars block; ≤ 0 means 4096
	SocketTimeout time.Duration // per-read/write timeout; ≤ 0 means 4 s (uWSGI's socket-timeout)

	DisableLogging bool // disable-logging: no request log lines
	NeedApp        bool // need-app: no app is fatal ("GAME OVER") instead of full dynamic mode
	DieOnTerm      bool // die-on-term: SIGTERM stops instead of uWSGI 2.0's brutal reload (for the CLI)

	// Notes are the config warnings from the parser (an inline comment read
	// as part of a value, say). They are the lab's, not uWSGI's: the log
	// gets them at every start and reload, before the startup banner.
	Notes []*explain.Error
	// Where maps an option ("chdir") or an option and value ("socket=:9001")
	// to the file:line it came from, for error messages.
	Where map[string]string
}

// Same reports whether c and o configure the same instance, notes
// included; Where (which line said what) may differ. A reload that reads
// the ini files again can restart the workers in place (Server.Reload)
// when they read the same; otherwise a new Server has to run the new
// options.
func (c Config) Same(o Config) bool {
	c.Where, o.Where = nil, nil
	return reflect.DeepEqual(c, o)
}

// AppRef says where the app comes from: what wsgi-file or module names,
// resolved against chdir, and the env lines for it.
type AppRef struct {
	WSGIFile string // as configured
	Module   string
	Callable string
	Path     string // WSGIFile resolved against Dir ("" for a module)
	Dir      string // the chdir directory (absolute), or the current directory
	Env      []string
}

// Name is how uWSGI's log names the app source ("hello.py", "pkg.mod").
func (a AppRef) Name() string {
	if a.WSGIFile != "" {
		return a.WSGIFile
	}
	return a.Module
}

// Options are the server's hooks; every one may be left zero.
type Options struct {
	// Recorder receives hop events; nil means trace.Nop.
	Recorder trace.Recorder
	// Logger is the uWSGI log stream (banner, request lines, errors); nil
	// means io.Discard. With Config.Daemonize the log goes to that file
	// once the options are read, as in uWSGI (but see Detached).
	Logger io.Writer
	// Detached says this process is the daemon that a `daemonize` start
	// detached (webflow-lab uwsgi starts its own binary again for that):
	// Logger already is the daemonize file, and the process that detached
	// has already printed the lines uWSGI prints while reading its options
	// (the static-map mappings) on the terminal. Start neither opens the
	// file again nor repeats those lines; the notes still go to the log, so
	// that the file explains its own errors.
	Detached bool
	// Lang is the language of the notes in the log: "zh…" for Chinese,
	// anything else for English.
	Lang string
	// Loader finds the app for wsgi-file/module; nil means BuiltinLoader.
	Loader func(AppRef) (wsgi.App, error)
	// Name is the instance's name in trace events and wsgi.ServerInfo;
	// "" means the first socket's address.
	Name string
	// Listener wraps each listening socket the workers accept on (tests
	// use it; the lab leaves it nil, its faults being Points); connections
	// then come through it as net.Conns, and the direct path is off. nil
	// leaves the sockets as they are, and a lone worker socket on Linux is
	// then accepted on by the cores themselves (the direct path,
	// direct_linux.go).
	Listener func(net.Listener) net.Listener
	// Points are the lab's switches at this instance's hops (queue→worker,
	// worker→app, app→worker, uwsgi→proxy, and the app's queries); nil is
	// never armed. The points run on the normal path: nothing switches
	// off the direct accept or changes which events appear.
	Points *trace.Points
}

// addr is a socket address parsed with uWSGI's rules (core/socket.c).
type addr struct {
	raw     string // the option's text, used in log lines
	network string // "tcp" or "unix"
	ip      net.IP // nil = all interfaces
	port    int
	path    string // unix socket path, resolved against chdir
	portTxt string // what follows the last ':' (SERVER_PORT for the http router)
}

// parseAddr reads an address the way uWSGI does: a ':' makes it TCP, split at
// the last ':'; an empty host means all interfaces; a host that is not an
// IPv4 address and does not resolve becomes 255.255.255.255 (uWSGI's
// inet_addr failure value); the port is atoi(text) taken mod 65536. Without a
// ':' it is a UNIX socket path, comment and all.
func parseAddr(raw, dir string) addr {
	i := strings.LastIndexByte(raw, ':')
	if i < 0 {
		p := raw
		if dir != "" && !strings.HasPrefix(p, "/") && p != "" {
			p = dir + "/" + p
		}
		return addr{raw: raw, network: "unix", path: p}
	}
	host, portTxt := raw[:i], raw[i+1:]
	a := addr{raw: raw, network: "tcp", port: atoi(portTxt) & 0xffff, portTxt: portTxt}
	switch {
	case host == "" || host == "0.0.0.0":
	case strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]"):
		a.ip = net.ParseIP(host[1 : len(host)-1])
		if a.ip == nil {
			a.ip = net.IPv4bcast
		}
	default:
		if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
			a.ip = ip.To4()
		} else if ips, err := lookupIP(host); err == nil && len(ips) > 0 && ips[0].To4() != nil {
			a.ip = ips[0].To4()
		} else {
			a.ip = net.IPv4bcast
		}
	}
	return a
}

// lookupIP resolves a host name as uWSGI's gethostbyname does; tests replace it.
var lookupIP = net.LookupIP

// atoi is C's atoi: optional spaces and sign, then leading digits; anything
// else gives 0. uWSGI 2.0 reads every number this way, so "2 # two" is 2.
func atoi(s string) int {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<31 {
			break
		}
	}
	if neg {
		return -n
	}
	return n
}

// staticMap is one static-map: a mountpoint and its document root.
type staticMap struct {
	mount   string
	text    string // the docroot as configured, for the log
	docroot string // resolved against chdir
	real    string // realpath(docroot), "" if it does not exist (yet)
}

func itoa(n int) string { return strconv.Itoa(n) }
