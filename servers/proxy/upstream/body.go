package upstream

import (
	"errors"
	"io"
	"net"
	"net/http/httputil"
	"sync"
	"time"

	"webflow-lab/servers/trace"
)

// relay hands the response to the caller: the head now, the body as a
// reader that frees the peer when closed (nginx frees it in
// ngx_http_upstream_finalize_request, after the last body byte).
func (c *call) relay(a *attempt, bal peers) {
	h := a.head
	c.res.Status = h.Status
	c.res.Head = h
	c.res.Attempts = append(c.res.Attempts, Attempt{Addr: a.addr, Status: h.Status, Time: time.Since(a.start)})
	idx := len(c.res.Attempts) - 1

	ev := trace.Event{ReqID: c.r.ID, From: c.to, To: trace.Proxy, Instance: a.addr, Phase: trace.Returned,
		At: trace.Now(), Bytes: h.Size, Status: h.Status, Why: h.StatusLine}
	if trace.Watched(c.rec) && !h.HTTP09 {
		ev.PDU = &trace.PDU{Kind: trace.HTTPHead, Data: append([]byte(nil), a.buf[:h.Size]...)}
	}
	c.rec.Record(ev)

	b := &body{
		buf:     a.buf,
		conn:    a.conn,
		pre:     a.buf[h.Size:a.n],
		left:    bodyLength(c.s.Protocol, c.r.Method, h),
		timeout: c.s.ReadTimeout,
		drain:   c.s.IgnoreClientAbort,
		url:     c.url(a.addr),
		onClose: func() {
			bal.free(false)
			c.res.Attempts[idx].Time = time.Since(a.start)
		},
	}
	if c.s.Protocol == "http" && h.Chunked && b.left != 0 {
		b.chunked = httputil.NewChunkedReader(rawReader{b})
		b.left = -1
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

// body is Result.Body.
type body struct {
	buf     []byte // the head buffer, recycled on Close
	conn    net.Conn
	pre     []byte // body bytes that came with the head
	left    int64  // bytes still expected; -1 = until the peer closes
	chunked io.Reader
	timeout time.Duration
	drain   bool // ignore_client_abort: Close reads the rest first
	url     string
	onClose func()

	err       error // sticky
	closeOnce sync.Once
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.chunked != nil {
		n, err := b.chunked.Read(p)
		if err != nil && err != io.EOF {
			var be *BodyError
			if !errors.As(err, &be) {
				msg := "upstream sent invalid chunked response"
				if isEOF(err) {
					msg = "upstream prematurely closed connection"
				}
				err = &BodyError{Entry: LogEntry{Level: Error, Msg: msg, Action: ActReadBody, Upstream: b.url}, Err: err}
			}
		}
		if err != nil {
			b.err = err
		}
		return n, err
	}
	if b.left == 0 {
		b.err = io.EOF
		return 0, io.EOF
	}
	if b.left > 0 && int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.raw(p)
	if b.left > 0 {
		b.left -= int64(n)
	}
	if err == io.EOF && b.left > 0 {
		err = &BodyError{Entry: LogEntry{Level: Error, Msg: "upstream prematurely closed connection",
			Action: ActReadBody, Upstream: b.url}, Err: io.ErrUnexpectedEOF}
	}
	if err != nil {
		b.err = err
	}
	return n, err
}

// raw reads the connection: leftover head-buffer bytes first, then reads
// with read_timeout between two of them.
func (b *body) raw(p []byte) (int, error) {
	if len(b.pre) > 0 {
		n := copy(p, b.pre)
		b.pre = b.pre[n:]
		return n, nil
	}
	b.conn.SetReadDeadline(time.Now().Add(b.timeout))
	n, err := b.conn.Read(p)
	if err == nil || err == io.EOF {
		return n, err
	}
	msg := "recv() failed " + errnoText(err)
	if isTimeout(err) {
		msg = timedOut
	}
	return n, &BodyError{Entry: LogEntry{Level: Error, Msg: msg, Action: ActReadBody, Upstream: b.url}, Err: err}
}

// Close ends the relay and frees the peer. With ignore_client_abort on, nginx
// lets the upstream finish even when the client is gone, so Close first
// reads the rest of the body and throws it away.
func (b *body) Close() error {
	b.closeOnce.Do(func() {
		if b.drain && b.err == nil {
			io.Copy(io.Discard, b)
		}
		b.conn.Close()
		if b.err == nil {
			b.err = errors.New("upstream: body closed")
		}
		b.pre = nil
		putBuf(b.buf)
		b.buf = nil
		b.onClose()
	})
	return nil
}

// rawReader feeds the chunked decoder.
type rawReader struct{ b *body }

func (r rawReader) Read(p []byte) (int, error) { return r.b.raw(p) }
