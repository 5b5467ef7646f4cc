package proxy

import (
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"webflow-lab/servers/testenv"
)

// TestInteropUpstreamStatus: the status line and headers a client sees for
// an app's own status line or CGI Status: header through uwsgi_pass, side
// by side with real nginx. nginx relays the app's reason phrase as it is
// ("404 Gone" stays "404 Gone") and passes the Status: header on.
func TestInteropUpstreamStatus(t *testing.T) {
	testenv.Need(t, "nginx")
	heads := []struct{ name, head string }{
		{"own reason", "HTTP/1.1 404 Gone\r\nContent-Length: 2\r\n\r\nno"},
		{"no reason", "HTTP/1.1 404\r\nContent-Length: 2\r\n\r\nno"},
		{"odd reason", "HTTP/1.0 200 Fine Thanks\r\nContent-Length: 2\r\n\r\nok"},
		{"cgi status", "Status: 404 Gone\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nno"},
		{"cgi status code only", "Status: 201\r\nContent-Length: 2\r\n\r\nok"},
		{"status line and status header", "HTTP/1.1 200 OK\r\nStatus: 500 Oops\r\nContent-Length: 2\r\n\r\nok"},
		{"cgi location", "Location: /x\r\nContent-Length: 0\r\n\r\n"},
		{"cgi plain", "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"},
	}
	locs := ""
	for i, h := range heads {
		head := h.head
		addr := fakeBackend(t, func(c net.Conn) {
			readUwsgiRequest(c)
			io.WriteString(c, head)
		})
		locs += "        location /" + itoa(i) + "/ { uwsgi_pass " + addr + "; }\n"
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	conf := func(port string) string {
		return "user root;\nevents {}\nhttp {\n    access_log logs/access-" + port + ".log;\n    error_log logs/error-" + port + ".log;\n" +
			"    server {\n        listen 127.0.0.1:" + port + ";\n        server_name lab.test;\n" + locs + "    }\n}\n"
	}
	nginxPort, ourPort := freePort(t), freePort(t)
	startNginx(t, dir, conf(nginxPort), "127.0.0.1:"+nginxPort)
	startOurs(t, dir, conf(ourPort))
	for i, h := range heads {
		t.Run(h.name, func(t *testing.T) {
			req := get("/" + itoa(i) + "/")
			n := comparable(do(t, "127.0.0.1:"+nginxPort, req), nginxPort)
			o := comparable(do(t, "127.0.0.1:"+ourPort, req), ourPort)
			if n != o {
				t.Errorf("got (ours)\n%s\nwant (nginx)\n%s", o, n)
			}
			if h.name == "own reason" && !strings.HasPrefix(n, "HTTP/1.1 404 Gone\n") {
				t.Errorf("nginx: got %q, want the app's reason", n)
			}
		})
	}
}
