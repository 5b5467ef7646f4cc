package uwsgiproto

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
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
		p, err := ReadPacket(bufio.NewReader(bytes.NewReader(wire)), 0)
		if err != nil {
			return
		}
		enc, err := EncodePacket(p.Header.Modifier1, p.Header.Modifier2, p.Vars)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := ReadPacket(bufio.NewReader(bytes.NewReader(enc)), 0)
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
