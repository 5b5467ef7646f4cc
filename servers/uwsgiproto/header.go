package uwsgiproto

import "encoding/binary"

// Sizes and limits of the wire format.
const (
	HeaderLen         = 4     // modifier1, datasize (2 bytes), modifier2
	MaxVarsSize       = 65535 // datasize is a u16
	DefaultBufferSize = 4096  // uWSGI's default buffer-size (-b)
	MaxVars           = 128   // pairs uWSGI accepts with its default max-vars 64 (vec_size 4+1+4×64)
)

// Header is the 4-byte packet header.
type Header struct {
	Modifier1 uint8  // request type: 0 = WSGI (nginx's default uwsgi_modifier1)
	Size      uint16 // datasize: length of the vars block only
	Modifier2 uint8  // sub-type, 0 for WSGI
}

// ParseHeader reads a header from its 4 bytes.
func ParseHeader(b [HeaderLen]byte) Header {
	return Header{Modifier1: b[0], Size: binary.LittleEndian.Uint16(b[1:3]), Modifier2: b[3]}
}

// Bytes returns the header's 4 bytes.
func (h Header) Bytes() [HeaderLen]byte {
	var b [HeaderLen]byte
	b[0] = h.Modifier1
	binary.LittleEndian.PutUint16(b[1:3], h.Size)
	b[3] = h.Modifier2
	return b
}
