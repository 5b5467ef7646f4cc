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

// ReadPacket reads one request packet from r, as a uWSGI worker does:
// the 4-byte header, then datasize bytes of vars. A datasize above
// bufferSize is refused before reading the block, with uWSGI's log line;
// the caller should then close the connection without reading further
// (uWSGI closes with unread data, so the peer sees a reset).
// bufferSize ≤ 0 means DefaultBufferSize.
func ReadPacket(r *bufio.Reader, bufferSize int) (Packet, error) {
	if bufferSize <= 0 {
		bufferSize = DefaultBufferSize
	}
	var hb [HeaderLen]byte
	if n, err := io.ReadFull(r, hb[:]); err != nil {
		if n == 0 && err == io.EOF {
			return Packet{}, io.EOF // the peer closed without sending anything
		}
		return Packet{}, &DecodeError{Kind: ErrTruncatedHeader, Offset: n,
			Log: fmt.Sprintf("uwsgi header truncated: got %d of 4 bytes (%v)", n, cause(err))}
	}
	h := ParseHeader(hb)
	if int(h.Size) > bufferSize {
		return Packet{Header: h}, &DecodeError{Kind: ErrBlockTooBig, Offset: 1,
			Log: fmt.Sprintf("invalid request block size: %d (max %d)...skip", h.Size, bufferSize)}
	}
	raw := make([]byte, HeaderLen+int(h.Size))
	copy(raw, hb[:])
	if n, err := io.ReadFull(r, raw[HeaderLen:]); err != nil {
		return Packet{Header: h}, &DecodeError{Kind: ErrTruncatedVars, Offset: n,
			Log: fmt.Sprintf("vars block truncated: got %d of %d bytes (%v)", n, h.Size, cause(err))}
	}
	vs, err := DecodeVars(raw[HeaderLen:])
	if err != nil {
		return Packet{Header: h, Vars: vs, Raw: raw}, err
	}
	return Packet{Header: h, Vars: vs, Raw: raw}, nil
}

func cause(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "peer closed"
	}
	return err.Error()
}
