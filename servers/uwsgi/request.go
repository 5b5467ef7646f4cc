package uwsgi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"webflow-lab/servers/trace"
	"webflow-lab/servers/uwsgiproto"
	"webflow-lab/servers/wsgi"
)

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 8192) }}
	reqSeq     atomic.Uint64
)

// timeoutConn applies uWSGI's socket-timeout to every read and write, so a
// client that sends half a packet and stalls (or stops reading) frees its
// worker after the timeout instead of holding it forever. Its read errors
// are sticky, like the direct path's connection's: a packet reader that
// stopped at an error sees the same error again, not a second wait.
type timeoutConn struct {
	net.Conn
	d    time.Duration
	rerr error
}

func (c *timeoutConn) Read(p []byte) (int, error) {
	if c.rerr != nil {
		return 0, c.rerr
	}
	c.Conn.SetReadDeadline(time.Now().Add(c.d))
	n, err := c.Conn.Read(p)
	c.rerr = err
	return n, err
}

func (c *timeoutConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.d))
	return c.Conn.Write(p)
}

// serve handles one accepted connection on core c, start to finish.
func (s *Server) serve(c *core, j job) {
	conn := j.conn
	defer conn.Close()
	var rw io.ReadWriter = conn // the direct path's connection times out by itself
	if !selfTimed(conn) {
		rw = &timeoutConn{Conn: conn, d: s.socketTimeout}
	}
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(rw)
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(rw)
	defer func() {
		br.Reset(nil)
		bw.Reset(nil)
		readerPool.Put(br)
		writerPool.Put(bw)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.begin(conn, cancel)
	defer c.end()

	var (
		vars     uwsgiproto.Vars
		varsSize int
		raw      []byte
		body     = br
	)
	switch j.l.proto {
	case "http":
		req, err := http.ReadRequest(br)
		if err != nil {
			if err != io.EOF {
				s.badRequest(c, j, "http-socket: invalid HTTP request: "+err.Error(), "")
			}
			return
		}
		req.RemoteAddr = conn.RemoteAddr().String()
		vars = wsgi.HTTPVars(req, j.l.a.raw)
		kept := vars[:0]
		for _, v := range vars {
			if v.Key != "UWSGI_ROUTER" { // workers parse HTTP themselves: no router
				kept = append(kept, v)
			}
		}
		vars = kept
		varsSize = vars.Size()
		if req.Body != nil && req.ContentLength != 0 {
			body = bufio.NewReader(req.Body)
		}
	default:
		pr := uwsgiproto.PacketReader{BufferSize: s.bufferSize, NoRaw: !(s.tracing && trace.Watched(s.rec))}
		pkt, err := pr.Read(br)
		if err != nil {
			if err == io.EOF {
				return // connected and closed without a byte: nothing to log
			}
			var de *uwsgiproto.DecodeError
			msg := err.Error()
			if errors.As(err, &de) {
				msg = de.Log
			}
			stalled := ""
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || strings.Contains(msg, "i/o timeout") {
				stalled = s.socketTimeout.String()
			}
			if errors.Is(err, uwsgiproto.ErrBlockTooBig) {
				// uWSGI closes with the block unread, so the peer gets a
				// reset (nginx: "recv() failed (104: Connection reset by peer)").
				resetOnClose(conn)
			}
			s.badRequest(c, j, msg, stalled)
			return
		}
		if pkt.Header.Modifier1 != 0 {
			s.badRequest(c, j, fmt.Sprintf("-- unavailable modifier requested: %d --", pkt.Header.Modifier1), "")
			return
		}
		vars, varsSize, raw = pkt.Vars, int(pkt.Header.Size), pkt.Raw
	}
	s.handle(ctx, c, j, vars, varsSize, raw, body, bw)
}

// badRequest logs a malformed request and records it; the caller closes.
// msg is uWSGI's log text; stalled is socket-timeout when the client
// stalled past it.
func (s *Server) badRequest(c *core, j job, msg, stalled string) {
	why := msg
	if stalled != "" {
		why += " -- the client stalled longer than socket-timeout (" + stalled + ")"
	}
	s.log.Print(why)
	c.w.slot.cores[c.id].readErrors.Add(1)
	if trace.Watched(s.rec) {
		whyZH := "无法读取请求：" + msg
		if stalled != "" {
			whyZH += "（客户端停顿超过了 socket-timeout " + stalled + "）"
		}
		s.rec.Record(trace.Event{From: s.fromNode(j.l), To: trace.Uwsgi, Instance: s.name, Phase: trace.Failed,
			At: trace.Now(), Why: why, WhyZH: whyZH})
	}
}

// handle runs one decoded request: static-map first, then the app.
func (s *Server) handle(ctx context.Context, c *core, j job, vars uwsgiproto.Vars, varsSize int, raw []byte,
	body *bufio.Reader, bw *bufio.Writer) {
	start := time.Now()
	slot := c.w.slot
	reqID, _ := vars.Get("HTTP_X_REQUEST_ID")
	// entry: no request id came with the request, so to a watcher the
	// request begins and ends here (unless the lab joins it to the
	// proxy's by the connection's addresses).
	entry := reqID == ""
	if entry {
		var b [64]byte
		reqID = string(strconv.AppendUint(append(append(b[:0], s.name...), '-'), reqSeq.Add(1), 36))
	}
	// The packet's bytes and the environ are kept for the inspector only
	// when a watcher follows this request (or, for one beginning here,
	// would follow it).
	// Events are built only while someone watches.
	tracing := s.tracing && trace.Watched(s.rec)
	watched := tracing && (entry && trace.Admits(s.rec) || !entry && trace.WantsPDU(s.rec, reqID))
	if tracing {
		// One event for the accept and the request it became: when it was
		// accepted, how long it waited for a worker, which one took it.
		took := "worker " + itoa(slot.id) + " core " + itoa(c.id) + " took it"
		tookZH := "工作进程 " + itoa(slot.id) + " 的线程 " + itoa(c.id) + " 接手"
		if !j.accepted.IsZero() {
			wait := start.Sub(j.accepted).Round(time.Microsecond).String()
			if j.queued {
				took = "accepted on " + j.l.name() + ", waited " + wait + " in the listen queue for a free worker; " + took
				tookZH = "在 " + j.l.name() + " 上被接受，在监听队列中等待空闲 worker " + wait + "；" + tookZH
			} else {
				took = "accepted on " + j.l.name() + " " + wait + " before; " + took
				tookZH = "在 " + j.l.name() + " 上被接受（" + wait + " 前）；" + tookZH
			}
		}
		ev := trace.Event{ReqID: reqID, From: s.fromNode(j.l), To: trace.Uwsgi, Instance: s.name, Phase: trace.Arrived,
			At: trace.Now(), Bytes: varsSize + uwsgiproto.HeaderLen, First: entry, Conn: trace.ConnName(j.conn),
			Why: took, WhyZH: tookZH}
		if watched && raw != nil {
			ev.PDU = &trace.PDU{Kind: trace.UwsgiPacket, Data: raw}
		}
		s.rec.Record(ev)
	}

	get := func(k string) string { v, _ := vars.Get(k); return v }
	proto := get("SERVER_PROTOCOL")
	lg := requestLog{app: 0, remoteAddr: get("REMOTE_ADDR"), remoteUser: get("REMOTE_USER"),
		vars: 2 * len(vars), varsBytes: varsSize, start: start, method: get("REQUEST_METHOD"),
		uri: get("REQUEST_URI"), proto: proto, core: c.id, entry: entry, traced: tracing}
	if lg.uri == "" {
		lg.uri = get("PATH_INFO")
	}
	c.setRequest(lg.remoteAddr, lg.method, lg.uri)
	if proto == "" {
		lg.proto = "HTTP/1.0"
	}
	stop := trace.Stop{ReqID: reqID, Instance: s.name, Method: lg.method}
	if s.points.Armed() {
		stop.Path = get("PATH_INFO")
		if err := s.ask(ctx, trace.QueueToWorker, &stop); err != nil {
			// The worker never had it: the client's connection is reset,
			// as when a worker dies with a request accepted, and uWSGI
			// logs no request line.
			resetOnClose(j.conn)
			s.rec.Record(trace.Event{ReqID: reqID, From: trace.Uwsgi, To: s.fromNode(j.l), Instance: s.name,
				Phase: trace.Failed, At: trace.Now(), Last: entry, Why: "connection reset at queue→worker: " + err.Error(),
				WhyZH: "在 queue→worker 处连接被重置：" + err.Error()})
			return
		}
	}

	if sr, ok := s.lookupStatic(get("PATH_INFO"), lg.method); ok {
		n, hn, hb, status, err := s.serveStatic(bw, proto, sr, vars)
		bw.Flush()
		if tracing {
			s.rec.Record(trace.Event{ReqID: reqID, From: trace.Uwsgi, To: trace.Disk, Instance: s.name, Phase: trace.Info,
				At: trace.Now(), Why: "static-map " + sr.mount + " → " + sr.path,
				WhyZH: "static-map 把 " + sr.mount + " 映射到 " + sr.path})
		}
		if c.killed.Load() {
			return
		}
		slot.cores[c.id].staticRequests.Add(1)
		if err != nil {
			slot.cores[c.id].writeErrors.Add(1)
		}
		lg.app, lg.appReqs, lg.sendfile = -1, -1, true
		lg.bodyBytes, lg.headers, lg.headerBytes, lg.status = n, hn, hb, status
		s.finishRequest(c, &lg, start, reqID, false, int64(hb)+n)
		return
	}

	h := s.app.Load()
	if h == nil || h.app == nil {
		// uWSGI 2.0 "full dynamic mode": no app, every request gets this.
		s.log.Print("--- no python application found, check your startup logs for errors ---")
		const msg = "Internal Server Error"
		rw := &wsgi.RawWriter{W: bw, Protocol: proto}
		hdr := []wsgi.Header{{Name: "Connection", Value: "close"}, {Name: "Content-Type", Value: "text/plain"}}
		rw.WriteHead("500 Internal Server Error", hdr)
		bw.WriteString(msg)
		bw.Flush()
		lg.app, lg.appReqs, lg.status, lg.bodyBytes = -1, -1, 500, int64(len(msg))
		lg.headers, lg.headerBytes = len(hdr), wsgi.HeadSize(proto, "500 Internal Server Error", hdr)
		s.finishRequest(c, &lg, start, reqID, false, int64(lg.headerBytes)+lg.bodyBytes)
		return
	}

	env := wsgi.FromVars(vars, body)
	env.Server = wsgi.ServerInfo{Instance: s.name, PID: s.pid, Worker: slot.id, Core: c.id}
	env.Multithread = s.threads > 1
	env.Multiprocess = s.processes != 1
	env.Context = ctx
	env.Trace = s.rec
	env.Points = s.points
	env.RequestID = reqID
	env.Errors = s.log
	if watched {
		s.rec.Record(trace.Event{ReqID: reqID, From: trace.Uwsgi, To: trace.App, Instance: s.name, Phase: trace.Sent,
			At: trace.Now(), Why: "app called", WhyZH: "调用应用", PDU: &trace.PDU{Kind: trace.Environ, Data: environText(vars)}})
	} else if tracing {
		s.rec.Record(trace.Event{ReqID: reqID, From: trace.Uwsgi, To: trace.App, Instance: s.name, Phase: trace.Sent,
			At: trace.Now(), Why: "app called", WhyZH: "调用应用"})
	}
	app := h.app
	if s.points.Armed() {
		if err := s.ask(ctx, trace.WorkerToApp, &stop); err != nil {
			// An error at the app is an exception in it: uWSGI logs it and
			// the client gets what uWSGI sends for one.
			app = failingApp{err}
		}
	}
	c.rw = wsgi.RawWriter{W: bw, Protocol: proto} // the core's own: no allocation per request
	res := wsgi.Call(app, env, &c.rw)
	c.rw = wsgi.RawWriter{}
	if s.points.Armed() && !res.WriteErr {
		// What the app wrote waits in the core's buffer (its first 8 KB)
		// until both return hops let it go.
		for _, hop := range [...]trace.Hop{trace.AppToWorker, trace.UwsgiToProxy} {
			if err := s.ask(ctx, hop, &stop); err != nil {
				resetOnClose(j.conn)
				res.WriteErr, res.Err = true, err
				break
			}
		}
	}
	if !res.WriteErr {
		if err := bw.Flush(); err != nil {
			res.WriteErr = true
			if res.Err == nil {
				res.Err = err
			}
		}
	}
	if c.killed.Load() {
		// harakiri killed this worker: in uWSGI the process is gone and
		// logs nothing more for the request.
		return
	}
	slot.appRequests.Add(1)
	lg.appReqs = slot.appRequests.Load()
	lg.status = res.Status
	lg.bodyBytes = res.BodyBytes
	if res.HeadSent {
		lg.headers, lg.headerBytes = res.Headers, res.HeaderBytes
	}
	switch {
	case res.Err != nil && res.WriteErr:
		slot.cores[c.id].writeErrors.Add(1)
		s.log.Printf("uwsgi_response_write_body_do(): %s [core/writer.c line 429] during %s %s (%s)",
			writeErrText(res.Err), lg.method, lg.uri, lg.remoteAddr)
		lg.switches = 1
	case res.Err != nil:
		slot.exceptions.Add(1)
		slot.appExceptions.Add(1)
		s.log.Printf("wsgi app error on %s %s: %v", lg.method, lg.uri, res.Err)
		if !res.HeadSent && res.Status == 0 {
			lg.status = 500 // what uWSGI logs for an exception before start_response
		}
	default:
		lg.switches = 1
	}
	if res.Err != nil && trace.Watched(s.rec) {
		msg, whyZH := res.Err.Error(), "应用出错："
		if res.WriteErr {
			whyZH = "写回应答失败："
		}
		s.rec.Record(trace.Event{ReqID: reqID, From: trace.App, To: trace.Uwsgi, Instance: s.name, Phase: trace.Failed,
			At: trace.Now(), Status: lg.status, Why: msg, WhyZH: whyZH + msg})
	} else if res.Err == nil && tracing {
		s.rec.Record(trace.Event{ReqID: reqID, From: trace.App, To: trace.Uwsgi, Instance: s.name, Phase: trace.Returned,
			At: trace.Now(), Status: lg.status, Bytes: int(res.BodyBytes), Why: "app returned " + res.StatusLine,
			WhyZH: "应用返回 " + res.StatusLine})
	}
	s.finishRequest(c, &lg, start, reqID, true, int64(res.HeaderBytes)+res.BodyBytes)
}

// finishRequest updates the counters the stats server shows and logs the
// request line.
func (s *Server) finishRequest(c *core, lg *requestLog, start time.Time, reqID string, app bool, tx int64) {
	slot := c.w.slot
	rt := time.Since(start)
	us := rt.Microseconds()
	slot.requests.Add(1)
	slot.deltaRequests.Add(1)
	slot.cores[c.id].requests.Add(1)
	slot.tx.Add(tx)
	slot.runningTime.Add(us)
	if app {
		// core/utils.c: not a mean, a running halving (avg + rt) / 2.
		for {
			old := slot.avgRT.Load()
			if slot.avgRT.CompareAndSwap(old, (old+us)/2) {
				break
			}
		}
	}
	lg.totalReqs = s.totalRequests.Add(1)
	lg.rt = rt
	if !s.cfg.DisableLogging {
		s.log.request(s.pid, lg)
	}
	if !lg.traced {
		return
	}
	s.rec.Record(trace.Event{ReqID: reqID, From: trace.Uwsgi, To: trace.Proxy, Instance: s.name, Phase: trace.Returned,
		At: trace.Now(), Bytes: int(tx), Status: lg.status, Last: lg.entry,
		Why:   "worker " + itoa(slot.id) + " answered in " + rt.Round(time.Microsecond).String(),
		WhyZH: "工作进程 " + itoa(slot.id) + " 用时 " + rt.Round(time.Microsecond).String() + " 作答"})
}

// ask asks the lab's point at hop for the request stop describes.
func (s *Server) ask(ctx context.Context, hop trace.Hop, stop *trace.Stop) error {
	stop.Hop = hop
	return s.points.Ask(ctx, *stop)
}

// failingApp is an app that raises err: what a lab fault at worker→app runs
// in place of the real app, on the real error path.
type failingApp struct{ err error }

func (f failingApp) ServeWSGI(*wsgi.Environ, wsgi.StartResponse) (wsgi.Body, error) {
	return nil, fmt.Errorf("error injected by the lab at worker→app: %w", f.err)
}

// resetOnClose makes conn's close send a reset instead of an orderly FIN,
// so the peer reads "Connection reset by peer".
func resetOnClose(conn net.Conn) {
	switch c := conn.(type) {
	case *net.TCPConn:
		c.SetLinger(0)
	case interface{ resetOnClose() }: // the direct path's connection
		c.resetOnClose()
	}
}

func writeErrText(err error) string {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "Connection timed out"
	case strings.Contains(err.Error(), "broken pipe"):
		return "Broken pipe"
	case strings.Contains(err.Error(), "connection reset"):
		return "Connection reset by peer"
	}
	return err.Error()
}

// environText renders the vars as the inspector's "KEY=value" lines.
func environText(vars uwsgiproto.Vars) []byte {
	n := 0
	for _, v := range vars {
		n += len(v.Key) + len(v.Value) + 2
	}
	b := make([]byte, 0, n)
	for _, v := range vars {
		b = append(b, v.Key...)
		b = append(b, '=')
		b = append(b, v.Value...)
		b = append(b, '\n')
	}
	return b
}
