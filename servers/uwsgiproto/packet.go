package uwsgiproto

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// A Packet is a decoded request header and vars block. The body, if any,
// is still on the connection: CONTENT_LENGTH bytes follow the block.
type Packet struct {
	Header Header
	Vars   Vars
	Raw    []byte // header and vars block as received (for the inspector)
}

// A PacketReader reads request packets as a uWSGI worker does: the 4-byte
// header, then datasize bytes of vars. A datasize above BufferSize is
// refused before reading the block, with uWSGI's log line; the caller should
// then close the connection without reading further (uWSGI closes with
// unread data, so the peer sees a reset). The zero value is ready.
type PacketReader struct {
	BufferSize int  // uWSGI's buffer-size: the largest vars block taken; ≤ 0: DefaultBufferSize
	NoRaw      bool // leave Packet.Raw nil: an app server nobody watches saves a copy of each packet
}

// Read reads one packet from r. A packet that fits in r's buffer (nginx
// sends header and vars in one write) is decoded where it lies: one copy of
// the vars block, every key and value a piece of it. Only the bytes of the
// packet are consumed: the body stays in r.
func (pr PacketReader) Read(r *bufio.Reader) (Packet, error) {
	bufferSize := pr.BufferSize
	if bufferSize <= 0 {
		bufferSize = DefaultBufferSize
	}
	hb, err := r.Peek(HeaderLen)
	if err != nil {
		n := len(hb)
		r.Discard(n)
		if n == 0 && err == io.EOF {
			return Packet{}, io.EOF // the peer closed without sending anything
		}
		return Packet{}, &DecodeError{Kind: ErrTruncatedHeader, Offset: n,
			Log: fmt.Sprintf("uwsgi header truncated: got %d of 4 bytes (%v)", n, cause(err))}
	}
	h := ParseHeader([HeaderLen]byte(hb))
	if int(h.Size) > bufferSize {
		r.Discard(HeaderLen)
		return Packet{Header: h}, &DecodeError{Kind: ErrBlockTooBig, Offset: 1,
			Log: fmt.Sprintf("invalid request block size: %d (max %d)...skip", h.Size, bufferSize)}
	}
	n := HeaderLen + int(h.Size)
	var (
		block string
		raw   []byte
	)
	if n <= r.Size() {
		b, err := r.Peek(n)
		if err != nil {
			r.Discard(len(b))
			return Packet{Header: h}, truncatedVars(len(b)-HeaderLen, h, err)
		}
		block = string(b[HeaderLen:])
		if !pr.NoRaw {
			raw = append([]byte(nil), b...)
		}
		r.Discard(n)
	} else {
		raw = make([]byte, n)
		copy(raw, hb)
		r.Discard(HeaderLen)
		if m, err := io.ReadFull(r, raw[HeaderLen:]); err != nil {
			return Packet{Header: h}, truncatedVars(m, h, err)
		}
		block = string(raw[HeaderLen:])
		if pr.NoRaw {
			raw = nil
		}
	}
	vs, err := decodeVars(block)
	return Packet{Header: h, Vars: vs, Raw: raw}, err
}

func truncatedVars(got int, h Header, err error) error {
	return &DecodeError{Kind: ErrTruncatedVars, Offset: got,
		Log: fmt.Sprintf("vars block truncated: got %d of %d bytes (%v)", got, h.Size, cause(err))}
}

func cause(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "peer closed"
	}
	return err.Error()
}
