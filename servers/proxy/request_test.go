package proxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestChunkedReader(t *testing.T) {
	tests := []struct {
		name, in, want string
		limit          int64
		err            error
	}{
		{"two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", 0, nil},
		{"extension and trailer", "5;x=y\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", "hello", 0, nil},
		{"upper hex", "A\r\n0123456789\r\n0\r\n\r\n", "0123456789", 0, nil},
		{"lf only", "3\nabc\n0\n\n", "abc", 0, nil},
		{"bad size", "zz\r\n", "", 0, errBadChunked},
		{"missing crlf after data", "3\r\nabcX\r\n0\r\n\r\n", "abc", 0, errBadChunked},
		{"truncated", "5\r\nhel", "hel", 0, io.ErrUnexpectedEOF},
		{"over limit", "6\r\nabcdef\r\n0\r\n\r\n", "", 5, errTooLarge},
		{"at limit", "5\r\nabcde\r\n0\r\n\r\n", "abcde", 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := &chunkedReader{br: bufio.NewReader(strings.NewReader(tt.in)), limit: tt.limit}
			got, err := io.ReadAll(cr)
			if string(got) != tt.want || err != tt.err {
				t.Errorf("got %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// FuzzChunked: encoding any chunk split of a body and decoding it gives the
// body back; decoding arbitrary bytes never yields more bytes than it read.
func FuzzChunked(f *testing.F) {
	f.Add([]byte("hello world"), uint8(3))
	f.Add([]byte(""), uint8(1))
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, split uint8) {
		if len(body) > 1<<16 {
			return
		}
		raw := &chunkedReader{br: bufio.NewReader(bytes.NewReader(body))}
		out, _ := io.ReadAll(raw)
		if len(out) > len(body) {
			t.Fatalf("decoded %d bytes from %d", len(out), len(body))
		}
		var enc bytes.Buffer
		n := int(split) + 1
		for i := 0; i < len(body); i += n {
			c := body[i:min(i+n, len(body))]
			fmt.Fprintf(&enc, "%x\r\n%s\r\n", len(c), c)
		}
		enc.WriteString("0\r\n\r\n")
		got, err := io.ReadAll(&chunkedReader{br: bufio.NewReader(&enc)})
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("round trip: got %q, %v; want %q", got, err, body)
		}
	})
}

func TestParseHeaderLine(t *testing.T) {
	tests := []struct {
		line        string
		name, value string
		valid       bool
		bad         bool
	}{
		{"Host: lab", "Host", "lab", true, false},
		{"X-A:  spaced  ", "X-A", "spaced", true, false},
		{"NoColon", "NoColon", "", true, false},
		{"X_Under: 1", "X_Under", "1", false, false},
		{"X@Y: 1", "X@Y", "1", false, false},
		{"X Y: 1", "", "", false, true},
		{" folded", "", "", false, true},
		{": empty name", "", "", false, true},
		{"X: a\x00b", "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			h, valid, perr := parseHeaderLine([]byte(tt.line), false)
			if (perr != nil) != tt.bad {
				t.Fatalf("error: got %v, want bad=%v", perr, tt.bad)
			}
			if tt.bad {
				return
			}
			if h.Name != tt.name || h.Value != tt.value || valid != tt.valid {
				t.Errorf("got %q %q valid=%v, want %q %q valid=%v", h.Name, h.Value, valid, tt.name, tt.value, tt.valid)
			}
		})
	}
}

// FuzzParseHeaderLine: an accepted header's name and value come from the
// line, and a valid name has only the bytes nginx allows.
func FuzzParseHeaderLine(f *testing.F) {
	for _, s := range []string{"Host: x", "X_Y: 1", "A", "X Y: z", "Cookie: a=b; c=d"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		h, valid, perr := parseHeaderLine(line, false)
		if perr != nil {
			return
		}
		if !bytes.HasPrefix(line, []byte(h.Name)) || h.Name == "" {
			t.Fatalf("%q: name %q", line, h.Name)
		}
		if !bytes.Contains(line, []byte(h.Value)) {
			t.Fatalf("%q: value %q not in the line", line, h.Value)
		}
		if valid {
			for i := 0; i < len(h.Name); i++ {
				c := h.Name[i]
				if !(isAlpha(c) || isDigit(c) || c == '-') {
					t.Fatalf("%q: valid name %q has %q", line, h.Name, c)
				}
			}
		}
	})
}
