package upstream

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/internal/sock"
	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
)

// attempt is one connection to one peer.
type attempt struct {
	addr   string
	start  time.Time
	conn   net.Conn
	buf    []byte // the head buffer: head, then the first body bytes
	n      int    // bytes in buf
	head   *Head  // set when the head was read; conn stays open for the body
	ft     NextUpstream
	action string // nginx's log action when the attempt ended
	why    string // the failure, for the trace
}

// attempt connects, sends and reads the head. On failure it logs what nginx
// logs at that point and sets ft (0 when the client went away).
func (c *call) attempt(addr string, packet []byte) *attempt {
	a := &attempt{addr: addr, start: time.Now(), action: ActConnecting}
	s := c.s
	network, address := dialAddr(addr)
	var (
		conn         net.Conn
		stop         func() bool
		timedOutDial bool
		err          error
	)
	if c.e.Points.Armed() {
		timedOutDial, err = c.askPoints(network, addr)
	}
	if err == nil {
		conn, stop, timedOutDial, err = c.dial(network, address)
	}
	if err != nil {
		if network == "tcp" {
			// nginx's TCP connect is asynchronous: ngx_http_upstream_connect
			// has already cleared request_sent when the refusal shows up. A
			// UNIX connect fails at once and leaves the previous attempt's flag.
			c.sent = false
		}
		switch {
		case c.abort():
			a.why = "client closed the connection"
		case timedOutDial || isTimeout(err):
			a.ft, a.why = NextTimeout, timedOut
		default:
			a.ft = NextError
			level, msg := connectError(network, addr, err)
			a.why = msg
			c.log(LogEntry{Level: level, Msg: msg, Action: ActConnecting, Upstream: c.url(addr)})
		}
		return a
	}
	a.conn = conn
	c.sent = true

	// Send: the packet (or HTTP head) and the body in one writev, as nginx
	// chains them; send_timeout applies between two successful writes.
	a.action = ActSending
	bufs := net.Buffers{packet}
	if len(c.r.Body) > 0 {
		bufs = append(bufs, c.r.Body)
	}
	if trace.Watched(c.rec) {
		ev := trace.Event{ReqID: c.r.ID, From: trace.Proxy, To: c.to, Instance: addr, Phase: trace.Sent,
			At: trace.Now(), Bytes: len(packet) + len(c.r.Body), Why: c.r.Method, WhyZH: c.r.Method, Conn: trace.DialedConnName(conn)}
		if trace.WantsPDU(c.rec, c.r.ID) {
			kind := trace.UwsgiPacket
			if s.Protocol == "http" {
				kind = trace.HTTPHead
			}
			ev.PDU = &trace.PDU{Kind: kind, Data: bytes.Clone(packet)}
		}
		c.rec.Record(ev)
	}
	if err := c.writeAll(conn, bufs, s.SendTimeout); err != nil {
		return c.ioFailed(a, stop, err, "writev() failed")
	}

	// Read the head into a buffer of uwsgi_buffer_size bytes. nginx only
	// switches its log action to "reading response header" when the peer's
	// first read event fires (bytes, close, or read timeout); a client that
	// leaves before that is logged "while sending request to upstream".
	a.buf = getBuf(s.BufferSize)
	hp := uwsgiproto.HeadParser{Module: headModule(s.Protocol)} // resumes after each read, as nginx does
	for {
		c.setDeadline(conn.SetReadDeadline, s.ReadTimeout)
		m, err := conn.Read(a.buf[a.n:])
		a.n += m
		if m > 0 || !c.abort() {
			a.action = ActReadHead
		}
		if m > 0 {
			h, perr := hp.Parse(a.buf[:a.n])
			if perr == nil {
				if !stop() && c.abort() {
					conn.Close()
					putBuf(a.buf)
					a.why = "client closed the connection"
					return a
				}
				// No deadline to clear: the body's reads set their own,
				// nothing more is written, and Close drops both timers.
				a.head = h
				if h.HTTP09 {
					c.log(LogEntry{Level: Error, Msg: "upstream sent no valid HTTP/1.0 header", Action: ActReadHead, Upstream: c.url(addr)})
				}
				return a
			}
			var inv *uwsgiproto.InvalidHeaderError
			if errors.As(perr, &inv) {
				return c.headFailed(a, stop, NextInvalidHeader, Error, inv.Log)
			}
			if a.n == len(a.buf) {
				return c.headFailed(a, stop, NextInvalidHeader, Error, uwsgiproto.ErrHeadTooBig.Error())
			}
		}
		if err != nil {
			if isEOF(err) && !c.abort() {
				return c.headFailed(a, stop, NextError, Error, uwsgiproto.ErrPrematureClose.Error())
			}
			return c.ioFailed(a, stop, err, "recv() failed")
		}
	}
}

// dial connects to a peer within connect_timeout, with the Engine's Dialer.
// Once it has a connection it arms stop: a client going away interrupts
// blocked I/O on it by setting a past deadline.
func (c *call) dial(network, address string) (conn net.Conn, stop func() bool, timedOut bool, err error) {
	d := c.e.Dialer
	if d == nil {
		d = sock.Dialer{}
	}
	dctx, cancel := context.WithTimeout(c.ctx, c.s.ConnectTimeout)
	conn, err = d.DialContext(dctx, network, address)
	timedOut = dctx.Err() == context.DeadlineExceeded
	cancel()
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, nil, timedOut, err
	}
	return conn, context.AfterFunc(c.ctx, func() { conn.SetDeadline(time.Unix(1, 0)) }), false, nil
}

func (c *call) headFailed(a *attempt, stop func() bool, ft NextUpstream, level Level, msg string) *attempt {
	stop()
	a.conn.Close()
	putBuf(a.buf)
	a.ft, a.why = ft, msg
	c.log(LogEntry{Level: level, Msg: msg, Action: a.action, Upstream: c.url(a.addr)})
	return a
}

// ioFailed classifies a send or receive error: the client going away, a
// timeout, or a system error logged as "writev() failed (32: Broken pipe)".
func (c *call) ioFailed(a *attempt, stop func() bool, err error, what string) *attempt {
	stop()
	a.conn.Close()
	putBuf(a.buf) // nil when the send failed: putBuf ignores it
	switch {
	case c.abort():
		a.why = "client closed the connection"
	case isTimeout(err):
		a.ft, a.why = NextTimeout, timedOut
	default:
		a.ft = NextError
		a.why = what + " " + errnoText(err)
		c.log(LogEntry{Level: Error, Msg: a.why, Action: a.action, Upstream: c.url(a.addr)})
	}
	return a
}

// headBufs recycles head buffers of the default size; a head buffer lives
// until the attempt fails or the relayed body is closed.
var headBufs = sync.Pool{New: func() any { return new([DefaultBufferSize]byte) }}

func getBuf(n int) []byte {
	if n == DefaultBufferSize {
		return headBufs.Get().(*[DefaultBufferSize]byte)[:]
	}
	return make([]byte, n)
}

func putBuf(b []byte) {
	if cap(b) == DefaultBufferSize {
		headBufs.Put((*[DefaultBufferSize]byte)(b[:DefaultBufferSize]))
	}
}

// connectError words a failed connect() as nginx does. A TCP connect fails
// asynchronously and ngx_http_upstream_test_connect says "connect() failed";
// a UNIX socket fails at once in ngx_event_connect_peer, which names the
// peer and logs at crit unless the error is one a peer may cause.
func connectError(network, addr string, err error) (Level, string) {
	if network != "unix" {
		return Error, "connect() failed " + errnoText(err)
	}
	level := Crit
	if e, ok := errno.Of(err); ok {
		switch e {
		case errno.ECONNREFUSED, errno.EAGAIN, errno.ECONNRESET, errno.ENETDOWN,
			errno.ENETUNREACH, errno.EHOSTDOWN, errno.EHOSTUNREACH:
			level = Error
		}
	}
	return level, "connect() to " + addr + " failed " + errnoText(err)
}

// setDeadline renews an I/O deadline unless the client already went away:
// the abort hook may have fired just before, and its past deadline must win.
func (c *call) setDeadline(set func(time.Time) error, d time.Duration) {
	set(time.Now().Add(d))
	if c.ctx.Err() != nil {
		set(time.Unix(1, 0))
	}
}

// writeAll writes bufs with a deadline renewed after every successful write,
// which is what send_timeout means ("between two successive write operations").
func (c *call) writeAll(conn net.Conn, bufs net.Buffers, timeout time.Duration) error {
	for len(bufs) > 0 {
		c.setDeadline(conn.SetWriteDeadline, timeout)
		// Write at most 64 KiB per round so the deadline is per operation.
		chunk := net.Buffers{}
		size := 0
		for len(bufs) > 0 && size < 64<<10 {
			b := bufs[0]
			if room := 64<<10 - size; len(b) > room {
				chunk = append(chunk, b[:room])
				bufs[0] = b[room:]
				size += room
				break
			}
			chunk = append(chunk, b)
			size += len(b)
			bufs = bufs[1:]
		}
		if _, err := sock.Writev(conn, chunk); err != nil {
			return err
		}
	}
	return nil // the deadline stays: nothing else is written before Close
}

// askPoints asks the lab's points about this attempt: the proxy→uwsgi hop
// (a breakpoint holds the request here, before any connection exists), then
// the firewall at the peer's port, inside uwsgi_connect_timeout as a
// connect is. A fault comes back as the error connect(2) would give, so the
// usual path logs it and tries the next peer.
func (c *call) askPoints(network, addr string) (timedOut bool, err error) {
	pts := c.e.Points
	stop := trace.Stop{Hop: trace.ProxyToUwsgi, ReqID: c.r.ID, Instance: addr, Method: c.r.Method, Path: c.r.Path}
	if err := pts.Ask(c.ctx, stop); err != nil {
		return false, dialError(network, addr, err)
	}
	if network != "tcp" {
		return false, nil
	}
	_, port, _ := net.SplitHostPort(addr)
	stop.Hop, stop.Port = trace.Connect, atoiPort(port)
	ctx, cancel := context.WithTimeout(c.ctx, c.s.ConnectTimeout)
	defer cancel()
	if err := pts.Ask(ctx, stop); err != nil {
		return errno.Is(err, errno.ETIMEDOUT), dialError(network, addr, err)
	}
	return false, nil
}

// dialError wraps a point's fault as net.Dial wraps connect(2)'s errno.
func dialError(network, addr string, err error) error {
	var f *trace.Fault
	if errors.As(err, &f) && f.Unwrap() != nil {
		err = os.NewSyscallError("connect", f.Unwrap())
	}
	return &net.OpError{Op: "dial", Net: network, Addr: fakeAddr(addr), Err: err}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

func atoiPort(s string) int {
	n := 0
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return 0
		}
		n = n*10 + int(ch-'0')
	}
	return n
}
