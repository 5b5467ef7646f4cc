// Package upstream is the proxy's dynamic path: what nginx does between
// "this location has uwsgi_pass (or proxy_pass)" and "here is the response to
// relay", with nginx's own retry rules and error.log lines.
//
// For one request, the Engine asks the upstream group's balancer for a peer,
// connects, sends the uwsgi packet (or an HTTP/1.0 request), and reads the
// response head within uwsgi_buffer_size (parsed by uwsgiproto.ParseHead,
// nginx's own parser, shared with our uWSGI http router). When an attempt fails it applies
// *_next_upstream exactly as ngx_http_upstream_next does: which failures are
// retried ("error timeout" by default; http_5xx only when listed), never a
// POST, LOCK or PATCH once a peer got it (unless non_idempotent), at most
// next_upstream_tries attempts within next_upstream_timeout, each failure
// reported to the balancer (which may disable the peer after max_fails), and
// the final status taken from the last failure: 504 for a timeout, else 502.
// A client that goes away while nginx waits ends the request with 499.
//
// The body is then relayed as with uwsgi_buffering on: the engine reads the
// upstream ahead of the client and frees the peer as soon as the upstream is
// done, so a slow client does not hold an app server's worker. Every
// error.log entry comes back in the Result (LogEntry, with Explain for the
// learner), and $upstream_addr, $upstream_status and $upstream_response_time
// come from its Attempts.
//
// Read nginx's src/http/ngx_http_upstream.c (ngx_http_upstream_connect,
// _send_request, _process_header, _next), modules/ngx_http_uwsgi_module.c and
// modules/ngx_http_proxy_module.c to see the same decisions in C.
//
// What this version leaves out: temp files (the read-ahead stops at
// MaxBuffered in memory), caches, keep-alive to upstreams (nginx 1.22
// proxies with HTTP/1.0 and uwsgi never reuses a connection anyway), TLS
// (suwsgi://, https://), unbuffered request bodies (request_buffering off),
// and the X-Accel-* headers' special meanings.
package upstream

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"webflow-lab/servers/proxy/balance"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
)

// A Dialer opens connections to peers. It is the fault-injection seam: the
// lab's sim/fault supplies one that refuses, stalls or slows chosen peers.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Settings are one location's uwsgi_* or proxy_* directives.
type Settings struct {
	Protocol       string        // "uwsgi" (uwsgi_pass) or "http" (proxy_pass)
	ConnectTimeout time.Duration // *_connect_timeout; 0 = 60s
	SendTimeout    time.Duration // *_send_timeout, between two writes; 0 = 60s
	ReadTimeout    time.Duration // *_read_timeout, between two reads; 0 = 60s
	// NextUpstream is *_next_upstream. The zero value means nginx's default,
	// "error timeout"; use NextOff to switch retries off.
	NextUpstream      NextUpstream
	Tries             int           // *_next_upstream_tries; 0 = unlimited
	TriesTimeout      time.Duration // *_next_upstream_timeout; 0 = unlimited
	IgnoreClientAbort bool          // *_ignore_client_abort
	// NoBuffering is "*_buffering off": the body is read from the upstream
	// only as fast as the client takes it (BufferSize at a time), so a slow
	// client holds the peer. The default, on, reads ahead (see MaxBuffered).
	NoBuffering bool
	// BufferSize is *_buffer_size, the most a response head may take;
	// 0 = 4096 (one page). A bigger head is "upstream sent too big header".
	BufferSize           int
	Modifier1, Modifier2 byte // uwsgi_modifier1/2 (0 = WSGI)
}

// DefaultTimeout is nginx's connect/send/read timeout.
const DefaultTimeout = 60 * time.Second

// DefaultBufferSize is one page, nginx's uwsgi_buffer_size/proxy_buffer_size on x86-64.
const DefaultBufferSize = 4096

func (s Settings) withDefaults() Settings {
	if s.ConnectTimeout <= 0 {
		s.ConnectTimeout = DefaultTimeout
	}
	if s.SendTimeout <= 0 {
		s.SendTimeout = DefaultTimeout
	}
	if s.ReadTimeout <= 0 {
		s.ReadTimeout = DefaultTimeout
	}
	if s.NextUpstream == 0 {
		s.NextUpstream = DefaultNextUpstream
	}
	if s.BufferSize <= 0 {
		s.BufferSize = DefaultBufferSize
	}
	if s.Protocol == "" {
		s.Protocol = "uwsgi"
	}
	return s
}

// A Target is where a location passes requests: an upstream{} block's
// balancer, or one literal address ("127.0.0.1:9001", "unix:/run/app.sock")
// when Group is nil.
type Target struct {
	Group *balance.Upstream
	Addr  string
}

func (t Target) name() string {
	if t.Group != nil {
		return t.Group.Name()
	}
	return t.Addr
}

// A Request is what the proxy hands over for one dynamic request. The body
// is already read in full (request_buffering on).
type Request struct {
	Method string
	// Vars is the uwsgi packet's vars block (uwsgi_param values, then the
	// client headers as HTTP_*), CONTENT_LENGTH included. uwsgi only.
	// Do does not keep it once it returns: the caller may reuse the slice.
	Vars uwsgiproto.Vars
	// HTTPHead is the request line and headers for the backend, ending with
	// the blank line (see HTTPHead). http only.
	HTTPHead []byte
	// URI is the URI sent to an http backend, used in error.log's upstream
	// field ("http://127.0.0.1:9001/dead"). http only.
	URI        string
	Body       []byte
	Client     netip.Addr      // for ip_hash
	HashKey    string          // the evaluated `hash` key
	ID         string          // the request id joining the trace's hops
	Path       string          // the request's path, for the lab's hop points
	ClientGone <-chan struct{} // closed when the client disconnects; nil = never
}

// An Attempt is one try at one peer: an entry of $upstream_addr,
// $upstream_status and $upstream_response_time.
type Attempt struct {
	Addr   string        // the peer, or the group's name when none was live
	Status int           // the peer's status, or the status its failure gave; 0 = none ("-")
	Time   time.Duration // from connect to the end of the attempt (to Body.Close for the relayed one)
}

// A Result is the outcome of Do.
type Result struct {
	// Status is the status for the client: the peer's when Body is set,
	// else nginx's error status (502, 504, 500, 499).
	Status int
	// Head is the response head to relay; nil on failure.
	Head *Head
	// Body is the response body; nil on failure. As with nginx's
	// buffering on, the engine reads the upstream ahead of the client (up to
	// MaxBuffered) and frees the peer as soon as the upstream is done. The
	// caller must Close it; Close cuts off an unfinished upstream (or, with
	// IgnoreClientAbort, lets it finish). A Read error is a *BodyError whose
	// Entry the proxy logs before cutting the client's connection.
	Body io.ReadCloser
	// Attempts are the tries in order. The relayed attempt's Time is final
	// once Body is closed (nginx counts the body into $upstream_response_time).
	Attempts []Attempt
	Logs     []LogEntry // error.log entries in order
}

// UpstreamAddr is $upstream_addr: "127.0.0.1:9001, 127.0.0.1:9011".
func (r *Result) UpstreamAddr() string {
	s := make([]string, len(r.Attempts))
	for i, a := range r.Attempts {
		s[i] = a.Addr
	}
	return strings.Join(s, ", ")
}

// UpstreamStatus is $upstream_status: "502, 200".
func (r *Result) UpstreamStatus() string {
	var b []byte
	for i, a := range r.Attempts {
		if i > 0 {
			b = append(b, ", "...)
		}
		if a.Status == 0 {
			b = append(b, '-')
		} else {
			b = strconv.AppendInt(b, int64(a.Status), 10)
		}
	}
	return string(b)
}

// UpstreamResponseTime is $upstream_response_time in nginx's seconds.millis form: "0.002, 0.013".
func (r *Result) UpstreamResponseTime() string {
	var b []byte
	for i, a := range r.Attempts {
		if i > 0 {
			b = append(b, ", "...)
		}
		ms := a.Time.Milliseconds()
		b = strconv.AppendInt(b, ms/1000, 10)
		b = append(b, '.', byte('0'+ms%1000/100), byte('0'+ms%100/10), byte('0'+ms%10))
	}
	return string(b)
}

// An Engine runs the dynamic path. The zero value is ready: it dials with
// sock.Dialer and records nothing. An Engine is safe for concurrent use.
type Engine struct {
	// Dialer opens every connection to a peer, within connect_timeout (the
	// context's deadline). nil is sock.Dialer: nginx's socket options (no
	// TCP_NODELAY, no keep-alive probes) on every path, and on Linux raw
	// system calls for an IP-literal peer.
	Dialer   Dialer
	Recorder trace.Recorder // nil: trace.Nop
	// Points are the lab's switches at the proxy→uwsgi hop and at the
	// firewall's (connect); nil is never armed. A fault they give runs the
	// same path as the real one: refused is connect()'s ECONNREFUSED,
	// dropped waits out uwsgi_connect_timeout.
	Points *trace.Points
}

// dialAddr turns a peer address into Dial's arguments: "unix:/path" is a
// UNIX socket, anything else TCP.
func dialAddr(addr string) (network, address string) {
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		return "unix", p
	}
	return "tcp", addr
}

// call is one Do in progress.
type call struct {
	e   *Engine
	s   Settings
	r   *Request
	t   Target
	rec trace.Recorder
	to  string // trace node of the peer side
	res *Result
	ctx context.Context // ends when the client goes away and we care
	// parent is Do's own ctx; gone is set (under goneMu) when the
	// request's ClientGone channel closes.
	parent context.Context
	goneMu sync.Mutex
	gone   bool
	// sent is nginx's u->request_sent: this attempt's peer accepted the
	// connection and the request started going out, so a POST failing now
	// is not retried.
	sent   bool
	result Result // what res points to: one allocation for both
}

// abort reports whether the client went away (and we care).
func (c *call) abort() bool {
	if c.parent.Err() != nil {
		return true
	}
	c.goneMu.Lock()
	defer c.goneMu.Unlock()
	return c.gone
}

// Do passes one request to the target and returns the response to relay, or
// nginx's error status with its error.log entries. ctx ending counts as the
// client going away.
func (e *Engine) Do(ctx context.Context, t Target, s Settings, r *Request) *Result {
	s = s.withDefaults()
	c := &call{e: e, s: s, r: r, t: t, rec: trace.OrNop(e.Recorder), to: trace.Uwsgi, parent: ctx}
	c.res = &c.result
	if s.Protocol == "http" {
		c.to = trace.Backend
	}

	// The client watcher: nginx notices a closed client connection while it
	// waits for the upstream (ngx_http_upstream_check_broken_connection) and,
	// unless ignore_client_abort is on, gives up on the upstream as well.
	c.ctx = ctx
	if r.ClientGone != nil && !s.IgnoreClientAbort {
		// Only a ClientGone channel needs a context of our own (and a
		// goroutine); the proxy ends ctx itself, so a request costs neither.
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		c.ctx = wctx
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-r.ClientGone:
				c.goneMu.Lock()
				c.gone = true
				c.goneMu.Unlock()
				cancel()
			case <-stop:
			}
		}()
		defer func() { close(stop); wg.Wait() }()
	}
	if s.IgnoreClientAbort {
		// Only the caller's own ctx (a fast shutdown) can stop the request.
		c.ctx = ctx
	}
	c.run()
	return c.res
}

var packetBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// run is ngx_http_upstream_init_request → connect → … → next, as a loop.
func (c *call) run() {
	s, r := c.s, c.r
	var packet []byte
	if s.Protocol == "uwsgi" {
		// The packet is built in a recycled buffer: every attempt has sent
		// it (a watched trace copies it) by the time run returns.
		pb := packetBufs.Get().(*[]byte)
		defer func() { *pb = packet[:0]; packetBufs.Put(pb) }()
		var err error
		packet, err = uwsgiproto.AppendPacket((*pb)[:0], s.Modifier1, s.Modifier2, r.Vars)
		if err != nil {
			// ngx_http_uwsgi_create_request refuses before any peer is chosen.
			msg := fmt.Sprintf("uwsgi request is too big: %d", r.Vars.Size())
			c.log(LogEntry{Level: Alert, Msg: msg})
			whyZH := ""
			if trace.Watched(c.rec) {
				whyZH = "uwsgi 请求太大，无法打包：" + msg
			}
			c.failed("", msg, whyZH, 500)
			c.fail(500)
			return
		}
	} else {
		packet = r.HTTPHead
	}

	var bal peers
	if c.t.Group != nil {
		bal = newGrouped(c.t.Group, r.Client, r.HashKey, !trace.Watched(c.rec))
	} else {
		bal = &single{addr: c.t.Addr}
	}
	tries := bal.tries()
	if s.Tries > 0 && tries > s.Tries {
		tries = s.Tries
	}
	start := time.Now()

	for {
		addr, why, err := bal.get()
		if err != nil {
			// ngx_http_upstream_connect: NGX_BUSY. NOLIVE is never in the
			// next_upstream mask, so this ends the request with 502.
			name := c.t.name()
			c.res.Attempts = append(c.res.Attempts, Attempt{Addr: name, Status: 502})
			c.log(LogEntry{Level: Error, Msg: "no live upstreams", Action: ActConnecting, Upstream: c.url(name)})
			noReason := why == ""
			if noReason {
				why = "no live upstreams"
			}
			whyZH := ""
			if trace.Watched(c.rec) {
				whyZH = "没有可用的 upstream 服务器：no live upstreams"
				if !noReason {
					whyZH = bal.whyZH()
				}
			}
			c.failed(name, why, whyZH, 502)
			c.fail(502)
			return
		}
		if trace.Watched(c.rec) {
			c.rec.Record(trace.Event{ReqID: r.ID, From: trace.Proxy, To: c.to, Instance: addr, Phase: trace.Info, At: trace.Now(),
				Why: why, WhyZH: bal.whyZH()})
		}

		a := c.attempt(addr, packet)
		if a.head != nil {
			// ngx_http_upstream_test_next: a listed http_NNN goes to the next
			// peer while tries remain; otherwise the response is relayed,
			// even a 502 (the last peer's own answer).
			ft := statusNext(a.head.Status)
			mask := ft
			if c.sent && nonIdempotent(r.Method) {
				mask |= NextNonIdempotent
			}
			if ft != 0 && tries > 1 && s.NextUpstream&mask == mask && !expired(s, start) {
				a.conn.Close()
				putBuf(a.buf)
				c.endAttempt(a, a.head.Status)
				disabled := bal.free(ft != NextHTTP403 && ft != NextHTTP404)
				tries--
				c.failed(addr, a.head.StatusLine, a.head.StatusLine, failStatus(ft))
				c.disabled(disabled, addr, ActReadHead)
				continue
			}
			c.relay(a, bal)
			return
		}

		// The attempt failed (ngx_http_upstream_next).
		if a.ft == 0 { // the client went away: 499, and the peer is not blamed
			c.endAttempt(a, 0)
			bal.free(false)
			c.log(LogEntry{Level: Info, Msg: clientClosed, Action: a.action, Upstream: c.url(addr)})
			c.fail(499)
			return
		}
		status := failStatus(a.ft)
		c.endAttempt(a, status)
		disabled := bal.free(true)
		tries--
		c.disabled(disabled, addr, a.action)
		if a.ft == NextTimeout {
			// nginx logs the timeout in ngx_http_upstream_next, after the
			// balancer's "temporarily disabled" warning.
			c.log(LogEntry{Level: Error, Msg: timedOut, Action: a.action, Upstream: c.url(addr)})
		}
		whyZH := ""
		if trace.Watched(c.rec) {
			whyZH = failedZH(a.ft) + a.why
		}
		c.failed(addr, a.why, whyZH, status)
		if c.abort() {
			c.fail(499)
			return
		}
		ft := a.ft
		if c.sent && nonIdempotent(r.Method) {
			ft |= NextNonIdempotent
		}
		if tries == 0 || s.NextUpstream&ft != ft || expired(s, start) {
			c.res.Status = status
			return
		}
	}
}

// clientClosed is what nginx on Linux logs when epoll reports the client's
// hang-up while it waits for the upstream (ngx_http_upstream_check_broken_connection,
// the EPOLLRDHUP branch; verified on nginx 1.22.1).
const clientClosed = "epoll_wait() reported that client prematurely closed connection, so upstream connection is closed too"

func expired(s Settings, start time.Time) bool {
	return s.TriesTimeout > 0 && time.Since(start) >= s.TriesTimeout
}

// url is the error log's upstream field: scheme, peer name, then the URI
// (proxy_pass) — after a ':' for a UNIX peer, as ngx_http_log_error_handler does.
func (c *call) url(peer string) string {
	if c.s.Protocol == "http" {
		sep := ""
		if strings.HasPrefix(peer, "unix:") {
			sep = ":"
		}
		return "http://" + peer + sep + c.r.URI
	}
	if strings.HasPrefix(peer, "unix:") {
		return "uwsgi://" + peer + ":"
	}
	return "uwsgi://" + peer
}

func (c *call) log(e LogEntry) { c.res.Logs = append(c.res.Logs, e) }

func (c *call) disabled(disabled bool, addr, action string) {
	if !disabled {
		return
	}
	c.log(LogEntry{Level: Warn, Msg: "upstream server temporarily disabled", Action: action, Upstream: c.url(addr)})
	c.rec.Record(trace.Event{ReqID: c.r.ID, From: trace.Proxy, To: c.to, Instance: addr, Phase: trace.Info,
		At: trace.Now(), Why: "upstream server temporarily disabled",
		WhyZH: "upstream 服务器暂时停用：upstream server temporarily disabled", State: true})
}

// failed reports a failed attempt. why is nginx's own text (its error log
// message, or the peer's status line); whyZH is why in Chinese, built only
// when someone watches.
func (c *call) failed(addr, why, whyZH string, status int) {
	c.rec.Record(trace.Event{ReqID: c.r.ID, From: trace.Proxy, To: c.to, Instance: addr, Phase: trace.Failed,
		At: trace.Now(), Status: status, Why: why, WhyZH: whyZH})
}

// failedZH says in Chinese what kind of failure ft is; nginx's error log
// text follows it untranslated.
func failedZH(ft NextUpstream) string {
	switch ft {
	case NextTimeout:
		return "等待 upstream 超时："
	case NextInvalidHeader:
		return "upstream 返回的响应头无效："
	}
	return "与 upstream 通信出错："
}

// fail ends the request with an nginx error status.
func (c *call) fail(status int) {
	c.res.Status = status
	c.res.Head, c.res.Body = nil, nil
}

func (c *call) endAttempt(a *attempt, status int) {
	c.res.Attempts = append(c.res.Attempts, Attempt{Addr: a.addr, Status: status, Time: time.Since(a.start)})
}
