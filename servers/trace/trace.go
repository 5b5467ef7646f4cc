// Package trace is the hop-event vocabulary of webflow-lab.
//
// A request crosses several hops on its way through a deployed web application:
//
//	browser ──HTTP──▶ proxy ──uwsgi──▶ app server ──WSGI──▶ app ──SQL──▶ database
//
// Each server is handed a Recorder and reports what happens at its hops as Events:
// a connection accepted, a request queued for a worker, the app called, a query run,
// a response written. The lab's screen, its logs and its lesson checks all read the
// same events, so what a learner watches is what the servers really did.
//
// Servers never wait for a reader: a Recorder must return at once. Broker is the
// bounded fan-out the lab uses; Nop is what a server uses when nobody listens.
package trace

import (
	"net"
	"time"
)

// Phase says where on its hop an event was taken.
type Phase uint8

const (
	Sent     Phase = iota // the sender handed the request (or response) to the hop
	Arrived               // the receiver has it
	Returned              // the answer went back across the hop
	Failed                // the hop failed: refused, reset, timed out, malformed
	Info                  // a decision or state change on the hop: balancer pick, queued, harakiri
)

var phaseNames = [...]string{"sent", "arrived", "returned", "failed", "info"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "phase?"
}

// Node names used for hops. Instances are told apart by Event.Instance.
const (
	Browser = "browser"
	Proxy   = "proxy"
	Uwsgi   = "uwsgi"   // the app server (a uWSGI-compatible instance)
	App     = "app"     // the WSGI application inside the app server
	DB      = "db"      // the database behind the app
	Disk    = "disk"    // static files read by the proxy or static-map
	Backend = "backend" // an HTTP backend behind proxy_pass
)

// PDUKind says what a PDU's bytes are.
type PDUKind uint8

const (
	HTTPHead    PDUKind = iota + 1 // raw HTTP request or response head
	UwsgiPacket                    // uwsgi packet: 4-byte header and vars block
	Environ                        // the WSGI environ, as "KEY=value\n" lines
	SQL                            // a statement and its arguments, passwords masked
)

// A PDU is a snapshot of what crossed a hop, kept for the inspector.
// Data is owned by the event: recorders may keep it.
type PDU struct {
	Kind PDUKind
	Data []byte
}

// An Event is one thing that happened at one hop of one request.
type Event struct {
	ReqID    string        // the request id (proxy's X-Request-Id, or one the app server made)
	From, To string        // the hop, as node names (Browser, Proxy, …)
	Instance string        // which instance of To (or From, for returns): "uwsgi-1", "127.0.0.1:9001"
	Phase    Phase         //
	At       time.Duration // monotonic time since the process's trace epoch (see Now)
	Bytes    int           // bytes that crossed, when known
	Status   int           // HTTP status, when there is one
	Why      string        // short human reason: "ip_hash 127.0.0 → peer 2 of 3", "worker 2 took it"
	PDU      *PDU          // optional snapshot; only built when Watched(recorder) is true
	State    bool          // a state change (peer down, instance stopped): never dropped by a Broker

	// WhyZH is Why in Simplified Chinese; empty when Why reads the same in
	// both languages (a path, a status line, nginx's or uWSGI's own log
	// wording). The screen picks the language, not the server.
	WhyZH string
	// Kind says which state changed, for a State event; Subject names what
	// changed ("uwsgi-1", "127.0.0.1:9001", "ems", "db.sqlite3").
	Kind    StateKind
	Subject string
	// Conn is the TCP connection the hop rode on, as "client→server"
	// addresses ("127.0.0.1:53211→127.0.0.1:9001"). The proxy reports its
	// upstream connection and the app server the connection it accepted,
	// so the lab can join an app server's request to the proxy's when the
	// config passes no request id (as real nginx passes none by default).
	Conn string
	// First marks the first event of a request at the server it entered
	// first (the proxy's arrival from the browser, or an app server's when
	// no proxy passed a request id), and Last the final one there (the
	// proxy's answer to the browser). A watcher decides at First whether to
	// follow the request, so it shows all of a request's events or none.
	First, Last bool
}

// WhyIn returns Why in lang ("zh…" for Chinese), falling back to English.
func (e *Event) WhyIn(lang string) string {
	if e.WhyZH != "" && len(lang) >= 2 && lang[:2] == "zh" {
		return e.WhyZH
	}
	return e.Why
}

// A StateKind names a change of the deployment's state.
type StateKind uint8

const (
	NoState            StateKind = iota
	PeerDown                     // the balancer marked a peer down (max_fails reached)
	PeerUp                       // a down peer is back in rotation (fail_timeout passed, or it answered)
	InstanceStarted              // an app-server instance started (or restarted)
	InstanceStopped              // an instance stopped gracefully
	InstanceKilled               // an instance was killed: its connections reset
	InstanceFailed               // an instance could not start, or died
	ConfigReloaded               // a config was read again and applied
	ConfigRefused                // a reload was refused; the old config keeps serving
	DBStopped                    // the database service stopped: queries fail
	DBStarted                    // the database service started
	PortBlocked                  // a firewall rule blocks a port
	PortOpened                   // the rule is gone
	BreakpointHit                // a request is held at a breakpoint
	BreakpointReleased           // a held request went on (released, timed out, or its client left)
	FaultSet                     // latency or errors added to an instance, or removed
	Resync                       // the watcher lost state events: read the lab's snapshot again
	TrafficStarted               // the lab started a run of its own traffic (virtual browsers, a load)
	TrafficEnded                 // a run of the lab's traffic ended: done, stopped or failed
)

var stateNames = [...]string{"", "peer down", "peer up", "instance started", "instance stopped",
	"instance killed", "instance failed", "config reloaded", "config refused", "db stopped", "db started",
	"port blocked", "port opened", "breakpoint hit", "breakpoint released", "fault set", "resync",
	"traffic started", "traffic ended"}

func (k StateKind) String() string {
	if int(k) < len(stateNames) {
		return stateNames[k]
	}
	return "state?"
}

var epoch = time.Now()

// Now returns the monotonic time used in Event.At.
func Now() time.Duration { return time.Since(epoch) }

// A Recorder receives events. Record must not block and must be safe for concurrent use.
type Recorder interface {
	Record(Event)
}

// Nop is the Recorder of a server nobody watches.
var Nop Recorder = nopRecorder{}

type nopRecorder struct{}

func (nopRecorder) Record(Event) {}

// Watched reports whether r has a live reader that wants PDU snapshots.
// Servers check it before copying bytes into a PDU, so recording costs almost
// nothing when nobody watches.
func Watched(r Recorder) bool {
	if r == nil {
		return false
	}
	if w, ok := r.(interface{ Watched() bool }); ok {
		return w.Watched()
	}
	_, nop := r.(nopRecorder)
	return !nop
}

// Admits reports whether a request beginning now would be followed by a
// reader that wants PDUs: a server asks before it copies the bytes of a
// request whose First event it has not recorded yet. Under a load the
// watchers cannot follow, it is false and the servers copy nothing.
func Admits(r Recorder) bool {
	if a, ok := r.(interface{ Admits() bool }); ok {
		return a.Admits()
	}
	return Watched(r)
}

// WantsPDU reports whether a reader follows request reqID and wants its
// PDUs: a server asks before it copies bytes for a request under way.
func WantsPDU(r Recorder, reqID string) bool {
	if w, ok := r.(interface{ WantsPDU(string) bool }); ok {
		return w.WantsPDU(reqID)
	}
	return Watched(r)
}

// OrNop returns r, or Nop when r is nil, so callers never check for nil.
func OrNop(r Recorder) Recorder {
	if r == nil {
		return Nop
	}
	return r
}

// ConnName names a connection as Event.Conn does, "client→server", from
// the side that holds it: accepted connections have the client as their
// remote end, dialed ones as their local end.
func ConnName(c interface {
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}) string {
	if c == nil {
		return ""
	}
	l, r := c.LocalAddr(), c.RemoteAddr()
	if l == nil || r == nil {
		return ""
	}
	return r.String() + "→" + l.String()
}

// DialedConnName is ConnName for a connection this side dialed.
func DialedConnName(c interface {
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}) string {
	if c == nil {
		return ""
	}
	l, r := c.LocalAddr(), c.RemoteAddr()
	if l == nil || r == nil {
		return ""
	}
	return l.String() + "→" + r.String()
}
