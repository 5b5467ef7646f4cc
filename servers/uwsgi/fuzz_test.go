package uwsgi

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/uwsgiproto"
)

// FuzzServeConn sends arbitrary bytes to a running server's uwsgi socket.
// Properties: the answer is either nothing (a malformed request is closed
// with a log line) or an HTTP response head; a request whose packet decodes
// gets the app's exact answer; and the server still serves a good request
// afterwards.
func FuzzServeConn(f *testing.F) {
	seeds, _ := filepath.Glob("../uwsgiproto/testdata/packets/*.bin")
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
		pkt, perr := uwsgiproto.PacketReader{}.Read(bufio.NewReader(bytes.NewReader(data)))
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
