package ini

import (
	"fmt"

	"webflow-lab/servers/explain"
)

// An Option is one entry of uWSGI's option list: a key and its value as uWSGI
// stores them, in the order they were read. Ini lines and command-line flags
// share this one list (uWSGI's exported_opts); Config is computed from it.
type Option struct {
	Key   string // the name as written ("workers", not "processes"); a short flag is stored under its long name ("-p" → "processes")
	Value string // after magic %X and placeholder passes; never unquoted, never stripped of "comments"
	File  string // the ini file it came from; "" for the command line
	Line  int    // 1-based line in File; for a flag, its 1-based position in argv
	Flag  bool   // came from the command line
	// NoValue marks a flag given without a value ("--master", "-M"): uWSGI
	// stores NULL, which setters read as true/1/"" but which %(name) does
	// not resolve to.
	NoValue bool
}

// Where is "file:line" (or "command line, argument N"), for messages.
func (o Option) Where() string {
	if o.Flag {
		return fmt.Sprintf("command line, argument %d", o.Line)
	}
	if o.Line == 0 {
		return o.File // "environment variable UWSGI_…"
	}
	return fmt.Sprintf("%s:%d", o.File, o.Line)
}

// An Addr is one socket address read with uWSGI's rules (core/socket.c): a
// ':' makes it TCP, split at the last ':'; no ':' makes it a UNIX socket path.
type Addr struct {
	Raw     string // the value as written, comment and all: uWSGI logs this ("uWSGI http bound on …")
	Network string // "tcp" or "unix"
	Address string // ready for net.Listen: "127.0.0.1:9000", "0.0.0.0:9000", "[::1]:9000", "/tmp/app.sock", "@abstract"
	Port    string // the text after the last ':', as written: the http router and http-socket send it as SERVER_PORT ("9000 # web"); "" for unix
	Opt     Option // where it was configured
}

// A StaticMap is one static-map line: requests whose PATH_INFO starts with
// Mount are looked up under Dir (relative to chdir) before the app runs.
type StaticMap struct {
	Mount, Dir string
	Opt        Option
}

// Config is an instance's configuration as uWSGI would hold it after reading
// every source: scalars last-wins, lists all kept in order, each value
// converted with uWSGI's own rules (atoi, "anything but false/off/no/0 is
// true", addresses split at the last ':'). A value that looks different from
// what uWSGI makes of it is kept as uWSGI makes it, and explained in Notes.
type Config struct {
	Sockets     []Addr // socket, uwsgi-socket, -s: workers speak the uwsgi protocol
	HTTP        []Addr // http: the HTTP router process in front of the workers
	HTTPSockets []Addr // http-socket: workers speak HTTP themselves

	Processes int  // processes, workers, -p; default 1
	Threads   int  // threads per worker; default 1
	Master    bool // master, -M; also turned on by stats, stats-http, touch-reload…

	Stats         Addr // stats, stats-server; zero = no stats server
	StatsHTTP     bool // stats-http
	StatsMinified bool // stats-minified

	StaticMaps    []StaticMap // static-map, in order
	StaticIndex   []string    // static-index
	StaticSkipExt []string    // static-skip-ext
	CheckStatic   []string    // check-static

	Chdir      string   // chdir: before binding sockets and loading the app
	WSGIFile   string   // wsgi-file, file
	Module     string   // module, wsgi, -w ("pkg.mod" or "pkg.mod:callable")
	Callable   string   // callable; default "application"
	PythonPath []string // pythonpath, python-path, pp
	Virtualenv string   // virtualenv, venv, home, pyhome, -H

	Pidfile   string // pidfile (written before privileges drop)
	Pidfile2  string // pidfile2
	Daemonize string // daemonize, -d: detach and log to this file
	Logto     string // logto
	Vacuum    bool   // vacuum: remove UNIX sockets and pidfiles on exit

	Listen        int // listen, -l: accept backlog; default 100
	Harakiri      int // harakiri, -t: seconds, 0 = off
	BufferSize    int // buffer-size, -b: max vars block; default 4096 (uWSGI 2.0 caps it at 65535)
	SocketTimeout int // socket-timeout, -z: seconds; default 4
	HTTPTimeout   int // http-timeout: the router's timeout in seconds; default 60
	MaxRequests   int // max-requests, -R: recycle a worker after this many requests; 0 = never

	DieOnTerm      bool // die-on-term: SIGTERM shuts down instead of uWSGI 2.0's brutal reload
	NeedApp        bool // need-app: exit when the app cannot be loaded
	EnableThreads  bool // enable-threads, -T (also on when threads is set)
	LazyApps       bool // lazy-apps
	DisableLogging bool // disable-logging, -L: no request log lines
	MemoryReport   bool // memory-report, -m: fill rss/vsz in stats

	Env     []string // env = KEY=value, in order (the EMS reads its settings from these)
	Plugins []string // plugins, plugin: one entry per comma-separated name

	Files     []string         // the ini files read, in order, as named: uWSGI logs "[uWSGI] getting INI configuration from <file>" for each
	Options   []Option         // the whole list in order, after placeholders: what uWSGI's --show-config prints
	Notes     []*explain.Error // warnings: every line uWSGI reads differently from how it looks, and what the lab ignores
	Action    string           // "stop" or "reload" when --stop/--reload was given: act on ActionArg and exit
	ActionArg string           // the pidfile of --stop/--reload

	effects []effect // what uWSGI does with each entry of Options, for Explain
}

// effect is what one option line does, in both languages.
type effect struct {
	text       explain.Text
	note       *explain.Error // the note about this line, if any
	overridden int            // index of the later option that replaces this one; 0 = none
}
