package uwsgi

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"time"

	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/servers/wsgi"
)

// routerIdleTimeout is how long a keep-alive client may stay silent
// (uWSGI's http-timeout is 60 s).
const routerIdleTimeout = 60 * time.Second

// maxChunkedBody caps a chunked request body, which the router must hold to
// learn its CONTENT_LENGTH before it can build the uwsgi packet.
const maxChunkedBody = 64 << 20

// router is uWSGI's HTTP router (`http = addr`): it accepts browsers, turns
// each request into the vars uWSGI's http plugin sends (wsgi.HTTPVars) and
// forwards it over the uwsgi protocol to the instance's first uwsgi socket,
// where the workers pick it up like any other uwsgi request. Unlike uWSGI's
// router it keeps client connections alive: a response with Content-Length
// is relayed as is, one without is chunked for HTTP/1.1 clients, and HTTP/1.0
// clients (or "Connection: close") get the response up to close. An answer
// the client could not frame (the worker broke off before Content-Length
// bytes) ends the connection: a kept one would leave the browser waiting.
type router struct {
	s      *Server
	l      *listener
	target *listener

	mu    sync.Mutex
	conns map[net.Conn]bool // true while idle between requests
}

func newRouter(s *Server, l, target *listener) *router {
	return &router{s: s, l: l, target: target, conns: map[net.Conn]bool{}}
}

func (r *router) serve() {
	defer r.s.acceptors.Done()
	for {
		conn, err := r.l.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		select {
		case <-r.s.closing:
			r.mu.Unlock()
			conn.Close()
			return
		default:
		}
		r.conns[conn] = true
		r.s.acceptors.Add(1)
		r.mu.Unlock()
		go r.handle(conn)
	}
}

// closeIdle closes the keep-alive connections waiting for a request; busy
// ones close after their response (Shutdown).
func (r *router) closeIdle() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c, idle := range r.conns {
		if idle {
			c.Close()
		}
	}
}

// busy counts the client connections with a request in progress.
func (r *router) busy() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, idle := range r.conns {
		if !idle {
			n++
		}
	}
	return n
}

func (r *router) setIdle(c net.Conn, idle bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.s.closing:
		return false
	default:
	}
	r.conns[c] = idle
	return true
}

func (r *router) handle(conn net.Conn) {
	defer r.s.acceptors.Done()
	defer func() {
		r.mu.Lock()
		delete(r.conns, conn)
		r.mu.Unlock()
		conn.Close()
	}()
	br := bufio.NewReader(conn)
	bw := bufio.NewWriter(conn)
	for {
		if !r.setIdle(conn, true) {
			return
		}
		conn.SetReadDeadline(time.Now().Add(routerIdleTimeout))
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if !r.setIdle(conn, false) {
			// Shutdown began while the request arrived: it is still answered.
			r.mu.Lock()
			r.conns[conn] = false
			r.mu.Unlock()
		}
		conn.SetReadDeadline(time.Time{})
		if !r.forward(conn, req, bw) {
			return
		}
		select {
		case <-r.s.closing:
			return
		default:
		}
	}
}

// forward sends one request to the workers and relays the answer; it
// reports whether the client connection can carry another request.
func (r *router) forward(client net.Conn, req *http.Request, bw *bufio.Writer) bool {
	s := r.s
	// The router's own id for its events: uWSGI's router passes no id to
	// the worker (a client's own X-Request-Id header goes up as any header
	// does), so the lab joins the worker's events to these by the
	// connection between them.
	var idb [64]byte
	reqID := string(strconv.AppendUint(append(append(idb[:0], s.name...), "-http-"...), reqSeq.Add(1), 36))
	// Reasons are built only while someone watches (a recorder drops
	// events nobody watches anyway).
	watched := trace.Watched(s.rec)
	if watched {
		line := req.Method + " " + req.RequestURI
		s.rec.Record(trace.Event{ReqID: reqID, From: trace.Browser, To: trace.Uwsgi, Instance: s.name, Phase: trace.Arrived,
			At: trace.Now(), First: true, Conn: trace.ConnName(client), Why: "http router: " + line, WhyZH: "http 路由：" + line})
	}
	ended := false // a last event was recorded
	defer func() {
		if !ended {
			s.rec.Record(trace.Event{ReqID: reqID, From: trace.Uwsgi, To: trace.Browser, Instance: s.name,
				Phase: trace.Failed, At: trace.Now(), Last: true, Why: "http router: no answer", WhyZH: "http 路由没有应答"})
		}
	}()
	req.RemoteAddr = client.RemoteAddr().String() // http.ReadRequest leaves it empty
	vars := wsgi.HTTPVars(req, r.l.a.raw)
	var body io.Reader = req.Body
	if req.ContentLength < 0 { // chunked: learn the length first
		b, err := io.ReadAll(io.LimitReader(req.Body, maxChunkedBody+1))
		if err != nil || len(b) > maxChunkedBody {
			return false
		}
		vars = append(vars, uwsgiproto.Var{Key: "CONTENT_LENGTH", Value: strconv.Itoa(len(b))})
		body = bytes.NewReader(b)
	}
	if r.target == nil {
		return false
	}
	up, err := net.Dial(r.target.raw.Addr().Network(), r.target.raw.Addr().String())
	if err != nil {
		s.log.Printf("[uwsgi-http] unable to connect() to node \"%s\": %v", r.target.name(), err)
		return false
	}
	defer up.Close()
	if watched {
		name := r.target.name()
		s.rec.Record(trace.Event{ReqID: reqID, From: trace.Uwsgi, To: trace.Uwsgi, Instance: s.name, Phase: trace.Sent,
			At: trace.Now(), Conn: trace.DialedConnName(up), Why: "http router → worker socket " + name,
			WhyZH: "http 路由 → 工作进程的 socket " + name})
	}
	// uWSGI's http-timeout (60 s): a worker that neither reads nor answers
	// for that long does not hold the router's connection (nor Shutdown)
	// forever.
	tup := &timeoutConn{Conn: up, d: routerIdleTimeout}
	// The body goes up while the answer comes down: an app that answers
	// before reading its body must not deadlock the router.
	sent := make(chan error, 1)
	go func() {
		_, err := uwsgiproto.WriteRequest(up, 0, 0, vars, body)
		sent <- err
	}()
	ubr := bufio.NewReader(tup)
	resp, err := uwsgiproto.ReadResponse(ubr, 64<<10)
	if err != nil {
		// The worker closed without an answer (harakiri, bad packet): the
		// client gets the same nothing uWSGI's router gives it.
		up.Close()
		<-sent
		if trace.Watched(s.rec) {
			msg := err.Error()
			s.rec.Record(trace.Event{ReqID: reqID, From: trace.Uwsgi, To: trace.Browser, Instance: s.name, Phase: trace.Failed,
				At: trace.Now(), Last: true, Why: "http router: " + msg, WhyZH: "http 路由没有收到工作进程的应答：" + msg})
		}
		ended = true
		return false
	}
	keep := req.ProtoAtLeast(1, 1) && !req.Close
	if v, ok := resp.Get("Connection"); ok && hasToken(v, "close") {
		keep = false // the app asked for it; the client will close too
	}
	noBody := req.Method == "HEAD" || resp.Status == 204 || resp.Status == 304 || resp.Status/100 == 1
	cl := int64(-1) // the length ReadResponse cuts the body at (nginx's rule: the last valid header)
	if lr, ok := resp.Body.(*io.LimitedReader); ok {
		cl = lr.N
	}
	head := relayHead(resp)
	var copied int64
	var cerr error
	switch {
	case noBody:
		bw.Write(head)
	case cl >= 0:
		bw.Write(head)
		copied, cerr = io.Copy(bw, resp.Body)
		if cerr == nil && copied < cl {
			cerr = io.ErrUnexpectedEOF
		}
	case keep:
		bw.Write(head[:len(head)-2])
		bw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		cw := httputil.NewChunkedWriter(bw)
		_, cerr = io.Copy(cw, resp.Body)
		if cerr == nil {
			cw.Close()
			bw.WriteString("\r\n")
		}
	default:
		bw.Write(head)
		io.Copy(bw, resp.Body)
		keep = false
	}
	err = bw.Flush()
	up.Close()
	<-sent
	if cerr != nil {
		// The worker died or reset mid-body (harakiri, a close with the
		// request body unread): the client has a head promising more than
		// it got. Keeping the connection would leave the browser waiting
		// for the rest forever and the next request queued behind it, so
		// close it, as uWSGI's router and nginx do with a truncated answer.
		s.log.Printf("[uwsgi-http] %s %s: the answer from \"%s\" broke off after %d body bytes: %v",
			req.Method, req.RequestURI, r.target.name(), copied, cerr)
		if trace.Watched(s.rec) {
			msg := cerr.Error()
			s.rec.Record(trace.Event{ReqID: reqID, From: trace.Uwsgi, To: trace.Browser, Instance: s.name, Phase: trace.Failed,
				At: trace.Now(), Status: resp.Status, Last: true, Why: "http router: answer cut short: " + msg,
				WhyZH: "http 路由：应答被截断：" + msg})
		}
		ended = true
		return false
	}
	s.rec.Record(trace.Event{ReqID: reqID, From: trace.Uwsgi, To: trace.Browser, Instance: s.name, Phase: trace.Returned,
		At: trace.Now(), Status: resp.Status, Last: true, Why: "http router relayed the answer", WhyZH: "http 路由转回了应答"})
	ended = true
	if req.Body != nil {
		// Drain what the app left unread, so the next request starts at its
		// own first byte; a body too big to drain ends the connection.
		if n, _ := io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20)); n == 1<<20 {
			keep = false
		}
	}
	return keep && err == nil
}

// relayHead is the head as the client gets it, always ending in "\r\n\r\n"
// (the chunked case inserts a field before the blank line). A worker's
// status line and fields go through byte for byte; a CGI-style head (no
// status line, "Status: 404 Not Found") gets the HTTP status line a browser
// needs, and a head whose lines end in a bare "\n" (which nginx and
// ReadResponse accept) gets its final blank line as "\r\n".
func relayHead(resp *uwsgiproto.Response) []byte {
	head := resp.Head
	if resp.Proto == "" {
		var b bytes.Buffer
		b.WriteString("HTTP/1.1 " + strconv.Itoa(resp.Status) + " " + resp.Reason + "\r\n")
		for _, f := range resp.Fields {
			b.WriteString(f.Name + ": " + f.Value + "\r\n")
		}
		b.WriteString("\r\n")
		return b.Bytes()
	}
	if bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		return head
	}
	// Cut the blank line and the end of the last line, whatever their
	// form ("\n\n", "\r\n\n", "\n\r\n"), and end both properly.
	body := bytes.TrimSuffix(head, []byte("\n"))
	body = bytes.TrimSuffix(body, []byte("\r"))
	body = bytes.TrimSuffix(body, []byte("\n"))
	body = bytes.TrimSuffix(body, []byte("\r"))
	return append(append([]byte(nil), body...), "\r\n\r\n"...)
}

// hasToken reports whether the comma-separated header value v lists tok
// (ASCII case-insensitive), as in "Connection: keep-alive, close".
func hasToken(v, tok string) bool {
	for _, t := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}
