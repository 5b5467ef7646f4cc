package uwsgiproto

import (
	"bufio"
	"fmt"
	"io"
)

// WriteRequest writes one request packet and its body to w, as nginx's
// uwsgi module does: header, vars block, then exactly the body bytes.
// Callers set CONTENT_LENGTH in vs to the body's length.
func WriteRequest(w io.Writer, modifier1, modifier2 uint8, vs Vars, body io.Reader) (int64, error) {
	pkt, err := EncodePacket(modifier1, modifier2, vs)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(pkt)
	total := int64(n)
	if err != nil || body == nil {
		return total, err
	}
	m, err := io.Copy(w, body)
	return total + m, err
}

// A Response is the HTTP response an app server sent back over uwsgi.
type Response struct {
	Status int     // the status nginx will use
	Reason string  // the text after the code: "OK", "Not Found" (also from a Status: header), "Moved Temporarily"
	Proto  string  // "HTTP/1.1" from the status line; "" for a CGI-style head
	Fields []Field // headers in order; a CGI-style head's Status: lines are consumed into Status
	Head   []byte  // the raw head, status line to blank line
	// Body reads the rest: Content-Length bytes when given, else to EOF.
	Body io.Reader
}

// Get returns the first header named name (ASCII case-insensitive).
func (r *Response) Get(name string) (string, bool) {
	for _, f := range r.Fields {
		if asciiEqualFold(f.Name, name) {
			return f.Value, true
		}
	}
	return "", false
}

// ReadResponse reads a response head the way nginx's uwsgi module does:
// a HeadParser with UwsgiModule rules over a buffer of maxHead bytes
// (uwsgi_buffer_size; ≤ 0: 4096), resumed after every read as nginx resumes
// after every recv(). A head that does not fit is ErrHeadTooBig, a
// close before its end ErrPrematureClose, a line nginx refuses an
// *InvalidHeaderError (errors.Is ErrInvalidHeader).
//
// One rule is the client's own, not nginx's: a status below 100, which
// only a Status: header can give ("Status: 001"; a status line "HTTP/1.1 000"
// falls back to the CGI rules, as in nginx), is refused as invalid, because
// the http router hands the head on to a browser and HTTP has no such status
// (RFC 9110 §15); nginx 1.22 would relay it.
//
// It never consumes a byte past the head from r: the body is left in r for
// Body, cut at the last Content-Length when nginx would read one.
func ReadResponse(r *bufio.Reader, maxHead int) (*Response, error) {
	if maxHead <= 0 {
		maxHead = DefaultBufferSize
	}
	var (
		buf []byte
		hp  HeadParser // UwsgiModule
	)
	for {
		// Wait for bytes, then take all that arrived, as one recv() would.
		if _, err := r.Peek(1); err != nil {
			if err == io.EOF {
				return nil, ErrPrematureClose
			}
			return nil, err
		}
		chunk, _ := r.Peek(min(r.Buffered(), maxHead-len(buf)))
		old := len(buf)
		buf = append(buf, chunk...)
		h, err := hp.Parse(buf)
		if err == nil {
			// A proper prefix of a head is always ErrNeedMore, so the head
			// ends inside this chunk: leave the body bytes after it in r.
			r.Discard(h.Size - old)
			return newResponse(h, buf[:h.Size], r)
		}
		if err != ErrNeedMore {
			return nil, err
		}
		r.Discard(len(chunk))
		if len(buf) == maxHead {
			return nil, ErrHeadTooBig
		}
	}
}

func newResponse(h *Head, head []byte, body *bufio.Reader) (*Response, error) {
	if h.Status < 100 {
		return nil, &InvalidHeaderError{Log: fmt.Sprintf("upstream sent invalid status %q", h.StatusLine)}
	}
	resp := &Response{Status: h.Status, Proto: h.Proto, Fields: h.Header, Head: head, Body: body}
	if len(h.StatusLine) > 4 {
		resp.Reason = h.StatusLine[4:]
	}
	if h.Proto == "" {
		// The Status: header only carried the status: drop it from the
		// fields. (nginx 1.22 keeps it and even relays it to the client:
		// uwsgi_hide_header's defaults are the X-Accel-* headers only.)
		resp.Fields = nil
		for _, f := range h.Header {
			if !asciiEqualFold(f.Name, "Status") {
				resp.Fields = append(resp.Fields, f)
			}
		}
	}
	if h.ContentLength >= 0 {
		resp.Body = io.LimitReader(body, h.ContentLength)
	}
	return resp, nil
}
