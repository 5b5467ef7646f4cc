package inspector

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"webflow-lab/servers/uwsgiproto"
)

// A Field is one annotated run of bytes in a uwsgi packet: the header, a
// var's key (its 2 length bytes and the key) or value, the body, or bytes
// that do not decode.
type Field struct {
	Kind   string // "header", "key", "value", "body", "bad"
	Offset int    // of the first byte, in the packet
	Bytes  []byte // the whole run, length bytes included
	Len    int    // the length the packet declares (key/value length, datasize, body size)
	Text   string // what the bytes say: the key, the value, the header's fields, the decoder's complaint
	Var    int    // index of the var this field belongs to, -1 for header, body and bad bytes
}

// Fields splits a uwsgi packet (header, vars block, and any body bytes
// after it) into annotated runs, walking the vars the way uWSGI's
// uwsgi_parse_vars does. Bytes that do not decode become one "bad" field
// carrying uWSGI's own complaint; it never fails.
func Fields(pkt []byte) []Field {
	var out []Field
	if len(pkt) < uwsgiproto.HeaderLen {
		return append(out, Field{Kind: "bad", Bytes: pkt, Len: len(pkt), Var: -1,
			Text: fmt.Sprintf("only %d bytes: a uwsgi header is 4", len(pkt))})
	}
	h := uwsgiproto.ParseHeader([4]byte(pkt[:4]))
	out = append(out, Field{Kind: "header", Bytes: pkt[:4], Len: int(h.Size), Var: -1,
		Text: fmt.Sprintf("modifier1=%d%s  datasize=%d (0x%04x, little-endian)  modifier2=%d",
			h.Modifier1, modifierName(h.Modifier1), h.Size, h.Size, h.Modifier2)})
	end := min(uwsgiproto.HeaderLen+int(h.Size), len(pkt))
	block := pkt[uwsgiproto.HeaderLen:end]
	p, n := 0, 0
	bad := func(why string) {
		out = append(out, Field{Kind: "bad", Offset: uwsgiproto.HeaderLen + p, Bytes: block[p:], Len: len(block) - p,
			Var: -1, Text: why})
		p = len(block)
	}
	for p < len(block) {
		if p+2 > len(block) {
			bad(complaint(block))
			break
		}
		kl := int(binary.LittleEndian.Uint16(block[p:]))
		if kl == 0 || p+2+kl+2 > len(block) {
			bad(complaint(block))
			break
		}
		key := block[p+2 : p+2+kl]
		out = append(out, Field{Kind: "key", Offset: uwsgiproto.HeaderLen + p, Bytes: block[p : p+2+kl], Len: kl,
			Text: string(key), Var: n})
		p += 2 + kl
		vl := int(binary.LittleEndian.Uint16(block[p:]))
		if p+2+vl > len(block) {
			bad(complaint(block))
			break
		}
		out = append(out, Field{Kind: "value", Offset: uwsgiproto.HeaderLen + p, Bytes: block[p : p+2+vl], Len: vl,
			Text: string(block[p+2 : p+2+vl]), Var: n})
		p += 2 + vl
		n++
	}
	if int(h.Size) > len(pkt)-uwsgiproto.HeaderLen {
		out = append(out, Field{Kind: "bad", Offset: len(pkt), Var: -1,
			Text: fmt.Sprintf("datasize says %d bytes of vars, the snapshot has %d", h.Size, len(pkt)-uwsgiproto.HeaderLen)})
	}
	if end < len(pkt) {
		body := pkt[end:]
		cl := "?"
		if vs, err := uwsgiproto.DecodeVars(block); err == nil {
			if v, ok := vs.Get("CONTENT_LENGTH"); ok {
				cl = v
			}
		}
		out = append(out, Field{Kind: "body", Offset: end, Bytes: body, Len: len(body), Var: -1,
			Text: "CONTENT_LENGTH " + cl})
	}
	return out
}

// complaint is what uWSGI logs for a block that does not decode.
func complaint(block []byte) string {
	if _, err := uwsgiproto.DecodeVars(block); err != nil {
		return err.Error()
	}
	return "uwsgi: bytes left over"
}

func modifierName(m uint8) string {
	switch m {
	case 0:
		return " (WSGI)"
	case 5:
		return " (PSGI)"
	case 7:
		return " (Rack)"
	case 30:
		return " (WSGI, SCRIPT_NAME stripped)"
	case 100:
		return " (ping)"
	}
	return ""
}

// hexRun writes b as hex pairs, at most max of them, ending in tail when cut;
// a var's 2 length bytes are set apart from its bytes by sep.
func hexRun(b []byte, lenBytes, limit int, sep, tail string) string {
	var s strings.Builder
	for i, c := range b {
		if i == limit {
			s.WriteString(tail)
			break
		}
		if i > 0 {
			if i == lenBytes {
				s.WriteString(sep)
			} else {
				s.WriteByte(' ')
			}
		}
		s.WriteString(strconv.FormatUint(uint64(c)|0x100, 16)[1:])
	}
	return s.String()
}

// Printable shows bytes a learner can read: printable ASCII as is, anything
// else as \xNN, so a value with a NUL or latin-1 byte is still one line.
func Printable(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "\\x%02x", c)
		}
	}
	return b.String()
}
