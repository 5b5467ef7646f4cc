package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"webflow-lab/servers/errno"
	"webflow-lab/servers/trace"
)

// conn is one client connection: nginx's ngx_connection_t with its
// keep-alive loop.
type conn struct {
	s         *Server
	nc        net.Conn
	addr      string // the listen address it was accepted on
	id        uint64 // nginx's connection number, the *N of error-log lines
	br        *bufio.Reader
	bw        *outBuf
	cw        countingWriter
	mu        sync.Mutex
	idle      bool
	idleSince time.Time // when it began to wait for a request
	closed    bool
	drained   bool // closed to make room (worker_connections)

	remoteIP, remotePort string
	localIP, localPort   string
	requests             int
	keepaliveTimeout     time.Duration // keepalive_timeout of the last request's location
	logBuf               []byte        // the access-log line being built
}

// countingWriter counts bytes that reached the client socket.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ReadFrom lets io.Copy from a file reach the socket's sendfile path.
func (c *countingWriter) ReadFrom(r io.Reader) (int64, error) {
	n, err := io.Copy(c.w, r)
	c.n += n
	return n, err
}

func newConn(s *Server, nc net.Conn, addr string) *conn {
	// A new connection waits for its request: idle, so that
	// worker_connections can close it to make room (nginx's reusable).
	c := &conn{s: s, nc: nc, addr: addr, id: s.connSeq.Add(1), idle: true, idleSince: time.Now()}
	c.remoteIP, c.remotePort = splitAddr(nc.RemoteAddr())
	c.localIP, c.localPort = splitAddr(nc.LocalAddr())
	size := 8192
	if g := s.cur.Load().groups[addr]; g != nil && g.def.headerBufLarge > size {
		size = g.def.headerBufLarge
	}
	c.br = bufio.NewReaderSize(nc, size+2)
	c.cw.w = nc
	c.bw = &outBuf{buf: make([]byte, 0, 4<<10), w: &c.cw}
	return c
}

func splitAddr(a net.Addr) (string, string) {
	if a == nil {
		return "", ""
	}
	if ta, ok := a.(*net.TCPAddr); ok {
		ip := ta.IP.String()
		if v4 := ta.IP.To4(); v4 != nil {
			ip = v4.String()
		}
		return ip, strconv.Itoa(ta.Port)
	}
	h, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), ""
	}
	return h, p
}

// closeIfIdle closes the connection if it waits between requests; a busy one
// notices the shutdown after its request.
func (c *conn) closeIfIdle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idle && !c.closed {
		c.closed = true
		c.nc.Close()
	}
}

// setIdle marks the connection idle, or reports false if the server is
// shutting down (the connection must close).
func (c *conn) setIdle(idle bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if idle {
		select {
		case <-c.s.done:
			return false
		default:
		}
	}
	if idle && !c.idle {
		c.idleSince = time.Now()
	}
	c.idle = idle
	return !c.closed
}

func (c *conn) serve() {
	defer func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.nc.Close()
	}()
	for {
		cf := c.s.cur.Load()
		g := cf.groups[c.addr]
		if g == nil {
			return // the listen line was removed by a reload
		}
		timeout := 60 * time.Second // client_header_timeout
		if c.requests > 0 {
			timeout = c.keepaliveTimeout // the last request's location's
			if timeout <= 0 {
				return
			}
		}
		if !c.setIdle(true) {
			return
		}
		if c.requests > 0 && c.br.Buffered() == 0 {
			// Let the other ready connections run before asking this one
			// for its next request: by then the client has often sent it,
			// and the read finds it instead of failing with EAGAIN and
			// parking (nginx reads when epoll says there is something).
			runtime.Gosched()
		}
		c.nc.SetReadDeadline(time.Now().Add(timeout))
		if _, err := c.br.Peek(1); err != nil {
			c.logWaitError(cf, g, err)
			return
		}
		if !c.setIdle(false) {
			return
		}
		// Reload between requests: the request runs on the newest config.
		cf = c.s.cur.Load()
		if g = cf.groups[c.addr]; g == nil {
			return
		}
		c.nc.SetReadDeadline(time.Now().Add(60 * time.Second))
		c.requests++
		r := newRequest(c, cf, g)
		keep := r.serve()
		if !keep {
			return
		}
		c.keepaliveTimeout = r.loc0().s.keepaliveTimeout
	}
}

// logWaitError writes the info line nginx writes when a connection ends
// while it waits for a request (ngx_http_wait_request_handler, and
// ngx_http_set_keepalive between requests): the client closed, reset or
// timed out. A keep-alive connection that times out, and a shutdown, close
// silently.
func (c *conn) logWaitError(cf *conf, g *listenGroup, err error) {
	el := cf.errorLog
	if s := g.def.top.s; s != nil && s.errorLog != nil {
		el = s.errorLog // the connection's log is the default server's
	}
	if el == nil || el.level < levelInfo {
		return
	}
	select {
	case <-c.s.done:
		return
	default:
	}
	c.mu.Lock()
	drained := c.drained
	c.mu.Unlock()
	if drained {
		return // closed to make room: nginx says nothing
	}
	ctx := ", client: " + c.remoteIP + ", server: " + g.addr
	switch {
	case c.requests > 0 && errors.Is(err, io.EOF):
		el.log(c.s.now(), levelInfo, c.id, "client "+c.remoteIP+" closed keepalive connection", "")
	case c.requests > 0:
	case errors.Is(err, io.EOF):
		el.log(c.s.now(), levelInfo, c.id, "client closed connection while waiting for request", ctx)
	case errors.Is(err, os.ErrDeadlineExceeded):
		el.log(c.s.now(), levelInfo, c.id, "client timed out (110: Connection timed out) while waiting for request", ctx)
	default:
		el.log(c.s.now(), levelInfo, c.id, "recv() failed ("+errno.Format(err)+") while waiting for request", ctx)
	}
}

// lingeringClose is nginx's lingering_close: after an early answer (413,
// 400) the client may still be sending; closing with unread data would make
// the kernel send RST and the client could lose the answer. So stop writing,
// read and drop what comes for up to lingering_timeout, then close.
func (c *conn) lingeringClose() {
	if tc, ok := c.nc.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
	}
	deadline := time.Now().Add(30 * time.Second) // lingering_time
	buf := make([]byte, 4096)
	for time.Now().Before(deadline) {
		select {
		case <-c.s.done:
			return
		default:
		}
		c.nc.SetReadDeadline(time.Now().Add(5 * time.Second)) // lingering_timeout
		if _, err := c.nc.Read(buf); err != nil {
			return
		}
	}
}

// readHead reads the request line and the headers with nginx's buffer
// limits, handling each header as it arrives (ngx_http_process_request_headers):
// an error stops the reading there, as in nginx. raw receives the head bytes
// when a watcher wants the PDU.
func (r *request) readHead(g *listenGroup) *parseError {
	c := r.c
	def := g.def
	var hb headBuffers
	hb.reset(def.headerBufSmall, def.headerBufLarge, def.headerBufCount)
	watched := trace.Admits(c.s.rec) // the request begins: would a watcher follow it?
	action := actionLine
	if c.requests > 1 && c.br.Buffered() > 0 {
		action = actionPipelined // ngx_http_set_keepalive found it in the buffer
	}
	// The request line; empty lines before it are skipped (nginx sw_start).
	var line []byte
	var err error
	for {
		line, err = readLine(c.br)
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				// nginx logs the large buffer it gave up on as $request
				r.line = requestText(line[:min(len(line), def.headerBufLarge)])
			} else if len(line) > 0 {
				r.line = requestText(line) // the part that came
			}
			return r.headReadError(err, action, &hb)
		}
		r.reqLen += int64(len(line))
		if len(line) > 2 || (len(line) == 2 && line[0] != '\r') {
			break
		}
	}
	if watched {
		r.rawHead = append(make([]byte, 0, 512), line...)
	}
	if !hb.fits(len(line)) {
		r.line = requestText(line[:min(len(line), def.headerBufLarge)])
		return &parseError{status: 414, msg: "client sent too long URI", action: action}
	}
	r.line = requestText(line)
	text := string(line[:len(line)-1])
	text = strings.TrimSuffix(text, "\r")
	rl, perr := parseRequestLine(text)
	if perr != nil {
		if rl.major == 0 && rl.minor == 9 {
			r.major, r.minor = 0, 9 // a non-GET HTTP/0.9 request gets a 0.9 answer
		}
		perr.action = action
		return perr
	}
	r.method, r.proto, r.major, r.minor = rl.method, rl.proto, rl.major, rl.minor
	r.target = rl.target
	if err := r.splitTarget(); err != nil {
		return &parseError{status: 400, msg: "client sent invalid request", action: action}
	}
	if rl.host != "" {
		host, ok := validateHost(rl.host)
		if !ok {
			return &parseError{status: 400, msg: "client sent invalid host in request line", action: action}
		}
		r.absHost = host
		r.selectServer(host)
	}
	if r.major == 0 { // HTTP/0.9: no headers follow
		return nil
	}
	r.keepalive = r.major == 1 && r.minor >= 1
	for {
		line, err = readLine(c.br)
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				return r.tooLongHeader(line, &hb)
			}
			return r.headReadError(err, actionHeaders, &hb)
		}
		r.reqLen += int64(len(line))
		if watched {
			r.rawHead = append(r.rawHead, line...)
		}
		if !hb.fits(len(line)) {
			return r.tooLongHeader(line, &hb)
		}
		trimmed := line[:len(line)-1]
		if n := len(trimmed); n > 0 && trimmed[n-1] == '\r' {
			trimmed = trimmed[:n-1]
		}
		if len(trimmed) == 0 {
			return nil
		}
		h, valid, end, perr := parseHeaderLineEnd(trimmed, def.underscores)
		if perr != nil {
			return perr
		}
		if !valid && def.ignoreInvalid {
			r.logAction(levelInfo, actionHeaders, fmt.Sprintf("client sent invalid header line: \"%s\"", trimmed[:end]))
			continue
		}
		r.headers = append(r.headers, h)
		if perr := r.processHeader(h); perr != nil {
			return perr
		}
	}
}

// requestText is $request for a line read so far: up to its first CR or LF
// (ngx_http_variable_request_line).
func requestText(line []byte) string {
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	return string(line)
}

// tooLongHeader is the 494 of a header line that does not fit: nginx logs
// the part of it that filled the buffer it gave up on (at most
// NGX_MAX_ERROR_STR - 300 bytes).
func (r *request) tooLongHeader(line []byte, hb *headBuffers) *parseError {
	n := hb.room(len(line))
	n = min(n, len(line), 2048-300)
	return &parseError{status: statusHeaderTooLarge, action: actionHeaders,
		msg: fmt.Sprintf("client sent too long header line: \"%s...\"", line[:n])}
}

func (r *request) headReadError(err error, action string, hb *headBuffers) *parseError {
	switch {
	case errors.Is(err, errLineTooLong):
		return &parseError{status: 414, msg: "client sent too long URI", action: action}
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &parseError{status: 408, msg: "client timed out (110: Connection timed out)", action: action}
	}
	// ngx_http_read_request_header: the client closed (or reset) the
	// connection in the middle of the head
	msg := "client prematurely closed connection"
	if errno.Is(err, errno.ECONNRESET) {
		msg = "recv() failed (104: Connection reset by peer)"
	}
	return &parseError{status: 400, msg: msg, action: action, closed: true}
}

// splitTarget splits the request target into $uri (normalized) and $args.
func (r *request) splitTarget() error {
	t := r.target
	path, args := t, ""
	q := strings.IndexByte(t, '?')
	h := strings.IndexByte(t, '#')
	switch {
	case h >= 0 && (q < 0 || h < q):
		path = t[:h]
	case q >= 0:
		path, args = t[:q], t[q+1:]
		if h >= 0 {
			args = t[q+1 : h]
		}
	}
	r.args = args
	uri, err := normalizeURI(path, r.mergeSlashes)
	if err != nil {
		return err
	}
	r.uri = uri
	return nil
}
