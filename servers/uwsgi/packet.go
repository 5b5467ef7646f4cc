package uwsgi

import (
	"bufio"

	"webflow-lab/servers/uwsgiproto"
)

// readPacket reads one request packet as uwsgiproto.ReadPacket does, with
// the same results and the same errors, but cheaper on the common path:
// when the whole packet is in the reader's buffer after one read (nginx
// sends head and vars in one write, and TCP_DEFER_ACCEPT hands the
// connection over once they have arrived), the vars block becomes one
// string and every key and value a slice of it — two allocations instead
// of two per variable. The raw bytes are copied only when someone watches
// (raw). Anything else — a short read, an error, a block larger than the
// buffer, a block that does not decode — is left to uwsgiproto.ReadPacket,
// which starts from the same unread bytes; the connection's errors are
// sticky (stickyReader), so it sees the same error, not a second wait.
func readPacket(br *bufio.Reader, bufferSize int, raw bool) (uwsgiproto.Packet, error) {
	if bufferSize <= 0 {
		bufferSize = uwsgiproto.DefaultBufferSize
	}
	hb, err := br.Peek(uwsgiproto.HeaderLen)
	if err != nil {
		return uwsgiproto.ReadPacket(br, bufferSize)
	}
	h := uwsgiproto.ParseHeader([uwsgiproto.HeaderLen]byte(hb))
	n := uwsgiproto.HeaderLen + int(h.Size)
	if int(h.Size) > bufferSize || n > br.Size() {
		return uwsgiproto.ReadPacket(br, bufferSize)
	}
	b, err := br.Peek(n)
	if err != nil {
		return uwsgiproto.ReadPacket(br, bufferSize)
	}
	vs, ok := splitVars(string(b[uwsgiproto.HeaderLen:]))
	if !ok {
		return uwsgiproto.ReadPacket(br, bufferSize)
	}
	p := uwsgiproto.Packet{Header: h, Vars: vs}
	if raw {
		p.Raw = append([]byte(nil), b...)
	}
	br.Discard(n)
	return p, nil
}

// splitVars decodes a vars block the way uwsgiproto.DecodeVars does (uWSGI's
// uwsgi_parse_vars) and reports false wherever DecodeVars would return an
// error or skip bytes, so that the caller can let DecodeVars say what went
// wrong. FuzzSplitVars checks the two agree.
func splitVars(block string) (uwsgiproto.Vars, bool) {
	vs := make(uwsgiproto.Vars, 0, 24)
	end := len(block)
	for p := 0; p < end; {
		if p+2 >= end {
			return nil, false
		}
		klen := int(block[p]) | int(block[p+1])<<8 // little-endian u16
		p += 2
		if klen == 0 || p+klen >= end {
			return nil, false // null key, or uWSGI's odd re-read (DecodeVars)
		}
		key := block[p : p+klen]
		p += klen
		if p+2 > end {
			return nil, false
		}
		vlen := int(block[p]) | int(block[p+1])<<8
		p += 2
		if p+vlen > end || len(vs) >= uwsgiproto.MaxVars {
			return nil, false
		}
		vs = append(vs, uwsgiproto.Var{Key: key, Value: block[p : p+vlen]})
		p += vlen
	}
	return vs, true
}
