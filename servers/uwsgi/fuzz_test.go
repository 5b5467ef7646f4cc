package uwsgi

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"webflow-lab/servers/uwsgiproto"
)

// FuzzServeConn sends arbitrary bytes to a running server's uwsgi socket.
// Properties: the answer is either nothing (a malformed request is closed
// with a log line) or an HTTP response head; a request whose packet decodes
// gets the app's exact answer; and the server still serves a good request
// afterwards.
func FuzzServeConn(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/packets/*.bin")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	os.MkdirAll(filepath.Join(dir, "static"), 0o755)
	mustWrite(f, filepath.Join(dir, "static", "a.txt"), "static\n")
	s, _ := startServer(f, Config{Sockets: []string{"127.0.0.1:0"}, Chdir: dir, WSGIFile: "hello",
		StaticMaps: []string{"/static=static"}, SocketTimeout: 200 * time.Millisecond}, Options{})
	address := addrOf(f, s, "socket")
	good, err := uwsgiproto.EncodePacket(0, 0, nginxVars("GET", "/ok"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		c, err := net.Dial("tcp", address)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(data)
		c.(*net.TCPConn).CloseWrite()
		got, _ := readAllConn(c)
		c.Close()
		pkt, perr := uwsgiproto.ReadPacket(bufio.NewReader(bytes.NewReader(data)), uwsgiproto.DefaultBufferSize)
		if perr != nil || pkt.Header.Modifier1 != 0 {
			if len(got) != 0 {
				t.Fatalf("malformed %q (%v): got %q, want 0 bytes", data, perr, got)
			}
		} else {
			// uWSGI writes SERVER_PROTOCOL verbatim as the status line's start.
			proto, ok := pkt.Vars.Get("SERVER_PROTOCOL")
			if !ok || proto == "" {
				proto = "HTTP/1.0"
			}
			path, _ := pkt.Vars.Get("PATH_INFO")
			method, _ := pkt.Vars.Get("REQUEST_METHOD")
			static := strings.HasPrefix(path, "/static") && (method == "GET" || method == "HEAD")
			if !bytes.HasPrefix(got, []byte(proto+" ")) || !static && !strings.HasSuffix(string(got), "\r\n\r\nHello World\n") {
				t.Fatalf("request %q: got %q, want %q + the hello app's answer", data, got, proto)
			}
		}
		c2, err := net.Dial("tcp", address)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		c2.Write(good)
		if after, _ := readAllConn(c2); !strings.HasSuffix(string(after), "Hello World\n") {
			t.Fatalf("good request after %q: got %q", data, after)
		}
	})
}

// FuzzParseAddr checks uWSGI's address rules: a ':' makes TCP with a port
// in range and the text after the last ':' kept verbatim; no ':' is a UNIX
// path kept verbatim.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1:9001", ":9000", "/tmp/app.sock", "[::1]:9001", "127.0.0.1:19101 # comment",
		":9000 # see: docs", "foo.invalid:1", "999.1.1.1:99999", "app.sock # x", ""} {
		f.Add(s)
	}
	// No DNS from a fuzzer: hosts that are not IP literals do not resolve.
	defer func(old func(string) ([]net.IP, error)) { lookupIP = old }(lookupIP)
	lookupIP = func(string) ([]net.IP, error) { return nil, errors.New("no DNS in tests") }
	f.Fuzz(func(t *testing.T, raw string) {
		if strings.ContainsAny(raw, "\x00") || len(raw) > 256 {
			return
		}
		a := parseAddr(raw, "")
		i := strings.LastIndexByte(raw, ':')
		switch {
		case i < 0:
			if a.network != "unix" || a.path != raw {
				t.Fatalf("parseAddr(%q): got %s %q, want unix %q", raw, a.network, a.path, raw)
			}
		default:
			if a.network != "tcp" || a.port < 0 || a.port > 65535 || a.portTxt != raw[i+1:] || a.raw != raw {
				t.Fatalf("parseAddr(%q): got %+v", raw, a)
			}
		}
	})
}

// FuzzReadPacket: readPacket (the cheap path) and uwsgiproto.ReadPacket
// agree on every input — the same header, vars, raw bytes and error, and
// the same bytes left unread for the body — whether the bytes come in one
// read or one byte per read.
func FuzzReadPacket(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/packets/*.bin")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(4096), false)
	}
	good, _ := uwsgiproto.EncodePacket(0, 0, nginxVars("GET", "/a?b=c"))
	f.Add(append(good, "body"...), uint16(4096), true)
	f.Add(good, uint16(20), false)
	f.Fuzz(func(t *testing.T, data []byte, bufferSize uint16, oneByte bool) {
		if len(data) > 1<<17 {
			return
		}
		open := func() *bufio.Reader {
			var r io.Reader = bytes.NewReader(data)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			return bufio.NewReaderSize(&stickyReader{r: r}, 4096)
		}
		ra, rb := open(), open()
		got, gerr := readPacket(ra, int(bufferSize), true)
		want, werr := uwsgiproto.ReadPacket(rb, int(bufferSize))
		if fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Fatalf("error: got %v, want %v", gerr, werr)
		}
		if got.Header != want.Header || !reflect.DeepEqual(got.Vars, want.Vars) {
			t.Fatalf("packet: got %+v %q, want %+v %q", got.Header, got.Vars, want.Header, want.Vars)
		}
		if werr == nil && !bytes.Equal(got.Raw, want.Raw) {
			t.Fatalf("raw: got %q, want %q", got.Raw, want.Raw)
		}
		resta, _ := io.ReadAll(ra)
		restb, _ := io.ReadAll(rb)
		if !bytes.Equal(resta, restb) {
			t.Fatalf("left unread: got %q, want %q", resta, restb)
		}
	})
}

// stickyReader returns its first error again on every later read, as the
// server's connections do.
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
