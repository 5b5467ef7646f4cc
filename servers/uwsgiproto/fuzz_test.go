package uwsgiproto

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// FuzzDecodeVars checks that any bytes decode without panic and that what
// decodes cleanly encodes back to the same block and decodes to the same vars.
func FuzzDecodeVars(f *testing.F) {
	for _, tt := range packetTests {
		f.Add(tt.wire[HeaderLen:])
	}
	f.Add([]byte{3, 0, 'A', 'B', 'C'})
	f.Add([]byte{0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, block []byte) {
		if len(block) > MaxVarsSize {
			return
		}
		vs, err := DecodeVars(block)
		if err != nil {
			return
		}
		again, err := AppendVars(nil, vs)
		if err != nil {
			t.Fatalf("decoded vars do not encode: %v", err)
		}
		vs2, err := DecodeVars(again)
		if err != nil {
			t.Fatalf("re-encoded block does not decode: %v", err)
		}
		if len(vs) != len(vs2) {
			t.Fatalf("round trip: %d vars, then %d", len(vs), len(vs2))
		}
		for i := range vs {
			if vs[i] != vs2[i] {
				t.Fatalf("round trip var %d: %q then %q", i, vs[i], vs2[i])
			}
		}
	})
}

// FuzzReadPacket feeds whole packets: never a panic, and a packet that reads
// cleanly re-encodes to the bytes it was read from when its vars are canonical.
func FuzzReadPacket(f *testing.F) {
	for _, tt := range packetTests {
		f.Add(tt.wire)
	}
	f.Add([]byte{0, 0x88, 0x13, 0})
	f.Fuzz(func(t *testing.T, wire []byte) {
		p, err := PacketReader{}.Read(bufio.NewReader(bytes.NewReader(wire)))
		if err != nil {
			return
		}
		enc, err := EncodePacket(p.Header.Modifier1, p.Header.Modifier2, p.Vars)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := PacketReader{}.Read(bufio.NewReader(bytes.NewReader(enc)))
		if err != nil || len(p2.Vars) != len(p.Vars) {
			t.Fatalf("re-read: %v (%d vs %d vars)", err, len(p2.Vars), len(p.Vars))
		}
	})
}

// FuzzReadResponse: any head never panics; a parsed status is a 3-digit
// code; ReadResponse agrees with ParseHead over the same bytes (head, status,
// body cut at Content-Length); and reading one byte per read through a small
// buffer gives the same answer as reading it whole.
func FuzzReadResponse(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nok")
	f.Add("Status: 404 Not Found\r\n\r\n")
	f.Add("Location: /x\n\n")
	f.Add("garbage")
	seeds, _ := filepath.Glob("testdata/heads/*")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b) + "body")
	}
	f.Fuzz(func(t *testing.T, wire string) {
		resp, err := ReadResponse(bufio.NewReader(strings.NewReader(wire)), 4096)
		slow, slowErr := ReadResponse(bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(wire)), 16), 4096)
		if (err == nil) != (slowErr == nil) || err != nil && err.Error() != slowErr.Error() {
			t.Fatalf("whole: %v; one byte at a time: %v", err, slowErr)
		}
		if err != nil {
			return
		}
		if resp.Status < 100 || resp.Status > 999 {
			t.Fatalf("status %d out of range", resp.Status)
		}
		h, err := ParseHead([]byte(wire), UwsgiModule)
		if err != nil || h.Status != resp.Status || string(resp.Head) != wire[:h.Size] {
			t.Fatalf("ParseHead: got %+v, %v; ReadResponse read status %d head %q", h, err, resp.Status, resp.Head)
		}
		rest := wire[h.Size:]
		if h.ContentLength >= 0 && int64(len(rest)) > h.ContentLength {
			rest = rest[:h.ContentLength]
		}
		body, _ := io.ReadAll(resp.Body)
		slowBody, _ := io.ReadAll(slow.Body)
		if string(body) != rest || string(slowBody) != rest || slow.Status != resp.Status {
			t.Fatalf("body %q, one byte at a time %q (status %d), want %q", body, slowBody, slow.Status, rest)
		}
	})
}

// FuzzPacketPaths: PacketReader decodes a packet that fits in the reader's
// buffer where it lies, and copies one that does not; both paths agree on
// every input — the same header, vars, raw bytes (when kept) and error, and
// the same bytes left unread for the body — whether the bytes come in one
// read or one byte per read. Seeded with the packets in testdata/packets
// (nginx's, and the malformed ones the app server's tests send).
func FuzzPacketPaths(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/packets/*.bin")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(4096), false)
	}
	for _, tt := range packetTests {
		f.Add(append(tt.wire, "body"...), uint16(4096), true)
	}
	f.Add(packetTests[1].wire, uint16(3), false)
	f.Fuzz(func(t *testing.T, data []byte, bufferSize uint16, oneByte bool) {
		if len(data) > 1<<17 {
			return
		}
		open := func(size int) *bufio.Reader {
			var r io.Reader = bytes.NewReader(data)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			return bufio.NewReaderSize(&stickyReader{r: r}, size)
		}
		// 16 is bufio's smallest buffer: blocks over 12 bytes are copied.
		small, big := open(16), open(MaxVarsSize+HeaderLen)
		want, werr := PacketReader{BufferSize: int(bufferSize)}.Read(small)
		got, gerr := PacketReader{BufferSize: int(bufferSize), NoRaw: true}.Read(big)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("error: got %v, want %v", gerr, werr)
		}
		if got.Header != want.Header || !reflect.DeepEqual(got.Vars, want.Vars) {
			t.Fatalf("packet: got %+v %q, want %+v %q", got.Header, got.Vars, want.Header, want.Vars)
		}
		if got.Raw != nil {
			t.Fatalf("raw with NoRaw: got %q", got.Raw)
		}
		if werr == nil && !bytes.Equal(want.Raw, data[:len(want.Raw)]) {
			t.Fatalf("raw: got %q, want the packet's bytes %q", want.Raw, data[:len(want.Raw)])
		}
		rest1, _ := io.ReadAll(small)
		rest2, _ := io.ReadAll(big)
		if !bytes.Equal(rest1, rest2) {
			t.Fatalf("left unread: got %q, want %q", rest2, rest1)
		}
	})
}

// stickyReader returns its first error again on every later read, as the
// app server's connections do.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.err = err
	return n, err
}
