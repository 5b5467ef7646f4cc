// Package load is the lab's load generator: many keep-alive connections
// sending one request as fast as the server answers (like wrk and hey), or
// at a fixed rate (like wrk2), and a report of what came back — requests per
// second, status codes, errors by kind, latency percentiles and a histogram.
//
// With a rate, latency is measured from the moment each request was
// scheduled to start, not from when a connection got round to sending it.
// A server that stalls for a second holds every connection, and a generator
// that measures from the send would report the few requests that waited as
// if nothing had happened (Gil Tene's "coordinated omission"); measuring
// from the schedule counts the wait the users would have felt, as wrk2 does.
// Without a rate the generator is a closed loop (each connection sends its
// next request when the last one is answered), and latency is service time
// from the send, as wrk and hey report it.
//
// Memory is flat however long a run lasts: latencies go into log-linear
// buckets (Histogram), status codes into an array.
//
// What it leaves out: HTTP/2 and TLS (the lab is plain HTTP/1.1 on
// loopback), request bodies, redirects (a 302 is an answer, counted as
// one). Only loopback targets are allowed unless Spec.AllowRemote is set.
//
// Reference: wrk (github.com/wg/wrk), wrk2's coordinated-omission
// correction (github.com/giltene/wrk2), hey's report (github.com/rakyll/hey).
package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"webflow-lab/servers/explain"
)

// A Spec says what load to send.
type Spec struct {
	URL         string        // http://host:port/path?query
	Method      string        // "" = GET
	Header      [][2]string   // extra request headers, in order ("Cookie", "sessionid=…")
	Connections int           // concurrent connections (wrk -c, hey -c); 0 = 10
	Requests    int64         // stop after this many (hey -n); 0 = run for Duration
	Duration    time.Duration // stop issuing after this long (wrk -d); 0 with Requests 0 = 10 s
	Rate        float64       // requests per second across all connections (wrk2 -R); 0 = as fast as answered
	Timeout     time.Duration // per request, connect included; 0 = 10 s
	NoKeepAlive bool          // a new connection for every request (hey -disable-keepalive)
	AllowRemote bool          // allow a target that is not a loopback address
	// Progress, if set, is called about every ProgressEvery (default
	// 250 ms) from one goroutine while the run lasts, and once more at
	// the end. It must return quickly.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// LocalAddr, if set, is the source address of every connection
	// (a virtual user's 127.0.N.1).
	LocalAddr netip.Addr
}

// Progress is a running count, for a progress line.
type Progress struct {
	Elapsed  time.Duration
	Duration time.Duration // Spec.Duration: the run's planned length, or 0 for a count
	Requests int64         // Spec.Requests: the planned count, or 0 for a duration
	Done     int64         // requests answered so far
	Errors   int64         // requests that got no answer so far
	RPS      float64       // answers per second over the last interval
	Final    bool          // the last call, after every connection stopped
	// Status counts the answers so far by status code (a copy).
	Status map[int]int64
	// Latency is the run's own histogram, still filling while the run
	// lasts: its percentiles are live (see Histogram on reading it while
	// it records). The caller must not Record into it.
	Latency *Histogram
}

// A Report is what a run measured.
type Report struct {
	Spec     Spec          // as run, defaults filled in
	Target   string        // the address connected to
	Elapsed  time.Duration // from the first request to the last answer
	Requests int64         // answered (any status)
	Errors   int64         // got no answer
	Bytes    int64         // received, heads and bodies
	Status   map[int]int64
	ByKind   map[ErrorKind]int64
	// Latency is the latency of every answered request: from its
	// scheduled start with a Rate, from its send without.
	Latency *Histogram
	// Service is from the send to the answer, with or without a Rate;
	// with a Rate, Latency − Service is the time a request waited for a
	// free connection behind a slow server.
	Service *Histogram
	// FirstError is one error of each kind, as text, for the report.
	FirstError map[ErrorKind]string
	Cancelled  bool // the context ended the run early
}

// RPS is answered requests per second.
func (r Report) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// withDefaults fills Spec's zero fields.
func (s Spec) withDefaults() Spec {
	if s.Method == "" {
		s.Method = "GET"
	}
	if s.Connections <= 0 {
		s.Connections = 10
	}
	if s.Requests <= 0 && s.Duration <= 0 {
		s.Duration = 10 * time.Second
	}
	if s.Timeout <= 0 {
		s.Timeout = 10 * time.Second
	}
	if s.ProgressEvery <= 0 {
		s.ProgressEvery = 250 * time.Millisecond
	}
	return s
}

// target is the parsed URL: where to connect and what to send.
type target struct {
	addr string // ip:port, resolved once
	req  []byte
	head bool
}

// prepare checks the spec, resolves the host (refusing a non-loopback one
// unless allowed) and builds the request bytes.
func prepare(ctx context.Context, s Spec) (target, error) {
	u, err := url.Parse(s.URL)
	if err != nil || u.Host == "" {
		return target{}, urlError(s.URL, "not a URL with a host", "不是带主机名的 URL")
	}
	if u.Scheme != "http" {
		return target{}, urlError(s.URL, "only http:// is supported (the lab speaks plain HTTP/1.1)", "只支持 http://（实验室使用明文 HTTP/1.1）")
	}
	if s.Rate < 0 || s.Rate != s.Rate {
		return target{}, fmt.Errorf("load: rate %v: want a positive number of requests per second", s.Rate)
	}
	if s.Requests > 0 && s.Duration > 0 {
		return target{}, fmt.Errorf("load: both a request count (%d) and a duration (%v): give one", s.Requests, s.Duration)
	}
	for _, c := range s.Method {
		if c <= ' ' || c >= 0x7f {
			return target{}, fmt.Errorf("load: method %q: not a token", s.Method)
		}
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "80"
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return target{}, &explain.Error{
			What:  explain.T("bench: cannot resolve "+host, "bench: 无法解析 "+host),
			Where: s.URL,
			Why:   explain.T(errText(err), errText(err)),
			Try:   explain.T("use an address such as 127.0.0.1:8080", "使用 127.0.0.1:8080 这样的地址"),
			Err:   err,
		}
	}
	ip := ips[0].Unmap()
	for _, a := range ips {
		if !a.Unmap().IsLoopback() && !s.AllowRemote {
			return target{}, remoteError(s.URL, host, a.Unmap())
		}
	}
	if !ip.IsLoopback() && !s.AllowRemote {
		return target{}, remoteError(s.URL, host, ip)
	}
	path := u.RequestURI()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", s.Method, path, u.Host)
	hasUA, hasAccept := false, false
	for _, h := range s.Header {
		if strings.ContainsAny(h[0]+h[1], "\r\n") || h[0] == "" || strings.ContainsAny(h[0], " :") {
			return target{}, fmt.Errorf("load: header %q: not a valid header line", h[0]+": "+h[1])
		}
		hasUA = hasUA || strings.EqualFold(h[0], "User-Agent")
		hasAccept = hasAccept || strings.EqualFold(h[0], "Accept")
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if !hasUA {
		b.WriteString("User-Agent: webflow-lab-bench\r\n")
	}
	if !hasAccept {
		b.WriteString("Accept: */*\r\n")
	}
	if s.NoKeepAlive {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	return target{
		addr: netip.AddrPortFrom(ip, parsePort(port)).String(),
		req:  []byte(b.String()),
		head: s.Method == "HEAD",
	}, nil
}

func parsePort(p string) uint16 {
	var n uint32
	for _, c := range p {
		n = n*10 + uint32(c-'0')
		if n > 65535 {
			return 0
		}
	}
	return uint16(n)
}

func errText(err error) string {
	if err == nil {
		return "no address found"
	}
	return err.Error()
}

func urlError(u, why, whyZH string) error {
	return &explain.Error{
		What:  explain.T("bench: bad URL "+u, "bench: URL 有误 "+u),
		Why:   explain.T(why, whyZH),
		Try:   explain.T("give a URL like http://127.0.0.1:8080/employees/", "写成 http://127.0.0.1:8080/employees/ 这样的 URL"),
		Where: u,
	}
}

// ErrRemote is wrapped by the error for a target that is not loopback.
var ErrRemote = errors.New("target is not a loopback address")

func remoteError(u, host string, ip netip.Addr) error {
	return &explain.Error{
		What: explain.T("bench: refusing to load "+host+" ("+ip.String()+"), which is not this machine",
			"bench: 拒绝对 "+host+"（"+ip.String()+"）施加负载，它不是本机"),
		Where: u,
		Why: explain.T("a load test sends thousands of requests a second; aimed at someone else's server it is an attack, so only loopback addresses (127.0.0.0/8, ::1) are allowed by default",
			"压力测试每秒发送成千上万个请求；对准别人的服务器就是攻击，所以默认只允许回环地址（127.0.0.0/8、::1）"),
		Try: explain.T("point it at the lab (http://127.0.0.1:8080/), or, for a server that is yours, add --allow-remote",
			"对准实验室（http://127.0.0.1:8080/）；如果目标服务器是你自己的，加上 --allow-remote"),
		Err: ErrRemote,
	}
}

// Run sends the load spec describes and reports what came back. It
// returns an error before sending anything when the spec is wrong or the
// target is not allowed. Cancelling ctx stops the run early: in-flight
// requests are abandoned, not counted, and the report of what was
// measured so far comes back with Cancelled set and ctx's error.
func Run(ctx context.Context, spec Spec) (Report, error) {
	s := spec.withDefaults()
	t, err := prepare(ctx, s)
	if err != nil {
		return Report{Spec: s}, err
	}
	d := net.Dialer{Timeout: s.Timeout}
	if s.LocalAddr.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: s.LocalAddr.AsSlice()}
	}
	return newRun(s, t, d.DialContext).run(ctx)
}

// dialFunc connects to addr; tests pass one that returns a net.Pipe.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func newRun(s Spec, t target, dial dialFunc) *run {
	return &run{spec: s, t: t, dialFn: dial, latency: NewHistogram(), service: NewHistogram()}
}

type run struct {
	spec    Spec
	t       target
	dialFn  dialFunc
	start   time.Time
	end     time.Time // stop issuing at (Duration)
	next    atomic.Int64
	done    atomic.Int64
	errs    atomic.Int64
	bytes   atomic.Int64
	status  [600]atomic.Int64 // 0 holds anything outside 100–599
	kinds   [numKinds]atomic.Int64
	firstMu sync.Mutex
	first   map[ErrorKind]string
	latency *Histogram
	service *Histogram
	elapsed time.Duration // set when every worker has stopped
}

func (r *run) run(parent context.Context) (Report, error) {
	ctx, stop := context.WithCancel(parent)
	defer stop()
	r.first = map[ErrorKind]string{}
	r.start = time.Now()
	if r.spec.Duration > 0 {
		r.end = r.start.Add(r.spec.Duration)
	}
	var wg sync.WaitGroup
	for range r.spec.Connections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.worker(ctx)
		}()
	}
	progressDone := make(chan struct{})
	if r.spec.Progress != nil {
		go r.progress(ctx, progressDone)
	} else {
		close(progressDone)
	}
	wg.Wait()
	r.elapsed = time.Since(r.start)
	cancelled := ctx.Err() != nil
	stop()
	<-progressDone
	rep := r.report()
	rep.Cancelled = cancelled
	if r.spec.Progress != nil {
		p := r.snapshot(r.elapsed)
		p.RPS, p.Final = rep.RPS(), true
		r.spec.Progress(p)
	}
	if rep.Cancelled {
		return rep, parent.Err()
	}
	return rep, nil
}

// claim takes the next request to send and says when it is due (the
// zero time without a rate); ok is false once the run is over.
func (r *run) claim(ctx context.Context) (due time.Time, ok bool) {
	if ctx.Err() != nil {
		return time.Time{}, false
	}
	i := r.next.Add(1) - 1
	if r.spec.Requests > 0 && i >= r.spec.Requests {
		return time.Time{}, false
	}
	if r.spec.Rate > 0 {
		// Request i is due at i/rate seconds after the start, the
		// schedule wrk2 keeps; a connection that is behind sends at once
		// and the wait counts in the latency.
		due = r.start.Add(time.Duration(float64(i) / r.spec.Rate * float64(time.Second)))
		if !r.end.IsZero() && !due.Before(r.end) {
			return time.Time{}, false
		}
		return due, true
	}
	if !r.end.IsZero() && !time.Now().Before(r.end) {
		return time.Time{}, false
	}
	return time.Time{}, true
}

// worker is one connection's loop.
func (r *run) worker(ctx context.Context) {
	var c *conn
	defer func() { c.close() }()
	var timer *time.Timer
	for {
		due, ok := r.claim(ctx)
		if !ok {
			return
		}
		if !due.IsZero() {
			if wait := time.Until(due); wait > 0 {
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				select {
				case <-ctx.Done():
					timer.Stop()
					return
				case <-timer.C:
				}
			}
		}
		sent := time.Now()
		if due.IsZero() {
			due = sent
		}
		var res result
		var err error
		c, res, err = r.once(ctx, c, sent)
		now := time.Now()
		if ctx.Err() != nil {
			return // cancelled: the request in flight is not counted
		}
		if err != nil {
			r.fail(err)
			continue
		}
		r.done.Add(1)
		r.bytes.Add(res.bytes)
		if res.status >= 100 && res.status < 600 {
			r.status[res.status].Add(1)
		} else {
			r.status[0].Add(1)
		}
		r.latency.Record(now.Sub(due))
		r.service.Record(now.Sub(sent))
	}
}

// once sends one request on c (dialing first when c is nil or closing)
// and returns the connection to use next (nil after an error). A kept-alive
// connection that the server had closed before this request is dialed
// again once, without counting an error, as browsers and net/http retry an
// idempotent request that got no byte back.
func (r *run) once(ctx context.Context, c *conn, sent time.Time) (*conn, result, error) {
	deadline := sent.Add(r.spec.Timeout)
	for attempt := 0; ; attempt++ {
		if c == nil || c.closing {
			c.close()
			nc, err := r.dial(ctx, deadline)
			if err != nil {
				return nil, result{}, err
			}
			c = nc
		}
		res, err := c.do(r.t.req, r.t.head, deadline)
		if err == nil {
			if r.spec.NoKeepAlive {
				c.closing = true
			}
			return c, res, nil
		}
		retry := c.reused && attempt == 0 && (errors.Is(err, errClosed) || isReset(err)) && r.spec.Method != "POST"
		c.close()
		c = nil
		if !retry {
			return nil, res, err
		}
	}
}

func (r *run) dial(ctx context.Context, deadline time.Time) (*conn, error) {
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	nc, err := r.dialFn(dctx, "tcp", r.t.addr)
	if err != nil {
		return nil, err
	}
	c := &conn{c: nc, r: bufio.NewReaderSize(nc, 16<<10)}
	// A cancelled run wakes a read blocked on a slow server at once.
	c.unwatch = context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	return c, nil
}

func (r *run) fail(err error) {
	k := kindOf(err)
	r.errs.Add(1)
	r.kinds[k].Add(1)
	r.firstMu.Lock()
	if _, ok := r.first[k]; !ok {
		r.first[k] = err.Error()
	}
	r.firstMu.Unlock()
}
