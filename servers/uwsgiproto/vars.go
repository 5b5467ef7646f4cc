package uwsgiproto

import (
	"encoding/binary"
	"fmt"
)

// A Var is one key/value pair of a vars block. Bytes are opaque: Python's
// plugin decodes them as latin-1, Go keeps them as they came.
type Var struct{ Key, Value string }

// Vars is a vars block in wire order. Duplicate keys are legal (nginx ≤ 1.22
// sends one HTTP_X per repeated header).
type Vars []Var

// Get returns the value of the last var named key, as a Python dict built
// from the block would hold it.
func (vs Vars) Get(key string) (string, bool) {
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].Key == key {
			return vs[i].Value, true
		}
	}
	return "", false
}

// Size returns the encoded size of the vars block.
func (vs Vars) Size() int {
	n := 0
	for _, v := range vs {
		n += 4 + len(v.Key) + len(v.Value)
	}
	return n
}

// AppendVars appends the encoded vars block to dst. Like nginx, it refuses a
// block the u16 datasize cannot describe ("uwsgi request is too big").
func AppendVars(dst []byte, vs Vars) ([]byte, error) {
	if n := vs.Size(); n > MaxVarsSize {
		return dst, fmt.Errorf("%w: uwsgi request is too big: %d", ErrVarsTooBig, n)
	}
	for _, v := range vs {
		if len(v.Key) > 0xffff || len(v.Value) > 0xffff {
			return dst, fmt.Errorf("%w: %q", ErrVarTooLong, v.Key)
		}
		dst = binary.LittleEndian.AppendUint16(dst, uint16(len(v.Key)))
		dst = append(dst, v.Key...)
		dst = binary.LittleEndian.AppendUint16(dst, uint16(len(v.Value)))
		dst = append(dst, v.Value...)
	}
	return dst, nil
}

// EncodePacket returns header and vars block (the body follows separately).
func EncodePacket(modifier1, modifier2 uint8, vs Vars) ([]byte, error) {
	return AppendPacket(make([]byte, 0, HeaderLen+vs.Size()), modifier1, modifier2, vs)
}

// AppendPacket appends the header and vars block to dst, as nginx's uwsgi
// module builds them in one buffer (ngx_http_uwsgi_create_request). On
// error dst is returned as it was.
func AppendPacket(dst []byte, modifier1, modifier2 uint8, vs Vars) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst, err := AppendVars(dst, vs)
	if err != nil {
		return dst[:start], err
	}
	h := Header{Modifier1: modifier1, Size: uint16(len(dst) - start - HeaderLen), Modifier2: modifier2}
	b := h.Bytes()
	copy(dst[start:], b[:])
	return dst, nil
}

// DecodeVars decodes a vars block the way uWSGI's uwsgi_parse_vars does,
// quirks included:
//   - a key length needs more than 2 bytes left (one byte alone cannot start a var);
//   - a key length of 0 is rejected ("uwsgi key cannot be null");
//   - a key must end strictly before the block does (a value length follows);
//     when it does not, uWSGI silently moves on 2 bytes and reads again;
//   - a value may be empty, even the last one, and must fit in the block;
//   - at most MaxVars pairs.
//
// Strings share no memory with block: the block is copied once, and every
// key and value is a piece of that copy (two allocations, whatever the
// number of vars).
func DecodeVars(block []byte) (Vars, error) { return decodeVars(string(block)) }

func decodeVars(block string) (Vars, error) {
	vs := make(Vars, 0, 24)
	end := len(block)
	p := 0
	strsize := 0                                                         // the last length read, which uWSGI prints in its error
	u16 := func(p int) int { return int(block[p]) | int(block[p+1])<<8 } // little-endian
	for p < end {
		if p+2 >= end {
			return vs, decodeErr(ErrTruncatedVars, p, fmt.Sprintf("invalid uwsgi request (current strsize: %d). skip.", strsize))
		}
		strsize = u16(p)
		if strsize == 0 {
			return vs, decodeErr(ErrNullKey, p, "uwsgi key cannot be null. skip this var.")
		}
		p += 2
		if p+strsize >= end {
			// uWSGI has no else branch here: it re-reads from the byte after
			// the length it just rejected.
			continue
		}
		key := block[p : p+strsize]
		p += strsize
		if p+2 > end {
			return vs, decodeErr(ErrVarOverrun, p, fmt.Sprintf("invalid uwsgi request (current strsize: %d). skip.", strsize))
		}
		strsize = u16(p)
		p += 2
		if p+strsize > end {
			return vs, decodeErr(ErrVarOverrun, p, fmt.Sprintf("invalid uwsgi request (current strsize: %d). skip.", strsize))
		}
		if len(vs) >= MaxVars {
			return vs, decodeErr(ErrTooManyVars, p, "max vec size reached. skip this var.")
		}
		vs = append(vs, Var{Key: key, Value: block[p : p+strsize]})
		p += strsize
	}
	return vs, nil
}

func decodeErr(kind error, off int, log string) *DecodeError {
	return &DecodeError{Kind: kind, Offset: off, Log: log}
}
