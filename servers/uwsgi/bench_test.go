package uwsgi

import (
	"bytes"
	"io"
	"net"
	"os"
	"testing"

	"webflow-lab/servers/uwsgiproto"
)

// BenchmarkHelloOverLoopback is one request per connection, as nginx sends
// them: connect, packet, read to close. The log goes to a file, as uWSGI's
// does. The wrk comparison with real uWSGI is testdata/bench.sh.
func BenchmarkHelloOverLoopback(b *testing.B) {
	f, err := os.Create(b.TempDir() + "/uwsgi.log")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s, _ := startServer(b, Config{Sockets: []string{"127.0.0.1:0"}, WSGIFile: "hello", Processes: 2, Threads: 2}, Options{Logger: f})
	address := addrOf(b, s, "socket")
	pkt, err := uwsgiproto.EncodePacket(0, 0, nginxVars("GET", "/"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var buf bytes.Buffer
		for pb.Next() {
			c, err := net.Dial("tcp", address)
			if err != nil {
				b.Error(err)
				return
			}
			c.Write(pkt)
			buf.Reset()
			io.Copy(&buf, c)
			c.Close()
			if buf.Len() != len(helloResponse) {
				b.Errorf("got %q", buf.String())
				return
			}
		}
	})
}
