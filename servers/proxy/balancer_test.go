package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"webflow-lab/servers/proxy/balance"
	"webflow-lab/servers/proxy/config"
)

// upstreamOf builds an upstream { } block's directives by hand, one line
// each: the config package refuses some of these lines before the proxy
// sees them, and newBalancer must refuse them on its own as nginx does.
func upstreamOf(lines ...string) *upstreamBlock {
	d := &config.Directive{Name: "upstream", Args: []string{"app"}, Block: []*config.Directive{}, File: "/x/nginx.conf", Line: 1, EndLine: 1}
	for i, l := range lines {
		f := strings.Fields(l)
		d.Block = append(d.Block, &config.Directive{Name: f[0], Args: f[1:], File: d.File, Line: i + 2, EndLine: i + 2})
	}
	return &upstreamBlock{name: "app", dir: d}
}

// TestNewBalancerErrors: nginx's own message, file and line, and no
// explanation text glued on (that belongs to the learner views).
func TestNewBalancerErrors(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"plus sign in weight", []string{"server 127.0.0.1:9001 weight=+5"}, `invalid parameter "weight=+5" in /x/nginx.conf:2`},
		{"zero weight", []string{"server 127.0.0.1:9001 weight=0"}, `invalid parameter "weight=0" in /x/nginx.conf:2`},
		{"fail_timeout in ms", []string{"server 127.0.0.1:9001 fail_timeout=500ms"}, `invalid parameter "fail_timeout=500ms" in /x/nginx.conf:2`},
		{"unknown parameter", []string{"server 127.0.0.1:9001 slow_start=10s"}, `invalid parameter "slow_start=10s" in /x/nginx.conf:2`},
		{"backup after ip_hash", []string{"ip_hash", "server 127.0.0.1:9001 backup"}, `balancing method does not support parameter "backup" in /x/nginx.conf:3`},
		{"bad random parameter", []string{"random three", "server 127.0.0.1:9001"}, `invalid parameter "three" in /x/nginx.conf:2`},
		{"no servers", []string{"least_conn"}, `no servers are inside upstream in /x/nginx.conf:1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newBalancer(upstreamOf(tt.lines...))
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("got %q, want %q", err.Error(), tt.want)
			}
		})
	}
}

// TestNewBalancer: accepted blocks and the balancer they give.
func TestNewBalancer(t *testing.T) {
	old := lookupLocalhost
	t.Cleanup(func() { lookupLocalhost = old })
	tests := []struct {
		name       string
		localhost  []string // what the hosts file says
		lines      []string
		wantMethod string
		wantAddrs  []string
	}{
		{"default port", nil, []string{"server 127.0.0.1"}, "", []string{"127.0.0.1:80"}},
		{"redefined method: the last one wins", nil, []string{"least_conn", "ip_hash", "server 127.0.0.1:9001"}, "ip_hash", []string{"127.0.0.1:9001"}},
		{"backup before ip_hash is accepted", nil, []string{"server 127.0.0.1:9001", "server 127.0.0.1:9002 backup", "ip_hash"}, "ip_hash", []string{"127.0.0.1:9001", "127.0.0.1:9002"}},
		{"localhost on Debian: two peers", []string{"127.0.0.1", "::1"}, []string{"server localhost:9001"}, "", []string{"127.0.0.1:9001", "[::1]:9001"}},
		{"localhost as 127.0.0.1 only", []string{"127.0.0.1"}, []string{"server localhost:9001 weight=2"}, "", []string{"127.0.0.1:9001"}},
		{"localhost unresolved", nil, []string{"server localhost"}, "", []string{"127.0.0.1:80"}},
		{"ipv6 literal", nil, []string{"server [::1]:9001"}, "", []string{"[::1]:9001"}},
		{"unix socket", nil, []string{"server unix:/run/app.sock"}, "", []string{"unix:/run/app.sock"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookupLocalhost = func() []string { return tt.localhost }
			b, err := newBalancer(upstreamOf(tt.lines...))
			if err != nil {
				t.Fatalf("got %v, want accepted", err)
			}
			if got := balance.Directive(b.u.Method()); !strings.HasPrefix(got, tt.wantMethod) || (tt.wantMethod == "") != (got == "") {
				t.Errorf("method: got %q, want %q", got, tt.wantMethod)
			}
			var got []string
			for _, p := range b.u.Snapshot() {
				got = append(got, p.Addr)
			}
			if strings.Join(got, " ") != strings.Join(tt.wantAddrs, " ") {
				t.Errorf("peers: got %q, want %q", got, tt.wantAddrs)
			}
		})
	}
}

// TestUpstreamResponseTimeFinal: $upstream_response_time covers the whole
// body, not just the head: an app that sends its head at once and its body
// 150 ms later logs at least 0.150.
func TestUpstreamResponseTimeFinal(t *testing.T) {
	slow := fakeBackend(t, func(c net.Conn) {
		readUwsgiRequest(c)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
		time.Sleep(150 * time.Millisecond) // the app computing its body (not a wait for an event)
		io.WriteString(c, "done")
	})
	l := startLab(t, `
    log_format t "$status $upstream_response_time";
    server {
        listen 127.0.0.1:FREEPORT;
        access_log logs/t.log t;
        location / { uwsgi_pass `+slow+`; }
    }`, nil)
	if got := do(t, l.addr, get("/")); got.body != "done" {
		t.Fatalf("body: got %q, want %q", got.body, "done")
	}
	l.srv.Shutdown(context.Background()) // the log line is written once the connection is done
	raw := l.accLog.String()             // Options.AccessLog takes every access_log's lines
	var status int
	var secs float64
	if _, err := fmt.Sscanf(string(raw), "%d %f", &status, &secs); err != nil {
		t.Fatalf("log line %q: %v", raw, err)
	}
	if status != 200 || secs < 0.150 {
		t.Errorf("got %q, want 200 and an upstream time ≥ 0.150", strings.TrimSpace(string(raw)))
	}
}
