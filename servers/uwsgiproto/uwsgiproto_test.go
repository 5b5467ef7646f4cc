package uwsgiproto

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// packetTests pairs a packet's bytes with its meaning, checked both ways.
var packetTests = []struct {
	name string
	mod1 uint8
	mod2 uint8
	vars Vars
	wire []byte
}{
	{"empty", 0, 0, nil, []byte{0, 0, 0, 0}},
	{"one var", 0, 0, Vars{{"A", "b"}},
		[]byte{0, 6, 0, 0, 1, 0, 'A', 1, 0, 'b'}},
	{"empty value last", 0, 0, Vars{{"REQUEST_METHOD", "GET"}, {"QUERY_STRING", ""}},
		append(append([]byte{0, 37, 0, 0, 14, 0}, "REQUEST_METHOD\x03\x00GET\x0c\x00QUERY_STRING"...), 0, 0)},
	{"duplicate keys kept in order", 0, 0, Vars{{"HTTP_X", "1"}, {"HTTP_X", "2"}},
		[]byte{0, 22, 0, 0, 6, 0, 'H', 'T', 'T', 'P', '_', 'X', 1, 0, '1', 6, 0, 'H', 'T', 'T', 'P', '_', 'X', 1, 0, '2'}},
	{"modifiers", 5, 7, Vars{{"K", ""}}, []byte{5, 5, 0, 7, 1, 0, 'K', 0, 0}},
	{"little-endian size", 0, 0, Vars{{"K", strings.Repeat("v", 300)}},
		append([]byte{0, 0x31, 0x01, 0, 1, 0, 'K', 0x2c, 0x01}, strings.Repeat("v", 300)...)},
}

func TestEncodePacket(t *testing.T) {
	for _, tt := range packetTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodePacket(tt.mod1, tt.mod2, tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.wire) {
				t.Errorf("got % x\nwant % x", got, tt.wire)
			}
		})
	}
}

// TestAppendPacket: appended after bytes already in the buffer, as the
// proxy's pooled buffers have them; a refused block leaves dst as it was.
func TestAppendPacket(t *testing.T) {
	for _, tt := range packetTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendPacket([]byte("old"), tt.mod1, tt.mod2, tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]byte("old"), tt.wire...); !bytes.Equal(got, want) {
				t.Errorf("got % x\nwant % x", got, want)
			}
		})
	}
	t.Run("too big", func(t *testing.T) {
		got, err := AppendPacket([]byte("old"), 0, 0, Vars{{"X", strings.Repeat("x", 40000)}, {"Y", strings.Repeat("y", 40000)}})
		if !errors.Is(err, ErrVarsTooBig) || string(got) != "old" {
			t.Errorf("got %q, %v; want \"old\", ErrVarsTooBig", got, err)
		}
	})
}

func TestReadPacket(t *testing.T) {
	for _, tt := range packetTests {
		t.Run(tt.name, func(t *testing.T) {
			body := "BODY"
			p, err := PacketReader{}.Read(bufio.NewReader(bytes.NewReader(append(tt.wire, body...))))
			if err != nil {
				t.Fatal(err)
			}
			if p.Header.Modifier1 != tt.mod1 || p.Header.Modifier2 != tt.mod2 {
				t.Errorf("got modifiers %d,%d, want %d,%d", p.Header.Modifier1, p.Header.Modifier2, tt.mod1, tt.mod2)
			}
			if len(p.Vars) != len(tt.vars) {
				t.Fatalf("got %d vars %q, want %d", len(p.Vars), p.Vars, len(tt.vars))
			}
			for i := range p.Vars {
				if p.Vars[i] != tt.vars[i] {
					t.Errorf("var %d: got %q, want %q", i, p.Vars[i], tt.vars[i])
				}
			}
			if !bytes.Equal(p.Raw, tt.wire) {
				t.Errorf("raw: got % x, want % x", p.Raw, tt.wire)
			}
		})
	}
}

func TestReadPacketErrors(t *testing.T) {
	tests := []struct {
		name    string
		wire    []byte
		bufSize int
		kind    error
		log     string
	}{
		{"truncated header", []byte{0, 10}, 0, ErrTruncatedHeader, "uwsgi header truncated: got 2 of 4 bytes (peer closed)"},
		{"block larger than buffer-size", []byte{0, 0x88, 0x13, 0}, 4096, ErrBlockTooBig, "invalid request block size: 5000 (max 4096)...skip"},
		{"block within a raised buffer-size but truncated", []byte{0, 0x88, 0x13, 0, 1, 0}, 32768, ErrTruncatedVars, "vars block truncated: got 2 of 5000 bytes (peer closed)"},
		{"null key", []byte{0, 4, 0, 0, 0, 0, 1, 0}, 0, ErrNullKey, "uwsgi key cannot be null. skip this var."},
		{"value overruns block", []byte{0, 6, 0, 0, 1, 0, 'K', 9, 0, 'v'}, 0, ErrVarOverrun, "invalid uwsgi request (current strsize: 9). skip."},
		{"value length cut", []byte{0, 4, 0, 0, 1, 0, 'K', 0}, 0, ErrVarOverrun, "invalid uwsgi request (current strsize: 1). skip."},
		{"one stray byte", []byte{0, 1, 0, 0, 'x'}, 0, ErrTruncatedVars, "invalid uwsgi request (current strsize: 0). skip."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PacketReader{BufferSize: tt.bufSize}.Read(bufio.NewReader(bytes.NewReader(tt.wire)))
			if !errors.Is(err, tt.kind) {
				t.Fatalf("got %v, want %v", err, tt.kind)
			}
			var de *DecodeError
			if !errors.As(err, &de) || de.Log != tt.log {
				t.Errorf("got log %q, want %q", de.Log, tt.log)
			}
		})
	}
	t.Run("peer closed before sending", func(t *testing.T) {
		if _, err := (PacketReader{}).Read(bufio.NewReader(bytes.NewReader(nil))); err != io.EOF {
			t.Errorf("got %v, want io.EOF", err)
		}
	})
}

func TestDecodeVarsQuirks(t *testing.T) {
	t.Run("key reaching the block end is skipped, as uWSGI does", func(t *testing.T) {
		// key length 3 but only 3 bytes left: uWSGI moves on 2 bytes and
		// reads "AB" as the next key length (0x4241), which again does not
		// fit, and so on until the block ends, with no error.
		vs, err := DecodeVars([]byte{3, 0, 'A', 'B', 'C'})
		if err == nil && len(vs) != 0 {
			t.Errorf("got %q, want no vars", vs)
		}
	})
	t.Run("128 pairs accepted, 129 refused", func(t *testing.T) {
		var vs Vars
		for range MaxVars {
			vs = append(vs, Var{"K", "v"})
		}
		block, _ := AppendVars(nil, vs)
		if got, err := DecodeVars(block); err != nil || len(got) != MaxVars {
			t.Fatalf("got %d vars, %v", len(got), err)
		}
		block, _ = AppendVars(nil, append(vs, Var{"K", "v"}))
		if _, err := DecodeVars(block); !errors.Is(err, ErrTooManyVars) {
			t.Errorf("got %v, want ErrTooManyVars", err)
		}
	})
	t.Run("block over 65535 is refused on encode", func(t *testing.T) {
		_, err := EncodePacket(0, 0, Vars{{"K", strings.Repeat("x", 65535)}})
		if !errors.Is(err, ErrVarsTooBig) || !strings.Contains(err.Error(), "uwsgi request is too big: 65540") {
			t.Errorf("got %v", err)
		}
	})
}

func TestReadResponse(t *testing.T) {
	tests := []struct {
		name   string
		wire   string
		status int
		fields []Field
		body   string
		err    error
	}{
		{"status line", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nok", 200,
			[]Field{{"Content-Type", "text/plain"}}, "ok", nil},
		{"HTTP/1.0 when SERVER_PROTOCOL was absent", "HTTP/1.0 404 Not Found\r\n\r\n", 404, nil, "", nil},
		{"content-length limits the body", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", 200,
			[]Field{{"Content-Length", "2"}}, "ok", nil},
		{"cgi-style Status header", "Status: 404 Not Found\r\nX-A: 1\r\n\r\nnope", 404, []Field{{"X-A", "1"}}, "nope", nil},
		{"cgi-style Location gives 302", "Location: /login\r\n\r\n", 302, []Field{{"Location", "/login"}}, "", nil},
		{"cgi-style plain headers give 200", "Content-Type: text/html\n\nhi", 200, []Field{{"Content-Type", "text/html"}}, "hi", nil},
		{"zero bytes", "", 0, nil, "", ErrPrematureClose},
		{"head cut short", "HTTP/1.1 200 OK\r\nContent-Ty", 0, nil, "", ErrPrematureClose},
		{"invalid header line", "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", 0, nil, "", ErrInvalidHeader},
		{"head too big", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 5000) + "\r\n\r\n", 0, nil, "", ErrHeadTooBig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := ReadResponse(bufio.NewReader(strings.NewReader(tt.wire)), 4096)
			if !errors.Is(err, tt.err) {
				t.Fatalf("got error %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if resp.Status != tt.status {
				t.Errorf("got status %d, want %d", resp.Status, tt.status)
			}
			if len(resp.Fields) != len(tt.fields) {
				t.Fatalf("got fields %q, want %q", resp.Fields, tt.fields)
			}
			for i := range tt.fields {
				if resp.Fields[i] != tt.fields[i] {
					t.Errorf("field %d: got %q, want %q", i, resp.Fields[i], tt.fields[i])
				}
			}
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tt.body {
				t.Errorf("got body %q, want %q", b, tt.body)
			}
		})
	}
}

// TestReadResponseReads covers what ReadResponse adds to ParseHead: the
// buffer limit, reads that split the head anywhere, and a body left intact.
func TestReadResponseReads(t *testing.T) {
	okHead := "HTTP/1.1 200 OK\r\nX-Pad: "
	exact := func(n int) string { // a head of exactly n bytes
		return okHead + strings.Repeat("a", n-len(okHead)-4) + "\r\n\r\n"
	}
	tests := []struct {
		name    string
		wire    string
		maxHead int
		oneByte bool // one byte per read through a 16-byte bufio.Reader
		status  int
		body    string
		err     error
		log     string // the InvalidHeaderError's nginx text
	}{
		{name: "head exactly the buffer", wire: exact(4096) + "body", maxHead: 4096, status: 200, body: "body"},
		{name: "head one byte over the buffer", wire: exact(4097) + "body", maxHead: 4096, err: ErrHeadTooBig},
		{name: "head over the default buffer", wire: exact(4097), err: ErrHeadTooBig},
		{name: "head bigger than bufio's buffer, one byte per read", wire: exact(5000) + "body", maxHead: 64 << 10, oneByte: true, status: 200, body: "body"},
		{name: "CGI head one byte per read", wire: "Status: 201 Created\r\nContent-Length: 2\r\n\r\nokEXTRA", oneByte: true, status: 201, body: "ok"},
		{name: "invalid before the peer closes", wire: "hello world", err: ErrInvalidHeader, log: `upstream sent invalid header: "hello\x20..."`},
		{name: "status below 100 refused", wire: "Status: 001 x\r\n\r\n", err: ErrInvalidHeader, log: `upstream sent invalid status "001 x"`},
		{name: "last Content-Length cuts the body", wire: "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nContent-Length: 2\r\n\r\nokEXTRA", status: 200, body: "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src io.Reader = strings.NewReader(tt.wire)
			br := bufio.NewReader(src)
			if tt.oneByte {
				br = bufio.NewReaderSize(iotest.OneByteReader(src), 16)
			}
			resp, err := ReadResponse(br, tt.maxHead)
			if !errors.Is(err, tt.err) {
				t.Fatalf("got error %v, want %v", err, tt.err)
			}
			if tt.log != "" {
				var inv *InvalidHeaderError
				if !errors.As(err, &inv) || inv.Log != tt.log {
					t.Fatalf("got %v, want log %q", err, tt.log)
				}
			}
			if err != nil {
				return
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.Status != tt.status || string(b) != tt.body {
				t.Errorf("got %d %q, want %d %q", resp.Status, b, tt.status, tt.body)
			}
		})
	}
}

func TestWriteRequest(t *testing.T) {
	var buf bytes.Buffer
	vs := Vars{{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", "4"}}
	n, err := WriteRequest(&buf, 0, 0, vs, strings.NewReader("data"))
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("n=%d len=%d err=%v", n, buf.Len(), err)
	}
	br := bufio.NewReader(&buf)
	p, err := PacketReader{}.Read(br)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := p.Vars.Get("CONTENT_LENGTH"); v != "4" {
		t.Errorf("got CONTENT_LENGTH %q", v)
	}
	if rest, _ := io.ReadAll(br); string(rest) != "data" {
		t.Errorf("got body %q, want %q", rest, "data")
	}
}

// BenchmarkReadResponse is the http router's read of a worker's answer: the
// head a Django view sends, then a short body.
func BenchmarkReadResponse(b *testing.B) {
	wire := "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5\r\nSet-Cookie: sessionid=abcdef0123456789; HttpOnly; Path=/\r\nX-Frame-Options: DENY\r\n\r\nhello"
	sr := strings.NewReader(wire)
	br := bufio.NewReader(sr)
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		sr.Reset(wire)
		br.Reset(sr)
		resp, err := ReadResponse(br, 0)
		if err != nil || resp.Status != 200 {
			b.Fatalf("got %v, %v", resp, err)
		}
		if n, _ := io.Copy(io.Discard, resp.Body); n != 5 {
			b.Fatalf("body %d bytes", n)
		}
	}
}
