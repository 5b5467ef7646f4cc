// Package snap is the lab as the TUI sees it at one moment: the proxy, its
// upstreams and their peers, the app-server instances and their workers, the
// database, the breakpoints and the requests they hold. It is sim.Snapshot
// reduced to plain values the panels draw (tui/simlab.go converts), so that
// panels and their golden tests depend on nothing but data. A Snapshot is a
// copy: panels may keep it.
package snap

import (
	"time"

	"webflow-lab/servers/explain"
)

// Snapshot is the lab's state.
type Snapshot struct {
	Dir         string
	URL         string // the proxy's first address as a URL, "" when it does not run
	Proxy       Proxy
	Upstreams   []Upstream
	Instances   []Instance
	DB          DB
	Breakpoints []Breakpoint
	Held        []Held
	Notes       []explain.Text
	Actions     []Result     // what the lab's controls did, from anywhere (this screen, a lesson, another terminal), oldest first
	Traffic     []TrafficRun // the lab's own traffic, running and recently ended, in start order
	// Recording is set when the lab on screen is a recording played back
	// (webflow-lab replay): no server runs, and the controls that would
	// change one are refused.
	Recording *Recording
}

// Proxy is the nginx-like proxy.
type Proxy struct {
	Addrs     []string
	ConfFile  string
	Running   bool
	LastError *explain.Error // the last refused reload
}

// Upstream is one upstream block.
type Upstream struct {
	Name     string
	Strategy string // "round robin", "ip_hash", "least_conn", "weight", "hash", "random"
	Where    string // file:line
	Peers    []Peer
	LastPick explain.Text
}

// Peer is one server line of an upstream.
type Peer struct {
	Addr     string
	Instance string // "uwsgi-1", or "" when no lab instance listens there
	Weight   int
	Backup   bool
	Down     bool   // "down" in the config
	State    string // "up", "failing", "down"
	Requests int64
	Fails    int64
}

// Instance states.
const (
	Running = "running"
	Stopped = "stopped"
	Killed  = "killed"
	Failed  = "failed"
)

// Instance is one app server.
type Instance struct {
	Name        string // "uwsgi-1"
	Ini         string
	Pidfile     string
	State       string // Running, Stopped, Killed, Failed
	Socket      string // uwsgi socket address
	HTTP        string
	Stats       string
	Processes   int
	Threads     int
	Workers     []Worker
	Requests    int64
	ListenQueue int // -1: unknown on this platform
	Latency     time.Duration
	LastError   *explain.Error
}

// Worker is one worker slot.
type Worker struct {
	ID       int
	Busy     bool
	Requests int64
	AvgTime  time.Duration
}

// DB is the database.
type DB struct {
	Path     string
	Up       bool
	Separate bool
}

// Breakpoint is an armed hop point.
type Breakpoint struct {
	ID         int
	Hop        string // the lab's hop names: "proxy", "upstream", "queue", "app", "db", …
	PathPrefix string
	Instance   string
	Hits       int64
}

// Held is a request waiting at a breakpoint.
type Held struct {
	ID       int
	ReqID    string
	Hop      string
	Method   string
	Path     string
	Instance string
	Since    time.Time
	Deadline time.Time
}

// Result is what a control did, and its equivalent on real servers.
type Result struct {
	At         time.Time
	Did        explain.Text
	Equivalent string // "uwsgi --stop uwsgi-1.pid"
	Diff       string // a config edit, as a unified diff
	Output     string // what the real server printed
}

// Traffic run states.
const (
	TrafficRunning = "running"
	TrafficDone    = "done"
	TrafficStopped = "stopped"
	TrafficFailed  = "failed"
)

// TrafficRun is one line of traffic the lab sends (or sent): virtual
// browsers walking a journey ("browse"), plain requests from users
// ("fetch"), or the load generator ("load").
type TrafficRun struct {
	ID    int
	Spec  string // "3 browsers, journey login-list, every 2s"
	Kind  string // "browse", "fetch", "load"
	Users [2]int // first and last virtual user ("user 3"); 0, 0 for a load
	From  string // the addresses its connections come from
	State string // TrafficRunning, TrafficDone, TrafficStopped, TrafficFailed

	Started, Ended time.Time // Ended is zero while it runs

	Sent, Cached, Errors int64 // requests sent, answered from a browser's cache, with no answer
	Walks, Failed        int64 // journeys walked to the end, and those (or requests) that failed
	Status               map[int]int64

	P50, P90, P99, Max time.Duration // latency of the answered requests so far
	RPS                float64       // answers a second since it started

	// Instances counts where the proxy sent the run's requests: "uwsgi-1",
	// or "proxy" for what it answered itself; Seen is their total.
	Instances map[string]int64
	Seen      int64

	Error explain.Text // the first error, if any
	Note  explain.Text // something to know (all users share one address)
}

// Running reports whether the run still sends.
func (t TrafficRun) Running() bool { return t.State == TrafficRunning }

// Recording is a recorded run being played back.
type Recording struct {
	File     string // the file's name as given
	Created  time.Time
	Traffic  string // the traffic it was recorded with, if any
	Position time.Duration
	Length   time.Duration
	Speed    float64 // 1 is as recorded
	Paused   bool
	Ended    bool
}

// Command is one control of the ':' vocabulary, for completion and help.
type Command struct {
	Name    string // "stop"
	Args    string // "INSTANCE"
	Summary explain.Text
	Values  []string // words its first argument takes
}

// Instance returns the instance named name, and whether there is one.
func (s Snapshot) Instance(name string) (Instance, bool) {
	for _, in := range s.Instances {
		if in.Name == name {
			return in, true
		}
	}
	return Instance{}, false
}

// InstanceByAddr names the instance listening at addr (its socket or http
// address), or returns addr when none does.
func (s Snapshot) InstanceByAddr(addr string) string {
	for _, in := range s.Instances {
		if in.Socket == addr || in.HTTP == addr {
			return in.Name
		}
	}
	return addr
}
