// Package flow joins hop events into requests: one Request per request id,
// with its method, path, status, the instance that served it, the browser
// that sent it and every step it took, in order. The request list, the
// waterfall, the inspector and the topology's animation all read it, so a
// request selected in one is the same request in the others.
//
// A Store keeps the newest requests only (its capacity), so memory stays flat
// however long the lab runs.
package flow

import (
	"slices"
	"strings"
	"time"

	"webflow-lab/servers/trace"
)

// A Step is one event of a request, with its instance named.
type Step struct {
	From, To string
	Instance string // "uwsgi-1", "nginx" …: resolved from the proxy's peer address
	Phase    trace.Phase
	At       time.Duration
	Bytes    int
	Status   int
	Why      string
	WhyZH    string // Why in Chinese, when the server gave one
	Conn     string // "client→server" addresses of the connection, when known
	PDU      *trace.PDU
}

// A Request is everything the screen knows of one request.
type Request struct {
	ID       string
	Seq      int       // 1, 2, … in the order the screen first saw them
	Seen     time.Time // wall clock when the screen first saw it
	Method   string
	Path     string
	Proto    string
	Browser  string // "curl", "Chrome", "Firefox", "webflow-lab" … from User-Agent
	User     int    // the lab's virtual user N who sent it ("user 3"), 0 for anyone else
	Client   string // the browser's address, "127.0.0.1:53211", when the proxy said
	Status   int    // the status the browser got, 0 while in flight
	Instance string // the app server that answered, "nginx" for static files and proxy errors
	Static   bool   // served from disk by the proxy
	Failed   bool   // some hop failed (refused, reset, timed out), even if a retry saved it
	Done     bool   // the answer reached the browser
	Start    time.Duration
	End      time.Duration // when Done
	Pick     string        // the balancer's reason
	PickZH   string        // the same in Chinese ("" when the server gave none)
	Steps    []Step
}

// Duration is how long the request took, or has taken so far as of its last step.
func (r *Request) Duration() time.Duration {
	if r.Done {
		return r.End - r.Start
	}
	if n := len(r.Steps); n > 0 {
		return r.Steps[n-1].At - r.Start
	}
	return 0
}

// Last returns the request's newest step.
func (r *Request) Last() Step {
	if len(r.Steps) == 0 {
		return Step{}
	}
	return r.Steps[len(r.Steps)-1]
}

// A Store holds the newest requests, oldest first.
type Store struct {
	// Resolve names the instance at a peer address ("127.0.0.1:9001" →
	// "uwsgi-1"); nil leaves addresses as they are.
	Resolve func(addr string) string
	// Now is the wall clock (tests fix it).
	Now func() time.Time
	// SeenAt, when set, dates a request by its first event's time instead
	// of Now: a recording's requests by the clock they were recorded on.
	SeenAt func(at time.Duration) time.Time
	// UserOf names the lab's virtual user a connection came from (N for
	// "user N", 0 for none), asked once per request at the proxy's first
	// event; nil: no user is named.
	UserOf func(conn string) int

	cap  int
	keep int // the newest keep requests keep their PDUs
	list []*Request
	byID map[string]*Request
	seq  int
}

// NewStore returns a Store that keeps at most capacity requests.
func NewStore(capacity int) *Store {
	return &Store{cap: max(capacity, 1), keep: KeepBytes, byID: map[string]*Request{}, Now: time.Now}
}

// KeepBytes is how many of the newest requests keep the bytes of their hops
// (the PDUs the inspector shows); older ones keep their steps only, so a
// long run under load holds a few hundred kilobytes, not megabytes.
const KeepBytes = 200

// Reset forgets every request.
func (s *Store) Reset() {
	clear(s.list)
	s.list, s.byID, s.seq = s.list[:0], map[string]*Request{}, 0
}

// Len is the number of requests kept.
func (s *Store) Len() int { return len(s.list) }

// At returns the i-th request, oldest first.
func (s *Store) At(i int) *Request { return s.list[i] }

// All returns the requests, oldest first. The slice is the Store's: do not keep it across Add.
func (s *Store) All() []*Request { return s.list }

// Get returns the request with id, or nil.
func (s *Store) Get(id string) *Request { return s.byID[id] }

// Add files e under its request and returns that request (nil for events
// of no request: state changes, a connection accepted before its request
// was read).
func (s *Store) Add(e trace.Event) *Request {
	if e.State || e.ReqID == "" {
		return nil
	}
	r := s.byID[e.ReqID]
	if r == nil {
		s.seq++
		r = &Request{ID: e.ReqID, Seq: s.seq, Start: e.At}
		if s.SeenAt != nil {
			r.Seen = s.SeenAt(e.At)
		} else {
			r.Seen = s.Now()
		}
		s.byID[e.ReqID] = r
		s.list = append(s.list, r)
		if n := len(s.list) - s.keep - 1; n >= 0 {
			s.list[n].dropBytes()
		}
		if len(s.list) > s.cap {
			old := s.list[0]
			delete(s.byID, old.ID)
			s.list[0] = nil
			s.list = s.list[1:]
		}
	}
	inst := e.Instance
	if s.Resolve != nil && strings.Contains(inst, ":") {
		inst = s.Resolve(inst)
	}
	st := Step{From: e.From, To: e.To, Instance: inst, Phase: e.Phase, At: e.At,
		Bytes: e.Bytes, Status: e.Status, Why: e.Why, WhyZH: e.WhyZH, Conn: e.Conn, PDU: e.PDU}
	// Servers report from their own goroutines, so events of one request
	// can reach the screen out of order (the proxy's "returned" before the
	// app server's): steps are kept in time order.
	i := len(r.Steps)
	for i > 0 && r.Steps[i-1].At > st.At {
		i--
	}
	r.Steps = slices.Insert(r.Steps, i, st)
	r.apply(st)
	if r.User == 0 && s.UserOf != nil && e.Conn != "" && e.From == trace.Browser && e.To == trace.Proxy &&
		e.Phase == trace.Arrived {
		r.User = s.UserOf(e.Conn)
	}
	return r
}

// dropBytes forgets the request's PDUs.
func (r *Request) dropBytes() {
	for i := range r.Steps {
		r.Steps[i].PDU = nil
	}
}

// apply learns what one step says about the request.
func (r *Request) apply(st Step) {
	if st.At < r.Start {
		r.Start = st.At
	}
	if st.Phase == trace.Failed {
		r.Failed = true
	}
	switch {
	case st.From == trace.Browser && st.Phase == trace.Arrived && r.Method == "":
		r.Method, r.Path, r.Proto = requestLine(st.Why)
		if c, _, ok := strings.Cut(st.Conn, "→"); ok {
			r.Client = c
		}
		if st.PDU != nil && st.PDU.Kind == trace.HTTPHead {
			r.Browser = Browser(header(st.PDU.Data, "User-Agent"))
		}
		if st.To == trace.Uwsgi && isInstance(st.Instance) {
			r.Instance = st.Instance
		}
	case st.From == trace.Proxy && st.To == trace.Uwsgi && st.Phase == trace.Info:
		r.Pick, r.PickZH = st.Why, st.WhyZH
	case st.To == trace.Uwsgi && st.Phase == trace.Arrived && isInstance(st.Instance):
		r.Instance = st.Instance
	case st.From == trace.Disk && st.To == trace.Proxy:
		r.Static, r.Instance = true, "nginx"
	case st.From == trace.Uwsgi && st.To == trace.Disk:
		r.Static = true
	case st.From == trace.Uwsgi && st.To == trace.App && st.PDU != nil && r.Method == "":
		r.Method = environ(st.PDU.Data, "REQUEST_METHOD")
		r.Path = environ(st.PDU.Data, "REQUEST_URI")
	case st.To == trace.Browser && (st.Phase == trace.Returned || st.Phase == trace.Failed):
		r.Done, r.End, r.Status = true, st.At, st.Status
		// The proxy answered itself: a static file, its own error page (502
		// when no instance answered), a return directive. An instance that
		// answered 500 itself (its app not loaded) still answered.
		if r.Instance == "" || !r.instanceAnswered() && st.Status >= 500 {
			r.Instance = "nginx"
		}
	}
}

// instanceAnswered reports whether an app server answered this request:
// its app did, or the server itself (uWSGI answers 500 when no app loaded).
func (r *Request) instanceAnswered() bool {
	for _, st := range r.Steps {
		if st.From == trace.App && st.To == trace.Uwsgi ||
			st.From == trace.Uwsgi && st.To == trace.Proxy && st.Phase == trace.Returned {
			return true
		}
	}
	return false
}

func isInstance(s string) bool { return s != "" && !strings.Contains(s, ":") }

// requestLine splits "GET /path HTTP/1.1".
func requestLine(s string) (method, path, proto string) {
	f := strings.Fields(s)
	switch len(f) {
	case 0:
		return "", "", ""
	case 1:
		return f[0], "", ""
	case 2:
		return f[0], f[1], ""
	}
	return f[0], f[1], f[2]
}

// header returns the first value of name in a raw HTTP head.
func header(head []byte, name string) string {
	for _, line := range strings.Split(string(head), "\n") {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// environ returns key's value from "KEY=value\n" lines.
func environ(data []byte, key string) string {
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// Browser names the client from its User-Agent: the product a learner
// recognises, not the whole string.
func Browser(ua string) string {
	switch {
	case ua == "":
		return "-"
	case strings.Contains(ua, "from the TUI"):
		return "you"
	case strings.HasPrefix(ua, "webflow-lab-bench"):
		return "bench" // the load generator (webflow-lab bench, the lab's load runs)
	case strings.Contains(ua, "webflow-lab virtual browser"):
		return "virtual"
	case strings.Contains(ua, "webflow-lab"):
		return "webflow-lab"
	case strings.HasPrefix(ua, "curl/"):
		return "curl"
	case strings.HasPrefix(ua, "Wget/"):
		return "wget"
	case strings.Contains(ua, "HeadlessChrome"):
		return "headless Chrome"
	case strings.Contains(ua, "Edg/"):
		return "Edge"
	case strings.Contains(ua, "Firefox/"):
		return "Firefox"
	case strings.Contains(ua, "Chrome/"):
		return "Chrome"
	case strings.Contains(ua, "Safari/"):
		return "Safari"
	case strings.HasPrefix(ua, "Go-http-client"):
		return "Go"
	case strings.HasPrefix(ua, "wrk"):
		return "wrk"
	}
	name, _, _ := strings.Cut(ua, "/")
	return name
}
