package upstream

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http/httputil"
	"sync"
	"time"

	"webflow-lab/servers/trace"
)

// MaxBuffered is how much of a response body the engine holds in memory
// ahead of the client. nginx (uwsgi_buffering/proxy_buffering on) reads the
// upstream as fast as it answers, into memory buffers and then a temp file,
// and frees the peer as soon as the upstream is done, however slow the
// client. The lab keeps up to MaxBuffered in memory and has no temp file:
// past it, the upstream waits for the client.
const MaxBuffered = 1 << 20

// relay hands the response to the caller: the head now, the body through a
// pump that reads the upstream independently of the client and frees the
// peer when the upstream is done (ngx_event_pipe, then
// ngx_http_upstream_finalize_request).
func (c *call) relay(a *attempt, bal peers) {
	h := a.head
	c.res.Status = h.Status
	c.res.Head = h
	c.res.Attempts = append(c.res.Attempts, Attempt{Addr: a.addr, Status: h.Status, Time: time.Since(a.start)})
	idx := len(c.res.Attempts) - 1

	ev := trace.Event{ReqID: c.r.ID, From: c.to, To: trace.Proxy, Instance: a.addr, Phase: trace.Returned,
		At: trace.Now(), Bytes: h.Size, Status: h.Status, Why: h.StatusLine, WhyZH: h.StatusLine}
	if !h.HTTP09 && trace.WantsPDU(c.rec, c.r.ID) {
		ev.PDU = &trace.PDU{Kind: trace.HTTPHead, Data: append([]byte(nil), a.buf[:h.Size]...)}
	}
	c.rec.Record(ev)

	b := &body{drain: c.s.IgnoreClientAbort, max: MaxBuffered, bal: bal,
		attempt: &c.res.Attempts[idx], start: a.start}
	src := &b.source
	*src = source{
		buf:     a.buf,
		conn:    a.conn,
		pre:     a.buf[h.Size:a.n],
		left:    bodyLength(c.s.Protocol, c.r.Method, h),
		timeout: c.s.ReadTimeout,
		url:     c.url(a.addr),
	}
	if c.s.Protocol == "http" && h.Chunked && src.left != 0 {
		src.chunked = httputil.NewChunkedReader(rawReader{src})
		src.left = -1
	}
	b.src = src
	if c.s.NoBuffering {
		b.max = c.s.BufferSize
	}
	b.cond.L = &b.mu
	switch {
	case src.chunked == nil && src.left >= 0 && int64(len(src.pre)) >= src.left:
		// The whole body came with the head (or there is none): nginx
		// finalizes the upstream at once, and so do we, without a pump.
		b.buf.Write(src.pre[:src.left])
		b.err = io.EOF
		b.finish()
		b.done = closedChan // no pump: done already
	default:
		b.done = make(chan struct{})
		go b.pump()
	}
	c.res.Body = b
}

// bodyLength is how many body bytes to relay, -1 meaning "to EOF"
// (ngx_http_uwsgi_input_filter_init, ngx_http_proxy_input_filter_init).
func bodyLength(protocol, method string, h *Head) int64 {
	if h.Status == 204 || h.Status == 304 {
		return 0
	}
	if method == "HEAD" {
		if protocol == "http" {
			return 0
		}
		return -1 // uwsgi: whatever the app sends, to EOF
	}
	if h.HTTP09 {
		return -1
	}
	return h.ContentLength
}

// closedChan is the done channel of a body that needed no pump.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

var chunks = sync.Pool{New: func() any { return new([16 << 10]byte) }}

// body is Result.Body: what the pump has read, waiting for the client.
type body struct {
	src   *source
	drain bool // ignore_client_abort: after Close the pump reads on and discards
	max   int  // how far the pump may read ahead of the client

	mu     sync.Mutex
	cond   sync.Cond
	buf    bytes.Buffer  // read from the upstream, not yet by the client
	err    error         // the pump's end: io.EOF or a *BodyError
	closed bool          // the client side is done
	done   chan struct{} // closed when the pump has freed the peer

	source  source   // what src points to: one allocation for both
	bal     peers    // the balancer, told when the upstream is done
	attempt *Attempt // this attempt in the Result, for $upstream_response_time
	start   time.Time
	ended   time.Time // when the upstream was done (finish)
}

// finish closes the upstream and frees its peer, as nginx finalizes the
// upstream part of a request, and notes when.
func (b *body) finish() {
	b.src.close()
	b.bal.free(false)
	b.ended = time.Now()
}

// pump reads the upstream until it is done, then frees the peer. Its owner
// is the body: Close waits for it.
func (b *body) pump() {
	defer close(b.done)
	defer b.finish()
	cp := chunks.Get().(*[16 << 10]byte)
	defer chunks.Put(cp)
	chunk := cp[:]
	for {
		b.mu.Lock()
		for b.buf.Len() >= b.max && !b.closed {
			b.cond.Wait()
		}
		stop := b.closed && !b.drain
		b.mu.Unlock()
		if stop {
			return
		}
		n, err := b.src.Read(chunk[:min(len(chunk), b.max)])
		b.mu.Lock()
		if !b.closed {
			b.buf.Write(chunk[:n])
		}
		if err != nil {
			b.err = err
		}
		b.cond.Broadcast()
		b.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Read returns body bytes as the pump gets them; after the last one, io.EOF
// or the *BodyError that ended the upstream.
func (b *body) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.buf.Len() == 0 && b.err == nil && !b.closed {
		b.cond.Wait()
	}
	if b.buf.Len() > 0 {
		n, _ := b.buf.Read(p)
		b.cond.Broadcast() // room for the pump
		return n, nil
	}
	if b.closed {
		return 0, errBodyClosed
	}
	return 0, b.err
}

var errBodyClosed = errors.New("upstream: body closed")

// Close ends the relay. With ignore_client_abort off an unfinished upstream
// is cut off, as nginx closes it when the client goes; with it on, the
// upstream runs to its end and the rest is thrown away. Close returns once
// the peer is freed.
func (b *body) Close() error {
	b.mu.Lock()
	first := !b.closed
	if first {
		b.closed = true
		b.buf.Reset()
		b.cond.Broadcast()
		if !b.drain {
			b.src.interrupt()
		}
	}
	b.mu.Unlock()
	<-b.done
	if first {
		// $upstream_response_time ends when the upstream did; it is
		// written here, on the caller's goroutine, which reads the Result.
		b.attempt.Time = b.ended.Sub(b.start)
	}
	return nil
}

// source reads the upstream's body bytes: what came with the head first,
// then the connection, stopping at Content-Length, at the end of a chunked
// body, or at EOF, with read_timeout between two reads.
type source struct {
	buf     []byte // the head buffer, recycled by close
	conn    net.Conn
	pre     []byte // body bytes that came with the head
	left    int64  // bytes still expected; -1 = until the peer closes
	chunked io.Reader
	timeout time.Duration
	url     string

	mu          sync.Mutex
	interrupted bool
}

func (s *source) Read(p []byte) (int, error) {
	if s.chunked != nil {
		n, err := s.chunked.Read(p)
		if err != nil && err != io.EOF {
			var be *BodyError
			if !errors.As(err, &be) {
				msg := "upstream sent invalid chunked response"
				if isEOF(err) {
					msg = "upstream prematurely closed connection"
				}
				err = &BodyError{Entry: LogEntry{Level: Error, Msg: msg, Action: ActReadBody, Upstream: s.url}, Err: err}
			}
		}
		return n, err
	}
	if s.left == 0 {
		return 0, io.EOF
	}
	if s.left > 0 && int64(len(p)) > s.left {
		p = p[:s.left]
	}
	n, err := s.raw(p)
	if s.left > 0 {
		s.left -= int64(n)
	}
	if err == io.EOF && s.left > 0 {
		err = &BodyError{Entry: LogEntry{Level: Error, Msg: "upstream prematurely closed connection",
			Action: ActReadBody, Upstream: s.url}, Err: io.ErrUnexpectedEOF}
	}
	return n, err
}

// raw reads the connection: leftover head-buffer bytes first, then reads
// with read_timeout between two of them.
func (s *source) raw(p []byte) (int, error) {
	if len(s.pre) > 0 {
		n := copy(p, s.pre)
		s.pre = s.pre[n:]
		return n, nil
	}
	s.mu.Lock()
	s.conn.SetReadDeadline(time.Now().Add(s.timeout))
	if s.interrupted {
		s.conn.SetReadDeadline(time.Unix(1, 0))
	}
	s.mu.Unlock()
	n, err := s.conn.Read(p)
	if err == nil || err == io.EOF {
		return n, err
	}
	msg := "recv() failed " + errnoText(err)
	if isTimeout(err) {
		msg = timedOut
	}
	return n, &BodyError{Entry: LogEntry{Level: Error, Msg: msg, Action: ActReadBody, Upstream: s.url}, Err: err}
}

// interrupt makes a blocked or future read return at once.
func (s *source) interrupt() {
	s.mu.Lock()
	s.interrupted = true
	s.conn.SetReadDeadline(time.Unix(1, 0))
	s.mu.Unlock()
}

func (s *source) close() {
	s.conn.Close()
	s.pre = nil
	putBuf(s.buf)
	s.buf = nil
}

// rawReader feeds the chunked decoder.
type rawReader struct{ s *source }

func (r rawReader) Read(p []byte) (int, error) { return r.s.raw(p) }
