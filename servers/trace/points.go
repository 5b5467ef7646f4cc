package trace

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A Hop is one boundary on a request's way where a server reports what
// crosses it and asks the lab whether to go on. The lab arms a hop to hold
// a request there (a breakpoint: the client really waits), to delay it
// (latency) or to fail it the way the real fault fails.
type Hop uint8

// The hops, in the order a dynamic request crosses them, then its way back.
const (
	NoHop          Hop = iota
	Connect            // a client connects to a port: the firewall's hop (Stop.Port)
	BrowserToProxy     // the proxy has read the request head
	ProxyToUwsgi       // the proxy has picked a peer and is about to connect to it
	QueueToWorker      // an app-server worker took the request off the listen queue and read it
	WorkerToApp        // the worker is about to call the app
	AppToDB            // the app is about to run a statement
	DBToApp            // the statement's answer goes back to the app
	AppToWorker        // the app returned its response to the worker
	UwsgiToProxy       // the app server is about to send the response back
	ProxyToBrowser     // the proxy is about to answer the browser
)

var hopNames = [...]string{"", "connect", "browser→proxy", "proxy→uwsgi", "queue→worker", "worker→app",
	"app→db", "db→app", "app→worker", "uwsgi→proxy", "proxy→browser"}

// hopWords are the names a learner types: "break app" is worker→app.
var hopWords = map[string]Hop{
	"connect": Connect, "firewall": Connect,
	"proxy": BrowserToProxy, "nginx": BrowserToProxy, "browser-proxy": BrowserToProxy,
	"upstream": ProxyToUwsgi, "uwsgi": ProxyToUwsgi, "proxy-uwsgi": ProxyToUwsgi,
	"queue": QueueToWorker, "worker": QueueToWorker, "queue-worker": QueueToWorker,
	"app": WorkerToApp, "wsgi": WorkerToApp, "worker-app": WorkerToApp,
	"db": AppToDB, "sql": AppToDB, "app-db": AppToDB,
	"db-return": DBToApp, "db-app": DBToApp,
	"app-return": AppToWorker, "app-worker": AppToWorker,
	"uwsgi-return": UwsgiToProxy, "uwsgi-proxy": UwsgiToProxy,
	"response": ProxyToBrowser, "proxy-browser": ProxyToBrowser,
}

func (h Hop) String() string {
	if int(h) < len(hopNames) {
		return hopNames[h]
	}
	return "hop?"
}

// ParseHop reads a hop by its arrow name ("worker→app", "worker->app") or a
// learner's word for it ("app", "db", "upstream").
func ParseHop(s string) (Hop, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "->", "→")
	for i, n := range hopNames {
		if i > 0 && n == s {
			return Hop(i), true
		}
	}
	h, ok := hopWords[strings.ReplaceAll(s, "→", "-")]
	return h, ok
}

// Hops lists every hop, in order.
func Hops() []Hop {
	out := make([]Hop, 0, len(hopNames)-1)
	for h := Connect; int(h) < len(hopNames); h++ {
		out = append(out, h)
	}
	return out
}

// A Stop is a request standing at a hop: what the server knows of it there.
type Stop struct {
	Hop      Hop
	ReqID    string
	Instance string // the app-server instance at this hop ("uwsgi-1"), or the peer the proxy will dial
	Method   string
	Path     string // the request's path, without its query
	Port     int    // Connect: the port being connected to
}

// An Action is what an armed point does to a matching request.
type Action uint8

const (
	Hold  Action = iota + 1 // hold until released, the request's context ends, or the timeout
	Delay                   // wait Rule.Delay, then go on
	Fail                    // fail as Rule.Fault fails
)

var actionNames = [...]string{"", "hold", "delay", "fail"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "action?"
}

// A FaultKind is how a failed hop fails: the errors real faults give.
type FaultKind uint8

const (
	Refused  FaultKind = iota + 1 // connect: ECONNREFUSED (nothing listens; a firewall's REJECT)
	Reset                         // the connection is reset: ECONNRESET
	TimedOut                      // packets silently dropped: the client waits until its own timeout (ETIMEDOUT)
	DBError                       // the statement fails as a failing database does
)

var faultNames = [...]string{"", "refused", "reset", "timed out", "db error"}

func (k FaultKind) String() string {
	if int(k) < len(faultNames) {
		return faultNames[k]
	}
	return "fault?"
}

// A Fault is the error Ask returns for a failed hop. It unwraps to the
// system error the real fault gives (ECONNREFUSED, ECONNRESET, ETIMEDOUT),
// so a server that meets it runs its usual error path: the proxy's
// next_upstream, nginx's error.log line and its 502 or 504.
type Fault struct {
	Kind FaultKind
	Hop  Hop
}

func (f *Fault) Error() string {
	if f.Kind == DBError {
		return "disk I/O error"
	}
	return f.Unwrap().Error()
}

// Unwrap returns the errno the fault stands for (nil for DBError).
func (f *Fault) Unwrap() error {
	switch f.Kind {
	case Refused:
		return syscall.ECONNREFUSED
	case Reset:
		return syscall.ECONNRESET
	case TimedOut:
		return syscall.ETIMEDOUT
	}
	return nil
}

// A Rule arms hop points. Zero fields match everything.
type Rule struct {
	Hop        Hop
	PathPrefix string // only requests whose path starts with it
	Instance   string // only at this instance (or peer address)
	Port       int    // Connect only: the port
	Action     Action
	Delay      time.Duration // Delay: how long
	Fault      FaultKind     // Fail: how
	Every      int           // Delay and Fail: one matching request in Every (0 or 1: all of them)
	Timeout    time.Duration // Hold: the longest a request is held (0: DefaultHoldTimeout)
}

// DefaultHoldTimeout is how long a breakpoint holds a request when its rule
// says nothing: nginx's proxy_read_timeout, after which a real proxy would
// have given up on the request anyway.
const DefaultHoldTimeout = 60 * time.Second

// An Armed is a rule in force.
type Armed struct {
	ID int
	Rule
	Hits int64 // requests it matched
}

// A Held is a request standing at a breakpoint.
type Held struct {
	ID       int
	Rule     int // the Armed rule that holds it
	Stop     Stop
	Since    time.Time
	Deadline time.Time
}

// Points are the lab's switches on every hop. Servers call Ask at each
// hop; while nothing is armed that costs one atomic load. A nil *Points is
// never armed. Points are safe for concurrent use.
type Points struct {
	armed atomic.Int32 // len(rules), read without the lock
	rec   Recorder

	mu     sync.Mutex
	rules  []*armed // in arming order: the first match wins
	held   map[int]*held
	nextID int
	closed bool
	quit   chan struct{} // closed by Close: every wait ends
}

type armed struct {
	Armed
	n int64 // matching requests seen, for Every
}

type held struct {
	Held
	release chan struct{}
}

// NewPoints returns points with nothing armed. Holds and releases are
// reported to rec as state events.
func NewPoints(rec Recorder) *Points {
	return &Points{rec: OrNop(rec), held: map[int]*held{}, quit: make(chan struct{})}
}

// wait waits d, or until ctx ends or the points close, and reports whether
// the whole d went by.
func (p *Points) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-p.quit:
	}
	return false
}

// Ask is what a server calls at hop s.Hop. It returns nil to go on (at once
// when nothing is armed, or after a hold or a delay) and a *Fault when the
// hop must fail. A hold ends on Release, on ctx's end (then Ask returns
// ctx's error: the client has gone) or at the rule's timeout, never on
// Release alone.
func (p *Points) Ask(ctx context.Context, s Stop) error {
	if p == nil || p.armed.Load() == 0 {
		return nil
	}
	return p.ask(ctx, s)
}

func (p *Points) ask(ctx context.Context, s Stop) error {
	p.mu.Lock()
	var r *armed
	for _, x := range p.rules {
		if x.matches(s) {
			x.n++
			if x.Every > 1 && (x.n-1)%int64(x.Every) != 0 {
				continue
			}
			x.Hits++
			r = x
			break
		}
	}
	if r == nil || p.closed {
		p.mu.Unlock()
		return nil
	}
	switch r.Action {
	case Fail:
		p.mu.Unlock()
		f := &Fault{Kind: r.Fault, Hop: s.Hop}
		if f.Kind == TimedOut {
			// A dropped packet is not an error the client sees: it waits
			// until its own timeout gives up (the kernel's connect gives
			// up after about two minutes when the client sets none).
			p.wait(ctx, 2*time.Minute)
		}
		return f
	case Delay:
		p.mu.Unlock()
		if p.wait(ctx, r.Delay) {
			return nil
		}
		return ctx.Err()
	}
	p.nextID++
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultHoldTimeout
	}
	now := time.Now()
	h := &held{Held: Held{ID: p.nextID, Rule: r.ID, Stop: s, Since: now, Deadline: now.Add(timeout)},
		release: make(chan struct{})}
	p.held[h.ID] = h
	p.mu.Unlock()
	p.rec.Record(Event{ReqID: s.ReqID, Phase: Info, At: Now(), State: true, Kind: BreakpointHit,
		Subject: s.Hop.String(), Instance: s.Instance,
		Why: "held at " + s.Hop.String() + ": " + s.Method + " " + s.Path, WhyZH: "在 " + s.Hop.String() + " 处暂停：" + s.Method + " " + s.Path})

	t := time.NewTimer(timeout)
	defer t.Stop()
	var err error
	why, whyZH := "released", "已放行"
	select {
	case <-h.release:
	case <-p.quit:
	case <-t.C:
		why, whyZH = "breakpoint timed out", "断点超时，放行"
	case <-ctx.Done():
		err = ctx.Err()
		why, whyZH = "client went away", "客户端已断开"
	}
	p.mu.Lock()
	delete(p.held, h.ID)
	p.mu.Unlock()
	p.rec.Record(Event{ReqID: s.ReqID, Phase: Info, At: Now(), State: true, Kind: BreakpointReleased,
		Subject: s.Hop.String(), Instance: s.Instance, Why: why, WhyZH: whyZH})
	return err
}

func (r *armed) matches(s Stop) bool {
	if r.Hop != s.Hop {
		return false
	}
	if r.Hop == Connect {
		return r.Port == 0 || r.Port == s.Port
	}
	return (r.Instance == "" || r.Instance == s.Instance) && strings.HasPrefix(s.Path, r.PathPrefix)
}

// Arm puts r in force and returns its id. Rules are tried in the order they
// were armed; the first that matches a request decides.
func (p *Points) Arm(r Rule) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.nextID++
	p.rules = append(p.rules, &armed{Armed: Armed{ID: p.nextID, Rule: r}})
	p.armed.Store(int32(len(p.rules)))
	return p.nextID
}

// Disarm removes rule id and releases the requests it holds. It reports
// whether there was such a rule.
func (p *Points) Disarm(id int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, r := range p.rules {
		if r.ID == id {
			p.rules = append(p.rules[:i:i], p.rules[i+1:]...)
			p.armed.Store(int32(len(p.rules)))
			for _, h := range p.held {
				if h.Rule == id {
					h.doRelease()
				}
			}
			return true
		}
	}
	return false
}

// Rules returns the rules in force, in order.
func (p *Points) Rules() []Armed {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Armed, len(p.rules))
	for i, r := range p.rules {
		out[i] = r.Armed
	}
	return out
}

// Held returns the requests standing at breakpoints, oldest first.
func (p *Points) Held() []Held {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Held, 0, len(p.held))
	for _, h := range p.held {
		out = append(out, h.Held)
	}
	for i := 1; i < len(out); i++ { // few entries: insertion sort by id
		for j := i; j > 0 && out[j].ID < out[j-1].ID; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Release lets held request id go on. It reports whether it was held.
func (p *Points) Release(id int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	h, ok := p.held[id]
	if ok {
		h.doRelease()
	}
	return ok
}

// ReleaseAll lets every held request go on and returns how many there were.
func (p *Points) ReleaseAll() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, h := range p.held {
		if h.doRelease() {
			n++
		}
	}
	return n
}

// Close disarms every rule and releases every held request; later asks go
// on at once. The lab closes its points before it stops its servers, so
// held requests end cleanly.
func (p *Points) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if !p.closed {
		close(p.quit)
	}
	p.closed = true
	p.rules = nil
	p.armed.Store(0)
	for _, h := range p.held {
		h.doRelease()
	}
	p.mu.Unlock()
}

// doRelease closes the release channel once; the caller holds p.mu.
func (h *held) doRelease() bool {
	select {
	case <-h.release:
		return false
	default:
		close(h.release)
		return true
	}
}

// Armed reports whether any rule is in force: a server that must build
// something to ask (a path, a timeout) checks it first.
func (p *Points) Armed() bool { return p != nil && p.armed.Load() != 0 }
