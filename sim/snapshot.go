package sim

import (
	"time"

	"webflow-lab/servers/explain"
	"webflow-lab/servers/trace"
)

// A Snapshot is the lab's deployment at one moment, as plain values: the
// caller may keep it, and nothing in it changes under its feet.
type Snapshot struct {
	Taken       time.Time
	Dir         string
	Proxy       ProxyState
	Upstreams   []Upstream
	Instances   []Instance
	DB          DB
	Sessions    string // "db" (shared: Django's database sessions) or "memory" (each instance its own); "mixed"
	Blocked     []BlockedPort
	Breakpoints []Breakpoint
	Held        []Held
	Faults      []Fault
	Actions     []Result     // what the controls did, oldest first (the last 50)
	Traffic     []TrafficRun // the lab's traffic, running and recently ended (see Lab.Traffic)
}

// ProxyState is the nginx-like proxy.
type ProxyState struct {
	State     RunState
	Addrs     []string // where it listens ("127.0.0.1:8080")
	ConfFile  string   // nginx.conf, absolute
	Pidfile   string
	Warnings  []string       // directives the lab accepts but does not implement, nginx's [warn] lines
	LastError *explain.Error // the last refused reload, nil when the last one took
}

// An Upstream is an `upstream` block of the running config.
type Upstream struct {
	Name     string
	Strategy string // "round robin", "ip_hash", "least_conn", "hash $key", "random", as nginx's directive
	Where    string // file:line of the block
	Peers    []Peer
}

// A Peer is one `server` line of an upstream block as the balancer sees it.
type Peer struct {
	Addr     string
	Instance string // the lab instance listening there ("uwsgi-1"), "" for none
	Weight   int
	Backup   bool
	State    PeerState
	Fails    int // failed attempts counted toward max_fails
	MaxFails int
	Conns    int           // requests in flight to it
	RetryIn  time.Duration // Failing: until the next try is allowed
}

// PeerState is a peer's availability as the next request would see it.
type PeerState string

const (
	PeerUp      PeerState = "up"      // can be picked
	PeerDown    PeerState = "down"    // `down` in the config
	PeerFailing PeerState = "failing" // max_fails reached within fail_timeout
	PeerBackup  PeerState = "backup"  // a backup, picked only when the others are out
)

// RunState is a server's state.
type RunState string

const (
	Running RunState = "running"
	Stopped RunState = "stopped" // stopped gracefully (uwsgi --stop)
	Killed  RunState = "killed"  // kill -9: its pidfile may be stale
	Failed  RunState = "failed"  // could not start: see LastError
)

// An Instance is one app-server (uwsgi-N.ini).
type Instance struct {
	Name      string // "uwsgi-1"
	Ini       string // absolute path
	Pidfile   string
	State     RunState
	Socket    string // uwsgi protocol address (what the proxy's server line names)
	HTTP      string // uWSGI's http router, for a browser
	Stats     string // the stats server
	Processes int
	Threads   int
	Workers   []Worker
	Requests  int64
	// ListenQueue is how many connections wait for a free worker; -1 when
	// this platform cannot tell.
	ListenQueue    int
	ListenQueueMax int
	Latency        time.Duration // added by the lab at worker→app, 0 for none
	ErrorsEvery    int           // the lab fails one request in ErrorsEvery, 0 for none
	Database       string        // EMS_DATABASE
	Sessions       string        // EMS_SESSIONS
	LastError      *explain.Error
}

// A Worker is one worker process of an instance (uwsgitop's row).
type Worker struct {
	ID       int
	Busy     int // threads busy with a request
	Threads  int
	Requests int64
	AvgTime  time.Duration
}

// DB is the database service every instance's EMS uses.
type DB struct {
	State RunState // Running or Stopped
	Files []string // the SQLite files in use, absolute
}

// A BlockMode is how a firewall blocks a port.
type BlockMode string

const (
	Refuse BlockMode = "refuse" // REJECT: connect() fails at once, "Connection refused"
	Drop   BlockMode = "drop"   // DROP: packets vanish; the client waits until its own timeout
)

// A BlockedPort is a firewall rule in force.
type BlockedPort struct {
	Port int
	Mode BlockMode
}

// A Breakpoint is an armed hop.
type Breakpoint struct {
	ID         int
	Hop        trace.Hop
	PathPrefix string
	Instance   string
	Hits       int64
}

// A Held request stands at a breakpoint; its client is waiting.
type Held struct {
	ID       int
	ReqID    string
	Hop      trace.Hop
	Method   string
	Path     string
	Instance string
	Since    time.Time
	Deadline time.Time
}

// A Fault is latency or errors the lab adds at an instance.
type Fault struct {
	Instance string
	Latency  time.Duration
	Every    int // errors: one request in Every fails
}
