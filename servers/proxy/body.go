package proxy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"time"
)

// readBody returns the whole request body, reading it from the client as
// nginx does with request buffering on (de-chunked, limited by
// client_max_body_size). A status above 0 is the answer to give instead
// (413, 400); -1 means the request ended without an answer (the client went
// away or timed out).
func (r *request) readBody() (body []byte, status int) {
	if r.bodyDone {
		return nil, 0
	}
	r.bodyDone = true
	if r.contentLength <= 0 && !r.chunked {
		return nil, 0
	}
	r.testExpect()
	r.c.nc.SetReadDeadline(time.Now().Add(r.loc0().s.bodyTimeout))
	var rd io.Reader
	if r.chunked {
		rd = &chunkedReader{br: r.c.br, limit: r.bodyLimit}
	} else {
		rd = io.LimitReader(r.c.br, r.contentLength)
	}
	var buf bytes.Buffer
	if r.contentLength > 0 {
		buf.Grow(int(min(r.contentLength, 64<<20)))
	}
	_, err := buf.ReadFrom(rd)
	if err == nil && !r.chunked && int64(buf.Len()) < r.contentLength {
		err = io.ErrUnexpectedEOF
	}
	switch {
	case err == errTooLarge:
		r.logf(levelError, "client intended to send too large chunked body: %d+%d bytes", buf.Len(), 0)
		r.lingering = true
		return nil, 413
	case err == errBadChunked:
		r.logf(levelError, "client sent invalid chunked body")
		r.keepalive = false
		return nil, 400
	case errors.Is(err, os.ErrDeadlineExceeded):
		// client_body_timeout: the request ends without an answer (408)
		r.logf(levelInfo, "client timed out (110: Connection timed out)")
		r.terminate(408)
		return nil, -1
	case err != nil:
		// ngx_http_do_read_client_request_body: the connection is broken,
		// the request ends without an answer and is logged as 400
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			r.logf(levelInfo, "client prematurely closed connection")
		}
		r.terminate(400)
		return nil, -1
	}
	if r.chunked {
		r.contentLength = int64(buf.Len())
	}
	r.reqLen += int64(buf.Len())
	return buf.Bytes(), 0
}

// discardBody reads and drops a body nobody consumed, so the next request on
// the connection starts at the right byte (ngx_http_discard_request_body).
// clientAddr is the client's address for ip_hash.
func (r *request) discardBody() {
	r.bodyDone = true
	if r.contentLength <= 0 && !r.chunked {
		return
	}
	r.c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var rd io.Reader
	if r.chunked {
		rd = &chunkedReader{br: r.c.br}
	} else {
		rd = io.LimitReader(r.c.br, r.contentLength)
	}
	n, err := io.Copy(io.Discard, rd)
	if err != nil || (!r.chunked && n < r.contentLength) {
		r.keepalive = false
	}
}

// discardRequestBody is ngx_http_discard_request_body as the handlers call
// it before they answer (return, the static and autoindex handlers): the
// interim "100 Continue" when the client waits for it, then what already
// arrived of the body is looked at; a chunked body broken already is a 400
// (logged "client sent invalid chunked body"). The rest is read and dropped
// after the answer, as before a keep-alive wait.
func (r *request) discardRequestBody() int {
	if r.bodyDone || r.discarding {
		return 0
	}
	r.discarding = true
	r.testExpect()
	if r.contentLength <= 0 && !r.chunked {
		return 0
	}
	if r.chunked {
		if b, _ := r.c.br.Peek(r.c.br.Buffered()); chunkedPrefixBroken(b) {
			r.logf(levelError, "client sent invalid chunked body")
			r.keepalive = false
			r.bodyDone = true
			return 400
		}
	}
	return 0
}

// testExpect is ngx_http_test_expect: before the body is read, a client
// that sent "Expect: 100-continue" with HTTP/1.1 gets the interim answer.
// nginx writes it on the connection directly, so $bytes_sent and
// $body_bytes_sent count it.
func (r *request) testExpect() {
	if r.expectTested {
		return
	}
	r.expectTested = true
	v, ok := r.header("Expect")
	if !ok || !strings.EqualFold(v, "100-continue") || r.major != 1 || r.minor < 1 {
		return
	}
	const cont = "HTTP/1.1 100 Continue\r\n\r\n"
	r.c.bw.WriteString(cont)
	r.c.bw.Flush()
	r.bodySent += int64(len(cont))
	r.bytesSent += int64(len(cont))
}

// terminate ends the request without an answer (ngx_http_terminate_request
// on a broken connection): the access log has status, nothing is sent.
func (r *request) terminate(status int) {
	r.status = status
	r.headerSent = true
	r.keepalive = false
}
